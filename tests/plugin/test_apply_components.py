"""The apply-plan macro and the apply-config step, end to end: the ``dataiku`` stub pointed at the emulator,
the example config uploaded into a managed folder, the plan macro run first, then the apply macro (or the step)
as a DSS user would."""

from __future__ import annotations

import json
from datetime import timedelta

import dataiku
import pytest
import yaml

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.plugin import ApplyFailedError, PluginError
from dataiku_iac.plugin.applying import latest_records
from dataiku_iac.plugin.render import apply_result_html
from dataiku_iac.timeutil import format_timestamp, utc_now
from dss_emulator import SAMPLE_PROJECT_KEY
from tests.plugin.test_components import (
    FOLDER,
    REPO,
    dss,  # noqa: F401 (fixture)
    files,
    load,
    read_json,
    run_macro,
)
from tests.plugin.test_plan_components import (
    EXAMPLE,
    config_folder,  # noqa: F401 (fixture)
    plan,
    stored_plans,
)

APPLY = REPO / "python-runnables" / "apply-plan" / "runnable.py"
STEP = REPO / "python-steps" / "apply-config" / "step.py"
PROJECT = "CUSTOMER_ANALYTICS"
RAW = f"dataset.{PROJECT}.raw_customers"
DATASETS = "/config/projects/CUSTOMER_ANALYTICS/datasets.yml"
FLOW = "/config/projects/CUSTOMER_ANALYTICS/flow.yml"
OLD = "Nightly CRM export, one row per customer."


def apply(**extra):
    return run_macro(APPLY, dict({"state_folder": FOLDER, "environment": "dev"}, **extra))


def confirmed(**extra):
    return apply(confirm_apply=True, **extra)


def edit_yaml(folder, path: str, change) -> None:
    source = EXAMPLE / path[len("/config/"):]
    parsed = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(parsed)
    folder.put_file(path, yaml.safe_dump(parsed, sort_keys=False).encode("utf-8"))


def describe(folder, text: str) -> None:
    edit_yaml(folder, DATASETS, lambda parsed: parsed["datasets"]["raw_customers"].update(description=text))


def description(dss) -> str:  # noqa: F811
    return dss.client().get_project(PROJECT).get_dataset("raw_customers").get_settings().get_raw() \
        .get("description", "")


def state_folder(dss):  # noqa: F811
    return dss.client().get_project(SAMPLE_PROJECT_KEY).get_managed_folder(FOLDER)


def state_serial(dss) -> int:  # noqa: F811
    return read_json(state_folder(dss), "/states/dev.state.json")["serial"]


def snapshot(dss):  # noqa: F811
    """What apply may write: the state folder's files with their bytes, and the config's objects in DSS."""
    folder = state_folder(dss)
    stored = {path: folder.get_file(path).content for path in files(folder)}
    return stored, description(dss), sorted(s["id"] for s in dss.client().get_project(PROJECT).list_scenarios())


@pytest.fixture
def adopted(dss, config_folder):  # noqa: F811
    """The example config adopted (plan, then apply): the state manages its six objects."""
    plan(config_folder)
    html, _, _ = confirmed()
    assert "Apply complete: 6 applied." in html, html
    return config_folder


def as_reader(dss, monkeypatch, login="rita"):  # noqa: F811
    """The macro's user becomes ``login``, who may only read the sample project (holding the state folder)."""
    project = dss.client().get_project(SAMPLE_PROJECT_KEY)
    permissions = project.get_permissions()
    permissions["permissions"].append({"group": "readers", "readProjectContent": True})
    project.set_permissions(permissions)
    monkeypatch.setenv("DKU_API_KEY", dss.create_api_key(login, admin=False, groups=["readers"]))
    dataiku.reset_stub()


def writes_seen(dss) -> list:  # noqa: F811
    return [entry for entry in dss.request_log() if entry["method"] not in ("GET", "HEAD")]


# -- the macro ---------------------------------------------------------------------------------------------


