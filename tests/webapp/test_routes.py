"""The drift viewer's JSON routes through Flask's test client: every route, errors, permissions, hostile input."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import ConfigError, DSSError
from dataiku_iac.webapp import Viewer, WebappContext, lazy_context, local_context
from dataiku_iac.webapp.context import NO_APPLY_REASON
from dataiku_iac.webapp.errors import INTERNAL_ERROR_MESSAGE

from .conftest import CODE_LIVE, XSS_NAME, make_client, viewer_is

JSON = {"Content-Type": "application/json"}
XSS_ADDRESS = f"dataset.SALES.{XSS_NAME}"


def error_of(response, status):
    """The message of a JSON error envelope, after checking its status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    message = body["error"]["message"]
    assert "Traceback" not in message and 'File "' not in message
    return message


def run_job(client, path, body=None, env="dev", headers=JSON):
    """POST an action, wait for its job, return the finished job."""
    response = client.post(f"{path}?env={env}", json=body if body is not None else {}, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()
    assert job["status"] in ("running", "done", "failed")
    finished = client.get(f"/api/jobs/{job['id']}?wait=10").get_json()
    assert finished["status"] != "running"
    return finished


# -- reading -----------------------------------------------------------------------------------------------

def test_environments_list_the_states_and_skip_invalid_names(client, caplog):
    with caplog.at_level(logging.WARNING, logger="dataiku_iac.webapp"):
        data = client.get("/api/environments").get_json()
    assert data["environments"] == ["dev", "prod"]
    assert data["default"] == "dev" and data["live_checks"] is True
    assert "bad name" in caplog.text


def test_environments_include_the_default_before_any_sync(tmp_path):
    data = make_client(local_context(tmp_path, default_environment="qa")).get("/api/environments").get_json()
    assert data == {"environments": ["qa"], "default": "qa", "title": "DSS drift", "live_checks": False,
                    "apply": False, "apply_unavailable": NO_APPLY_REASON}


def test_viewer_outside_dss_is_the_local_user(client, state_dir):
    viewer = client.get("/api/viewer").get_json()
    assert viewer["login"] and viewer["may_write"] is True
    read_only = make_client(local_context(state_dir, read_only=True)).get("/api/viewer").get_json()
    assert read_only["may_write"] is False and "--read-only" in read_only["reason"]


def test_state_summary(client):
    response = client.get("/api/state?env=dev")
    assert response.headers["Cache-Control"] == "no-store"
    summary = response.get_json()
    assert summary["serial"] == 2 and summary["environment"] == "dev"
    assert summary["lineage"] and summary["updated_at"].endswith("Z")
    assert summary["counts_by_type"] == {"project": 1, "dataset": 2, "recipe": 1}
    assert summary["resource_count"] == 4 and summary["project_keys"] == ["SALES"]
    assert client.get("/api/state").get_json()["serial"] == 2  # env defaults to the context's
    assert client.get("/api/state?env=prod").get_json()["serial"] == 1


def test_missing_state_says_what_to_do(client):
    assert "run a sync first" in error_of(client.get("/api/state?env=qa"), 404)


@pytest.mark.parametrize("env", ["../../etc", "..", "a/b", "dev/../prod", ".hidden", "x" * 65, "dev\x00", "%2e%2e",
                                 "dev%2F..%2F..%2Fpasswd"])
def test_path_traversal_in_environment_names_is_refused(client, state_dir, env):
    before = sorted(p.name for p in state_dir.parent.rglob("*"))
    for path in ("/api/state", "/api/history", "/api/reports", "/api/report"):
        assert "Invalid environment name" in error_of(client.get(path, query_string={"env": env}), 400)
    message = error_of(client.post("/api/check", query_string={"env": env}, json={}), 400)
    assert "Invalid environment name" in message
    assert sorted(p.name for p in state_dir.parent.rglob("*")) == before


def test_history_lists_the_saved_serials(client):
    data = client.get("/api/history?env=dev").get_json()
    assert [entry["serial"] for entry in data["history"]] == [1, 2]
    assert all(entry["size"] > 0 and entry["saved_at"].endswith("Z") for entry in data["history"])
    assert "location" not in data["history"][0]  # no server paths in the browser


def test_latest_report_index(client):
    names = client.get("/api/reports?env=dev").get_json()["reports"]
    assert len(names) == 1
    index = client.get("/api/report?env=dev").get_json()
    assert index["source"] == {"kind": "report", "environment": "dev", "name": names[0]}
    assert index["summary"] == {"added": 1, "removed": 1, "modified": 2, "unchanged": 1}
    assert index["counts_by_type"] == {"dataset": {"added": 1, "removed": 1, "modified": 1},
                                       "recipe": {"added": 0, "removed": 0, "modified": 1}}
    assert index["context"]["baseline_serial"] == 2
    rows = {row["address"]: row for row in index["rows"]}
    assert set(rows) == {XSS_ADDRESS, "dataset.SALES.old_table", "dataset.SALES.orders",
                         "recipe.SALES.compute_orders"}
    orders = rows["dataset.SALES.orders"]
    assert orders["change"] == "modified" and orders["last_modified_by"] == "alice"
    assert orders["change_count"] == 2 and "schema.columns[name=amount]" in orders["paths"]
    assert "before" not in orders and "after" not in orders  # the index stays light
    # A hostile name is data: returned exactly as stored, inside JSON.
    assert rows[XSS_ADDRESS]["name"] == XSS_NAME
    assert client.get(f"/api/report?env=dev&name={names[0]}").get_json()["rows"] == index["rows"]


def test_report_change_details(client):
    change = client.get("/api/report/change", query_string={"env": "dev", "address": "recipe.SALES.compute_orders"})
    data = change.get_json()
    [payload] = data["attribute_changes"]
    assert payload["path"] == "payload" and payload["after"] == CODE_LIVE
    assert "+print('rows', len(df))" in payload["text_diff"]
    added = client.get("/api/report/change", query_string={"env": "dev", "address": XSS_ADDRESS}).get_json()
    assert added["change"] == "added" and added["after"]["description"] == XSS_NAME


def test_report_change_errors(client):
    assert "not among the changes" in error_of(
        client.get("/api/report/change", query_string={"env": "dev", "address": "dataset.SALES.nope"}), 404)
    assert "Invalid resource id" in error_of(
        client.get("/api/report/change", query_string={"env": "dev", "address": "../../etc/passwd"}), 400)
    assert "Missing parameter 'address'" in error_of(client.get("/api/report/change?env=dev"), 400)
    assert "too long" in error_of(
        client.get("/api/report/change", query_string={"address": "dataset.S." + "x" * 2000}), 400)


@pytest.mark.parametrize("name", ["../../state/dev.state", "report-x", "..%2F..%2Fdev.state", "/etc/passwd"])
def test_report_names_cannot_reach_other_files(client, name):
    assert "No drift report named" in error_of(client.get("/api/report", query_string={"name": name}), 404)


def test_no_report_yet(client):
    assert "Check now" in error_of(client.get("/api/report?env=prod"), 404)


def test_compare_two_serials(client):
    index = client.get("/api/compare?env=dev&from=1&to=2").get_json()
    assert index["source"] == {"kind": "compare", "environment": "dev", "from": 1, "to": 2}
    assert index["summary"] == {"added": 0, "removed": 0, "modified": 2, "unchanged": 2}
    assert index["context"]["from_serial"] == 1 and index["context"]["to_serial"] == 2
    assert {row["address"] for row in index["rows"]} == {"dataset.SALES.orders", "recipe.SALES.compute_orders"}
    change = client.get("/api/compare/change?env=dev&from=1&to=2&address=dataset.SALES.orders").get_json()
    assert [(c["path"], c["before"], c["after"]) for c in change["attribute_changes"]] == [
        ("params.path", "/o", "/orders")]
    reverse = client.get("/api/compare?env=dev&from=2&to=1").get_json()
    assert reverse["summary"]["modified"] == 2
    same = client.get("/api/compare?env=dev&from=2&to=2").get_json()
    assert same["rows"] == [] and same["summary"]["unchanged"] == 4


@pytest.mark.parametrize("query", ["from=1", "to=2", "from=abc&to=2", "from=1/../2&to=2", "from=-1&to=2",
                                   "from=1&to=2.0", "from=1&to=9999999999"])
def test_compare_refuses_malformed_serials(client, query):
    message = error_of(client.get(f"/api/compare?env=dev&{query}"), 400)
    assert "serial number" in message


def test_compare_serial_not_kept(client):
    message = error_of(client.get("/api/compare?env=dev&from=1&to=7"), 404)
    assert "Serial 7" in message and "kept serials: 1, 2" in message


def test_resource_attributes(client):
    current = client.get("/api/resource?env=dev&address=dataset.SALES.orders").get_json()
    assert current["serial"] == 2 and current["attributes"]["params"]["path"] == "/orders"
    assert current["metadata"]["last_modified_by"] == "bob" and current["type"] == "dataset"
    first = client.get("/api/resource?env=dev&address=dataset.SALES.orders&serial=1").get_json()
    assert first["serial"] == 1 and first["attributes"]["params"]["path"] == "/o"
    assert "No resource" in error_of(client.get("/api/resource?env=dev&address=dataset.SALES.nope"), 404)
    assert "serial number" in error_of(client.get("/api/resource?address=dataset.SALES.orders&serial=x"), 400)
    assert "No snapshot of serial 5" in error_of(
        client.get("/api/resource?address=dataset.SALES.orders&serial=5"), 404)


# -- live check ----------------------------------------------------------------------------------------------

def test_check_now_stores_and_returns_a_report(client, managers):
    job = run_job(client, "/api/check")
    assert job["status"] == "done", job
    assert job["kind"] == "check" and job["done"] == 4 and job["total"] == 4 and job["requested_by"]
    assert job["result"]["has_drift"] is True and job["result"]["summary"]["added"] == 1
    names = client.get("/api/reports?env=dev").get_json()["reports"]
    assert len(names) == 2 and names[-1] == job["result"]["report"]
    index = client.get("/api/report?env=dev").get_json()
    assert index["source"]["name"] == job["result"]["report"] and len(index["rows"]) == 4
    assert managers.calls == ["dev"]


def test_check_requires_json(client):
    assert "application/json" in error_of(client.post("/api/check?env=dev", data="x=1"), 415)
    message = error_of(client.post("/api/check?env=dev", data="{bad", headers=JSON), 400)
    assert "not valid JSON" in message
    assert "JSON object" in error_of(client.post("/api/check?env=dev", json=[1]), 400)


def test_check_without_dss_connection(state_dir):
    client = make_client(local_context(state_dir))
    assert "DKU_DSS_URL" in error_of(client.post("/api/check?env=dev", json={}), 503)


def test_check_without_baseline(client):
    assert "run a sync first" in error_of(client.post("/api/check?env=qa", json={}), 404)


def test_check_failures_become_readable_job_errors(client, managers, caplog):
    managers.error = DSSError("DSS at http://dss is unreachable: check the URL")
    job = run_job(client, "/api/check")
    assert job["status"] == "failed"
    assert job["error"] == {"status": 502, "message": "DSS at http://dss is unreachable: check the URL"}
    managers.error = RuntimeError("secret detail in /srv/internal/path")
    with caplog.at_level(logging.ERROR, logger="dataiku_iac.webapp"):
        job = run_job(client, "/api/check")
    assert job["error"] == {"status": 500, "message": INTERNAL_ERROR_MESSAGE}
    assert "secret detail" in caplog.text  # the details stay in the backend log


def test_a_second_check_joins_the_running_one(client, managers):
    managers.gate = threading.Event()
    first = client.post("/api/check?env=dev", json={}).get_json()
    second = client.post("/api/check?env=dev", json={}).get_json()
    assert second["id"] == first["id"]
    message = error_of(client.post("/api/accept?env=dev", json={}), 409)
    assert "already running" in message
    managers.gate.set()
    assert client.get(f"/api/jobs/{first['id']}?wait=10").get_json()["status"] == "done"
    assert managers.calls == ["dev"]


def test_job_route_errors(client):
    assert "No job" in error_of(client.get("/api/jobs/" + "0" * 32), 404)
    assert "Malformed job id" in error_of(client.get("/api/jobs/not-a-job-id"), 400)
    error_of(client.get("/api/jobs/..%2F..%2Fetc"), 404)  # never reaches the route
    job = client.post("/api/check?env=dev", json={}).get_json()
    assert "wait must be" in error_of(client.get(f"/api/jobs/{job['id']}?wait=soon"), 400)


# -- accept live as baseline --------------------------------------------------------------------------------

def test_accept_saves_the_live_state_and_a_clean_report(client):
    job = run_job(client, "/api/accept", {"expected_serial": 2})
    assert job["status"] == "done", job
    result = job["result"]
    assert result["serial"] > 2 and result["accepted_changes"] == 4 and result["saved"] is True
    state = client.get("/api/state?env=dev").get_json()
    assert state["serial"] == result["serial"] and state["counts_by_type"]["dataset"] == 2
    index = client.get("/api/report?env=dev").get_json()
    assert index["source"]["name"] == result["report"] and index["rows"] == []
    assert index["context"]["has_drift"] is False and index["context"]["baseline_serial"] == result["serial"]
    assert index["context"]["accepted_by"] == job["requested_by"]
    assert index["summary"]["unchanged"] == 4


def test_accept_needs_write_permission(context):
    client = make_client(viewer_is(context, Viewer("carol", may_write=False, reason="carol has no write access")))
    message = error_of(client.post("/api/accept?env=dev", json={}), 403)
    assert "carol may not accept" in message and "carol has no write access" in message
    assert client.get("/api/state?env=dev").get_json()["serial"] == 2


def test_accept_needs_an_identified_viewer(context):
    client = make_client(viewer_is(context, Viewer(None, reason="DSS did not recognise your session")))
    assert "Could not tell who you are" in error_of(client.post("/api/accept?env=dev", json={}), 401)


def test_accept_refuses_a_moved_baseline(client):
    job = run_job(client, "/api/accept", {"expected_serial": 1})
    assert job["status"] == "failed" and job["error"]["status"] == 409
    assert "now serial 2, but you reviewed serial 1" in job["error"]["message"]
    assert client.get("/api/state?env=dev").get_json()["serial"] == 2
    assert "integer" in error_of(client.post("/api/accept?env=dev", json={"expected_serial": "2"}), 400)
    assert "integer" in error_of(client.post("/api/accept?env=dev", json={"expected_serial": True}), 400)


def test_accept_refuses_cross_site_requests(client):
    headers = {"Origin": "http://evil.example"}
    assert "Cross-site" in error_of(client.post("/api/accept?env=dev", json={}, headers=headers), 403)
    assert "Cross-site" in error_of(client.post("/api/check?env=dev", json={}, headers=headers), 403)
    ok = client.post("/api/check?env=dev", json={}, headers={"Origin": "http://localhost"})
    assert ok.status_code == 202


def test_accept_is_post_only(client):
    assert error_of(client.get("/api/accept?env=dev"), 405)


# -- error handling ------------------------------------------------------------------------------------------

def test_unknown_routes_answer_the_json_envelope(client):
    error_of(client.get("/api/nope"), 404)


def test_unexpected_errors_hide_their_details(state_dir, caplog):
    def broken_backend(env):
        raise RuntimeError("boom at /srv/secret")

    context = local_context(state_dir)
    context.backend_for = broken_backend
    with caplog.at_level(logging.ERROR, logger="dataiku_iac.webapp"):
        message = error_of(make_client(context).get("/api/state?env=dev"), 500)
    assert message == INTERNAL_ERROR_MESSAGE
    assert "boom at /srv/secret" in caplog.text and "Traceback" in caplog.text


def test_a_context_that_cannot_be_built_is_a_readable_error(caplog):
    def build() -> WebappContext:
        raise ConfigError("State folder: choose the managed folder that holds the state")

    client = make_client(lazy_context(build))
    assert "State folder: choose" in error_of(client.get("/api/environments"), 400)

    def crash() -> WebappContext:
        raise KeyError("DKU_CUSTOM_WEBAPP_CONFIG")

    with caplog.at_level(logging.ERROR, logger="dataiku_iac.webapp"):
        assert "could not start" in error_of(make_client(lazy_context(crash)).get("/api/viewer"), 400)


def test_a_lazy_context_is_built_once():
    built = []

    def build() -> WebappContext:
        built.append(1)
        return local_context(Path("/nonexistent-dataiku-iac"))

    client = make_client(lazy_context(build))
    client.get("/api/environments")
    client.get("/api/viewer")
    assert built == [1]


def test_a_corrupted_report_is_reported_not_crashed(client, state_dir):
    backend = LocalFileBackend.for_environment("dev", state_dir)
    backend.save_report({"format_version": "1.0", "resource_changes": {"not": "a list"}})
    message = error_of(client.get("/api/report?env=dev"), 500)
    assert "resource_changes" in message and "not usable" in message


def test_a_report_without_summary_is_counted_from_its_rows(client, state_dir):
    backend = LocalFileBackend.for_environment("dev", state_dir)
    backend.save_report({"resource_changes": [{"address": "dataset.SALES.x", "type": "dataset", "change": "added"}]})
    index = client.get("/api/report?env=dev").get_json()
    assert index["summary"] == {"added": 1, "removed": 0, "modified": 0}
    assert index["rows"][0]["change_count"] == 0 and index["context"] == {}


def test_values_beyond_64_bit_integers_are_still_served(client, state_dir):
    backend = LocalFileBackend.for_environment("prod", state_dir)
    state = backend.load()
    state.resources["dataset.SALES.orders"].attributes["big"] = 2**70
    state.resources["dataset.SALES.orders"].refresh_checksum()
    backend.save(state)
    data = client.get("/api/resource?env=prod&address=dataset.SALES.orders").get_json()
    assert data["attributes"]["big"] == 2**70


def test_the_expected_serial_is_checked_under_the_lock(client, state_dir):
    """Issue 11: a save between the route's answer and the job's write must be seen, so the check happens
    in the job, holding the lock, not in the request."""
    holder = LocalFileBackend.for_environment("dev", state_dir)
    with holder.lock("someone else's save"):
        response = client.post("/api/accept?env=dev", json={"expected_serial": 2})
        assert response.status_code == 202
        moved = holder.load()
        moved.resources["project.SALES"].attributes["tags"] = ["moved"]
        moved.resources["project.SALES"].refresh_checksum()
        holder.save(moved)
    job = client.get(f"/api/jobs/{response.get_json()['id']}?wait=10").get_json()
    assert job["status"] == "failed" and job["error"]["status"] == 409, job
    assert "now serial 3" in job["error"]["message"]
    assert holder.load().resources["project.SALES"].attributes["tags"] == ["moved"]


def test_accept_names_the_report_it_accepts(client, state_dir):
    backend = LocalFileBackend.for_environment("dev", state_dir)
    reviewed = backend.list_reports()[-1]
    backend.save_report({"format_version": "1.0", "context": {"baseline_serial": 2}, "resource_changes": []})
    job = run_job(client, "/api/accept", {"expected_serial": 2, "report": reviewed})
    assert job["status"] == "done" and job["result"]["accepted_from"] == reviewed, job
    assert job["result"]["accepted_changes"] == 4
    assert "name of a stored" in error_of(client.post("/api/accept?env=dev", json={"report": 7}), 400)
    assert "No drift report named" in error_of(client.post("/api/accept?env=dev", json={"report": "x"}), 404)


# -- bounded work for any viewer (issue 11 #4 and #6) -----------------------------------------------------------

class GatedBackend(LocalFileBackend):
    """Loading a serial waits for the test's gate, so builds of compare reports overlap as the test says."""

    gate: threading.Event
    loads: list

    def load(self, serial=None):
        if serial is not None:
            self.loads.append(serial)
            self.entered.release()
            assert self.gate.wait(10), "the test never opened the gate"
        return super().load(serial)


def gated_context(state_dir):
    GatedBackend.gate, GatedBackend.entered, GatedBackend.loads = threading.Event(), threading.Semaphore(0), []
    context = local_context(state_dir)
    context.backend_for = lambda env: GatedBackend(LocalFileBackend.for_environment(env, state_dir).state_file)
    return context


def test_compare_builds_each_pair_once_at_most_two_at_a_time(state_dir):
    client = make_client(gated_context(state_dir))
    answers = {}

    def get(key, pair):
        answers[key] = client.get(f"/api/compare?env=dev&from={pair[0]}&to={pair[1]}")

    threads = [threading.Thread(target=get, args=(key, pair)) for key, pair in (("a", (1, 2)), ("b", (2, 1)))]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert GatedBackend.entered.acquire(timeout=10)  # both builds are running, each in its first load
    busy = client.get("/api/compare?env=dev&from=1&to=1")
    assert "busy" in error_of(busy, 503) and busy.headers["Retry-After"] == "5"
    same = threading.Thread(target=get, args=("a again", (1, 2)))
    same.start()  # joins the running build of (1, 2), or finds its result cached
    GatedBackend.gate.set()
    for thread in (*threads, same):
        thread.join(10)
    assert [answers[key].status_code for key in ("a", "b", "a again")] == [200, 200, 200]
    assert answers["a"].get_json() == answers["a again"].get_json()
    assert sorted(GatedBackend.loads) == [1, 1, 2, 2]  # two builds of two loads each, nothing more


def test_a_failed_build_is_not_cached_and_frees_its_slot():
    from dataiku_iac.webapp.reports import ReportCache

    cache = ReportCache(max_builds=1)
    with pytest.raises(DSSError):
        cache.get_or_build("k", lambda: (_ for _ in ()).throw(DSSError("down")))
    assert cache.get_or_build("k", lambda: {"ok": 1}) == {"ok": 1}
    assert cache.get_or_build("k", lambda: {"ok": 2}) == {"ok": 1} and cache.builds_started == 2


def test_only_environments_that_exist_are_kept(state_dir):
    context = local_context(state_dir)
    context.max_cached_backends = 3
    client = make_client(context)
    for index in range(200):
        error_of(client.get(f"/api/state?env=nope{index}"), 404)
    assert list(context._backends) == []
    assert client.get("/api/state?env=dev").status_code == 200
    assert list(context._backends) == ["dev"]
    for index in range(5):
        LocalFileBackend.for_environment(f"e{index}", state_dir).save(LocalFileBackend.for_environment(
            "prod", state_dir).load())
        client.get(f"/api/state?env=e{index}")
    assert len(context._backends) == 3


def test_the_page_opens_on_an_environment_that_exists(state_dir):
    """Issue 14: ``serve --state-dir .dataiku/demo`` holds only ``demo``; the default ``dev`` has no state."""
    context = local_context(state_dir, default_environment="qa")
    data = make_client(context).get("/api/environments").get_json()
    assert data["default"] == "dev" and data["environments"] == ["dev", "prod", "qa"]
    assert make_client(context).get("/api/state").get_json()["environment"] == "dev"
