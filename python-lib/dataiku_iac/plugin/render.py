"""HTML for the macros' results: the sync summary, the drift report (via ``report.html``) and error messages.

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