def test_a_reviewed_plan_is_applied_and_every_operation_shown(dss, adopted):  # noqa: F811
    describe(adopted, "Applied from DSS")
    plan(adopted)
    [plan_id] = stored_plans(dss).ids()[:1]
    html, target, progress = confirmed()
    assert target == (100, "NONE") and progress[-1] == 100 and progress == sorted(progress)
    # The reads that check the plan fill the first half of the bar, the one operation the second.
    assert any(0 < percent < 50 for percent in progress) and 50 in progress
    assert "Plan applied: dev" in html and "Apply complete: 1 applied." in html and "Traceback" not in html
    assert (f"<td>update</td><td><code>{RAW}</code></td><td class=\"diac-applied\">applied</td>") in html
    assert description(dss) == "Applied from DSS"
    serial = state_serial(dss)
    assert f"managed folder {SAMPLE_PROJECT_KEY}.{FOLDER}:/states/dev.state.json (serial {serial})" in html
    record = latest_records(ManagedFolderBackend(state_folder(dss), "dev", lock_settle=0))[plan_id]
    assert record["applied_by"] == "admin" and record["counts"] == {"applied": 1, "failed": 0, "not attempted": 0}
    assert f":/plans/dev/{record['id']}.json" in html
    assert f"<dd>{plan_id}</dd>" in html


def test_without_the_confirmation_the_plan_is_shown_and_nothing_written(dss, adopted):  # noqa: F811
    describe(adopted, "Not yet <img src=x onerror=alert(1)>")
    plan(adopted)
    plan_id = stored_plans(dss).ids()[0]
    before = snapshot(dss)
    dss.clear_request_counts()
    html, _, _ = apply()
    assert "Not applied, nothing was written" in html and plan_id in html
    assert "&#x27;I reviewed this plan: apply it&#x27; ticked" in html
    assert "1 to change" in html  # the plan itself, as the plan macro shows it, its values escaped
    assert "Not yet &lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert snapshot(dss) == before and writes_seen(dss) == []
    assert "already applied" not in html


def test_the_unconfirmed_view_says_when_the_plan_was_already_applied(dss, adopted):  # noqa: F811
    describe(adopted, "Applied once")
    plan(adopted)
    assert "Apply complete: 1 applied." in confirmed()[0]
    html, _, _ = apply()
    assert "This plan was already applied, by admin at " in html and "Apply complete: 1 applied." in html
    assert "Not applied, nothing was written" in html


def test_a_stale_plan_is_refused_with_every_reason_and_dss_keeps_the_hand_edit(dss, adopted):  # noqa: F811
    describe(adopted, "From the config")
    plan(adopted)
    plan_id = stored_plans(dss).ids()[0]
    settings = dss.client().get_project(PROJECT).get_dataset("raw_customers").get_settings()
    settings.get_raw()["description"] = "Edited by hand after the plan"
    settings.save()
    describe(adopted, "Edited in the config after the plan")
    before = snapshot(dss)
    html, _, _ = confirmed()
    assert "Plan not applied: it is stale" in html and "Traceback" not in html
    assert f"Plan {plan_id} no longer describes what apply would do, so nothing was written" in html
    assert f"<li>{RAW} was changed in DSS since the plan (by admin" in html
    assert "<li>the config changed since the plan</li>" in html
    assert "Make a new plan" in html
    assert snapshot(dss) == before and description(dss) == "Edited by hand after the plan"


def test_a_reader_is_refused_before_anything_is_written(dss, adopted, monkeypatch):  # noqa: F811
    describe(adopted, "Rita's change")
    plan(adopted)
    before = snapshot(dss)
    as_reader(dss, monkeypatch)
    dss.clear_request_counts()
    html, _, _ = confirmed()
    assert "Apply refused" in html and "rita may not apply a plan to" in html and "Nothing was written." in html
    assert f"project {SAMPLE_PROJECT_KEY} (no write access granted)" in html
    assert writes_seen(dss) == []  # not even the lock: the state folder's project is checked first
    assert snapshot(dss) == before


