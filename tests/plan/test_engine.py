"""The plan engine (pure): desired + live + stored state -> operations, on configs written here."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest

from dataiku_iac.config import build_desired_state, read_config
from dataiku_iac.models.state import ManagedEntry, Resource, ResourceMetadata, State
from dataiku_iac.plan import (
    ADOPT,
    CREATE,
    DELETE,
    KNOWN_AFTER_APPLY,
    REPLACE,
    SENSITIVE,
    UPDATE,
    make_plan,
    summary_line,
)
from dataiku_iac.sync.rules import SyncRules
from dataiku_iac.timeutil import parse_timestamp
from tests.config.conftest import WriteConfig

CODE = ("import dataiku\n\ndf = dataiku.Dataset('orders').get_dataframe()\n"
        "dataiku.Dataset('clean').write_with_schema(df)\n")
FLOW = """\
project:
  name: Sales
datasets:
  orders:
    type: Filesystem
    params: {connection: fs, path: /data/orders}
    schema: {columns: [{name: id, type: bigint}]}
  clean: {type: Filesystem, params: {connection: fs}}
recipes:
  compute_clean:
    type: python
    inputs: [orders]
    outputs: [clean]
    payload_file: code/compute_clean.py
"""


def res(rid: str, attributes: Dict[str, Any], by: Optional[str] = None, at: Optional[str] = None) -> Resource:
    metadata = ResourceMetadata(dataiku_internal_id=rid.split(".", 2)[-1], last_modified_by=by,
                                last_modified_at=parse_timestamp(at) if at else None)
    return Resource(rid.split(".")[0], rid, attributes, metadata)


def live_flow(code: str = CODE, path: str = "/data/orders", extra_column: bool = False) -> Dict[str, Resource]:
    """What the sync would read from DSS for FLOW, with the fields DSS adds that the config leaves out."""
    columns = [{"name": "id", "type": "bigint"}] + ([{"name": "x", "type": "string"}] if extra_column else [])
    return {r.resource_id: r for r in (
        res("project.SALES", {"projectKey": "SALES", "name": "Sales", "tags": [], "owner": "admin"}),
        res("dataset.SALES.orders", {"name": "orders", "type": "Filesystem", "managed": False,
                                     "params": {"connection": "fs", "path": path, "notReadyIfEmpty": False},
                                     "schema": {"columns": columns, "userModified": True}},
            by="alex", at="2026-12-01T10:00:00Z"),
        res("dataset.SALES.clean", {"name": "clean", "type": "Filesystem", "params": {"connection": "fs"},
                                    "schema": {"columns": [{"name": "id", "type": "bigint"}]}}),
        res("recipe.SALES.compute_clean", {
            "name": "compute_clean", "type": "python", "payload": code, "params": {"envSelection": {}},
            "inputs": {"main": {"items": [{"ref": "orders", "deps": []}]}},
            "outputs": {"main": {"items": [{"ref": "clean", "appendMode": False}]}}}, by="sam",
            at="2026-12-01T11:00:00Z"),
    )}


def state_of(resources: Dict[str, Resource], lineage: Optional[str] = None, serial: int = 0) -> State:
    return State(serial=serial, lineage=lineage, environment="dev", resources=dict(resources))


def managed_all(desired) -> Dict[str, ManagedEntry]:
    return {rid: ManagedEntry(r.config.key, "adopted", tuple(sorted(r.dependencies)), r.config.protected)
            for rid, r in desired.resources.items()}


@pytest.fixture
def flow(write_config: WriteConfig):
    def build(flow_text: str = FLOW, code: str = CODE, environ: Optional[dict] = None):
        root = write_config({"projects/SALES/flow.yml": flow_text, "projects/SALES/code/compute_clean.py": code})
        return build_desired_state(read_config(root), "dev", environ=environ or {})
    return build


def test_no_change_when_live_equals_the_config_on_managed_paths(flow) -> None:
    desired = flow()
    live = live_flow()
    plan = make_plan(desired, state_of(live), state_of(live, "L", 3), managed_all(desired))
    assert plan.operations == [] and plan.unchanged == 4
    assert summary_line(plan.summary()) == "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy."
    assert plan.state_lineage == "L" and plan.state_serial == 3


def test_edits_become_updates_on_managed_paths_only_with_code_as_a_diff(flow) -> None:
    desired = flow()
    live = live_flow(code=CODE + "# debug\nprint(df)\n", path="/data/v2", extra_column=True)
    live["dataset.SALES.orders"].attributes["params"]["notReadyIfEmpty"] = True  # not managed: not shown
    live["dataset.SALES.orders"].refresh_checksum()
    plan = make_plan(desired, state_of(live), state_of(live_flow()), managed_all(desired))
    by_id = {op.resource_id: op for op in plan.operations}
    assert [op.action for op in plan.operations] == [UPDATE, UPDATE]
    orders = by_id["dataset.SALES.orders"]
    assert [(c.action, c.path, c.before, c.after) for c in orders.changes] == [
        ("modified", "params.path", "/data/v2", "/data/orders"),
        ("removed", "schema.columns[name=x]", {"name": "x", "type": "string"}, None)]
    payload = by_id["recipe.SALES.compute_clean"].changes[0]
    assert payload.path == "payload" and "-# debug" in payload.text_diff
    assert summary_line(plan.summary()) == "Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy."


def test_an_update_over_an_edit_made_in_dss_says_who_made_it_and_when(flow) -> None:
    desired = flow()
    stored = state_of(live_flow(), "L", 2)
    live = live_flow(path="/data/v2")
    plan = make_plan(desired, state_of(live), stored, managed_all(desired))
    [operation] = plan.operations
    assert operation.outside == {"by": "alex", "at": "2026-12-01T10:00:00Z"}
    assert [c.outside for c in operation.changes] == [True]


def test_a_config_edit_is_not_called_a_change_outside_the_config(flow) -> None:
    desired = flow(FLOW.replace("/data/orders", "/data/new"))
    live = live_flow()
    plan = make_plan(desired, state_of(live), state_of(live), managed_all(desired))
    [operation] = plan.operations
    assert operation.outside is None and [c.outside for c in operation.changes] == [False]


def test_missing_objects_are_created_in_dependency_order_and_ids_are_never_predicted(flow) -> None:
    desired = flow(FLOW + """\
