"""DiffEngine and the JSON report: the seed's testing requirements plus deep, type-strict, keyed diffs."""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, Dict, List, Optional

import pytest

from dataiku_iac.canonical import canonical_json
from dataiku_iac.diff import (
    DEFAULT_LIST_KEYS,
    DiffEngine,
    json_kind,
    strict_equal,
    unified_text_diff,
)
from dataiku_iac.models.diff import AttributeChange, ChangeType, ListKey, ResourceDiff
from dataiku_iac.models.state import Resource, ResourceMetadata, State
from dataiku_iac.report import JSON_REPORT_FORMAT_VERSION, diffs_to_json
from dataiku_iac.report.common import render_value
from dataiku_iac.report.text import render_text

T0 = datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
T1 = datetime(2025, 2, 1, 8, 0, tzinfo=timezone.utc)


def resource(rid: str, attributes: Optional[Dict[str, Any]] = None, **metadata: Any) -> Resource:
    """A resource whose type is taken from its id."""
    metadata_ = ResourceMetadata(deployed_at=T0, **metadata)
    return Resource(rid.split(".")[0], rid, dict(attributes or {}), metadata_)


def state(*resources: Resource) -> State:
    return State(environment="test", resources={r.resource_id: r for r in resources})


def columns(*specs: str) -> Dict[str, Any]:
    """Dataset attributes with a schema of ``name:type`` columns."""
    return {"schema": {"columns": [dict(zip(("name", "type"), spec.split(":"))) for spec in specs]}}


def paths(changes: List[AttributeChange]) -> List[str]:
    return [change.path_str for change in changes]


def by_id(diffs: List[ResourceDiff]) -> Dict[str, ResourceDiff]:
    return {d.resource_id: d for d in diffs}


@pytest.fixture
def engine() -> DiffEngine:
    return DiffEngine()


@pytest.fixture
def sample_diffs(engine: DiffEngine) -> List[ResourceDiff]:
    """One of each: added, removed, modified, unchanged."""
    old = state(
        resource("dataset.SALES.orders", columns("id:bigint", "customer_id:string"), last_modified_by="alex",
                 last_modified_at=T0),
        resource("dataset.SALES.legacy", {"type": "PostgreSQL"}),
        resource("project.SALES", {"name": "Sales"}),
    )
    new = state(
        resource("dataset.SALES.orders", columns("id:bigint", "customer_id:bigint"), last_modified_by="jdoe",
                 last_modified_at=T1),
        resource("recipe.SALES.compute_orders", {"type": "python"}),
        resource("project.SALES", {"name": "Sales"}),
    )
    return engine.diff(old, new)


# -- the seed's testing requirements ------------------------------------------------------------------


def test_detects_added_resources(engine: DiffEngine) -> None:
    new_resource = resource("dataset.P.orders", {"a": 1})
    [d] = engine.diff(state(), state(new_resource))
    assert d.change_type is ChangeType.ADDED
    assert (d.resource_id, d.resource_type) == ("dataset.P.orders", "dataset")
    assert d.new_resource is new_resource and d.old_resource is None


def test_detects_removed_resources(engine: DiffEngine) -> None:
    old_resource = resource("recipe.P.compute_orders", {"a": 1})
    [d] = engine.diff(state(old_resource), state())
    assert (d.change_type, d.resource_type) == (ChangeType.REMOVED, "recipe")
    assert d.old_resource is old_resource and d.new_resource is None


def test_detects_modified_resources_by_checksum_change(engine: DiffEngine) -> None:
    old, new = resource("dataset.P.x", {"a": 1}), resource("dataset.P.x", {"a": 2})
    assert old.metadata.checksum != new.metadata.checksum
    [d] = engine.diff(state(old), state(new))
    assert d.change_type is ChangeType.MODIFIED
    assert (d.old_resource, d.new_resource) == (old, new)


