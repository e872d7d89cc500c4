"""Self-contained HTML rendering of a drift report (the dict of ``report.json_report``).

One page with inline CSS and nothing else: no script, no external font, image or stylesheet, so it can be
mailed, archived as a DSS macro result or opened offline. Every string from the report goes through
:func:`html.escape` (names, values, code, user names, context): a dataset named
``<img src=x onerror=alert(1)>`` shows as text. The full page also carries a Content-Security-Policy that
forbids scripts, as a second line of defence. ``<details>`` folds long attribute dumps without JavaScript.
"""

from __future__ import annotations

import html
import json
from typing import Any, List, Mapping, Optional

from .. import __version__
from .common import (
    CHANGE_ORDER,
    SYMBOLS,
    attribution,
    clean_lines,
    code_diff_body,
    context_facts,
    context_of,
    counts_by_type,
    is_drift_report,
    render_value,
    resource_changes,
    summary_of,
    summary_sentence,
)

# Values in the attribute table are cut here; the JSON report keeps them whole.
_CELL_LIMIT = 2000
_DIFF_CLASSES = {"+": "diac-line-add", "-": "diac-line-del", "@": "diac-line-hunk"}

# Every selector is scoped under .diac-report so a fragment embedded in DSS's UI restyles nothing else.
_CSS = """
.diac-report{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328;
max-width:1200px;margin:0 auto;padding:16px;line-height:1.45}
.diac-report h1{font-size:22px;margin:0 0 8px}
.diac-report h2{font-size:16px;margin:0;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.diac-report code,.diac-report pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.diac-report .diac-verdict{font-size:16px;font-weight:600;padding:8px 12px;border-radius:6px;margin:8px 0 12px}
.diac-report .diac-verdict-drift{background:#fff8c5;border:1px solid #d4a72c}
.diac-report .diac-verdict-clean{background:#dafbe1;border:1px solid #4ac26b}
.diac-report dl.diac-context{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 16px}
.diac-report dl.diac-context dt{font-weight:600;color:#59636e}
.diac-report dl.diac-context dd{margin:0}
.diac-report .diac-counts{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start;margin-bottom:16px}
.diac-report table{border-collapse:collapse}
.diac-report th,.diac-report td{border:1px solid #d1d9e0;padding:4px 8px;text-align:left;vertical-align:top}
.diac-report th{background:#f6f8fa}
.diac-report td.diac-num{text-align:right}
.diac-report section.diac-resource{border:1px solid #d1d9e0;border-left-width:6px;border-radius:6px;padding:10px 12px;
margin:12px 0}
.diac-report section.diac-added{border-left-color:#1a7f37}
.diac-report section.diac-removed{border-left-color:#cf222e}
.diac-report section.diac-modified{border-left-color:#bf8700}
.diac-report .diac-symbol{font-family:ui-monospace,monospace;font-weight:700}
.diac-report .diac-kind{font-size:12px;text-transform:uppercase;color:#59636e}
.diac-report .diac-attribution{color:#59636e;margin:4px 0 8px}
.diac-report table.diac-changes{width:100%;margin-top:6px}
.diac-report table.diac-changes td code{white-space:pre-wrap;overflow-wrap:anywhere}
.diac-report table.diac-changes td.diac-path{min-width:12em}
.diac-report tr.diac-added td:first-child{color:#1a7f37;font-weight:700}
.diac-report tr.diac-removed td:first-child{color:#cf222e;font-weight:700}
.diac-report tr.diac-modified td:first-child{color:#9a6700;font-weight:700}
.diac-report pre.diac-diff{margin:0;padding:6px 0;overflow-x:auto;background:#f6f8fa}
.diac-report pre.diac-diff span{display:block;padding:0 8px}
.diac-report .diac-line-add{background:#dafbe1}
.diac-report .diac-line-del{background:#ffebe9}
.diac-report .diac-line-hunk{background:#ddf4ff;color:#59636e}
.diac-report details pre{background:#f6f8fa;padding:8px;overflow-x:auto;max-height:480px}
.diac-report footer{color:#59636e;font-size:12px;margin-top:24px}
""".strip()

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute.

    Control characters other than tab and newline are shown as ``\\x1b``, as in the text report: the page may
    be printed to a terminal (``drift --format html``), and a control character hidden in a name should show.
    """
    return html.escape(clean_lines(value), quote=True)


def render_html(report: Mapping[str, Any], title: Optional[str] = None, full_page: bool = True) -> str:
    """The report as one self-contained HTML page (``full_page=True``) or an embeddable fragment.

    The fragment is a ``<div class="diac-report">`` holding its own scoped ``<style>``, for DSS macro results
    and the webapp. ``title`` defaults to "Drift report: <environment>" (or "State diff" for a diff of two
    states).
    """
    page_title = title if title is not None else _default_title(report)
    fragment = _fragment(report, page_title)
    if not full_page:
        return fragment
    return html_page(page_title, fragment)


def html_page(title: str, fragment: str) -> str:
    """A self-contained page around a fragment: no script may run (CSP), every style inline."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(title)}</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n"
    )


def _default_title(report: Mapping[str, Any]) -> str:
    if not is_drift_report(report):
        return "State diff"
    environment = context_of(report).get("environment")
    return f"Drift report: {environment}" if environment else "Drift report"


