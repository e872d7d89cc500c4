"""HTML for the macros' results: the sync summary, the drift report (via ``report.html``), the outcome of an
apply, and error messages.

Every value that comes from DSS or from the user is escaped. The fragments carry their own scoped style, as
DSS shows a macro's HTML result inline in its own page.
"""

from __future__ import annotations

import html
from typing import Any, Iterable, List, Mapping, Optional, Tuple

from .. import __version__
from ..report.html import render_html

_CSS = """
.diac-plugin{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328;
line-height:1.45;padding:8px 0}
.diac-plugin h2{font-size:18px;margin:0 0 8px}
.diac-plugin table{border-collapse:collapse;margin:8px 0}
.diac-plugin th,.diac-plugin td{border:1px solid #d0d7de;padding:4px 10px;text-align:left}
.diac-plugin td.diac-num{text-align:right;font-variant-numeric:tabular-nums}
.diac-plugin dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:8px 0}
.diac-plugin dt{font-weight:600}.diac-plugin dd{margin:0;word-break:break-all}
.diac-plugin .diac-note{color:#57606a}
.diac-plugin .diac-error{border-left:4px solid #cf222e;background:#ffebe9;padding:8px 12px}
.diac-plugin .diac-ok{border-left:4px solid #1a7f37;background:#dafbe1;padding:8px 12px}
.diac-plugin .diac-warn{border-left:4px solid #9a6700;background:#fff8c5;padding:8px 12px}
.diac-plugin td.diac-applied{color:#1a7f37;font-weight:600}
.diac-plugin td.diac-failed{color:#cf222e;font-weight:600}
.diac-plugin td.diac-not-attempted{color:#57606a}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _box(title: str, body: str, css: str = "") -> str:
    return (
        f"<div class=\"diac-plugin\"><style>{_CSS}</style><h2>{_e(title)}</h2>{body}"
        f"<p class=\"diac-note\">dataiku-iac {_e(__version__)}</p></div>"
    )


def facts_html(facts: Iterable[Tuple[str, Any]]) -> str:
    """A definition list of (label, value) pairs."""
    rows = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in facts if value is not None)
    return f"<dl>{rows}</dl>"


def counts_table(counts: Mapping[str, int]) -> str:
    """Resources by type, with a total row."""
    rows = "".join(f"<tr><td>{_e(rtype)}</td><td class=\"diac-num\">{int(n)}</td></tr>" for rtype, n in counts.items())
    total = sum(int(n) for n in counts.values())
    return (
        "<table><thead><tr><th>Type</th><th>Resources</th></tr></thead>"
        f"<tbody>{rows}<tr><th>Total</th><td class=\"diac-num\">{total}</td></tr></tbody></table>"
    )


def sync_summary_html(
    *,
    environment: str,
    saved: bool,
    serial: int,
    lineage: Optional[str],
    location: str,
    counts: Mapping[str, int],
    project_keys: List[str],
    changes: int,
    created: bool = False,
) -> str:
    """The sync macro's result: what was recorded, and where."""
    if created:
        verdict = f"State created as serial {serial}."
    elif saved:
        verdict = f"State saved as serial {serial} ({changes} resource change(s) since the previous state)."
    else:
        verdict = f"Nothing changed since serial {serial}: the stored state was left as it was."
    facts = facts_html([
        ("Environment", environment),
        ("Serial", serial),
        ("Lineage", lineage or "-"),
        ("Written to", location),
        ("Projects", ", ".join(project_keys) or "-"),
    ])
    body = f"<p class=\"diac-ok\">{_e(verdict)}</p>{facts}{counts_table(counts)}"
    return _box(f"State synced: {environment}", body)


def drift_report_html(report: Mapping[str, Any], notes: Iterable[str] = ()) -> str:
    """The drift report fragment, preceded by notes (where the report was saved, a baseline update)."""
    lines = "".join(f"<p class=\"diac-note\">{_e(note)}</p>" for note in notes if note)
    fragment = render_html(report, full_page=False)
    return f"<div class=\"diac-plugin\"><style>{_CSS}</style>{lines}</div>\n{fragment}" if lines else fragment