def test_a_writer_of_the_state_folder_may_not_apply_to_a_project_they_only_read(dss, config_folder, monkeypatch):  # noqa: F811
    admin = dss.client()
    admin.create_project("OPS", "Operations", "admin")
    admin.get_project("OPS").set_permissions({"owner": "admin", "permissions": [
        {"group": "ops_team", "readProjectContent": True, "writeProjectContent": True}]})
    project = admin.get_project(PROJECT)
    permissions = project.get_permissions()
    permissions["permissions"].append({"group": "ops_team", "readProjectContent": True})
    project.set_permissions(permissions)
    ops_folder = admin.get_project("OPS").create_managed_folder("iac_state")
    params = {"config_folder": f"{SAMPLE_PROJECT_KEY}.{config_folder.id}", "config_path": "/config",
              "state_folder": ops_folder.id}
    run_macro(REPO / "python-runnables" / "plan-from-config" / "runnable.py", params, "OPS")
    monkeypatch.setenv("DKU_API_KEY", dss.create_api_key("oscar", admin=False, groups=["ops_team"]))
    dataiku.reset_stub()
    before = sorted(files(ops_folder))
    dss.clear_request_counts()
    html, _, _ = run_macro(APPLY, {"state_folder": ops_folder.id, "confirm_apply": True}, "OPS")
    assert "oscar may not apply a plan to CUSTOMER_ANALYTICS, OPS" in html
    assert f"project {PROJECT} (no write access granted)" in html and "Nothing was written." in html
    assert sorted(files(ops_folder)) == before  # the lock taken and released, no state, no record
    assert [entry for entry in writes_seen(dss) if "/managedfolders/" not in entry["path"]] == []


def test_a_failing_operation_shows_failed_and_not_attempted(dss, adopted):  # noqa: F811
    def add_extra(parsed):
        parsed["datasets"]["extra_customers"] = {"type": "Filesystem", "managed": True, "params": {
            "connection": "filesystem_managed", "path": "${projectKey}/extra_customers"}, "formatType": "parquet"}

    def add_recipe(parsed):
        parsed["recipes"]["compute_extra_customers"] = {
            "type": "python", "inputs": ["raw_customers"], "outputs": ["extra_customers"],
            "payload_file": "recipes/compute_customers_prepared.py"}

    edit_yaml(adopted, DATASETS, add_extra)
    edit_yaml(adopted, FLOW, add_recipe)
    plan(adopted)
    dss.inject_fault("POST", r"/datasets/$", status=400, count=10,
                     message="<script>alert('dss')</script> refused for the test")
    html, _, _ = confirmed()
    assert "Apply finished with failures: dev" in html and "Traceback" not in html
    assert "failed dataset.CUSTOMER_ANALYTICS.extra_customers" in html
    assert (f"<td>create</td><td><code>recipe.{PROJECT}.compute_extra_customers</code></td>"
            "<td class=\"diac-not-attempted\">not attempted</td>") in html
    assert "&lt;script&gt;alert(&#x27;dss&#x27;)&lt;/script&gt; refused for the test" in html
    assert "<script>alert" not in html
    recipes = [r["name"] for r in dss.client().get_project(PROJECT).list_recipes()]
    assert "compute_extra_customers" not in recipes
    state = read_json(state_folder(dss), "/states/dev.state.json")
    assert f"dataset.{PROJECT}.extra_customers" not in state["resources"]


def test_a_plan_without_changes_applies_nothing_and_says_so(dss, adopted):  # noqa: F811
    plan(adopted)
    html, _, progress = confirmed()
    assert "No changes: DSS matches the config; nothing to apply." in html and "<table>" not in html
    assert progress[-1] == 100


def test_a_config_broken_since_the_plan_lists_its_errors_and_applies_nothing(dss, adopted):  # noqa: F811
    describe(adopted, "Before the break")
    plan(adopted)
    adopted.put_file("/config/projects/CUSTOMER_ANALYTICS/dupe.yml", b"datasets:\n  raw_customers: {}\n")
    before = snapshot(dss)
    html, _, _ = confirmed()
    assert "The plan&#x27;s config is not valid any more" in html
    assert "nothing was applied, nothing was written" in html
    assert f"{SAMPLE_PROJECT_KEY}.{adopted.id}:/config/projects/CUSTOMER_ANALYTICS/dupe.yml:2:" in html
    assert snapshot(dss) == before


def test_an_explicit_plan_id_is_applied_and_the_other_plan_becomes_stale(dss, adopted):  # noqa: F811
    describe(adopted, "Twice planned")
    plan(adopted)
    plan(adopted)
    newest, older = stored_plans(dss).ids()[:2]
    html, _, _ = confirmed(plan_id=f" {older}.json ")
    assert "Apply complete: 1 applied." in html and f"<dd>{older}</dd>" in html
    html, _, _ = confirmed(plan_id=newest)
    assert f"Plan {newest} no longer describes" in html and "the state moved" in html


