"""A replaced folder or scenario gets a new DSS id: the objects referring to it (pure engine part).

Each object of the config that refers to the replaced folder (a files-in-folder dataset's ``folderSmartId``, a
recipe's outputs, a recipe of another project reading it, a scenario step building it) gets an update that
waits for the replace, and the desired state the plan gives refers to the folder's placeholder ``new:KEY``
(which apply resolves once DSS has given the new id)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Dict

import pytest

from dataiku_iac.apply.executor import IdMap, schedule, stale_reasons
from dataiku_iac.config import build_desired_state, read_config
from dataiku_iac.models.state import ManagedEntry, Resource, ResourceMetadata, State
from dataiku_iac.plan import REPLACE, UPDATE, make_plan, plan_with_desired
from tests.config.conftest import WriteConfig

SALES = """\
project: {name: Sales}
datasets:
  orders: {type: Filesystem, params: {connection: fs}}
  inbox_files: {type: FilesInFolder, params: {folderSmartId: inbox}}
managed_folders:
  inbox: {type: Filesystem, params: {connection: fs_folders}}
recipes:
  fill_inbox: {type: python, inputs: [orders], outputs: [{folder: inbox}], payload: "x = 1\\n"}
scenarios:
  Nightly:
    type: step_based
    params: {steps: [{id: s1, type: build_flowitem, params: {builds: [{type: MANAGED_FOLDER, itemId: inbox}]}}]}
"""
REPORTS = """\
project: {name: Reports}
datasets:
  summary: {type: Filesystem, params: {connection: fs}}
recipes:
  read_inbox: {type: python, inputs: [SALES.inbox], outputs: [summary], payload: "y = 2\\n"}
"""
RECORDED = {("managed_folder", "SALES", "inbox"): "F1", ("scenario", "SALES", "Nightly"): "S1"}
FOLDER = "managed_folder.SALES.F1"
REFERRERS = ["dataset.SALES.inbox_files", "recipe.SALES.fill_inbox", "scenario.SALES.S1", "recipe.REPORTS.read_inbox"]
NOTE = "refers to managed folder inbox, which is replaced: the new id is written once DSS gives it"


@pytest.fixture
def desired_of(write_config: WriteConfig):
    def build(sales: str = SALES):
        root = write_config({"projects/SALES/flow.yml": sales, "projects/REPORTS/flow.yml": REPORTS})
        return build_desired_state(read_config(root), "dev", environ={}, recorded_ids=RECORDED)
    return build


def live_as(desired, folder_type: str = "Filesystem") -> State:
    """DSS holding exactly what the config says, except the folder's storage type."""
    resources: Dict[str, Resource] = {}
    for rid, wanted in desired.resources.items():
        attributes = copy.deepcopy(wanted.resource.attributes)
        if rid == FOLDER:
            attributes["type"] = folder_type
        resources[rid] = Resource(wanted.resource.resource_type, rid, attributes,
                                  ResourceMetadata(last_modified_by="alex"))
    return State(environment="dev", resources=resources)


def managed_all(desired) -> Dict[str, ManagedEntry]:
    return {rid: ManagedEntry(r.config.key, "adopted", tuple(sorted(r.dependencies)), r.config.protected)
            for rid, r in desired.resources.items()}


def plan_of(desired, live: State):
    return plan_with_desired(desired, live, live, managed_all(desired))


def ref_values(desired) -> Dict[str, str]:
    """Where each referrer names the folder, as the desired state says."""
    attributes = {rid: desired.resources[rid].resource.attributes for rid in REFERRERS}
    return {
        "dataset": attributes["dataset.SALES.inbox_files"]["params"]["folderSmartId"],
        "recipe": attributes["recipe.SALES.fill_inbox"]["outputs"]["main"]["items"][0]["ref"],
        "scenario": attributes["scenario.SALES.S1"]["params"]["steps"][0]["params"]["builds"][0]["itemId"],
        "other project": attributes["recipe.REPORTS.read_inbox"]["inputs"]["main"]["items"][0]["ref"],
    }


def test_nothing_to_do_when_the_folder_keeps_its_type(desired_of) -> None:
    desired = desired_of()
    plan, written = plan_of(desired, live_as(desired))
    assert plan.operations == [] and written is desired


