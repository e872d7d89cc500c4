"""render_html: one self-contained page, context and counts, per-resource sections, and escaping of DSS text."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import List, Tuple

from dataiku_iac.report.html import render_html

from .reports import XSS, drift_report, hostile_report, no_drift_report


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: List[Tuple[str, dict]] = []
        self.text: List[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Collector:
    collector = Collector()
    collector.feed(page)
    collector.close()
    return collector


def test_full_page_is_self_contained():
    page = render_html(drift_report())
    assert page.startswith("<!DOCTYPE html>")
    tags = parse(page).tags
    names = {tag for tag, _ in tags}
    assert "script" not in names and "link" not in names and "img" not in names
    assert not any(attrs.get("src") or attrs.get("href") for _, attrs in tags)  # no external resource
    assert "http://" not in page and "https://" not in page
    csp = [attrs["content"] for tag, attrs in tags if attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_header_context_and_counts():
    page = render_html(drift_report())
    assert "<title>Drift report: dev</title>" in page
    assert "Drift: 1 added, 2 modified, 1 removed." in page
    assert "<dt>Baseline serial</dt><dd>3</dd>" in page
    assert "<dt>Checked at</dt><dd>2025-02-01T08:00:00Z</dd>" in page
    # by resource type: dataset has 1 modified and 1 removed
    assert ('<tr><td>dataset</td><td class="diac-num">0</td><td class="diac-num">1</td>'
            '<td class="diac-num">1</td></tr>') in page
    assert '<td>unchanged</td><td class="diac-num">1</td>' in page


def test_one_section_per_changed_resource_with_attribution():
    page = render_html(drift_report())
    sections = [attrs["class"] for tag, attrs in parse(page).tags if tag == "section"
                and "diac-resource" in attrs.get("class", "")]
    assert sections == ["diac-resource diac-removed", "diac-resource diac-modified",
                        "diac-resource diac-added", "diac-resource diac-modified"]
    assert "changed by jane.doe at 2025-02-01T08:00:00Z" in page
    assert "last changed by bob at 2025-01-15T10:30:00Z" in page


def test_attribute_changes_in_a_table_and_code_diff_lines_styled():
    page = render_html(drift_report())
    assert ('<td class="diac-path"><code>schema.columns[name=id].type</code></td>'
            "<td><code>&quot;string&quot;</code></td><td><code>&quot;bigint&quot;</code></td>") in page
    assert '<span class="diac-line-del">-df = df.dropna()</span>' in page
    assert '<span class="diac-line-add">+df = df.fillna(0)</span>' in page
    assert '<span class="diac-line-hunk">@@ -1,5 +1,5 @@</span>' in page
    assert "+++ b/payload" not in page


def test_added_resource_attributes_fold_without_javascript():
    page = render_html(drift_report())
    assert "<details><summary>3 attributes</summary>" in page
    assert "&quot;exports&quot;" in page


def test_no_drift_page():
    page = render_html(no_drift_report())
    assert "No drift: DSS matches the baseline (serial 7)." in page
    assert "diac-verdict-clean" in page and "<section class=\"diac-resource" not in page


def test_fragment_for_macro_results():
    fragment = render_html(drift_report(), full_page=False)
    assert fragment.startswith('<div class="diac-report">') and fragment.endswith("</div>")
    assert "<html" not in fragment and "<style>" in fragment
    # every CSS rule is scoped so the fragment cannot restyle the page that embeds it
    css = fragment.split("<style>")[1].split("</style>")[0]
    rules = [rule.strip() for rule in css.replace("\n", "").split("}") if rule.strip()]
    assert all(selector.startswith(".diac-report") for rule in rules for selector in rule.split("{")[0].split(","))


def test_title_is_escaped_and_diff_reports_default_to_state_diff():
    report = drift_report()
    report["context"] = {"old_state": "a.json"}
    page = render_html(report, title="<b>x</b>")
    assert "<title>&lt;b&gt;x&lt;/b&gt;</title>" in page and "<b>" not in page
    assert "<title>State diff</title>" in render_html(report)
    assert "<title>Drift report</title>" in render_html({"context": {"has_drift": False}})


def test_every_dss_string_is_escaped():
    page = render_html(hostile_report())
    parsed = parse(page)
    assert not any(tag == "img" or "onerror" in attrs for tag, attrs in parsed.tags)
    assert XSS not in page
    text = "".join(parsed.text)
    assert f"dataset.P.{XSS}" in text  # shown as text: name, project key, user, values, code lines
    assert f"changed by {XSS}" in text
    assert f"<dd>{XSS}</dd>" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