def test_no_stored_plan_and_a_bad_plan_id_say_what_to_do(dss, config_folder):  # noqa: F811
    html, _, _ = confirmed()
    assert "No stored plan at managed folder" in html and "plan from config" in html
    html, _, _ = confirmed(plan_id="../states/dev.state")
    assert "Plan id: expected the id of a stored plan" in html
    html, _, _ = confirmed(plan_id="plan-20000101T000000000000Z")
    assert "No stored plan named &#x27;plan-20000101T000000000000Z&#x27;" in html
    html, _, _ = apply(confirm_apply="maybe")
    assert "I reviewed this plan: apply it: expected true or false" in html


def test_a_locked_state_is_refused_readably(dss, adopted):  # noqa: F811
    describe(adopted, "Locked out")
    plan(adopted)
    created = utc_now() - timedelta(hours=2)  # expired: reported at once (a fresh one is waited for first)
    state_folder(dss).put_file("/locks/dev.lock", json.dumps({
        "id": "lock-7", "owner": "bob@dss (pid 7)", "operation": "apply",
        "created": format_timestamp(created), "expires": format_timestamp(created + timedelta(hours=1)),
    }))
    html, _, _ = confirmed()
    assert "bob@dss" in html and "locks/dev.lock" in html and "Traceback" not in html
    assert description(dss) == OLD
    assert read_json(state_folder(dss), "/locks/dev.lock")["id"] == "lock-7"


def test_the_result_escapes_what_dss_and_the_config_give():
    probe = "<img src=x onerror=alert(1)>"
    record = {"environment": "dev", "plan_id": "plan-1", "applied_by": probe, "plan_summary": probe,
              "ok": False, "state_serial": 3, "summary": f"0 applied, failed dataset.P.{probe} ({probe})",
              "operations": [
                  {"action": "create", "resource_id": f"dataset.P.{probe}", "status": "failed", "error": probe,
                   "final_id": f"dataset.P.{probe}"},
                  {"action": "update", "resource_id": f"recipe.P.{probe}", "status": "not attempted",
                   "error": None, "final_id": None}]}
    html = apply_result_html(record, state_location=probe, record_location=probe, note=probe)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


# -- the step ------------------------------------------------------------------------------------------------


def run_step(monkeypatch, config: dict):
    monkeypatch.setenv("DKU_PLUGIN_STEP_CONFIG", json.dumps(config))
    return load(STEP)


def step_params(config_folder, **extra):  # noqa: F811
    return dict({"config_folder": config_folder.id, "config_path": "/config", "state_folder": FOLDER}, **extra)


def variables():
    from dataiku import scenario as dku_scenario

    return dku_scenario.Scenario().get_all_variables()


def test_the_step_applies_and_passes_then_finds_nothing_to_do(dss, config_folder, monkeypatch):  # noqa: F811
    run_step(monkeypatch, step_params(config_folder))
    assert variables()["iac_apply_status"] == "applied" and variables()["iac_apply_applied"] == 6
    describe(config_folder, "Applied by the scenario")
    run_step(monkeypatch, step_params(config_folder))
    seen = variables()
    assert description(dss) == "Applied by the scenario"
    assert seen["iac_apply_status"] == "applied"
    assert (seen["iac_apply_applied"], seen["iac_apply_failed"], seen["iac_apply_not_attempted"]) == (1, 0, 0)
    assert seen["iac_apply_summary"].startswith("Apply complete: 1 applied. Config applied to environment 'dev'")
    document = stored_plans(dss).load(seen["iac_apply_plan_id"])
    assert document["config_source"] == {"kind": "managed_folder", "project_key": SAMPLE_PROJECT_KEY,
                                         "folder_id": config_folder.id, "path": "/config"}
    record = latest_records(ManagedFolderBackend(state_folder(dss), "dev", lock_settle=0))[seen["iac_apply_plan_id"]]
    assert record["ok"] is True and record["applied_by"] == "admin"
    run_step(monkeypatch, step_params(config_folder))
    seen = variables()
    assert seen["iac_apply_status"] == "no changes" and seen["iac_apply_applied"] == 0
    assert seen["iac_apply_summary"] == "DSS matches the config for environment 'dev': no changes, nothing applied."
    assert seen["iac_apply_plan_id"] is None