def test_equal_checksums_are_trusted_as_unchanged(engine: DiffEngine) -> None:
    old, new = resource("dataset.P.x", {"a": 1}), resource("dataset.P.x", {"a": 1})
    [d] = engine.diff(state(old), state(new))
    assert d.change_type is ChangeType.UNCHANGED and d.changes == [] and d.attribute_diffs is None
    # The shortcut: a stale stored checksum equal on both sides means no deep compare at all.
    stale = resource("dataset.P.x", {"a": 2}, checksum=old.metadata.checksum)
    assert engine.diff(state(old), state(stale))[0].change_type is ChangeType.UNCHANGED


def test_different_checksums_with_equal_values_are_unchanged(engine: DiffEngine) -> None:
    old = resource("dataset.P.x", {"a": [1, {"b": "c"}]})
    new = resource("dataset.P.x", {"a": [1, {"b": "c"}]}, checksum="0" * 64)
    [d] = engine.diff(state(old), state(new))
    assert d.change_type is ChangeType.UNCHANGED


def test_empty_checksum_is_not_a_shortcut(engine: DiffEngine) -> None:
    old, new = resource("dataset.P.x", {"a": 1}), resource("dataset.P.x", {"a": 2})
    old.metadata.checksum = new.metadata.checksum = ""
    assert engine.diff(state(old), state(new))[0].change_type is ChangeType.MODIFIED


def test_detailed_attribute_diffs_in_the_seed_shape(engine: DiffEngine) -> None:
    old = resource("dataset.P.x", {"kept": 1, "gone": "x", "params": {"connection": "a", "path": "/p"}})
    new = resource("dataset.P.x", {"kept": 1, "fresh": [1], "params": {"connection": "b", "path": "/p"}})
    [d] = engine.diff(state(old), state(new))
    assert d.attribute_diffs == {
        "added": {"fresh": [1]},
        "removed": {"gone": "x"},
        "modified": {
            "params": {"old": {"connection": "a", "path": "/p"}, "new": {"connection": "b", "path": "/p"}}
        },
    }
    assert [(c.change_type, c.path, c.old, c.new) for c in d.changes] == [
        (ChangeType.ADDED, ("fresh",), None, [1]),
        (ChangeType.REMOVED, ("gone",), "x", None),
        (ChangeType.MODIFIED, ("params", "connection"), "a", "b"),
    ]


def test_summary_counts(engine: DiffEngine, sample_diffs: List[ResourceDiff]) -> None:
    assert engine.summary(sample_diffs) == {"added": 1, "removed": 1, "modified": 1, "unchanged": 1}
    assert engine.summary([]) == {"added": 0, "removed": 0, "modified": 0, "unchanged": 0}


def test_format_output_is_readable(engine: DiffEngine, sample_diffs: List[ResourceDiff]) -> None:
    assert engine.format_output(sample_diffs) == "\n".join(
        [
            "  - dataset.SALES.legacy",
            '      type = "PostgreSQL"',
            "  ~ dataset.SALES.orders  (changed by jdoe at 2025-02-01T08:00:00Z)",
            '      ~ schema.columns[name=customer_id].type: "string" → "bigint"',
            "  + recipe.SALES.compute_orders",
            '      type = "python"',
            "",
            "Changes: 1 added, 1 modified, 1 removed.",
        ]
    )


def test_format_output_is_the_text_report(engine: DiffEngine, sample_diffs: List[ResourceDiff]) -> None:
    """One text renderer: the library's format_output and the CLI's text report are the same text."""
    assert engine.format_output(sample_diffs) == render_text(diffs_to_json(sample_diffs))
    assert engine.format_output([]) == "No changes: both states hold the same resources and attributes."


def test_format_output_with_unchanged(engine: DiffEngine, sample_diffs: List[ResourceDiff]) -> None:
    lines = engine.format_output(sample_diffs, include_unchanged=True).split("\n")
    assert "    project.SALES" in lines  # no symbol, no attribution: it did not change
    assert "project.SALES" not in engine.format_output(sample_diffs)
    assert lines[-1] == "Changes: 1 added, 1 modified, 1 removed."


