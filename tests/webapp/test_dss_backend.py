"""The DSS glue: ``webapps/drift-viewer/backend.py`` run as DSS runs it (an injected Flask ``app``, the
``dataiku`` stub pointed at the emulator), state in an emulated managed folder, and the DSS viewer check."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any, Dict

import dataiku
import pytest
from flask import Flask

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.exceptions import ConfigError
from dataiku_iac.manager import StateManager
from dataiku_iac.webapp.dss import dss_viewer_check, dss_webapp_context, may_write_project
from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator
from tests.dss_support import point_environment_at

from .test_routes import error_of

BACKEND_PY = Path(__file__).resolve().parents[2] / "webapps" / "drift-viewer" / "backend.py"


@pytest.fixture
def dss(sample_emulator: DSSEmulator) -> DSSEmulator:
    """The session's emulator with the sample project, reset (tests/dss_support.py)."""
    return sample_emulator


@pytest.fixture
def folder(dss: DSSEmulator) -> Any:
    """A managed folder holding a synced ``dev`` state of the sample project and one drift report."""
    client = dss.client()
    project = client.get_project(SAMPLE_PROJECT_KEY)
    folder = project.create_managed_folder("iac_state")
    backend = ManagedFolderBackend(folder, "dev", lock_settle=0)
    StateManager(backend, client, "dev").refresh([SAMPLE_PROJECT_KEY])
    settings = project.get_dataset("raw_customers").get_settings()
    settings.get_raw()["description"] = "changed in the UI"
    settings.save()
    backend.save_report(StateManager(backend, client, "dev").detect_drift().to_report())
    return folder


def run_backend(monkeypatch: pytest.MonkeyPatch, dss: DSSEmulator, config: Dict[str, Any],
                app: Any = None) -> Dict[str, Any]:
    """Run backend.py the way DSS does: env vars for the ``dataiku`` package, ``app`` injected as a global."""
    dataiku.reset_stub()
    point_environment_at(dss, monkeypatch)
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", SAMPLE_PROJECT_KEY)
    monkeypatch.setenv("DKU_CUSTOM_WEBAPP_CONFIG", json.dumps(config))
    init = {"app": app} if app is not None else {}
    return runpy.run_path(str(BACKEND_PY), init_globals=init)


def log_in(dss: DSSEmulator, client: Any, login: str, groups: Any = (), admin: bool = False) -> None:
    """The test client's browser is now that of a logged-in DSS user (the emulator's session cookie)."""
    name, _, value = dss.create_browser_session(login, groups=list(groups), admin=admin).partition("=")
    client.set_cookie(name, value)


def viewer_app(monkeypatch: pytest.MonkeyPatch, dss: DSSEmulator, config: Dict[str, Any],
               project_key: str = SAMPLE_PROJECT_KEY) -> Any:
    """backend.py run in ``project_key`` as DSS runs it; returns a test client of its app."""
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", project_key)
    app = Flask("dss-webapp")
    dataiku.reset_stub()
    point_environment_at(dss, monkeypatch)
    monkeypatch.setenv("DKU_CUSTOM_WEBAPP_CONFIG", json.dumps(config))
    runpy.run_path(str(BACKEND_PY), init_globals={"app": app})
    return app.test_client()


def finished(client: Any, response: Any) -> Dict[str, Any]:
    assert response.status_code == 202, response.get_data(as_text=True)
    return client.get(f"/api/jobs/{response.get_json()['id']}?wait=10").get_json()


