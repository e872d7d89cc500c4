"""Terraform-like text of a plan document (``Plan.to_dict()``, or a plan file read back).

::

    Plan for environment dev (http://dss:11200), state serial 4.

      + dataset.SALES.orders_2024
          name = "orders_2024"
          type = "Filesystem"
      ~ dataset.SALES.orders  (changed outside the config by alex at 2026-12-01T10:00:00Z)
          ~ params.path: "/data/v2" → "/data/orders"  (changed outside the config)
      -/+ dataset.SALES.clean  (replace: type cannot change in place)
      - recipe.SALES.old_recipe
      <= scenario.SALES.NIGHTLY  (adopt: DSS has it; the state will record it as managed)

    Plan: 1 to import, 1 to add, 1 to change, 1 to replace, 1 to destroy.

The last line is always the summary. Everything from DSS or the config is cleaned of control characters
(``report.common.clean``), as in drift reports.
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping

from ..plan.model import KNOWN_AFTER_APPLY, SYMBOLS, summary_line
from .common import clean, headline_attributes, render_value
from .text import _Painter, attribute_lines

_STYLE = {"create": "added", "update": "modified", "replace": "modified", "delete": "removed", "adopt": "hunk"}
_UNRESOLVED = ".new:"
_NEW_REF = re.compile(r"=new:([^\]]*)\]")  # a keyed list item naming an object not created yet


def render_plan_text(plan: Mapping[str, Any], color: bool = False, show_unmanaged: bool = False) -> str:
    """The plan as text, ending with its summary line (no final newline)."""
    paint = _Painter(color)
    lines = [_heading(plan), ""]
    operations = [op for op in plan.get("operations") or [] if isinstance(op, Mapping)]
    for operation in operations:
        lines += _operation_lines(operation, paint)
    if operations:
        lines.append("")
    else:
        lines += ["No changes: DSS matches the config on every path the config manages.", ""]
    unmanaged = list(plan.get("unmanaged") or [])
    if unmanaged:
        count = len(unmanaged)
        lines.append(f"{count} object{'s' if count != 1 else ''} in DSS {'are' if count != 1 else 'is'} not in the "
                     "config (unmanaged: never changed nor deleted)"
                     + (":" if show_unmanaged else "; --show-unmanaged lists them."))
        if show_unmanaged:
            lines += [f"    {clean(rid)}" for rid in unmanaged]
        lines.append("")
    for warning in plan.get("warnings") or []:
        lines.append(paint("dim", f"Warning: {clean(warning)}"))
    if plan.get("warnings"):
        lines.append("")
    summary = plan.get("summary") or {}
    refused = int(summary.get("refused") or 0)
    if refused:
        lines.append(paint("removed", f"Refused: {refused} operation{'s' if refused != 1 else ''} (protect: true); "
                                      "apply will not run this plan until the config allows them."))
    lines.append(paint("bold", summary_line(summary)))
    return "\n".join(lines)


def _heading(plan: Mapping[str, Any]) -> str:
    text = f"Plan for environment {clean(plan.get('environment') or '?')}"
    if plan.get("dss_url"):
        text += f" ({clean(plan['dss_url'])})"
    serial = (plan.get("state") or {}).get("serial")
    text += f", state serial {serial}." if serial is not None else ", no state recorded yet."
    return text


def display_address(operation: Mapping[str, Any]) -> str:
    """The resource id, or ``managed_folder.P[key]`` while DSS has not assigned the object's id."""
    rid = str(operation.get("resource_id") or "?")
    if operation.get("id_known") is False and _UNRESOLVED in rid:
        return f"{rid.split(_UNRESOLVED, 1)[0]}[{operation.get('config_key')}]"
    return rid


def _operation_lines(operation: Mapping[str, Any], paint: _Painter) -> List[str]:
    action = str(operation.get("action") or "?")
    symbol = SYMBOLS.get(action, "?")
    style = _STYLE.get(action, "bold")
    refused = operation.get("refused")
    marker = f"! {symbol}" if refused else symbol
    header = paint("removed" if refused else style, f"  {marker} {clean(display_address(operation))}")
    notes = _header_notes(operation)
    if notes:
        header += "  " + paint("dim", f"({'; '.join(notes)})")
    lines = [header]
    if refused:
        lines.append(paint("removed", f"      refused: {clean(refused)}"))
    if action == "create" or (action == "replace" and not operation.get("changes")):
        lines += _created_lines(operation, paint)
    for change in operation.get("changes") or []:
        shown = attribute_lines(_with_unknown_ids(change), paint, indent=" " * 6)
        if change.get("outside") and shown:
            shown[0] += "  " + paint("dim", "(changed outside the config)")
        lines += shown
    for note in operation.get("notes") or []:
        if not str(note).startswith("id:"):
            lines.append(paint("dim", f"      # {clean(note)}"))
    return lines


def _header_notes(operation: Mapping[str, Any]) -> List[str]:
    notes = []
    outside = operation.get("outside")
    if isinstance(outside, Mapping):
        text = "changed outside the config"
        if outside.get("by"):
            text += f" by {clean(outside['by'])}"
        if outside.get("at"):
            text += f" at {clean(outside['at'])}"
        notes.append(text)
    replace = operation.get("replace_fields") or {}
    if replace:
        notes.append("replace: " + "; ".join(f"{clean(name)}: {clean(why)}" for name, why in sorted(replace.items())))
    if operation.get("action") == "adopt":
        notes.append("adopt: DSS has it; the state will record it as managed")
    if operation.get("id_known") is False:
        notes.append(f"id {KNOWN_AFTER_APPLY}")
    return notes


def _created_lines(operation: Mapping[str, Any], paint: _Painter) -> List[str]:
    shown, hidden = headline_attributes(operation.get("after"))
    lines = [f"      {clean(key)} = {clean(render_value(_unresolved(value), 80))}" for key, value in shown]
    if hidden:
        lines.append(paint("dim", f"      # ({hidden} more attribute{'s' if hidden != 1 else ''})"))
    return lines


def _unresolved(value: Any) -> Any:
    """A reference to an object DSS has not created yet (``new:KEY``) as ``(known after apply)``."""
    if isinstance(value, str):
        return KNOWN_AFTER_APPLY if value.startswith("new:") else value
    if isinstance(value, dict):
        return {key: _unresolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unresolved(item) for item in value]
    return value


def _with_unknown_ids(change: Mapping[str, Any]) -> Mapping[str, Any]:
    shown = dict(change)
    shown["before"], shown["after"] = _unresolved(change.get("before")), _unresolved(change.get("after"))
    shown["path"] = _NEW_REF.sub(lambda match: f"={match.group(1)} {KNOWN_AFTER_APPLY}]", str(change.get("path")))
    return shown