def test_format_output_escapes_terminal_controls_from_dss(engine: DiffEngine) -> None:
    """Regression: format_output printed DSS names raw, so a name could recolour or rewrite the terminal."""
    hostile = "orders\x1b[31m\rFAKE LINE"
    old = resource(f"dataset.P.{hostile}", {"description": "a\x1b]0;title\x07", "n": 1})
    new = resource(f"dataset.P.{hostile}", {"description": "b\x1b[2J", "n": 1})
    added = resource("recipe.P.r\x9b2J", {"name": "x\x1b[31m"})
    text = engine.format_output(engine.diff(state(old), state(new, added)), include_unchanged=True)
    assert "\x1b" not in text and "\r" not in text and "\x9b" not in text and "\x07" not in text
    assert "  ~ dataset.P.orders\\x1b[31m\\x0dFAKE LINE" in text.split("\n")  # shown, not obeyed
    assert "  + recipe.P.r\\x9b2J" in text.split("\n")


def test_format_output_shows_added_and_removed_attributes(engine: DiffEngine) -> None:
    old = resource("dataset.P.x", {"gone": {"k": 1}, "flag": 1})
    new = resource("dataset.P.x", {"fresh": "v", "flag": True})
    text = engine.format_output(engine.diff(state(old), state(new)))
    assert text.split("\n")[:4] == [
        "  ~ dataset.P.x",
        "      ~ flag: 1 → true",
        '      + fresh: "v"',
        '      - gone: {"k": 1}',
    ]


def test_resource_diff_str() -> None:
    assert str(ResourceDiff(ChangeType.MODIFIED, "dataset.P.x", "dataset")) == "~ dataset.P.x"
    assert str(ResourceDiff(ChangeType.UNCHANGED, "project.P", "project")) == "  project.P"


# -- deep, keyed, type-strict -------------------------------------------------------------------------


def test_inserting_a_column_is_one_addition(engine: DiffEngine) -> None:
    old = columns("id:bigint", "customer_id:string", "amount:double")
    new = columns("id:bigint", "region:string", "customer_id:string", "amount:double")
    changes = engine.compare(old, new)
    assert [(c.change_type, c.path, c.new) for c in changes] == [
        (ChangeType.ADDED, ("schema", "columns", ListKey("name", "region")),
         {"name": "region", "type": "string"})
    ]
    # Without the policy, the same edit is a cascade of positional changes.
    assert len(DiffEngine(list_keys={}).compare(old, new)) == 4


def test_removing_a_column_is_one_removal(engine: DiffEngine) -> None:
    changes = engine.compare(columns("id:bigint", "tmp:string", "x:int"), columns("id:bigint", "x:int"))
    assert [(c.change_type, c.path_str, c.old) for c in changes] == [
        (ChangeType.REMOVED, "schema.columns[name=tmp]", {"name": "tmp", "type": "string"})
    ]


def test_changed_column_type_has_a_keyed_path(engine: DiffEngine) -> None:
    old = columns("id:bigint", "customer_id:string")
    new = columns("region:string", "id:bigint", "customer_id:bigint")
    assert paths(engine.compare(old, new)) == [
        "schema.columns[name=region]",
        "schema.columns[name=customer_id].type",
    ]
    [_, change] = engine.compare(old, new)
    assert change.path == ("schema", "columns", ListKey("name", "customer_id"), "type")
    assert (change.old, change.new) == ("string", "bigint")


