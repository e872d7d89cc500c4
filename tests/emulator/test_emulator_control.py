"""The control plane: latency, faults, counters, reset, the not-found switch, over Python and HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import dataikuapi
import pytest
import requests
from dataikuapi.utils import DataikuException

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from . import conftest

FAULT = "dss_emulator.InjectedFault"


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def test_latency_delays_every_api_request(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    _, fast = timed(client.list_project_keys)
    dss.set_latency(0.2)
    _, slow = timed(client.list_project_keys)
    assert slow >= 0.2
    assert fast < 0.2
    dss.set_latency(0)
    _, again = timed(client.list_project_keys)
    assert again < 0.2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_fault_hits_the_next_matching_request_only(
    dss: DSSEmulator, project: dataikuapi.dss.project.DSSProject, status: int
) -> None:
    dss.inject_fault("GET", r"/datasets/raw_customers$", status=status, message="backend down")
    other = project.get_dataset("customers_prepared").get_settings()  # not matching: unaffected
    assert other.get_raw()["name"] == "customers_prepared"
    with pytest.raises(DataikuException) as info:
        project.get_dataset("raw_customers").get_settings()
    assert str(info.value) == f"{FAULT}: backend down (HTTP {status})"
    # count=1: the next call succeeds.
    assert project.get_dataset("raw_customers").get_settings().get_raw()["name"] == "raw_customers"


def test_fault_count_and_method_matching(dss: DSSEmulator, project: dataikuapi.dss.project.DSSProject) -> None:
    dss.inject_fault("PUT", "/metadata", status=503, count=2)
    metadata = project.get_metadata()  # GET is not matched
    for _ in range(2):
        with pytest.raises(DataikuException):
            project.set_metadata(metadata)
    project.set_metadata(metadata)
    assert project.get_summary()["versionTag"]["versionNumber"] == 13  # only the third PUT got through


def test_429_carries_retry_after(dss: DSSEmulator) -> None:
    dss.inject_fault("*", "/projects/$", status=429, retry_after=7)
    response = requests.get(f"{dss.api_url}/projects/", auth=(dss.api_key, ""), timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["errorType"] == FAULT


def test_delay_longer_than_client_timeout(dss: DSSEmulator) -> None:
    dss.inject_fault("GET", "/projects/$", status=None, delay=0.6)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{dss.api_url}/projects/", auth=(dss.api_key, ""), timeout=0.2)
    # The fault is consumed; the next request is immediate and fine.
    response = requests.get(f"{dss.api_url}/projects/", auth=(dss.api_key, ""), timeout=2)
    assert response.status_code == 200


def test_delayed_status_fault(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    dss.inject_fault("GET", "/projects/$", status=502, delay=0.2)
    start = time.perf_counter()
    with pytest.raises(DataikuException, match=FAULT):
        client.list_project_keys()
    assert time.perf_counter() - start >= 0.2


def test_dropped_connection(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    dss.inject_fault("GET", "/projects/$", drop_connection=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.list_project_keys()
    assert client.list_project_keys() == [SAMPLE_PROJECT_KEY]


def test_request_counts_per_method_and_route(dss: DSSEmulator, project: dataikuapi.dss.project.DSSProject) -> None:
    project.get_dataset("raw_customers").get_settings()
    project.get_dataset("customers_prepared").get_settings()
    project.get_recipe("compute_customers_prepared").get_settings()
    with pytest.raises(DataikuException):
        project.get_dataset("nope").get_settings()
    assert dss.request_counts() == {
        "GET /projects/<project_key>/datasets/<name>": 3,
        "GET /projects/<project_key>/recipes/<name>": 1,
    }
    log = dss.request_log()
    assert [e["path"] for e in log][-1] == f"/dip/publicapi/projects/{SAMPLE_PROJECT_KEY}/datasets/nope"
    dss.clear_request_counts()
    assert dss.request_counts() == {}


def test_counts_include_faulted_and_unknown_requests(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    dss.inject_fault("GET", "/projects/$", status=500)
    with pytest.raises(DataikuException):
        client.list_project_keys()
    with pytest.raises(DataikuException):
        client._perform_json("GET", "/no/such/endpoint")
    assert dss.request_counts() == {"GET /projects/": 1, "GET /dip/publicapi/no/such/endpoint": 1}


def test_reset_restores_seeds_and_clears_control_state(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    project = client.get_project(SAMPLE_PROJECT_KEY)
    project.get_dataset("raw_customers").delete()
    client.create_project("TEMP", "temp", "admin")
    dss.set_latency(5)
    dss.inject_fault("*", ".*", status=500, count=100)
    dss.set_not_found_status(500)
    assert dss.reset() == [SAMPLE_PROJECT_KEY]
    assert dss.request_counts() == {}
    assert client.list_project_keys() == [SAMPLE_PROJECT_KEY]  # no latency, no fault
    assert project.get_dataset("raw_customers").exists()
    response = requests.get(f"{dss.api_url}/projects/NOPE", auth=(dss.api_key, ""), timeout=2)
    assert response.status_code == 404


def test_reset_without_seeds_empties_the_instance(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    assert dss.reset(reload_seeds=False) == []
    assert client.list_project_keys() == []


def test_control_plane_over_http(dss: DSSEmulator, client: dataikuapi.DSSClient, tmp_path: Path) -> None:
    base = f"{dss.url}/__emulator__"
    assert requests.get(f"{base}/health", timeout=2).json()["projects"] == [SAMPLE_PROJECT_KEY]
    # latency
    assert requests.put(f"{base}/latency", json={"seconds": 0.15}, timeout=2).json() == {"seconds": 0.15}
    _, took = timed(client.list_project_keys)
    assert took >= 0.15
    requests.put(f"{base}/latency", json={"seconds": 0}, timeout=2)
    # faults
    fault = {"method": "GET", "pathPattern": "/projects/$", "status": 503, "count": 1, "retryAfter": 3}
    assert requests.post(f"{base}/faults", json=fault, timeout=2).json()["remaining"] == 1
    assert len(requests.get(f"{base}/faults", timeout=2).json()) == 1
    response = requests.get(f"{dss.api_url}/projects/", auth=(dss.api_key, ""), timeout=2)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "3")
    assert requests.get(f"{base}/faults", timeout=2).json() == []
    # counters
    counts = requests.get(f"{base}/requests", timeout=2).json()
    assert counts["counts"]["GET /projects/"] == 2
    assert counts["total"] == 2
    # api keys
    key = requests.post(f"{base}/api-keys", json={"login": "ro", "readOnly": True}, timeout=2).json()
    with pytest.raises(DataikuException, match="read-only"):
        dataikuapi.DSSClient(dss.url, key["key"]).create_project("X", "x", "ro")
    # not-found switch
    requests.put(f"{base}/not-found-status", json={"status": 500}, timeout=2)
    assert requests.get(f"{dss.api_url}/projects/NOPE", auth=(dss.api_key, ""), timeout=2).status_code == 500
    # seed + reset
    tree = conftest.REPO_ROOT / "dss_emulator" / "samples"
    assert requests.post(f"{base}/seed", json={"path": str(tree)}, timeout=2).json() == {
        "projectKeys": [SAMPLE_PROJECT_KEY]}
    assert requests.post(f"{base}/seed", json={"path": str(tmp_path / "missing")}, timeout=2).status_code == 400
    assert requests.post(f"{base}/reset", timeout=2).json() == {"projectKeys": [SAMPLE_PROJECT_KEY]}
    assert requests.get(f"{base}/requests", timeout=2).json()["total"] == 0


def test_control_plane_rejects_bad_input(dss: DSSEmulator) -> None:
    base = f"{dss.url}/__emulator__"
    assert requests.post(f"{base}/faults", json={"pathPattern": "(", "status": 500}, timeout=2).status_code == 400
    assert requests.post(f"{base}/faults", json={"pathPattern": "x", "status": 299}, timeout=2).status_code == 400
    assert requests.put(f"{base}/latency", json={"seconds": "slow"}, timeout=2).status_code == 400
    assert requests.put(f"{base}/not-found-status", json={"status": 418}, timeout=2).status_code == 400
    with pytest.raises(Exception, match="count must be at least 1"):
        dss.inject_fault("GET", "x", count=0)


def test_synthetic_project_over_http_survives_reset(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    base = f"{dss.url}/__emulator__"
    body = {"key": "SYN", "datasets": 6, "recipes": 4, "scenarios": 1, "folders": 1, "seed": 3}
    assert requests.post(f"{base}/synthetic", json=body, timeout=5).json() == {"projectKey": "SYN"}
    before = client.get_project("SYN").get_dataset("raw_customers_0000").get_settings().get_raw()
    assert len(client.get_project("SYN").list_datasets()) == 6
    client.get_project("SYN").get_dataset("raw_customers_0000").delete()
    # Remembered like a seed: reset regenerates it, identically.
    assert dss.reset() == [SAMPLE_PROJECT_KEY, "SYN"]
    assert client.get_project("SYN").get_dataset("raw_customers_0000").get_settings().get_raw() == before
    # Forget it again so the session emulator stays clean for other tests.
    dss.control.synthetic_specs.clear()
    assert dss.reset() == [SAMPLE_PROJECT_KEY]


def test_a_dropped_connection_after_a_create_loses_only_the_answer(
        dss: DSSEmulator, project: dataikuapi.dss.project.DSSProject) -> None:
    dss.inject_fault("POST", "/managedfolders/$", drop_connection=True, after_handling=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        project.create_managed_folder("exports")
    # DSS made the folder: a client that retried blindly would now make a second one
    assert [f["name"] for f in project.list_managed_folders()].count("exports") == 1
    dss.inject_fault("POST", "/datasets/$", status=502, after_handling=True)
    with pytest.raises(DataikuException, match="InjectedFault"):
        project.create_dataset("made_anyway", "Filesystem", params={"connection": "filesystem_root", "path": "/x"})
    assert project.get_dataset("made_anyway").exists()
    assert dss.wait_idle(timeout=10)


def test_a_fault_after_handling_needs_something_to_do(dss: DSSEmulator) -> None:
    with pytest.raises(Exception, match="needs a status or drop_connection"):
        dss.inject_fault("POST", "x", status=None, after_handling=True)
    base = f"{dss.url}/__emulator__"
    fault = {"method": "PUT", "pathPattern": "/datasets/", "status": 503, "afterHandling": True}
    assert requests.post(f"{base}/faults", json=fault, timeout=2).json()["afterHandling"] is True
