"""Drift detection end to end: real dataikuapi over HTTP, no mocks.

Runs against the emulator by default, and against a real DSS with ``DATAIKU_IAC_REAL_DSS=1`` plus
``DKU_DSS_URL``/``DKU_API_KEY`` (see tests/dss_support.py): the change tests work on a scratch project made
through the public API, so they run on both. The shared real projects and synthetic ones are emulator seeds.

- zero false drift: syncing an unchanged project twice (and re-saving every object unchanged, which bumps
  every ``versionTag``) reports no modified resource;
- every kind of change a user makes in the UI is detected and described at the attribute level;
- secrets never reach the state file or the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.manager import DriftResult, StateManager
from dataiku_iac.models.diff import AttributeChange, ChangeType, ResourceDiff
from dataiku_iac.sync.rules import REDACTION_PREFIX
from tests.dss_support import REAL_PROJECT_KEYS, SAMPLE_KEY, DSSTarget


@pytest.fixture
def manager(dss_target: DSSTarget, tmp_path: Path) -> StateManager:
    backend = LocalFileBackend(tmp_path / "state" / "it.state.json")
    return StateManager(backend, dss_target.client(), "it", retry_backoff=0.05)


@pytest.fixture
def client(dss_target: DSSTarget) -> Any:
    return dss_target.client()


def only_change(drift: DriftResult) -> ResourceDiff:
    changes = drift.changes()
    assert len(changes) == 1, [str(d) for d in changes]
    return changes[0]


def by_path(diff: ResourceDiff) -> Dict[str, AttributeChange]:
    return {change.path_str: change for change in diff.changes}


def resave_everything_unchanged(client: Any, key: str) -> None:
    """What a user does by opening and saving each object without editing it: every versionTag moves."""
    project = client.get_project(key)
    for item in project.list_datasets():
        project.get_dataset(item["name"]).get_settings().save()
    for item in project.list_recipes():
        project.get_recipe(item["name"]).get_settings().save()
    for item in project.list_scenarios():
        project.get_scenario(item["id"]).get_settings().save()
    for item in project.list_managed_folders():
        project.get_managed_folder(item["id"]).get_settings().save()
    for item in project.list_saved_models():
        project.get_saved_model(item["id"]).get_settings().save()
    project.get_settings().save()
    project.set_variables(project.get_variables())


def assert_no_false_drift(manager: StateManager, client: Any, key: str) -> None:
    first = manager.refresh([key])
    assert first.saved and first.state.resources
    drift = manager.detect_drift([key])
    assert drift.summary["modified"] == drift.summary["added"] == drift.summary["removed"] == 0, drift.changes()
    resave_everything_unchanged(client, key)
    after_saves = manager.detect_drift([key])
    assert not after_saves.has_drift, [str(d) for d in after_saves.changes()]
    # The attribution moved (who saved, when), the attributes did not.
    refreshed = manager.refresh([key])
    assert refreshed.saved and refreshed.changes() == []


# -- zero false drift ------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", REAL_PROJECT_KEYS)
def test_no_false_drift_on_the_shared_real_projects(key: str, shared_projects: Path, dss_target: DSSTarget,
                                                    manager: StateManager, client: Any) -> None:
    dss_target.require_emulator()
    assert_no_false_drift(manager, client, key)


def test_no_false_drift_on_the_sample_project(dss_target: DSSTarget, manager: StateManager, client: Any) -> None:
    dss_target.require_emulator()
    assert_no_false_drift(manager, client, SAMPLE_KEY)


def test_no_false_drift_on_a_synthetic_project(dss_target: DSSTarget, manager: StateManager, client: Any) -> None:
    dss_target.require_emulator().add_synthetic_project("SYN_DRIFT", datasets=40, recipes=32, scenarios=6, folders=2)
    assert_no_false_drift(manager, client, "SYN_DRIFT")


def test_no_false_drift_on_a_scratch_project(scratch_project: str, manager: StateManager, client: Any) -> None:
    assert_no_false_drift(manager, client, scratch_project)


# -- each kind of change, on a scratch project (emulator or real DSS) ---------------------------------------

@pytest.fixture
def baseline(scratch_project: str, manager: StateManager) -> str:
    manager.refresh([scratch_project])
    return scratch_project


def edit_dataset(client: Any, key: str, name: str, edit: Any) -> None:
    settings = client.get_project(key).get_dataset(name).get_settings()
    edit(settings.get_raw())
    settings.save()


def test_dataset_connection_and_path_change(baseline: str, client: Any, manager: StateManager) -> None:
    def move(raw: Dict[str, Any]) -> None:
        raw["params"]["connection"] = "filesystem_root"
        raw["params"]["path"] = "/data/exports/orders"

    edit_dataset(client, baseline, "orders", move)
    diff = only_change(manager.detect_drift())
    assert diff.resource_id == f"dataset.{baseline}.orders" and diff.change_type is ChangeType.MODIFIED
    changes = by_path(diff)
    assert (changes["params.connection"].old, changes["params.connection"].new) == ("filesystem_managed",
                                                                                    "filesystem_root")
    assert changes["params.path"].new == "/data/exports/orders"
    login = client.get_auth_info().get("authIdentifier")
    assert diff.new_resource.metadata.last_modified_by == login  # "changed by X at T"
    assert diff.new_resource.metadata.last_modified_at >= diff.old_resource.metadata.last_modified_at


def test_dataset_format_change(baseline: str, client: Any, manager: StateManager) -> None:
    edit_dataset(client, baseline, "orders", lambda raw: raw["formatParams"].update(separator=";"))
    changes = by_path(only_change(manager.detect_drift()))
    assert list(changes) == ["formatParams.separator"] and changes["formatParams.separator"].new == ";"


def test_dataset_schema_change_and_column_added(baseline: str, client: Any, manager: StateManager) -> None:
    dataset = client.get_project(baseline).get_dataset("orders")
    schema = dataset.get_schema()
    schema["columns"][1]["type"] = "float"
    schema["columns"].append({"name": "discount", "type": "double"})
    dataset.set_schema(schema)
    diff = only_change(manager.detect_drift())
    changes = by_path(diff)
    assert changes["schema.columns[name=amount].type"].old == "double"
    assert changes["schema.columns[name=amount].type"].new == "float"
    added = changes["schema.columns[name=discount]"]
    assert added.change_type is ChangeType.ADDED and added.new == {"name": "discount", "type": "double"}


def test_recipe_code_edited(baseline: str, client: Any, manager: StateManager) -> None:
    settings = client.get_project(baseline).get_recipe("compute_orders_enriched").get_settings()
    settings.set_code(settings.get_code().replace("0.92", "0.93"))
    settings.save()
    diff = only_change(manager.detect_drift())
    change = by_path(diff)["payload"]
    assert diff.resource_type == "recipe" and change.text_diff
    assert "-orders['amount_eur'] = orders['amount'] * 0.92" in change.text_diff
    assert "+orders['amount_eur'] = orders['amount'] * 0.93" in change.text_diff


def test_recipe_input_added(baseline: str, client: Any, manager: StateManager) -> None:
    settings = client.get_project(baseline).get_recipe("compute_orders_enriched").get_settings()
    settings.add_input("main", "customers")
    settings.save()
    changes = by_path(only_change(manager.detect_drift()))
    added = changes["inputs.main.items[ref=customers]"]
    assert added.change_type is ChangeType.ADDED and added.new["ref"] == "customers"


def test_scenario_trigger_changed_and_disabled(baseline: str, client: Any, manager: StateManager) -> None:
    scenario = client.get_project(baseline).get_scenario("NIGHTLYBUILD")
    settings = scenario.get_settings()
    settings.raw_triggers[0]["params"]["hour"] = 5
    settings.raw_triggers[0]["active"] = False
    settings.active = False
    settings.save()
    changes = by_path(only_change(manager.detect_drift()))
    assert (changes["triggers[id=nightly0].params.hour"].old, changes["triggers[id=nightly0].params.hour"].new) \
        == (2, 5)
    assert changes["triggers[id=nightly0].active"].new is False
    assert (changes["active"].old, changes["active"].new) == (True, False)


def test_managed_folder_added(baseline: str, client: Any, manager: StateManager) -> None:
    folder = client.get_project(baseline).create_managed_folder("exports")
    diff = only_change(manager.detect_drift())
    assert diff.change_type is ChangeType.ADDED
    assert diff.resource_id == f"managed_folder.{baseline}.{folder.id}"
    assert diff.new_resource.attributes["name"] == "exports"


def test_dataset_deleted(baseline: str, client: Any, manager: StateManager) -> None:
    client.get_project(baseline).get_dataset("customers").delete()
    diff = only_change(manager.detect_drift())
    assert diff.change_type is ChangeType.REMOVED and diff.resource_id == f"dataset.{baseline}.customers"
    report = manager.detect_drift().to_report()
    assert [c["actions"] for c in report["resource_changes"]] == [["delete"]]


def test_project_description_changed(baseline: str, client: Any, manager: StateManager) -> None:
    project = client.get_project(baseline)
    metadata = project.get_metadata()
    metadata["description"] = "Now owned by the finance team"
    project.set_metadata(metadata)
    changes = by_path(only_change(manager.detect_drift()))
    assert changes["description"].new == "Now owned by the finance team"


def test_tags_edited(baseline: str, client: Any, manager: StateManager) -> None:
    dataset = client.get_project(baseline).get_dataset("orders")
    metadata = dataset.get_metadata()
    metadata["tags"] = ["sales", "pii"]
    dataset.set_metadata(metadata)
    diff = only_change(manager.detect_drift())
    assert diff.resource_id == f"dataset.{baseline}.orders"
    assert diff.new_resource.attributes["tags"] == ["pii", "sales"]  # sorted, whatever order DSS returns
    assert {(c.change_type, c.new) for c in diff.changes} == {(ChangeType.ADDED, "pii"), (ChangeType.ADDED, "sales")}
    assert all(c.path_str.startswith("tags[") for c in diff.changes)


def test_several_changes_in_one_report(baseline: str, client: Any, manager: StateManager) -> None:
    project = client.get_project(baseline)
    project.get_dataset("customers").delete()
    project.create_managed_folder("exports")
    edit_dataset(client, baseline, "orders", lambda raw: raw["params"].update(path="/moved"))
    report = manager.detect_drift().to_report()
    assert report["summary"] == {"added": 1, "removed": 1, "modified": 1, "unchanged": 4}
    assert report["context"]["has_drift"] is True and report["context"]["project_keys"] == [baseline]
    json.dumps(report)


# -- changes inside the shared real projects' own objects (emulator seeds) ------------------------------------

def test_visual_recipe_change_in_a_real_project(shared_projects: Path, dss_target: DSSTarget, client: Any,
                                                manager: StateManager) -> None:
    dss_target.require_emulator()
    key = "GIT_INTEGRATION_DEMO"
    manager.refresh([key])
    settings = client.get_project(key).get_recipe("compute_Orders_by_customer").get_settings()
    payload = settings.get_json_payload()
    payload["globalCount"] = not payload["globalCount"]
    payload["keys"][0]["$selected"] = True  # UI state: ignored
    settings.set_json_payload(payload)
    settings.save()
    changes = by_path(only_change(manager.detect_drift()))
    assert list(changes) == ["payload.globalCount"]


def test_real_scenario_trigger_disabled(shared_projects: Path, dss_target: DSSTarget, client: Any,
                                        manager: StateManager) -> None:
    dss_target.require_emulator()
    key = "GIT_INTEGRATION_DEMO"
    manager.refresh([key])
    settings = client.get_project(key).get_scenario("REBUILDDATAANDRETRAINMODEL").get_settings()
    trigger_id = settings.raw_triggers[0]["id"]
    settings.raw_triggers[0]["active"] = not settings.raw_triggers[0]["active"]
    settings.save()
    changes = by_path(only_change(manager.detect_drift()))
    assert list(changes) == [f"triggers[id={trigger_id}].active"]


# -- secrets ---------------------------------------------------------------------------------------------

SECRET = "hunter2-do-not-store"


def test_secrets_never_reach_the_state_file_or_the_report(scratch_project: str, client: Any,
                                                          manager: StateManager) -> None:
    project = client.get_project(scratch_project)
    variables = project.get_variables()
    variables["standard"]["db_password"] = SECRET
    variables["local"]["apiKey"] = SECRET + "-local"
    project.set_variables(variables)
    edit_dataset(client, scratch_project, "orders", lambda raw: raw["params"].update(password=SECRET))
    result = manager.refresh([scratch_project])
    stored = Path(manager.backend.location).read_text(encoding="utf-8")
    assert SECRET not in stored and REDACTION_PREFIX in stored
    redacted = result.state.get_resource(f"project.{scratch_project}").attributes["variables"]
    assert redacted["standard"]["db_password"].startswith(REDACTION_PREFIX)

    variables["standard"]["db_password"] = SECRET + "-rotated"
    project.set_variables(variables)
    drift = manager.detect_drift()
    change = by_path(only_change(drift))["variables.standard.db_password"]
    assert change.old.startswith(REDACTION_PREFIX) and change.new.startswith(REDACTION_PREFIX)
    assert change.old != change.new  # a rotated secret shows as drift
    report_text = json.dumps(drift.to_report())
    assert SECRET not in report_text
    history: List[str] = [Path(entry.location).read_text(encoding="utf-8") for entry in manager.backend.history()]
    assert all(SECRET not in text for text in history)