@pytest.mark.parametrize(
    "old_items, new_items",
    [
        pytest.param([{"name": "a"}, {"name": "a"}], [{"name": "a"}, {"name": "b"}], id="duplicate key"),
        pytest.param([{"name": "a"}, {"type": "x"}], [{"name": "a"}, {"type": "y"}], id="missing key"),
        pytest.param([{"name": ["a"]}, {"name": "b"}], [{"name": ["a"]}, {"name": "c"}], id="non-scalar key"),
        pytest.param([{"name": None}, {"name": "b"}], [{"name": None}, {"name": "c"}], id="null key"),
        pytest.param([{"name": "a"}, "b"], [{"name": "a"}, "c"], id="item not an object"),
        pytest.param([{"name": "a"}, {"name": "b"}], [{"name": "b"}, {"name": "a"}], id="reordered"),
    ],
)
def test_keyed_list_falls_back_to_positions(engine: DiffEngine, old_items: list, new_items: list) -> None:
    changes = engine.compare({"schema": {"columns": old_items}}, {"schema": {"columns": new_items}})
    assert changes and all(isinstance(c.path[2], int) for c in changes)


def test_keys_of_different_types_are_different_items(engine: DiffEngine) -> None:
    old = {"triggers": [{"id": 1, "v": "a"}, {"id": "x", "v": "b"}]}
    new = {"triggers": [{"id": True, "v": "a"}, {"id": "x", "v": "b"}]}
    changes = engine.compare(old, new)
    assert [(c.change_type, c.path[-1]) for c in changes] == [
        (ChangeType.REMOVED, ListKey("id", 1)),
        (ChangeType.ADDED, ListKey("id", True)),
    ]


def test_default_policy_covers_dss_lists() -> None:
    assert DEFAULT_LIST_KEYS["schema.columns"] == "name"
    engine = DiffEngine()
    assert engine.list_key_for(("triggers",)) == "id"
    assert engine.list_key_for(("reporters",)) == "id"
    assert engine.list_key_for(("params", "steps")) == "id"
    assert engine.list_key_for(("inputs", "left", "items")) == "ref"
    assert engine.list_key_for(("steps",)) is None
    assert engine.list_key_for(("schema", "columns", "extra")) is None


def test_scenario_step_inserted_is_one_addition(engine: DiffEngine) -> None:
    steps = [{"id": "build_a", "type": "build"}, {"id": "build_b", "type": "build"}]
    new_steps = [steps[0], {"id": "sql_check", "type": "sql"}, {"id": "build_b", "type": "train"}]
    changes = engine.compare({"params": {"steps": steps}}, {"params": {"steps": new_steps}})
    assert paths(changes) == ["params.steps[id=sql_check]", "params.steps[id=build_b].type"]


def test_policy_paths_ignore_list_indexes() -> None:
    engine = DiffEngine(list_keys={"blocks.rows": "k"})
    old = {"blocks": [{"rows": [{"k": "a", "v": 1}]}]}
    new = {"blocks": [{"rows": [{"k": "z", "v": 0}, {"k": "a", "v": 2}]}]}
    assert paths(engine.compare(old, new)) == ["blocks[0].rows[k=z]", "blocks[0].rows[k=a].v"]


def test_positional_lists_report_tail_additions_and_removals(engine: DiffEngine) -> None:
    added = engine.compare({"l": [1, 2]}, {"l": [1, 2, 3]})
    assert [(c.change_type, c.path, c.new) for c in added] == [(ChangeType.ADDED, ("l", 2), 3)]
    removed = engine.compare({"l": [1, 2, 3]}, {"l": [1]})
    assert [(c.change_type, c.path, c.old) for c in removed] == [
        (ChangeType.REMOVED, ("l", 1), 2),
        (ChangeType.REMOVED, ("l", 2), 3),
    ]
    assert paths(engine.compare({"l": ["a", "b"]}, {"l": ["a", "c"]})) == ["l[1]"]


