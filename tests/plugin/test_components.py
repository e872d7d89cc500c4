"""The plugin's macros and scenario step, end to end outside DSS.

Each component file is loaded from its folder (as DSS does: hyphenated folders cannot be imported), the
``dataiku`` test stub is pointed at the DSS emulator through the same environment variables DSS sets, and the
state lives in the sample project's emulated managed folder.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
from datetime import timedelta
from pathlib import Path

import dataiku
import pytest
from dataiku import scenario as dku_scenario

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.dss import client as dss_client
from dataiku_iac.manager import StateManager
from dataiku_iac.plugin import DriftFoundError, PluginError
from dataiku_iac.timeutil import format_timestamp, utc_now
from dss_emulator import SAMPLE_PROJECT_KEY
from tests.dss_support import point_environment_at

REPO = Path(__file__).resolve().parents[2]
SYNC = REPO / "python-runnables" / "sync-state" / "runnable.py"
DETECT = REPO / "python-runnables" / "detect-drift" / "runnable.py"
STEP = REPO / "python-steps" / "check-drift" / "step.py"
FOLDER = "Qx7mK2pA"  # the sample project's managed folder ("churn_reports")
_modules = itertools.count()


@pytest.fixture
def dss(sample_emulator, monkeypatch):
    """The emulator, reset, with the stub pointed at it as DSS would point the real package."""
    point_environment_at(sample_emulator, monkeypatch)
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", SAMPLE_PROJECT_KEY)
    monkeypatch.setenv("DKU_PLUGIN_CONFIG", "{}")
    monkeypatch.delenv("DKU_API_TICKET", raising=False)
    dataiku.reset_stub()
    yield sample_emulator
    dataiku.reset_stub()


@pytest.fixture
def folder(dss):
    return dss.client().get_project(SAMPLE_PROJECT_KEY).get_managed_folder(FOLDER)


def load(path: Path):
    """Load a component file as DSS does: by path, as a fresh module (runs a step's code)."""
    spec = importlib.util.spec_from_file_location(f"component_{next(_modules)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_macro(path: Path, config: dict, project_key: str = SAMPLE_PROJECT_KEY):
    module = load(path)
    runnable = module.MyRunnable(project_key, config, {})
    progress: list = []
    result = runnable.run(progress.append)
    return result, runnable.get_progress_target(), progress


def run_step(monkeypatch, config: dict):
    monkeypatch.setenv("DKU_PLUGIN_STEP_CONFIG", json.dumps(config))
    return load(STEP)


def files(folder) -> list:
    return [item["path"] for item in folder.list_contents()["items"]]


def read_json(folder, path: str) -> dict:
    return json.loads(folder.get_file(path).content)


def sync(config=None):
    html, _, _ = run_macro(SYNC, dict({"state_folder": FOLDER, "environment": "dev"}, **(config or {})))
    return html


def change_dataset_description(dss, text="changed by hand"):
    dataset = dss.client().get_project(SAMPLE_PROJECT_KEY).get_dataset("raw_customers")
    settings = dataset.get_settings()
    settings.get_raw()["description"] = text
    settings.save()


# -- sync-state ---------------------------------------------------------------------------------------------


def test_sync_macro_writes_the_state_into_the_folder(dss, folder):
    html, target, progress = run_macro(SYNC, {"state_folder": FOLDER, "environment": "dev", "scope": "project",
                                              "include_children": True})
    assert target == (100, "NONE")
    assert progress and progress[-1] == 100 and progress == sorted(progress)
    assert files(folder) == ["/history/dev/serial-00000001.json", "/states/dev.state.json"]
    state = read_json(folder, "/states/dev.state.json")
    assert state["serial"] == 1 and state["environment"] == "dev"
    types = sorted({resource["resource_type"] for resource in state["resources"].values()})
    assert types == ["dataset", "managed_folder", "project", "recipe", "saved_model", "scenario"]
    assert "State created as serial 1" in html
    assert state["lineage"] in html
    assert f"managed folder {SAMPLE_PROJECT_KEY}.{FOLDER}:/states/dev.state.json" in html
    assert "<td>dataset</td><td class=\"diac-num\">2</td>" in html
    assert "Traceback" not in html


def test_sync_again_without_changes_keeps_the_serial(dss, folder):
    sync()
    html = sync()
    assert "Nothing changed since serial 1" in html
    assert files(folder) == ["/history/dev/serial-00000001.json", "/states/dev.state.json"]


def test_sync_after_a_change_saves_a_new_serial(dss, folder):
    sync()
    change_dataset_description(dss)
    html = sync()
    assert "State saved as serial 2 (1 resource change(s)" in html
    assert "/history/dev/serial-00000002.json" in files(folder)


def test_sync_all_projects_and_folder_by_name(dss, folder):
    dss.add_synthetic_project("SYNTH_A", datasets=3, recipes=2, scenarios=1, folders=1)
    html = sync({"state_folder": "churn_reports", "scope": "all", "environment": "prod"})
    state = read_json(folder, "/states/prod.state.json")
    keys = {resource_id.split(".")[1] for resource_id in state["resources"]}
    assert keys == {SAMPLE_PROJECT_KEY, "SYNTH_A"}
    assert "CUSTOMER_ANALYTICS, SYNTH_A" in html


def test_sync_without_children_records_only_the_project(dss, folder):
    sync({"include_children": False})
    state = read_json(folder, "/states/dev.state.json")
    assert list(state["resources"]) == [f"project.{SAMPLE_PROJECT_KEY}"]


# -- detect-drift -------------------------------------------------------------------------------------------


def test_detect_drift_without_a_state_says_run_the_sync_macro(dss, folder):
    html, _, _ = run_macro(DETECT, {"state_folder": FOLDER, "environment": "dev"})
    assert "No saved state for environment &#x27;dev&#x27;" in html
    assert "run the sync macro" in html and "Traceback" not in html
    assert files(folder) == []


def test_detect_drift_reports_who_changed_what_and_saves_the_report(dss, folder):
    sync()
    change_dataset_description(dss)
    html, target, progress = run_macro(DETECT, {"state_folder": FOLDER, "environment": "dev"})
    assert target == (100, "NONE") and progress[-1] == 100
    assert "raw_customers" in html and "description" in html and "changed by hand" in html
    assert "admin" in html  # who changed it (the emulator's admin key)
    reports = [path for path in files(folder) if path.startswith("/reports/dev/")]
    assert len(reports) == 1 and reports[0] in html  # "Report saved to ..."
    report = read_json(folder, reports[0])
    assert report["summary"]["modified"] == 1 and report["context"]["has_drift"] is True
    (change,) = report["resource_changes"]
    assert change["address"] == f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers"
    assert change["last_modified_by"] == "admin"
    assert read_json(folder, "/states/dev.state.json")["serial"] == 1  # detection writes no state


def test_detect_drift_shows_code_diffs(dss, folder):
    sync()
    recipe = dss.client().get_project(SAMPLE_PROJECT_KEY).get_recipe("compute_customers_prepared")
    settings = recipe.get_settings()
    settings.set_payload(settings.get_payload().replace("CHURN_THRESHOLD", "CHURN_LIMIT"))
    settings.save()
    html, _, _ = run_macro(DETECT, {"state_folder": FOLDER})
    assert "compute_customers_prepared" in html
    assert "CHURN_LIMIT" in html and "CHURN_THRESHOLD" in html  # the unified diff's - and + lines


def test_detect_drift_without_drift(dss, folder):
    sync()
    html, _, _ = run_macro(DETECT, {"state_folder": FOLDER})
    assert "No drift" in html


def test_accepting_the_live_state_makes_it_the_baseline(dss, folder):
    sync()
    change_dataset_description(dss)
    html, _, _ = run_macro(DETECT, {"state_folder": FOLDER, "accept_live_as_baseline": True})
    assert "accepted as the new baseline (serial 2)" in html
    state = read_json(folder, "/states/dev.state.json")
    assert state["serial"] == 2
    assert state["resources"][f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers"]["attributes"]["description"] == (
        "changed by hand")
    html, _, _ = run_macro(DETECT, {"state_folder": FOLDER})
    assert "No drift" in html


# -- check-drift step ---------------------------------------------------------------------------------------


def test_step_without_drift_sets_variables_and_passes(dss, folder, monkeypatch):
    sync()
    module = run_step(monkeypatch, {"state_folder": FOLDER, "environment": "dev", "fail_on_drift": True})
    variables = dku_scenario.Scenario().get_all_variables()
    assert variables["iac_drift_count"] == 0
    assert variables["iac_drift_summary"].startswith("No drift in environment 'dev' (baseline serial 1)")
    assert any(path.startswith("/reports/dev/") for path in files(folder))
    assert callable(module.main)


def test_step_fails_on_drift(dss, folder, monkeypatch):
    sync()
    change_dataset_description(dss)
    with pytest.raises(DriftFoundError) as caught:
        run_step(monkeypatch, {"state_folder": FOLDER, "environment": "dev"})  # fail_on_drift defaults to on
    variables = dku_scenario.Scenario().get_all_variables()
    assert variables["iac_drift_count"] == 1
    assert "1 modified" in variables["iac_drift_summary"] and "raw_customers" in variables["iac_drift_summary"]
    assert str(caught.value) == variables["iac_drift_summary"]
    report_path = next(path for path in files(folder) if path.startswith("/reports/dev/"))
    assert report_path in variables["iac_drift_summary"]
    assert read_json(folder, report_path)["summary"]["modified"] == 1


def test_step_reports_drift_without_failing_when_asked(dss, folder, monkeypatch):
    sync()
    change_dataset_description(dss)
    run_step(monkeypatch, {"state_folder": FOLDER, "fail_on_drift": False})
    assert dku_scenario.Scenario().get_all_variables()["iac_drift_count"] == 1


def test_step_ignores_the_chosen_types(dss, folder, monkeypatch):
    sync()
    change_dataset_description(dss)
    run_step(monkeypatch, {"state_folder": FOLDER, "ignored_types": ["dataset"]})
    assert dku_scenario.Scenario().get_all_variables()["iac_drift_count"] == 0
    report = read_json(folder, next(path for path in files(folder) if path.startswith("/reports/dev/")))
    assert report["context"]["ignored_types"] == ["dataset"]
    assert report["resource_changes"] == []


def test_step_without_state_fails_with_a_readable_message(dss, folder, monkeypatch):
    with pytest.raises(PluginError, match="run the sync macro"):
        run_step(monkeypatch, {"state_folder": FOLDER})
    variables = dku_scenario.Scenario().get_all_variables()
    assert variables["iac_drift_count"] == -1
    assert variables["iac_drift_summary"].startswith("Drift check could not run: No saved state")


def test_step_with_bad_params(dss, monkeypatch):
    with pytest.raises(PluginError, match=r"^State folder: choose the managed folder"):
        run_step(monkeypatch, {"environment": "dev"})
    with pytest.raises(PluginError, match=r"^Resource types to ignore"):
        run_step(monkeypatch, {"state_folder": FOLDER, "ignored_types": ["job"]})


# -- errors the user can act on -------------------------------------------------------------------------------


def test_bad_params_give_messages_naming_the_field(dss):
    html, _, _ = run_macro(SYNC, {"environment": "dev"})
    assert "State folder: choose the managed folder that holds the state" in html
    html, _, _ = run_macro(SYNC, {"state_folder": FOLDER, "environment": "../up"})
    assert "Environment: Invalid environment name" in html
    html, _, _ = run_macro(DETECT, {"state_folder": "no_such_folder"})
    assert "State folder: no managed folder &#x27;no_such_folder&#x27;" in html
    html, _, _ = run_macro(SYNC, {"state_folder": FOLDER, "scope": "galaxy"})
    assert "Scope: expected" in html


def test_folder_not_writable(dss, folder, monkeypatch):
    monkeypatch.setenv("DKU_API_KEY", dss.create_api_key(login="auditor", read_only=True))
    html = sync()
    assert "not writable" in html and "Traceback" not in html
    assert dss.api_key not in html


def test_dss_unreachable(dss, monkeypatch):
    monkeypatch.setenv("DKU_DSS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DKU_API_KEY", "very-secret-key-123")
    # Fewer transport retries than in production, to keep the test fast.
    monkeypatch.setattr(dss_client, "DEFAULT_RETRIES", 0)
    module = load(SYNC)
    monkeypatch.setattr(module, "harden_client", lambda client: dss_client.harden_client(client, retries=0))
    html = module.MyRunnable(SAMPLE_PROJECT_KEY, {"state_folder": FOLDER}, {}).run(lambda _: None)
    assert "DSS is unreachable" in html and "127.0.0.1:9" in html
    assert "very-secret-key-123" not in html and "Traceback" not in html


def test_lock_left_by_a_run_that_died(dss, folder):
    created = utc_now() - timedelta(hours=2)  # expired: reported at once, and still not broken silently
    folder.put_file("/locks/dev.lock", json.dumps({
        "id": "lock-1", "owner": "bob@dss (pid 7)", "operation": "refresh",
        "created": format_timestamp(created), "expires": format_timestamp(created + timedelta(hours=1)),
    }))
    module = load(SYNC)
    html = module.MyRunnable(SAMPLE_PROJECT_KEY, {"state_folder": FOLDER}, {}).run(lambda _: None)
    assert "bob@dss" in html and "expired" in html and "locks/dev.lock" in html
    assert read_json(folder, "/locks/dev.lock")["id"] == "lock-1"


def test_folder_of_another_project(dss):
    dss.add_synthetic_project("SHARED_STATE", datasets=1, recipes=0, scenarios=0, folders=0)
    other = dss.client().get_project("SHARED_STATE").create_managed_folder("iac")
    html = sync({"state_folder": f"SHARED_STATE.{other.id}"})
    assert f"managed folder SHARED_STATE.{other.id}:/states/dev.state.json" in html
    assert "/states/dev.state.json" in files(other)


# -- the macros change a baseline only for a user who may write every project it covers (issue 11 #1) -------

OPS = "OPS"


@pytest.fixture
def ops_state(dss, monkeypatch):
    """Project OPS (group ops_team writes it) holds the state of CUSTOMER_ANALYTICS (ops_team may only read
    it), with one drift; the macros then run in OPS as oscar, a member of ops_team."""
    admin = dss.client()
    admin.create_project(OPS, "Operations", "admin")
    admin.get_project(OPS).set_permissions({"owner": "admin", "permissions": [
        {"group": "ops_team", "readProjectContent": True, "writeProjectContent": True}]})
    project = admin.get_project(SAMPLE_PROJECT_KEY)
    permissions = project.get_permissions()
    permissions["permissions"].append({"group": "ops_team", "readProjectContent": True})
    project.set_permissions(permissions)
    folder = admin.get_project(OPS).create_managed_folder("iac_state")
    StateManager(ManagedFolderBackend(folder, "dev", lock_settle=0), admin, "dev").refresh([SAMPLE_PROJECT_KEY])
    change_dataset_description(dss)
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", OPS)
    monkeypatch.setenv("DKU_API_KEY", dss.create_api_key("oscar", admin=False, groups=["ops_team"]))
    dataiku.reset_stub()
    return folder


def test_accepting_drift_of_a_project_the_user_may_only_read_is_refused(dss, ops_state):
    html, _, _ = run_macro(DETECT, {"state_folder": ops_state.odb_id, "accept_live_as_baseline": True}, OPS)
    assert "changed by hand" in html  # the drift is still reported
    assert f"oscar may not accept the live state of {SAMPLE_PROJECT_KEY}, {OPS}" in html
    assert f"project {SAMPLE_PROJECT_KEY} (no write access granted)" in html
    assert read_json(ops_state, "/states/dev.state.json")["serial"] == 1


def test_the_macro_user_who_may_write_every_covered_project_accepts(dss, ops_state):
    project = dss.client().get_project(SAMPLE_PROJECT_KEY)
    permissions = project.get_permissions()
    permissions["permissions"][-1]["writeProjectContent"] = True
    project.set_permissions(permissions)
    html, _, _ = run_macro(DETECT, {"state_folder": ops_state.odb_id, "accept_live_as_baseline": True}, OPS)
    assert "accepted as the new baseline (serial 2)" in html
    state = read_json(ops_state, "/states/dev.state.json")
    assert state["resources"][f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers"]["metadata"]["deployed_by"] == "oscar"


def test_syncing_all_projects_needs_write_access_to_each(dss, ops_state):
    html, _, _ = run_macro(SYNC, {"state_folder": ops_state.odb_id, "scope": "all"}, OPS)
    assert "oscar may not record the state of" in html and SAMPLE_PROJECT_KEY in html
    assert read_json(ops_state, "/states/dev.state.json")["serial"] == 1
    html, _, _ = run_macro(SYNC, {"state_folder": ops_state.odb_id, "environment": "ops"}, OPS)
    assert "State created as serial 1" in html  # its own project: allowed
