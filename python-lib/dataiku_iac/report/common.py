"""What the text and HTML renderers (and the CLI) share: the summary sentence, context facts, attribution,
value forms, and the escaping of control characters in DSS-supplied text.

Both renderers read only the drift report dict (``report.json_report``), never the engine's objects, so a
report loaded back from storage renders exactly as a fresh one. Unknown keys are ignored and missing ones
tolerated: a report from an older or newer minor format version still renders.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..models.diff import CHANGE_KINDS, count_changes

#: Order in which change kinds are listed (Terraform's: add, change, destroy).
CHANGE_ORDER = ("added", "modified", "removed")
SYMBOLS = {"added": "+", "removed": "-", "modified": "~", "unchanged": " "}

# Values longer than this are cut in the rendered output (the JSON report keeps them whole).
MAX_VALUE_LENGTH = 200

# C0/C1 control characters other than tab: DSS names and code could hold terminal escape sequences, and a line
# break in a name would let it write lines of its own into a report. Everything passed to clean is one line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_lines(text: Any) -> str:
    """Like :func:`clean` for text of several lines: line breaks (and tabs) are kept."""
    return _CONTROL_BUT_LINE_BREAKS.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


def clean(text: Any) -> str:
    """``text`` (one line) as a string with control characters made visible (``\\x1b``, ``\\x0a``), so
    DSS-supplied content cannot move the cursor, recolour or clear a terminal, nor start a line of its own."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


def render_value(value: Any, limit: int = MAX_VALUE_LENGTH) -> str:
    """A value as JSON text (``1``, ``1.0``, ``true`` and ``"1"`` stay distinct), cut at ``limit``."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_of(report: Mapping[str, Any]) -> Dict[str, int]:
    """Counts by change kind, from the report's summary, else counted from its resource changes."""
    summary = report.get("summary")
    if isinstance(summary, Mapping):
        return {name: int(summary.get(name) or 0) for name in CHANGE_KINDS}
    return count_changes(change.get("change") for change in resource_changes(report))


def resource_changes(report: Mapping[str, Any], include_unchanged: bool = False) -> List[Mapping[str, Any]]:
    """The report's resource changes; UNCHANGED entries (a report may include them) only when asked."""
    return [
        change
        for change in report.get("resource_changes") or []
        if isinstance(change, Mapping) and (include_unchanged or change.get("change") != "unchanged")
    ]


def context_of(report: Mapping[str, Any]) -> Mapping[str, Any]:
    """The report's context dict (empty when absent)."""
    context = report.get("context")
    return context if isinstance(context, Mapping) else {}


def is_drift_report(report: Mapping[str, Any]) -> bool:
    """True for a drift check (live DSS against a baseline), False for a diff of two stored states."""
    context = context_of(report)
    return "baseline_serial" in context or "has_drift" in context


def summary_sentence(report: Mapping[str, Any]) -> str:
    """The closing line: ``Drift: 1 added, 2 modified, 0 removed.`` or ``No drift: ... (serial N).``"""
    counts = summary_of(report)
    changed = sum(counts[name] for name in CHANGE_ORDER)
    figures = change_figures(report)
    if is_drift_report(report):
        if changed:
            return f"Drift: {figures}."
        serial = context_of(report).get("baseline_serial")
        where = f" (serial {serial})" if serial is not None else ""
        return f"No drift: DSS matches the baseline{where}."
    return f"Changes: {figures}." if changed else "No changes: both states hold the same resources and attributes."


def change_figures(report: Mapping[str, Any]) -> str:
    """``1 added, 2 modified, 0 removed``."""
    counts = summary_of(report)
    return ", ".join(f"{counts[name]} {name}" for name in CHANGE_ORDER)


def has_changes(report: Mapping[str, Any]) -> bool:
    """True when anything was added, modified or removed."""
    counts = summary_of(report)
    return any(counts[name] for name in CHANGE_ORDER)


def context_facts(report: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """(label, value) pairs describing what was compared, in a fixed order; only the known ones."""
    context = context_of(report)
    facts = []
    for key, label in _CONTEXT_LABELS:
        value = context.get(key)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(item) for item in value)
        facts.append((label, str(value)))
    return facts


_CONTEXT_LABELS = (
    ("environment", "Environment"),
    ("project_keys", "Projects"),
    ("baseline_serial", "Baseline serial"),
    ("baseline_updated_at", "Baseline saved at"),
    ("baseline_lineage", "Baseline lineage"),
    ("checked_at", "Checked at"),
    ("sync_mode", "Mode"),
    ("old_state", "Old state"),
    ("old_serial", "Old serial"),
    ("new_state", "New state"),
    ("new_serial", "New serial"),
    ("redaction_notice", "Note"),
)


def attribution(change: Mapping[str, Any]) -> Optional[str]:
    """``changed by X at T`` (or ``last changed by`` for a removed resource) when DSS said who, else None."""
    who, when = change.get("last_modified_by"), change.get("last_modified_at")
    if not who and not when:
        return None
    verb = "last changed" if change.get("change") == "removed" else "changed"
    text = verb + (f" by {who}" if who else "") + (f" at {when}" if when else "")
    return text


def code_diff_body(text_diff: str) -> List[str]:
    """The lines of a unified diff without its ``---``/``+++`` header."""
    lines = text_diff.split("\n")
    if len(lines) >= 2 and lines[0].startswith("---") and lines[1].startswith("+++"):
        lines = lines[2:]
    return lines


def counts_by_type(report: Mapping[str, Any]) -> Dict[str, Dict[str, int]]:
    """For each resource type with changes: counts by change kind (added/modified/removed)."""
    kinds_by_type: Dict[str, List[Any]] = {}
    for change in resource_changes(report):
        kinds_by_type.setdefault(str(change.get("type") or "?"), []).append(change.get("change"))
    table = {}
    for resource_type, kinds in sorted(kinds_by_type.items()):
        counts = count_changes(kinds)
        table[resource_type] = {name: counts[name] for name in CHANGE_ORDER}
    return table


def headline_attributes(attributes: Any, limit: int = 8) -> Tuple[List[Tuple[str, Any]], int]:
    """Top-level scalar attributes worth showing for an added or removed resource, and how many are hidden.

    Nested blocks (schemas, params...) are counted as hidden: listing a whole dataset would drown the one
    line a reviewer needs.
    """
    if not isinstance(attributes, Mapping):
        return [], 0
    shown = [
        (str(key), value)
        for key, value in sorted(attributes.items(), key=lambda item: str(item[0]))
        if isinstance(value, (str, int, float, bool)) and value != ""
    ][:limit]
    return shown, len(attributes) - len(shown)