@pytest.mark.parametrize(
    "old, new",
    [(1, True), (1, 1.0), (True, 1.0), (0, False), (0, 0.0), (False, 0.0), (0.0, -0.0), ("1", 1), (None, 0),
     (None, False), ({}, []), ({"a": 1}, [["a", 1]]), ([], ""), (1, 2), ("a", "b")],
)
def test_type_changes_are_changes(engine: DiffEngine, old: Any, new: Any) -> None:
    [change] = engine.compare({"v": old, "same": [old]}, {"v": new, "same": [old]})
    assert change.change_type is ChangeType.MODIFIED and change.path == ("v",)
    assert canonical_json([change.old, change.new]) == canonical_json([old, new])
    # Also inside lists and as whole resources.
    assert paths(engine.compare([old], [new])) == ["[0]"]
    a, b = resource("dataset.P.x", {"v": old}), resource("dataset.P.x", {"v": new})
    assert engine.diff(state(a), state(b))[0].change_type is ChangeType.MODIFIED


def test_equal_values_of_each_kind_are_unchanged(engine: DiffEngine) -> None:
    value = {"n": None, "b": False, "i": 0, "f": 0.5, "s": "x", "l": [1, True, 1.0], "o": {"k": [{}]}}
    assert engine.compare(value, json.loads(json.dumps(value))) == []


def test_mapping_and_sequence_subclasses_compare_by_content(engine: DiffEngine) -> None:
    assert engine.compare(OrderedDict(a=1, b=[1]), {"b": [1], "a": 1}) == []
    assert engine.compare({"l": (1, 2)}, {"l": [1, 2]}) == []
    assert paths(engine.compare({"l": (1, 2)}, {"l": [1, True]})) == ["l[1]"]
    assert json_kind(MappingProxyType({})) == "object"
    assert json_kind(OrderedDict()) == "object"
    assert json_kind(1 + 2j) == "complex" and json_kind(b"x") == "bytes"


def test_strict_equal() -> None:
    assert strict_equal({"a": [1, 2.5, None]}, {"a": [1, 2.5, None]})
    assert not strict_equal({"a": 1}, {"a": True})
    assert not strict_equal({"a": 1}, {"b": 1})
    assert not strict_equal([1, 2], [1])
    assert not strict_equal(0.0, -0.0)


def test_root_level_type_change() -> None:
    [change] = DiffEngine().compare({"a": 1}, [1])
    assert change.path == () and change.path_str == ""
    resource_diff = ResourceDiff(ChangeType.MODIFIED, "project.P", "project", changes=[change])
    assert '      ~ (root): {"a": 1} → [1]' in DiffEngine().format_output([resource_diff]).split("\n")


# -- code and long text -------------------------------------------------------------------------------


RECIPE_CODE = "import dataiku\n\ndf = dataiku.Dataset('orders').get_dataframe()\ndf = df[df.amount > 0]\n"


def test_code_diff_for_a_multiline_payload_edit(engine: DiffEngine) -> None:
    old = resource("recipe.P.compute_orders", {"type": "python", "payload": RECIPE_CODE})
    edited = RECIPE_CODE.replace("df.amount > 0", "df.amount >= 0")
    new = resource("recipe.P.compute_orders", {"type": "python", "payload": edited})
    [d] = engine.diff(state(old), state(new))
    [change] = d.changes
    assert change.path == ("payload",) and (change.old, change.new) == (RECIPE_CODE, edited)
    assert change.text_diff is not None
    diff_lines = change.text_diff.split("\n")
    assert diff_lines[:2] == ["--- a/payload", "+++ b/payload"]
    assert "-df = df[df.amount > 0]" in diff_lines and "+df = df[df.amount >= 0]" in diff_lines
    text = engine.format_output([d]).split("\n")
    assert text[:2] == ["  ~ recipe.P.compute_orders", "      ~ payload:"]
    assert "            -df = df[df.amount > 0]" in text and "            +df = df[df.amount >= 0]" in text
    assert "--- a/payload" not in "\n".join(text)