def error_html(title: str, message: str) -> str:
    """A short error message box (escaped; never a traceback)."""
    paragraphs = "".join(f"<p>{_e(line)}</p>" for line in message.splitlines() if line.strip())
    return _box(title, f"<div class=\"diac-error\">{paragraphs}</div>")


# -- apply ------------------------------------------------------------------------------------------------

_STATUS_CSS = {"applied": "diac-applied", "failed": "diac-failed", "not attempted": "diac-not-attempted"}


def apply_result_html(record: Mapping[str, Any], *, state_location: str, record_location: Optional[str],
                      note: str = "") -> str:
    """The apply macro's result, from the apply record (``AppliedPlan.to_dict()``): the summary line, every
    operation with its outcome (the final id when DSS gave one, the reason of a failure), where the record
    and the state are."""
    operations = [op for op in record.get("operations") or [] if isinstance(op, Mapping)]
    environment = record.get("environment") or "?"
    if not operations:
        verdict, css = "No changes: DSS matches the config; nothing to apply.", "diac-ok"
    else:
        verdict, css = str(record.get("summary") or ""), "diac-ok" if record.get("ok") else "diac-error"
    facts = facts_html([
        ("Environment", environment),
        ("Plan", record.get("plan_id") or "-"),
        ("Plan summary", record.get("plan_summary") or None),
        ("Applied by", record.get("applied_by") or "-"),
        ("Applied at", record.get("applied_at") or None),
        ("State", f"{state_location} (serial {record.get('state_serial')})"),
        ("Record", record_location),
    ])
    notes = f"<p class=\"diac-warn\">{_e(note)}</p>" if note else ""
    title = f"Plan applied: {environment}" if record.get("ok") else f"Apply finished with failures: {environment}"
    body = f"<p class=\"{css}\">{_e(verdict)}</p>{notes}{facts}{operations_table(operations)}"
    return _box(title, body)


def operations_table(operations: List[Mapping[str, Any]]) -> str:
    """Every operation of an apply in plan order: what it did, on what, and what became of it."""
    if not operations:
        return ""
    rows = []
    for number, op in enumerate(operations, 1):
        status = str(op.get("status") or "")
        rows.append(
            f"<tr><td class=\"diac-num\">{number}</td><td>{_e(op.get('action'))}</td>"
            f"<td><code>{_e(op.get('resource_id'))}</code></td>"
            f"<td class=\"{_STATUS_CSS.get(status, '')}\">{_e(status)}</td><td>{_e(_detail(op))}</td></tr>"
        )
    return ("<table><thead><tr><th>#</th><th>Operation</th><th>Resource</th><th>Outcome</th><th>Detail</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _detail(op: Mapping[str, Any]) -> str:
    status = op.get("status")
    if status == "failed":
        return str(op.get("error") or "failed")
    if status == "not attempted":
        return "not started: an apply starts nothing new after a failure"
    final_id = op.get("final_id")
    if final_id and final_id != op.get("resource_id"):
        return f"now {final_id} (DSS gave it its id)"
    return ""


def stale_plan_html(plan_id: Optional[str], reasons: Iterable[str]) -> str:
    """A stale plan's refusal: every reason, and what to do (no traceback)."""
    items = "".join(f"<li>{_e(reason)}</li>" for reason in reasons)
    which = f"Plan {plan_id}" if plan_id else "The plan"
    body = (f"<div class=\"diac-error\"><p>{_e(which)} no longer describes what apply would do, so nothing was "
            "written. Make a new plan with the macro 'Dataiku IaC: plan from config', review it, and apply that "
            f"one.</p><ul>{items}</ul></div>")
    return _box("Plan not applied: it is stale", body)