def _fragment(report: Mapping[str, Any], title: str) -> str:
    changes = resource_changes(report)
    parts = [
        "<div class=\"diac-report\">",
        f"<style>{_CSS}</style>",
        f"<header><h1>{_e(title)}</h1>",
        _verdict(report, bool(changes)),
        _context(report),
        "</header>",
        _counts(report),
        *(_resource_section(index, change) for index, change in enumerate(changes)),
        f"<footer>Generated by dataiku-iac {_e(__version__)}.</footer>",
        "</div>",
    ]
    return "\n".join(part for part in parts if part)


def _verdict(report: Mapping[str, Any], has_changes: bool) -> str:
    css = "diac-verdict-drift" if has_changes else "diac-verdict-clean"
    return f"<p class=\"diac-verdict {css}\">{_e(summary_sentence(report))}</p>"


def _context(report: Mapping[str, Any]) -> str:
    facts = context_facts(report)
    if not facts:
        return ""
    rows = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in facts)
    return f"<dl class=\"diac-context\">{rows}</dl>"


def _counts(report: Mapping[str, Any]) -> str:
    counts = summary_of(report)
    by_kind = "".join(
        f"<tr><td>{_e((SYMBOLS[name] + ' ' + name).strip())}</td><td class=\"diac-num\">{counts[name]}</td></tr>"
        for name in (*CHANGE_ORDER, "unchanged")
    )
    tables = [f"<table class=\"diac-by-change\"><thead><tr><th>Change</th><th>Resources</th></tr></thead>"
              f"<tbody>{by_kind}</tbody></table>"]
    by_type = counts_by_type(report)
    if by_type:
        head = "".join(f"<th>{_e(name)}</th>" for name in CHANGE_ORDER)
        rows = "".join(
            f"<tr><td>{_e(rtype)}</td>"
            + "".join(f"<td class=\"diac-num\">{row[name]}</td>" for name in CHANGE_ORDER)
            + "</tr>"
            for rtype, row in by_type.items()
        )
        tables.append(f"<table class=\"diac-by-type\"><thead><tr><th>Type</th>{head}</tr></thead>"
                      f"<tbody>{rows}</tbody></table>")
    return f"<section class=\"diac-counts\">{''.join(tables)}</section>"


def _resource_section(index: int, change: Mapping[str, Any]) -> str:
    kind = str(change.get("change") or "modified")
    css = _e(kind if kind in SYMBOLS else "modified")
    parts = [
        f"<section class=\"diac-resource diac-{css}\" id=\"diac-resource-{index}\">",
        f"<h2><span class=\"diac-symbol\">{_e(SYMBOLS.get(kind, '?'))}</span>"
        f"<code>{_e(change.get('address', '?'))}</code><span class=\"diac-kind\">{_e(kind)}</span></h2>",
    ]
    who = attribution(change)
    if who:
        parts.append(f"<p class=\"diac-attribution\">{_e(who)}</p>")
    if kind == "modified":
        parts.append(_changes_table(change.get("attribute_changes") or []))
    elif kind in ("added", "removed"):
        parts.append(_attributes_dump(change.get("after" if kind == "added" else "before")))
    parts.append("</section>")
    return "\n".join(parts)


def _changes_table(attribute_changes: List[Mapping[str, Any]]) -> str:
    rows = [_change_row(change) for change in attribute_changes]
    return (
        "<table class=\"diac-changes\"><thead><tr><th></th><th>Attribute</th><th>Before</th><th>After</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _change_row(change: Mapping[str, Any]) -> str:
    action = str(change.get("action") or "modified")
    css = _e(action if action in SYMBOLS else "modified")
    head = (f"<tr class=\"diac-{css}\"><td>{_e(SYMBOLS.get(action, '?'))}</td>"
            f"<td class=\"diac-path\"><code>{_e(change.get('path') or '(root)')}</code></td>")
    text_diff = change.get("text_diff")
    if text_diff:
        return f"{head}<td colspan=\"2\">{_code_diff(str(text_diff))}</td></tr>"
    before = _value_cell(change.get("before")) if action != "added" else "<td></td>"
    after = _value_cell(change.get("after")) if action != "removed" else "<td></td>"
    return f"{head}{before}{after}</tr>"


def _value_cell(value: Any) -> str:
    return f"<td><code>{_e(render_value(value, _CELL_LIMIT))}</code></td>"


def _code_diff(text_diff: str) -> str:
    """A unified diff as a ``<pre>``, one styled ``<span>`` per line."""
    lines = []
    for line in code_diff_body(text_diff):
        css = _DIFF_CLASSES.get(line[:1])
        attribute = f" class=\"{css}\"" if css else ""
        lines.append(f"<span{attribute}>{_e(line) or ' '}</span>")
    return f"<pre class=\"diac-diff\">{''.join(lines)}</pre>"


def _attributes_dump(attributes: Any) -> str:
    if not isinstance(attributes, Mapping) or not attributes:
        return ""
    dump = json.dumps(attributes, ensure_ascii=False, sort_keys=True, indent=2, default=str)
    count = len(attributes)
    return (f"<details><summary>{count} attribute{'s' if count != 1 else ''}</summary>"
            f"<pre>{_e(dump)}</pre></details>")
