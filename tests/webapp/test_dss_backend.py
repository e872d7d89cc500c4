"""The DSS glue: ``webapps/drift-viewer/backend.py`` run as DSS runs it (an injected Flask ``app``, the
``dataiku`` stub pointed at the emulator), state in an emulated managed folder, and the DSS viewer check."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any, Dict, Iterator

import dataiku
import dataikuapi
import pytest
from flask import Flask

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.exceptions import ConfigError
from dataiku_iac.manager import StateManager
from dataiku_iac.webapp.dss import dss_viewer_check, dss_webapp_context, may_write_project
from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .test_routes import error_of

BACKEND_PY = Path(__file__).resolve().parents[2] / "webapps" / "drift-viewer" / "backend.py"


@pytest.fixture(scope="module")
def emulator() -> Iterator[DSSEmulator]:
    with DSSEmulator(samples=True, random_seed=3) as dss:
        yield dss


@pytest.fixture
def dss(emulator: DSSEmulator) -> DSSEmulator:
    emulator.reset()
    return emulator


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
    monkeypatch.setenv("DKU_DSS_URL", dss.url)
    monkeypatch.setenv("DKU_API_KEY", dss.api_key)
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", SAMPLE_PROJECT_KEY)
    monkeypatch.setenv("DKU_CUSTOM_WEBAPP_CONFIG", json.dumps(config))
    init = {"app": app} if app is not None else {}
    return runpy.run_path(str(BACKEND_PY), init_globals=init)


def identify_as(monkeypatch: pytest.MonkeyPatch, login: str, groups: Any) -> list:
    """Make DSS answer ``login`` for any browser headers (the emulator has no session cookies)."""
    seen = []

    def auth_info(self: Any, headers: Dict[str, str], with_secrets: bool = False) -> Dict[str, Any]:
        seen.append(headers)
        return {"authIdentifier": login, "groups": list(groups)}

    monkeypatch.setattr(dataikuapi.DSSClient, "get_auth_info_from_browser_headers", auth_info)
    return seen


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
    app = Flask("dss-webapp")
    run_backend(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"}, app)
    client = app.test_client()
    job = client.post("/api/check", json={}).get_json()
    job = client.get(f"/api/jobs/{job['id']}?wait=10").get_json()
    assert job["status"] == "done", job
    assert job["result"]["summary"]["modified"] == 1 and job["total"] > 0
    assert len(ManagedFolderBackend(folder, "dev").list_reports()) == 2


def test_accept_needs_dss_to_know_the_viewer(monkeypatch, dss, folder):
    app = Flask("dss-webapp")
    run_backend(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"}, app)
    client = app.test_client()
    viewer = client.get("/api/viewer").get_json()
    assert viewer["login"] is None and "did not recognise" in viewer["reason"]
    assert "Could not tell who you are" in error_of(client.post("/api/accept", json={}), 401)


def test_accept_as_a_project_writer(monkeypatch, dss, folder):
    seen = identify_as(monkeypatch, "dana", ["data_team"])
    app = Flask("dss-webapp")
    run_backend(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"}, app)
    client = app.test_client()
    response = client.post("/api/accept", json={"expected_serial": 1}, headers={"X-Session-Probe": "abc"})
    assert response.status_code == 202
    job = client.get(f"/api/jobs/{response.get_json()['id']}?wait=10").get_json()
    assert job["status"] == "done" and job["requested_by"] == "dana", job
    assert job["result"]["serial"] == 2 and job["result"]["accepted_changes"] == 1
    assert ManagedFolderBackend(folder, "dev").load().serial == 2
    assert any(headers.get("X-Session-Probe") == "abc" for headers in seen), seen  # the browser's headers reach DSS


def test_accept_refused_to_a_reader(monkeypatch, dss, folder):
    identify_as(monkeypatch, "rita", ["readers"])
    app = Flask("dss-webapp")
    run_backend(monkeypatch, dss, {"state_folder": folder.odb_id, "environment": "dev"}, app)
    client = app.test_client()
    viewer = client.get("/api/viewer").get_json()
    assert viewer == {"login": "rita", "display_name": "rita", "may_write": False,
                      "reason": f"rita has no write access to project {SAMPLE_PROJECT_KEY}"}
    assert "rita may not accept" in error_of(client.post("/api/accept", json={}), 403)
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
