"""Apply from the drift viewer inside DSS: ``webapps/drift-viewer/backend.py`` run as DSS runs it (the
``dataiku`` stub pointed at the emulator), applying a plan the macro *plan from config* stored, its config read
again from the managed folder, for the browser user DSS identifies."""

from __future__ import annotations

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.plugin.applying import latest_records
from dss_emulator import SAMPLE_PROJECT_KEY
from tests.plugin.test_applying import description, edit_description
from tests.plugin.test_components import FOLDER, dss  # noqa: F401 (fixture)
from tests.plugin.test_plan_components import config_folder, plan  # noqa: F401 (fixture)

from .test_dss_backend import finished, log_in, viewer_app
from .test_routes import error_of

CONFIG = {"state_folder": FOLDER, "environment": "dev"}


def state_backend(dss) -> ManagedFolderBackend:  # noqa: F811
    return ManagedFolderBackend(dss.client().get_project(SAMPLE_PROJECT_KEY).get_managed_folder(FOLDER), "dev",
                                lock_settle=0)


def apply_newest(client, dss):  # noqa: F811
    plan_id = client.get("/api/plans").get_json()["plans"][0]["id"]
    backend = state_backend(dss)
    serial = backend.load().serial if backend.exists() else 0
    return plan_id, client.post("/api/plan/apply", json={"id": plan_id, "expected_serial": serial})


def test_a_project_writer_applies_the_macros_plan_from_the_config_folder(monkeypatch, dss, config_folder):  # noqa: F811
    plan(config_folder)  # the first plan imports the config's objects (adopt)
    client = viewer_app(monkeypatch, dss, CONFIG)
    log_in(dss, client, "dana", ["data_team"])
    assert client.get("/api/environments").get_json()["apply"] is True
    _, response = apply_newest(client, dss)
    assert finished(client, response)["result"]["counts"]["applied"] == 6
    edit_description(config_folder, "Applied from the drift viewer")
    plan(config_folder)
    plan_id, response = apply_newest(client, dss)
    job = finished(client, response)
    assert job["status"] == "done" and job["result"]["ok"] is True, job
    assert description(dss.client()) == "Applied from the drift viewer"
    record = latest_records(state_backend(dss))[plan_id]
    assert record["applied_by"] == "dana" and record["counts"]["applied"] == 1
    [entry] = [e for e in client.get("/api/plans").get_json()["plans"] if e["id"] == plan_id]
    assert entry["applied"]["applied_by"] == "dana"
    # The records are read once: later views of the plan list them, and read none again.
    client.get(f"/api/plan?id={plan_id}")
    dss.clear_request_counts()
    for _ in range(3):
        assert client.get(f"/api/plan?id={plan_id}").get_json()["applied"]["applied_by"] == "dana"
    record_reads = [entry for entry in dss.request_log() if "apply-" in entry["path"]]
    assert record_reads == [], record_reads


def test_a_reader_may_not_apply_and_nothing_is_written(monkeypatch, dss, config_folder):  # noqa: F811
    plan(config_folder)
    client = viewer_app(monkeypatch, dss, CONFIG)
    assert "Could not tell who you are, so nothing was applied" in error_of(apply_newest(client, dss)[1], 401)
    log_in(dss, client, "rita", ["readers"])
    assert client.get("/api/viewer").get_json()["may_write"] is False
    plan_id, response = apply_newest(client, dss)
    message = error_of(response, 403)
    assert f"rita may not apply plan {plan_id}" in message and SAMPLE_PROJECT_KEY in message
    assert latest_records(state_backend(dss)) == {} and not state_backend(dss).exists()


def test_inside_dss_only_administrators_may_create_projects(dss):  # noqa: F811
    from dataiku_iac.webapp.dss import dss_admins_only, dss_webapp_context

    context = dss_webapp_context(dss.client(), SAMPLE_PROJECT_KEY, CONFIG)
    assert context.authorize_creation is dss_admins_only and context.apply_plan is not None


def test_serve_over_a_shared_folder_never_reads_a_directory_a_plan_names(dss, config_folder, tmp_path):  # noqa: F811
    """A plan in a DSS folder may be written by anyone who writes that folder: ``serve --project --folder``
    reads its config from managed folders only, as the webapp inside DSS does."""
    from dataiku_iac.cli import serve
    from dataiku_iac.cli.main import build_parser
    from dataiku_iac.plugin.plans import PlanStore, directory_source

    from .conftest import make_client

    plan(config_folder)
    store = PlanStore(state_backend(dss))
    planted = dict(store.load(), config_source=directory_source(str(tmp_path)))
    plan_id = store.save(planted, "mallory")
    context = serve.build_context(build_parser().parse_args(["serve", "--project", SAMPLE_PROJECT_KEY,
                                                             "--folder", FOLDER]))
    client = make_client(context)
    job = finished(client, client.post("/api/plan/apply", json={"id": plan_id}))
    assert job["status"] == "failed" and "names a place this host does not read" in job["error"]["message"]
    assert latest_records(state_backend(dss)) == {}


def test_the_webapp_owner_can_turn_apply_off_and_nothing_is_written(monkeypatch, dss, config_folder):  # noqa: F811
    plan(config_folder)
    client = viewer_app(monkeypatch, dss, dict(CONFIG, allow_apply=False))
    log_in(dss, client, "dana", ["data_team"])
    shown = client.get("/api/environments").get_json()
    assert shown["apply"] is False and "'Allow applying plans from this viewer' is off" in shown["apply_unavailable"]
    _, response = apply_newest(client, dss)
    assert "Apply is not available here" in error_of(response, 503)
    assert not state_backend(dss).exists()
