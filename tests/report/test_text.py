"""render_text: Terraform-like lines, nested attribute changes, code diffs, attribution, summary, colour."""

from __future__ import annotations

import re

from dataiku_iac.report.json_report import diffs_to_json
from dataiku_iac.report.text import attribute_lines, render_text

from .reports import drift_report, hostile_report, no_drift_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_resource_lines_use_terraform_symbols():
    lines = render_text(drift_report()).splitlines()
    assert "  ~ dataset.P.orders  (changed by jane.doe at 2025-02-01T08:00:00Z)" in lines
    assert "  + managed_folder.P.Ab12" in lines
    assert "  - dataset.P.legacy  (last changed by bob at 2025-01-15T10:30:00Z)" in lines
    assert not any("project.P" in line for line in lines)  # unchanged resources are not listed


def test_nested_attribute_changes():
    text = render_text(drift_report())
    assert '      ~ schema.columns[name=id].type: "string" → "bigint"' in text
    assert '      ~ params.path: "/a" → "/b"' in text
    assert '      + schema.columns[name=email]: {"name": "email", "type": "string"}' in text


def test_recipe_code_is_an_indented_unified_diff_without_file_header():
    lines = render_text(drift_report()).splitlines()
    start = lines.index("      ~ payload:")
    body = lines[start + 1:start + 8]
    assert body[0] == "            @@ -1,5 +1,5 @@"
    assert "            -df = df.dropna()" in body
    assert "            +df = df.fillna(0)" in body
    assert not any(line.strip().startswith(("---", "+++")) for line in lines)


def test_added_and_removed_resources_show_scalar_attributes_and_hide_blocks():
    text = render_text(drift_report())
    assert '      name = "exports"' in text
    assert "      # (1 more attribute)" in text  # the params block of the folder
    assert "      # (2 more attributes)" in text  # params and schema of the removed dataset


def test_context_header_and_summary_line():
    text = render_text(drift_report())
    assert text.startswith("Environment:       dev\nProjects:          P\nBaseline serial:   3\n")
    assert "lineage" not in text  # a UUID is noise on a terminal
    assert text.endswith("Drift: 1 added, 2 modified, 1 removed.")


def test_no_drift_names_the_baseline_serial():
    assert render_text(no_drift_report()).endswith("No drift: DSS matches the baseline (serial 7).")


def test_diff_of_two_states_uses_neutral_wording():
    report = drift_report()
    report["context"] = {"old_state": "a.json", "new_state": "b.json"}
    text = render_text(report)
    assert text.startswith("Old state: a.json\nNew state: b.json\n")
    assert text.endswith("Changes: 1 added, 2 modified, 1 removed.")
    assert render_text(diffs_to_json([])) == "No changes: both states hold the same resources and attributes."


def test_no_colour_unless_asked():
    assert "\x1b" not in render_text(drift_report())
    coloured = render_text(drift_report(), color=True)
    assert "\x1b[32m+ schema.columns[name=email]" in coloured
    assert "\x1b[31m-df = df.dropna()\x1b[0m" in coloured
    assert "\x1b[36m@@ -1,5 +1,5 @@\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == render_text(drift_report())


def test_terminal_escapes_from_dss_are_neutralised():
    text = render_text(hostile_report(), color=False)
    assert "\x1b" not in text
    assert "\\x1b[31m" in text  # the user name's escape is shown, not obeyed
    coloured = render_text(hostile_report(), color=True)
    assert "\x1b[31m at" not in coloured


def test_report_without_summary_is_counted_and_unchanged_entries_skipped():
    report = drift_report()
    del report["summary"]
    report["resource_changes"].append({"address": "project.P", "change": "unchanged"})
    assert render_text(report).endswith("Drift: 1 added, 2 modified, 1 removed.")


def test_long_values_are_cut():
    change = {"action": "modified", "path": "description", "before": "x" * 500, "after": "y"}
    (line,) = attribute_lines(change)
    assert line.startswith('    ~ description: "xxx') and "…" in line and len(line) < 260


def test_attribute_line_forms():
    assert attribute_lines({"action": "removed", "path": "tags[0]", "before": "a"}) == ['    - tags[0]: "a"']
    assert attribute_lines({"action": "added", "path": "", "after": 1}) == ["    + (root): 1"]
    assert attribute_lines({"action": "modified", "path": "n", "before": 1, "after": 1.0}) == ["    ~ n: 1 → 1.0"]