managed_folders:
  inbox: {type: Filesystem, params: {connection: fs_folders}}
scenarios:
  Nightly:
    type: step_based
    params: {steps: [{id: s1, type: build_flowitem, params: {builds: [{type: MANAGED_FOLDER, itemId: inbox}]}}]}
""")
    plan = make_plan(desired, State(environment="dev"))
    assert [op.action for op in plan.operations] == [CREATE] * 6
    ids = [op.resource_id for op in plan.operations]
    assert ids[0] == "project.SALES"
    assert ids.index("dataset.SALES.orders") < ids.index("recipe.SALES.compute_clean")
    assert ids.index("managed_folder.SALES.new:inbox") < ids.index("scenario.SALES.new:Nightly")
    folder = plan.operations[ids.index("managed_folder.SALES.new:inbox")]
    assert folder.id_known is False and f"id: {KNOWN_AFTER_APPLY}" in folder.notes
    assert folder.expect == {"exists": False, "name": "inbox"}
    assert folder.after == {"name": "inbox", "type": "Filesystem", "params": {"connection": "fs_folders"}}
    assert summary_line(plan.summary()) == "Plan: 6 to add, 0 to change, 0 to replace, 0 to destroy."


def test_an_object_dss_has_and_the_state_never_recorded_is_adopted(flow) -> None:
    desired = flow()
    live = live_flow(path="/data/v2")
    plan = make_plan(desired, state_of(live))
    actions = {op.resource_id: op.action for op in plan.operations}
    assert set(actions.values()) == {ADOPT} and len(actions) == 4
    orders = next(op for op in plan.operations if op.resource_id == "dataset.SALES.orders")
    assert [c.path for c in orders.changes] == ["params.path"]
    assert summary_line(plan.summary()) == "Plan: 4 to import, 0 to add, 1 to change, 0 to replace, 0 to destroy."


def test_an_immutable_field_change_is_a_replacement_that_says_which_field(flow) -> None:
    desired = flow(FLOW.replace("  clean: {type: Filesystem,", "  clean: {type: PostgreSQL,"))
    live = live_flow()
    plan = make_plan(desired, state_of(live), state_of(live), managed_all(desired))
    [operation] = plan.operations
    assert operation.action == REPLACE and operation.resource_id == "dataset.SALES.clean"
    assert list(operation.replace_fields) == ["type"] and "type" in operation.replace_fields["type"]
    assert operation.refused is None
    assert summary_line(plan.summary()) == "Plan: 0 to add, 0 to change, 1 to replace, 0 to destroy."


def test_protect_refuses_a_replacement(flow) -> None:
    desired = flow(FLOW.replace("  clean: {type: Filesystem,", "  clean: {protect: true, type: PostgreSQL,"))
    live = live_flow()
    plan = make_plan(desired, state_of(live), state_of(live), managed_all(desired))
    [operation] = plan.operations
    assert operation.action == REPLACE and operation.protected and "protect" in operation.refused
    assert plan.summary()["refused"] == 1 and plan.summary()[REPLACE] == 0


def test_objects_removed_from_the_config_are_deleted_last_in_reverse_order_and_unmanaged_ones_never(flow) -> None:
    full = flow()
    managed = managed_all(full)
    managed["dataset.SALES.old"] = ManagedEntry("old", "created", ("project.SALES",))
    managed["recipe.SALES.make_old"] = ManagedEntry("make_old", "created", ("dataset.SALES.old", "project.SALES"))
    managed["dataset.SALES.kept"] = ManagedEntry("kept", "created", ("project.SALES",), protect=True)
    managed["dataset.SALES.gone_already"] = ManagedEntry("gone_already", "created", ("project.SALES",))
    live = live_flow()
    for rid in ("dataset.SALES.old", "recipe.SALES.make_old", "dataset.SALES.kept", "dataset.SALES.adhoc"):
        live[rid] = res(rid, {"name": rid.split(".")[-1], "type": "Filesystem"})
    plan = make_plan(full, state_of(live), state_of(live), managed)
    deletions = [(op.resource_id, op.refused is not None) for op in plan.operations]
    # The recipe before the dataset it wrote (reverse of the recorded dependencies); the protected one refused.
    assert deletions == [("recipe.SALES.make_old", False), ("dataset.SALES.old", False),
                         ("dataset.SALES.kept", True)]
    assert all(op.action == DELETE for op in plan.operations)
    assert plan.unmanaged == ["dataset.SALES.adhoc"]
    assert summary_line(plan.summary()) == "Plan: 0 to add, 0 to change, 0 to replace, 2 to destroy."


def test_deletions_come_after_creates(flow) -> None:
    desired = flow()
    managed = {"dataset.SALES.old": ManagedEntry("old", "created", ("project.SALES",))}
    live = {"project.SALES": live_flow()["project.SALES"],
            "dataset.SALES.old": res("dataset.SALES.old", {"name": "old", "type": "Filesystem"})}
    plan = make_plan(desired, state_of(live), state_of(live), managed)
    assert [op.action for op in plan.operations][-1] == DELETE
    assert [op.action for op in plan.operations][:-1] == [ADOPT, CREATE, CREATE, CREATE]


SECRET_FLOW = FLOW.replace("params: {connection: fs, path: /data/orders}",
                           "params: {connection: fs, path: /data/orders, url: 'https://etl:${env:DB_PASSWORD}@db/x', "
                           "password: '${env:DB_PASSWORD}'}")


def test_secrets_compare_by_what_the_sync_records_and_are_never_shown(flow) -> None:
    secret = "s3cr3t-Value"
    view = SyncRules().attributes
    live = live_flow()
    orders = live["dataset.SALES.orders"]
    orders.attributes["params"].update(view("dataset", {"params": {"url": f"https://etl:{secret}@db/x",
                                                                   "password": secret}})["params"])
    orders.refresh_checksum()
    assert "db/x" in orders.attributes["params"]["url"]  # the sync marks the password only, not the URL
    same = flow(SECRET_FLOW, environ={"DB_PASSWORD": secret})
    assert make_plan(same, state_of(live), state_of(live), managed_all(same), secret_view=view).operations == []
    changed = flow(SECRET_FLOW, environ={"DB_PASSWORD": "another-one"})
    plan = make_plan(changed, state_of(live), state_of(live), managed_all(changed), secret_view=view)
    [operation] = plan.operations
    assert [(c.path, c.before, c.after, c.sensitive) for c in operation.changes] == [
        ("params.password", SENSITIVE, SENSITIVE, True), ("params.url", SENSITIVE, SENSITIVE, True)]
    text = json.dumps(plan.to_dict())
    assert secret not in text and "another-one" not in text and "<redacted" not in text


def test_a_created_object_with_a_secret_shows_no_marker(flow) -> None:
    desired = flow(SECRET_FLOW, environ={"DB_PASSWORD": "pw"})
    plan = make_plan(desired, State(environment="dev"), secret_view=SyncRules().attributes)
    text = json.dumps(plan.to_dict())
    assert "<redacted" not in text and '"pw"' not in text and SENSITIVE in text
