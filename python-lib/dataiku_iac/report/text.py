"""Terraform-like text rendering of a drift report (the dict of ``report.json_report``).

::

    Environment:     dev
    Baseline serial: 3

      ~ dataset.SALES.orders  (changed by jane.doe at 2025-01-15T10:30:00Z)
          ~ schema.columns[name=id].type: "string" → "bigint"
          + schema.columns[name=email]: {"name": "email", "type": "string"}
      ~ recipe.SALES.compute_orders
          ~ payload:
                @@ -1,2 +1,2 @@
                -df = load()
                +df = load(limit=10)

    Drift: 0 added, 2 modified, 0 removed.

Plain string building: no terminal library is needed for a handful of ANSI colours, and the same output
goes to files, pipes and DSS logs. DSS-supplied text has its control characters neutralised, so a crafted
name cannot rewrite the terminal.
"""

from __future__ import annotations

from typing import Any, List, Mapping

from .common import (
    SYMBOLS,
    attribution,
    clean,
    code_diff_body,
    context_facts,
    headline_attributes,
    render_value,
    resource_changes,
    summary_sentence,
)

_RESET = "\x1b[0m"
_STYLES = {
    "added": "\x1b[32m",  # green
    "removed": "\x1b[31m",  # red
    "modified": "\x1b[33m",  # yellow
    "hunk": "\x1b[36m",  # cyan
    "dim": "\x1b[2m",
    "bold": "\x1b[1m",
}
_LINE_STYLES = {"+": "added", "-": "removed", "@": "hunk"}


class _Painter:
    """Wraps text in ANSI styles, or leaves it alone when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        if not self.color or not text:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"


def render_text(report: Mapping[str, Any], color: bool = False, include_unchanged: bool = False) -> str:
    """The report as Terraform-like text: context, one block per changed resource, a summary line.

    ``color`` adds ANSI colours (callers pass ``stream.isatty()``); without it the text has no escape codes.
    ``include_unchanged`` also lists the unchanged resources the report holds, one line each (a report holds
    them when built with ``diffs_to_json(..., include_unchanged=True)``). The result ends without a newline.
    """
    paint = _Painter(color)
    lines: List[str] = []
    # The lineage is a UUID: useful in the HTML and JSON reports, noise on a terminal.
    facts = [(label, value) for label, value in context_facts(report) if label != "Baseline lineage"]
    if facts:
        width = max(len(label) for label, _ in facts) + 1
        lines += [f"{(label + ':').ljust(width)} {clean(value)}" for label, value in facts]
        lines.append("")
    changes = resource_changes(report, include_unchanged=include_unchanged)
    for change in changes:
        lines += _resource_lines(change, paint)
    if changes:
        lines.append("")
    lines.append(paint("bold", summary_sentence(report)))
    return "\n".join(lines)


def _resource_lines(change: Mapping[str, Any], paint: _Painter) -> List[str]:
    kind = str(change.get("change") or "modified")
    symbol = SYMBOLS.get(kind, "?")
    header = paint(kind if kind in _STYLES else "bold", f"  {symbol} {clean(change.get('address', '?'))}")
    # An unchanged resource's last DSS edit is older than the baseline: "changed by" would mislead.
    who = attribution(change) if kind != "unchanged" else None
    if who:
        header += "  " + paint("dim", f"({clean(who)})")
    lines = [header]
    if kind == "modified":
        for attribute_change in change.get("attribute_changes") or []:
            lines += attribute_lines(attribute_change, paint, indent=" " * 6)
    elif kind in ("added", "removed"):
        lines += _headline_lines(change.get("after" if kind == "added" else "before"), paint)
    return lines


def attribute_lines(change: Mapping[str, Any], paint: Any = None, indent: str = "    ") -> List[str]:
    """Text lines for one attribute change: ``~ path: old → new``, ``+ path: new``, ``- path: old``, or
    ``~ path:`` followed by the indented unified diff of changed code."""
    paint = paint or _Painter(False)
    action = str(change.get("action") or "modified")
    path = clean(change.get("path") or "(root)")
    if action == "added":
        return [indent + paint("added", f"+ {path}: {clean(render_value(change.get('after')))}")]
    if action == "removed":
        return [indent + paint("removed", f"- {path}: {clean(render_value(change.get('before')))}")]
    text_diff = change.get("text_diff")
    if text_diff:
        body = [indent + "      " + _diff_line(line, paint) for line in code_diff_body(str(text_diff))]
        return [indent + paint("modified", f"~ {path}:"), *body]
    before, after = clean(render_value(change.get("before"))), clean(render_value(change.get("after")))
    return [indent + paint("modified", f"~ {path}: {before} → {after}")]


def _diff_line(line: str, paint: Any) -> str:
    style = _LINE_STYLES.get(line[:1])
    return paint(style, clean(line)) if style else clean(line)


def _headline_lines(attributes: Any, paint: _Painter) -> List[str]:
    shown, hidden = headline_attributes(attributes)
    lines = [f"      {clean(key)} = {clean(render_value(value, 80))}" for key, value in shown]
    if hidden:
        lines.append(paint("dim", f"      # ({hidden} more attribute{'s' if hidden != 1 else ''})"))
    return lines