def test_each_referrer_is_updated_after_the_replace_and_refers_to_the_placeholder(desired_of) -> None:
    desired = desired_of()
    before = ref_values(desired)
    plan, written = plan_of(desired, live_as(desired, folder_type="S3"))
    by_id = {op.resource_id: op for op in plan.operations}
    assert by_id[FOLDER].action == REPLACE
    assert sorted(by_id) == sorted([FOLDER, *REFERRERS])
    ids = [op.resource_id for op in plan.operations]
    for rid in REFERRERS:
        operation = by_id[rid]
        assert operation.action == UPDATE and NOTE in operation.notes, rid
        assert FOLDER in operation.dependencies and ids.index(FOLDER) < ids.index(rid)
        assert operation.expect["exists"] is True and operation.expect["checksum"]  # stale checks hold
    assert ref_values(written) == {"dataset": "new:inbox", "recipe": "new:inbox", "scenario": "new:inbox",
                                   "other project": "SALES.new:inbox"}
    assert ref_values(desired) == before == {"dataset": "F1", "recipe": "F1", "scenario": "F1",
                                             "other project": "SALES.F1"}  # the given state is left as it was
    assert plan.summary()[UPDATE] == 4 and plan.summary()[REPLACE] == 1
    assert written.state.get_resource("recipe.SALES.fill_inbox").attributes["outputs"]["main"]["items"][0]["ref"] \
        == "new:inbox"
    live = live_as(desired, folder_type="S3")
    assert make_plan(desired, live, live, managed_all(desired)).to_dict() == plan.to_dict()


def test_a_referrer_changed_in_the_config_too_gets_one_update_with_both_changes(desired_of) -> None:
    desired = desired_of(SALES.replace('payload: "x = 1\\n"', 'payload: "x = 2\\n"'))
    live = live_as(desired_of(), folder_type="S3")
    plan, _ = plan_of(desired, live)
    [recipe] = [op for op in plan.operations if op.resource_id == "recipe.SALES.fill_inbox"]
    assert sorted(change.path.split("[")[0] for change in recipe.changes) == [
        "outputs.main.items", "outputs.main.items", "payload"]
    assert recipe.notes == [NOTE]


def test_a_refused_replace_redirects_nothing(desired_of) -> None:
    desired = desired_of(SALES.replace("  inbox: {type: Filesystem,", "  inbox: {protect: true, type: Filesystem,"))
    plan, written = plan_of(desired, live_as(desired, folder_type="S3"))
    [operation] = plan.operations
    assert operation.resource_id == FOLDER and operation.refused and written is desired


def test_apply_orders_the_updates_after_the_replace_and_resolves_the_new_id(desired_of) -> None:
    desired = desired_of()
    plan, written = plan_of(desired, live_as(desired, folder_type="S3"))
    operations = [op.to_dict() for op in plan.operations]
    waits = schedule(operations)
    folder_index = [op["resource_id"] for op in operations].index(FOLDER)
    for index, op in enumerate(operations):
        if op["resource_id"] in REFERRERS:
            assert folder_index in waits[index]
    ids = IdMap()
    ids.replaced(FOLDER, "inbox", "F2")
    resolved = {rid: ids.resolve(written.resources[rid]) for rid in REFERRERS}
    assert ref_values(written.with_resources({rid: _with(written.resources[rid], resolved[rid])
                                              for rid in REFERRERS})) \
        == {"dataset": "F2", "recipe": "F2", "scenario": "F2", "other project": "SALES.F2"}
    assert ids.resolve_id(FOLDER) == "managed_folder.SALES.F2"  # the referrers' recorded dependencies
    assert ids.resolve_id("managed_folder.SALES.new:inbox") == "managed_folder.SALES.F2"


def test_a_saved_plan_with_the_updates_is_current_until_a_referrer_changes_in_dss(desired_of) -> None:
    desired = desired_of()
    live = live_as(desired, folder_type="S3")
    saved = plan_of(desired, live)[0].to_dict()
    assert stale_reasons(saved, plan_of(desired, live)[0].to_dict(), live, "dev", "") == []
    edited = copy.deepcopy(live)
    recipe = edited.resources["recipe.SALES.fill_inbox"]
    recipe.attributes["payload"] = "edited in DSS\n"
    recipe.refresh_checksum()
    reasons = stale_reasons(saved, plan_of(desired, edited)[0].to_dict(), live, "dev", "")
    assert reasons == ["recipe.SALES.fill_inbox was changed in DSS since the plan (by alex)"]


def _with(wanted, attributes):
    return dataclasses.replace(wanted, resource=Resource(wanted.resource.resource_type, wanted.resource_id,
                                                         attributes))