def without_scenarios(parsed):
    del parsed["scenarios"]


def scenario_ids(dss) -> list:  # noqa: F811
    return [s["id"] for s in dss.client().get_project(PROJECT).list_scenarios()]


def test_the_step_refuses_deletions_unless_allowed(dss, config_folder, monkeypatch):  # noqa: F811
    run_step(monkeypatch, step_params(config_folder))
    edit_yaml(config_folder, FLOW, without_scenarios)
    before = snapshot(dss)
    with pytest.raises(PluginError, match="does not allow deletions") as caught:
        run_step(monkeypatch, step_params(config_folder))
    seen = variables()
    assert seen["iac_apply_status"] == "refused" and seen["iac_apply_summary"] == str(caught.value)
    assert str(caught.value).startswith("Apply refused for environment 'dev', nothing was written: the plan "
                                        f"deletes scenario.{PROJECT}.REFRESH_CUSTOMERS, and this step does not")
    assert (seen["iac_apply_applied"], seen["iac_apply_failed"]) == (0, 0)
    assert snapshot(dss) == before and scenario_ids(dss)
    run_step(monkeypatch, step_params(config_folder, allow_deletions=True))
    assert variables()["iac_apply_status"] == "applied" and scenario_ids(dss) == []


def test_the_step_honours_protect(dss, config_folder, monkeypatch):  # noqa: F811
    edit_yaml(config_folder, FLOW, lambda parsed: parsed["scenarios"]["Refresh customers"].update(protect=True))
    run_step(monkeypatch, step_params(config_folder))
    edit_yaml(config_folder, FLOW, without_scenarios)
    refused = r"REFRESH_CUSTOMERS: protect: true \(recorded in the state\) forbids deleting it"
    with pytest.raises(PluginError, match=refused):
        run_step(monkeypatch, step_params(config_folder, allow_deletions=True))
    assert variables()["iac_apply_status"] == "refused" and scenario_ids(dss)


def test_the_step_fails_with_the_summary_when_an_operation_fails(dss, config_folder, monkeypatch):  # noqa: F811
    run_step(monkeypatch, step_params(config_folder))
    describe(config_folder, "Never applied")
    dss.inject_fault("POST", r"/datasets/raw_customers$", status=400, count=10, message="no saves today")
    dss.inject_fault("PUT", r"/datasets/raw_customers$", status=400, count=10, message="no saves today")
    with pytest.raises(ApplyFailedError) as caught:
        run_step(monkeypatch, step_params(config_folder))
    seen = variables()
    assert str(caught.value) == seen["iac_apply_summary"]
    assert seen["iac_apply_summary"].startswith(f"Apply of the config to environment 'dev' failed: 0 applied, "
                                                f"failed {RAW} (")
    assert "no saves today" in seen["iac_apply_summary"]
    assert (seen["iac_apply_status"], seen["iac_apply_applied"], seen["iac_apply_failed"]) == ("failed", 0, 1)
    assert description(dss) == OLD


def test_the_step_lists_config_errors_with_file_and_line(dss, config_folder, monkeypatch):  # noqa: F811
    config_folder.put_file("/config/projects/CUSTOMER_ANALYTICS/dupe.yml", b"datasets:\n  raw_customers: {}\n")
    with pytest.raises(PluginError, match="The config has"):
        run_step(monkeypatch, step_params(config_folder))
    seen = variables()
    assert seen["iac_apply_status"] == "error" and seen["iac_apply_applied"] == -1
    assert f"{SAMPLE_PROJECT_KEY}.{config_folder.id}:/config/projects/CUSTOMER_ANALYTICS/dupe.yml:2" \
        in seen["iac_apply_summary"]
    assert not any(path.startswith("/plans/") for path in files(state_folder(dss)))


def test_the_step_as_a_reader_is_refused_before_anything_is_written(dss, config_folder, monkeypatch):  # noqa: F811
    as_reader(dss, monkeypatch)
    dss.clear_request_counts()
    with pytest.raises(PluginError, match="rita may not apply the config to") as caught:
        run_step(monkeypatch, step_params(config_folder))
    assert variables()["iac_apply_status"] == "refused" and str(caught.value).endswith("Nothing was written.")
    assert writes_seen(dss) == []