def test_long_single_line_gets_a_text_diff_short_does_not() -> None:
    engine = DiffEngine(text_diff_min_length=20)
    [long_change] = engine.compare({"q": "SELECT a FROM t WHERE x = 1"}, {"q": "SELECT a FROM t WHERE x = 2"})
    assert long_change.text_diff is not None and "+SELECT a FROM t WHERE x = 2" in long_change.text_diff
    [short_change] = engine.compare({"q": "short"}, {"q": "shorter"})
    assert short_change.text_diff is None
    [typed_change] = engine.compare({"q": "a\nb"}, {"q": 1})
    assert typed_change.text_diff is None


def test_line_ending_only_change_has_no_empty_text_diff(engine: DiffEngine) -> None:
    [change] = engine.compare({"code": "a\nb\n"}, {"code": "a\r\nb\r\n"})
    assert change.text_diff is None
    text = engine.format_output([ResourceDiff(ChangeType.MODIFIED, "project.P", "project", changes=[change])])
    assert '      ~ code: "a\\nb\\n" → "a\\r\\nb\\r\\n"' in text.split("\n")
    assert unified_text_diff("x", "x\n") is None


def test_render_value_is_json_and_cut() -> None:
    assert render_value(1) == "1" and render_value(True) == "true" and render_value("1") == '"1"'
    assert render_value({"b": 1, "a": None}) == '{"a": null, "b": 1}'
    long_text = render_value("x" * 500)
    assert len(long_text) == 200 and long_text.endswith("…")


# -- order and errors ---------------------------------------------------------------------------------


def test_results_are_in_a_deterministic_order(engine: DiffEngine) -> None:
    ids = ["recipe.B.r", "dataset.A.z", "dataset.A.a", "project.A", "scenario.C.S1"]
    old = state(*(resource(rid, {"v": 1, "z": 1, "a": 1}) for rid in ids))
    new = state(*(resource(rid, {"a": 2, "v": 2, "z": 2}) for rid in reversed(ids)))
    diffs = engine.diff(old, new)
    assert [d.resource_id for d in diffs] == sorted(ids)
    assert all(paths(d.changes) == ["a", "v", "z"] for d in diffs)
    assert engine.format_output(diffs) == engine.format_output(engine.diff(old, new))


def test_diff_resource_refuses_nonsense(engine: DiffEngine) -> None:
    with pytest.raises(ValueError, match="at least one"):
        engine.diff_resource(None, None)
    with pytest.raises(ValueError, match="different resources"):
        engine.diff_resource(resource("dataset.P.a"), resource("dataset.P.b"))


# -- JSON report --------------------------------------------------------------------------------------


def test_json_report_shape(sample_diffs: List[ResourceDiff]) -> None:
    report = diffs_to_json(sample_diffs, context={"environment": "prod", "projects": ["SALES"]})
    assert report["format_version"] == JSON_REPORT_FORMAT_VERSION == "1.0"
    assert report["summary"] == {"added": 1, "removed": 1, "modified": 1, "unchanged": 1}
    assert report["context"] == {"environment": "prod", "projects": ["SALES"]}
    changes = {c["address"]: c for c in report["resource_changes"]}
    assert list(changes) == ["dataset.SALES.legacy", "dataset.SALES.orders", "recipe.SALES.compute_orders"]
    assert [c["actions"] for c in changes.values()] == [["delete"], ["update"], ["create"]]
    assert [c["change"] for c in changes.values()] == ["removed", "modified", "added"]

    modified = changes["dataset.SALES.orders"]
    assert (modified["type"], modified["project_key"], modified["name"]) == ("dataset", "SALES", "orders")
    assert modified["before"]["schema"]["columns"][1]["type"] == "string"
    assert modified["after"]["schema"]["columns"][1]["type"] == "bigint"
    assert modified["attribute_changes"] == [
        {
            "action": "modified",
            "path": "schema.columns[name=customer_id].type",
            "path_elements": ["schema", "columns", {"field": "name", "value": "customer_id"}, "type"],
            "before": "string",
            "after": "bigint",
        }
    ]
    # Attribution comes from the live (new) side.
    assert (modified["last_modified_by"], modified["last_modified_at"]) == ("jdoe", "2025-02-01T08:00:00Z")

    removed, added = changes["dataset.SALES.legacy"], changes["recipe.SALES.compute_orders"]
    assert removed["before"] == {"type": "PostgreSQL"} and removed["after"] is None
    assert added["before"] is None and added["after"] == {"type": "python"}
    assert removed["attribute_changes"] == [] and added["last_modified_at"] is None
    assert json.loads(json.dumps(report)) == report