def test_backend_py_serves_the_folder_state(monkeypatch, dss, folder):
    app = Flask("dss-webapp")
    module = run_backend(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"}, app)
    assert module["app"] is app
    client = app.test_client()
    assert client.get("/api/environments").get_json()["environments"] == ["dev"]
    state = client.get("/api/state").get_json()
    assert state["serial"] == 1 and state["project_keys"] == [SAMPLE_PROJECT_KEY]
    index = client.get("/api/report").get_json()
    assert [row["address"] for row in index["rows"]] == [f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers"]
    assert client.get("/api/history").get_json()["history"][0]["serial"] == 1


def test_live_check_through_dss(monkeypatch, dss, folder):
    client = viewer_app(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"})
    log_in(dss, client, "dana", ["data_team"])
    job = finished(client, client.post("/api/check", json={}))
    assert job["status"] == "done", job
    assert job["result"]["summary"]["modified"] == 1 and job["total"] > 0
    assert len(ManagedFolderBackend(folder, "dev").list_reports()) == 2


def test_a_check_needs_a_known_viewer_who_may_write(monkeypatch, dss, folder):
    """Issue 11 #5: a check stores a report, so a reader running checks could push the evidence out."""
    client = viewer_app(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"})
    assert "Could not tell who you are" in error_of(client.post("/api/check", json={}), 401)
    log_in(dss, client, "rita", ["readers"])
    message = error_of(client.post("/api/check", json={}), 403)
    assert "rita may not run a drift check of 'dev'" in message and SAMPLE_PROJECT_KEY in message
    assert len(ManagedFolderBackend(folder, "dev").list_reports()) == 1


def test_accept_needs_dss_to_know_the_viewer(monkeypatch, dss, folder):
    client = viewer_app(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"})
    viewer = client.get("/api/viewer").get_json()
    assert viewer["login"] is None and "did not recognise" in viewer["reason"]
    assert "Could not tell who you are" in error_of(client.post("/api/accept", json={}), 401)


def test_accept_as_a_project_writer(monkeypatch, dss, folder):
    client = viewer_app(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"})
    log_in(dss, client, "dana", ["data_team"])
    headers: Dict[str, str] = {}
    assert client.get("/api/viewer", headers=headers).get_json()["may_write"] is True
    job = finished(client, client.post("/api/accept", json={"expected_serial": 1}, headers=headers))
    assert job["status"] == "done" and job["requested_by"] == "dana", job
    assert job["result"]["serial"] == 2 and job["result"]["accepted_changes"] == 1
    backend = ManagedFolderBackend(folder, "dev")
    assert backend.load().serial == 2
    assert not StateManager(backend, dss.client(), "dev").detect_drift().has_drift


def test_accept_refused_to_a_reader(monkeypatch, dss, folder):
    client = viewer_app(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"})
    log_in(dss, client, "rita", ["readers"])
    headers: Dict[str, str] = {}
    viewer = client.get("/api/viewer", headers=headers).get_json()
    assert viewer == {"login": "rita", "display_name": "rita", "may_write": False,
                      "reason": f"rita has no write access to project {SAMPLE_PROJECT_KEY}"}
    assert "rita may not accept" in error_of(client.post("/api/accept", json={}, headers=headers), 403)
    assert ManagedFolderBackend(folder, "dev").load().serial == 1


# -- issue 11 #1: the projects an accept covers, not the webapp's own ------------------------------------------

OPS = "OPS"


@pytest.fixture
def ops(dss: DSSEmulator) -> Any:
    """Project OPS, written by group ops_team, holding the state folder of CUSTOMER_ANALYTICS (which ops_team
    may only read), with one drift in CUSTOMER_ANALYTICS reported."""
    client = dss.client()
    client.create_project(OPS, "Operations", "admin")
    client.get_project(OPS).set_permissions({"owner": "admin", "permissions": [
        {"group": "ops_team", "readProjectContent": True, "writeProjectContent": True}]})
    grant(dss, SAMPLE_PROJECT_KEY, "ops_team", write=False)
    folder = client.get_project(OPS).create_managed_folder("iac_state")
    backend = ManagedFolderBackend(folder, "dev", lock_settle=0)
    StateManager(backend, client, "dev").refresh([SAMPLE_PROJECT_KEY])
    settings = client.get_project(SAMPLE_PROJECT_KEY).get_dataset("raw_customers").get_settings()
    settings.get_raw()["description"] = "changed in the UI"
    settings.save()
    backend.save_report(StateManager(backend, client, "dev").detect_drift().to_report())
    return folder


def grant(dss: DSSEmulator, project_key: str, group: str, write: bool) -> None:
    project = dss.client().get_project(project_key)
    permissions = project.get_permissions()
    permissions["permissions"] = [p for p in permissions["permissions"] if p.get("group") != group]
    permissions["permissions"].append({"group": group, "readProjectContent": True, "writeProjectContent": write})
    project.set_permissions(permissions)


def test_accepting_a_project_the_viewer_may_only_read_is_refused(monkeypatch, dss, ops):
    client = viewer_app(monkeypatch, dss, {"state_folder": ops.odb_id, "environment": "dev"}, project_key=OPS)
    log_in(dss, client, "oscar", ["ops_team"])
    headers: Dict[str, str] = {}
    assert client.get("/api/viewer", headers=headers).get_json()["may_write"] is True  # OPS: yes
    message = error_of(client.post("/api/accept", json={"expected_serial": 1}, headers=headers), 403)
    assert "oscar may not accept" in message and f"project {SAMPLE_PROJECT_KEY} (no write access granted)" in message
    backend = ManagedFolderBackend(ops, "dev")
    assert backend.load().serial == 1
    assert StateManager(backend, dss.client(), "dev").detect_drift().summary["modified"] == 1  # drift still there
    grant(dss, SAMPLE_PROJECT_KEY, "ops_team", write=True)
    job = finished(client, client.post("/api/accept", json={"expected_serial": 1}, headers=headers))
    assert job["status"] == "done" and job["result"]["serial"] == 2, job


def test_a_state_folder_shared_from_a_project_the_viewer_may_only_read(monkeypatch, dss, folder):
    """The webapp lives in OPS (oscar writes it), its state folder in CUSTOMER_ANALYTICS (oscar reads it)."""
    dss.client().create_project(OPS, "Operations", "admin")
    dss.client().get_project(OPS).set_permissions({"owner": "admin", "permissions": [
        {"group": "ops_team", "readProjectContent": True, "writeProjectContent": True}]})
    grant(dss, SAMPLE_PROJECT_KEY, "ops_team", write=False)
    config = {"state_folder": f"{SAMPLE_PROJECT_KEY}.{folder.odb_id}", "environment": "dev"}
    client = viewer_app(monkeypatch, dss, config, project_key=OPS)
    log_in(dss, client, "oscar", ["ops_team"])
    headers: Dict[str, str] = {}
    assert client.get("/api/viewer", headers=headers).get_json()["may_write"] is False
    assert "oscar may not accept" in error_of(client.post("/api/accept", json={}, headers=headers), 403)
    assert "oscar may not run a drift check" in error_of(client.post("/api/check", json={}, headers=headers), 403)
    assert ManagedFolderBackend(folder, "dev").load().serial == 1


def test_backend_py_without_an_injected_app(monkeypatch, dss, folder):
    module = run_backend(monkeypatch, dss, {"state_folder": folder.odb_id})
    assert isinstance(module["app"], Flask)
    assert module["app"].test_client().get("/api/environments").get_json()["default"] == "dev"


@pytest.mark.parametrize(("config", "message"), [
    ({}, "State folder: choose the managed folder"),
    ({"state_folder": "nope1234"}, f"State folder: no managed folder 'nope1234' in project {SAMPLE_PROJECT_KEY}"),
    ({"state_folder": "x", "environment": "../prod"}, "Environment: Invalid environment name"),
])
def test_bad_webapp_settings_are_readable_errors(monkeypatch, dss, config, message):
    app = Flask("dss-webapp")
    run_backend(monkeypatch, dss, config, app)
    assert message in error_of(app.test_client().get("/api/environments"), 400)


def test_environments_come_from_the_folder_states(dss, folder):
    ManagedFolderBackend(folder, "prod", lock_settle=0).save(ManagedFolderBackend(folder, "dev").load())
    folder.put_file("states/notes.txt", b"not a state")
    context = dss_webapp_context(dss.client(), SAMPLE_PROJECT_KEY, {"state_folder": folder.odb_id})
    assert context.environments() == ["dev", "prod"]


# -- the viewer check on its own -------------------------------------------------------------------------------

class FakeProject:
    def __init__(self, permissions: Any) -> None:
        self.permissions = permissions

    def get_permissions(self) -> Any:
        if isinstance(self.permissions, Exception):
            raise self.permissions
        return self.permissions


class FakeGroup:
    def __init__(self, definition: Any) -> None:
        self.definition = definition

    def get_definition(self) -> Any:
        if isinstance(self.definition, Exception):
            raise self.definition
        return self.definition


class FakeClient:
    def __init__(self, permissions: Any, groups: Any = None, auth: Any = None) -> None:
        self.permissions, self.groups, self.auth = permissions, groups or {}, auth

    def get_project(self, key: str) -> FakeProject:
        return FakeProject(self.permissions)

    def get_group(self, name: str) -> FakeGroup:
        return FakeGroup(self.groups.get(name, RuntimeError("403 not an admin")))

    def get_auth_info_from_browser_headers(self, headers: Any) -> Any:
        if isinstance(self.auth, Exception):
            raise self.auth
        return self.auth


PERMISSIONS = {
    "owner": "olga",
    "permissions": [
        {"user": "uma", "writeProjectContent": True},
        {"group": "admins_of_p", "admin": True},
        {"group": "readers", "readProjectContent": True},
        {"user": "ursula", "writeProjectContent": False},
        "junk",
    ],
}


@pytest.mark.parametrize(("login", "groups", "allowed"), [
    ("olga", set(), True),
    ("uma", set(), True),
    ("gary", {"admins_of_p"}, True),
    ("rhea", {"readers"}, False),
    ("ursula", set(), False),
    ("nobody", set(), False),
])
def test_may_write_project(login, groups, allowed):
    assert may_write_project(FakeClient(PERMISSIONS), "P", login, groups)[0] is allowed


def test_dss_administrators_may_write():
    client = FakeClient(PERMISSIONS, groups={"administrators": {"admin": True}})
    assert may_write_project(client, "P", "root", {"readers", "administrators"}) == (True, "")


def test_unreadable_permissions_refuse_with_a_reason():
    allowed, reason = may_write_project(FakeClient(RuntimeError("403")), "P", "olga", set())
    assert not allowed and "needs admin rights on the project" in reason


def test_viewer_check_reports_who_and_why():
    client = FakeClient(PERMISSIONS, auth={"authIdentifier": "uma", "groups": [],
                                           "userProfile": {"displayName": "Uma U."}})
    viewer = dss_viewer_check(client, "P")({"Cookie": "x"})
    assert (viewer.login, viewer.may_write, viewer.display_name) == ("uma", True, "Uma U.")
    unknown = dss_viewer_check(FakeClient(PERMISSIONS, auth=RuntimeError("no session")), "P")({})
    assert unknown.login is None and not unknown.may_write
    anonymous = dss_viewer_check(FakeClient(PERMISSIONS, auth={"groups": []}), "P")({})
    assert anonymous.login is None


def test_context_needs_a_folder():
    with pytest.raises(ConfigError, match="State folder"):
        dss_webapp_context(FakeClient(PERMISSIONS), "P", None)


def test_accept_stores_the_reviewed_report_not_a_second_sync(monkeypatch, dss, folder):
    """Issue 10 #4: a change made in DSS after the report was shown is not accepted with it."""
    client = viewer_app(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"})
    log_in(dss, client, "dana", ["data_team"])
    project = dss.client().get_project(SAMPLE_PROJECT_KEY)
    settings = project.get_dataset("customers_prepared").get_settings()
    settings.get_raw()["description"] = "changed after the review"
    settings.save()
    job = finished(client, client.post("/api/accept", json={"expected_serial": 1}))
    assert job["status"] == "done" and job["result"]["accepted_changes"] == 1, job
    backend = ManagedFolderBackend(folder, "dev")
    stored = backend.load().resources
    assert stored[f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers"].attributes["description"] == "changed in the UI"
    assert stored[f"dataset.{SAMPLE_PROJECT_KEY}.customers_prepared"].attributes.get("description") != (
        "changed after the review")
    drift = StateManager(backend, dss.client(), "dev").detect_drift()
    assert [d.resource_id for d in drift.changes()] == [f"dataset.{SAMPLE_PROJECT_KEY}.customers_prepared"]
    evidence = [backend.load_report(name) for name in backend.list_reports()]
    accepted = [r for r in evidence if r["context"].get("accepted_by") == "dana" and r["resource_changes"]]
    assert len(accepted) == 1 and accepted[0]["context"]["accepted_serial"] == 2


def test_the_webapp_starts_without_the_state_manager():
    """Issue 10: resolving the folder lives on the DSS-access side, so a read-only page never loads the
    manager and the sync layer."""
    import subprocess
    import sys

    code = ("import sys; import dataiku_iac.webapp.dss, dataiku_iac.webapp.routes; "
            "print(sorted(m for m in sys.modules if m in ('dataiku_iac.manager', 'dataiku_iac.sync.engine', "
            "'dataiku_iac.plugin.actions')))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