def test_json_report_attribution_falls_back_to_the_old_resource(engine: DiffEngine) -> None:
    gone = resource("managed_folder.P.O2ue6CX3", {"a": 1}, last_modified_by="alex", last_modified_at=T0)
    [change] = diffs_to_json(engine.diff(state(gone), state()))["resource_changes"]
    assert (change["last_modified_by"], change["last_modified_at"]) == ("alex", "2025-01-15T10:30:00Z")
    assert (change["project_key"], change["name"]) == ("P", "O2ue6CX3")


def test_json_report_unchanged_and_order(sample_diffs: List[ResourceDiff]) -> None:
    assert "project.SALES" not in [c["address"] for c in diffs_to_json(sample_diffs)["resource_changes"]]
    report = diffs_to_json(list(reversed(sample_diffs)), include_unchanged=True)
    entries = report["resource_changes"]
    assert [c["address"] for c in entries] == sorted(c["address"] for c in entries)
    [project] = [c for c in entries if c["address"] == "project.SALES"]
    assert project["actions"] == ["no-op"] and project["name"] is None
    assert project["before"] == project["after"] == {"name": "Sales"}
    assert report["context"] == {}
    assert json.dumps(report, sort_keys=True) == json.dumps(diffs_to_json(sample_diffs, True), sort_keys=True)


def test_json_report_carries_text_diffs(engine: DiffEngine) -> None:
    old = resource("recipe.P.r", {"payload": RECIPE_CODE})
    new = resource("recipe.P.r", {"payload": RECIPE_CODE + "print(df)\n"})
    [entry] = diffs_to_json(engine.diff(state(old), state(new)))["resource_changes"]
    assert "+print(df)" in entry["attribute_changes"][0]["text_diff"]
    json.dumps(entry)


class TestSetLists:
    """Tags are sets: one tag added is one change, and their order is not a change."""

    def test_one_tag_added_is_one_addition(self):
        changes = DiffEngine().compare({"tags": ["a", "c", "d"]}, {"tags": ["a", "b", "c", "d"]})
        assert [(c.change_type, c.path_str, c.new) for c in changes] == [(ChangeType.ADDED, "tags[value=b]", "b")]

    def test_removed_tag_and_reorder(self):
        changes = DiffEngine().compare({"tags": ["x", "y", "z"]}, {"tags": ["z", "x"]})
        assert [(c.change_type, c.path_str, c.old) for c in changes] == [(ChangeType.REMOVED, "tags[value=y]", "y")]

    def test_type_strict_members(self):
        changes = DiffEngine().compare({"tags": [1, "1"]}, {"tags": [True, "1"]})
        assert {(c.change_type, c.path_str) for c in changes} == {
            (ChangeType.REMOVED, "tags[value=1]"),
            (ChangeType.ADDED, "tags[value=True]"),
        }

    def test_non_scalar_or_duplicate_members_fall_back_to_positions(self):
        changes = DiffEngine().compare({"tags": ["a", "a"]}, {"tags": ["a", "b"]})
        assert [c.path_str for c in changes] == ["tags[1]"]
        changes = DiffEngine().compare({"tags": [{"k": 1}]}, {"tags": [{"k": 2}]})
        assert [c.path_str for c in changes] == ["tags[0].k"]

    def test_set_paths_are_configurable(self):
        changes = DiffEngine(set_paths=()).compare({"tags": ["a", "c"]}, {"tags": ["a", "b", "c"]})
        assert [c.path_str for c in changes] == ["tags[1]", "tags[2]"]
