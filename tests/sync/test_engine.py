"""The fast sync engine against the emulator: request counts, concurrency, progress, and the failure paths."""

from __future__ import annotations

import threading
import time
from typing import Any, List, Tuple

import pytest

from dataiku_iac.dss.client import make_client
from dataiku_iac.exceptions import DSSError, ResourceNotFoundError, SyncError
from dataiku_iac.sync import DatasetSync, ProjectSync, RecipeSync, SyncEngine
from dss_emulator import DSSEmulator

KEY = "CUSTOMER_ANALYTICS"
SYN = "SYN_ENGINE"


def engine_for(emulator: DSSEmulator, **settings: Any) -> SyncEngine:
    client = make_client(emulator.url, emulator.api_key, timeout=settings.pop("timeout", 10.0),
                         retries=settings.pop("retries", 2), backoff=0.01)
    return SyncEngine(client, **settings)


def python_scenarios(emulator: DSSEmulator, key: str) -> int:
    return sum(1 for s in emulator.client().get_project(key).list_scenarios() if s["type"] != "step_based")


def test_engine_and_seed_paths_build_identical_resources(emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(SYN, datasets=15, recipes=12, scenarios=4, folders=2)
    engine = engine_for(emulator)
    fast = {r.resource_id: r for r in engine.sync([SYN, KEY]).resources}
    slow = {r.resource_id: r for key in (SYN, KEY) for r in [ProjectSync(engine.client).fetch(f"project.{key}")]
            + [r for sync in engine.child_syncs.values() for r in sync.list_all(key)]}
    assert sorted(fast) == sorted(slow)
    assert all(fast[rid].metadata.checksum == slow[rid].metadata.checksum for rid in fast)
    assert all(fast[rid].metadata.last_modified_at == slow[rid].metadata.last_modified_at for rid in fast)


def test_requests_are_close_to_the_minimum(emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(SYN, datasets=30, recipes=25, scenarios=8, folders=3)
    extra = python_scenarios(emulator, SYN)
    emulator.clear_request_counts()
    outcome = engine_for(emulator).sync([SYN])
    counts = emulator.request_counts()
    assert len(outcome.resources) == 1 + 30 + 25 + 8 + 3
    # 3 project reads + 5 listings + one check GET per listing served whole (datasets, folders) + the reads
    assert sum(counts.values()) == 3 + 5 + 2 + 25 + 8 + extra
    assert counts["GET /projects/<project_key>/recipes/<name>"] == 25
    assert counts["GET /projects/<project_key>/datasets/<name>"] == 1


def test_without_list_verification_datasets_cost_no_get(emulator: DSSEmulator) -> None:
    emulator.clear_request_counts()
    engine_for(emulator, verify_lists=False).sync([KEY])
    counts = emulator.request_counts()
    assert "GET /projects/<project_key>/datasets/<name>" not in counts
    assert "GET /projects/<project_key>/managedfolders/<folder_id>" not in counts


def test_list_items_that_differ_from_their_definition_are_read(emulator: DSSEmulator,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    original = DatasetSync.list_items

    def trimmed(self: DatasetSync, project_key: str) -> list:
        items = original(self, project_key)
        for item in items:  # a DSS whose list items lack the format (but hold the marker fields)
            item.pop("formatParams", None)
        return items

    monkeypatch.setattr(DatasetSync, "list_items", trimmed)
    emulator.clear_request_counts()
    resources = {r.resource_id: r for r in engine_for(emulator).sync([KEY]).resources}
    assert resources[f"dataset.{KEY}.raw_customers"].attributes["formatParams"]["separator"] == ","
    # the check GET, then one GET per dataset
    assert emulator.request_counts()["GET /projects/<project_key>/datasets/<name>"] == 3


def test_reads_run_concurrently_within_the_worker_bound(emulator: DSSEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator.add_synthetic_project(SYN, datasets=20, recipes=16, scenarios=0, folders=0)
    active: List[int] = [0]
    peak: List[int] = [0]
    lock = threading.Lock()
    original = RecipeSync.read

    def tracked(self: RecipeSync, project_key: str, name: str) -> dict:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.02)
            return original(self, project_key, name)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(RecipeSync, "read", tracked)
    engine_for(emulator, workers=3).sync([SYN])
    assert 2 <= peak[0] <= 3


def test_progress_reaches_the_total(emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(SYN, datasets=10, recipes=8, scenarios=3, folders=1)
    calls: List[Tuple[int, int]] = []
    outcome = engine_for(emulator, progress=lambda done, total: calls.append((done, total))).sync([SYN])
    assert calls and calls[-1] == (len(outcome.resources), len(outcome.resources))
    assert all(done <= total for done, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_include_children_false_reads_projects_only(emulator: DSSEmulator) -> None:
    emulator.clear_request_counts()
    outcome = engine_for(emulator).sync([KEY], include_children=False)
    assert [r.resource_id for r in outcome.resources] == [f"project.{KEY}"]
    assert sum(emulator.request_counts().values()) == 3


def test_workers_must_be_positive(emulator: DSSEmulator) -> None:
    with pytest.raises(ValueError):
        engine_for(emulator, workers=0)


# -- failure paths -------------------------------------------------------------------------------------------

def test_unknown_project(emulator: DSSEmulator) -> None:
    engine = engine_for(emulator)
    with pytest.raises(ResourceNotFoundError, match="Project NOPE does not exist"):
        engine.sync([KEY, "NOPE"])
    outcome = engine.sync([KEY, "NOPE"], missing_ok=True)
    assert outcome.missing_projects == ["NOPE"]
    assert {r.project_key for r in outcome.resources} == {KEY}


def test_unknown_project_when_dss_answers_500_for_missing_objects(emulator: DSSEmulator) -> None:
    emulator.set_not_found_status(500)
    with pytest.raises(ResourceNotFoundError):
        engine_for(emulator).sync(["NOPE"])


def test_bad_api_key_stops_the_sync(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, "not-a-valid-key", timeout=5.0)
    engine = SyncEngine(client)
    with pytest.raises(DSSError) as caught:
        engine.sync([KEY])
    assert "DKU_API_KEY" in str(caught.value) and "not-a-valid-key" not in str(caught.value)
    with pytest.raises(DSSError, match="DKU_API_KEY"):
        engine.list_project_keys()


def test_read_only_key_can_sync(emulator: DSSEmulator) -> None:
    reader = emulator.create_api_key(login="auditor", read_only=True)
    outcome = SyncEngine(make_client(emulator.url, reader)).sync([KEY])
    assert len(outcome.resources) == 7


def test_503_bursts_are_retried_by_the_transport_alone(emulator: DSSEmulator) -> None:
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=503, count=2)
    emulator.inject_fault("GET", r"/projects/CUSTOMER_ANALYTICS/datasets/$", status=502, count=1)
    outcome = engine_for(emulator).sync([KEY])
    assert len(outcome.resources) == 7
    assert emulator.request_counts()["GET /projects/<project_key>/recipes/<name>"] == 3


def test_a_persistent_503_costs_retries_plus_one_requests_not_a_multiple(emulator: DSSEmulator) -> None:
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=503, count=100)
    with pytest.raises(SyncError):
        engine_for(emulator, retries=2).sync([KEY])
    # Before the one policy: 3 transport attempts x 3 engine attempts = 9 requests.
    assert emulator.request_counts()["GET /projects/<project_key>/recipes/<name>"] == 3


def test_persistent_500s_fail_the_sync_listing_each_object_asked_once(emulator: DSSEmulator) -> None:
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=500, count=100)
    emulator.inject_fault("GET", r"/scenarios/$", status=500, count=100)
    with pytest.raises(SyncError) as caught:
        engine_for(emulator).sync([KEY])
    # A DSS 500 is an answer (real failures, and missing objects on some versions): never asked again.
    assert emulator.request_counts()["GET /projects/<project_key>/recipes/<name>"] == 1
    failures = caught.value.failures
    assert set(failures) == {f"recipe.{KEY}.compute_customers_prepared", f"scenarios of {KEY} (listing)"}
    assert all("InjectedFault" in message for message in failures.values())
    assert "no state was written" in str(caught.value)


def test_slow_responses_past_the_timeout(emulator: DSSEmulator) -> None:
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=None, delay=1.0, count=1)
    engine = engine_for(emulator, timeout=0.3, retries=1)
    assert len(engine.sync([KEY]).resources) == 7  # the retry answered in time
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=None, delay=1.0, count=2)
    with pytest.raises(SyncError) as caught:
        engine.sync([KEY])
    assert "did not answer in time" in caught.value.failures[f"recipe.{KEY}.compute_customers_prepared"]


def test_connection_dropped_mid_sync(emulator: DSSEmulator) -> None:
    emulator.inject_fault("GET", r"/scenarios/REFRESH_CUSTOMERS$", drop_connection=True, count=1)
    assert len(engine_for(emulator).sync([KEY]).resources) == 7
    emulator.inject_fault("GET", r"/scenarios/REFRESH_CUSTOMERS$", drop_connection=True, count=10)
    with pytest.raises(SyncError) as caught:
        engine_for(emulator, retries=1).sync([KEY])
    assert "Cannot reach DSS" in caught.value.failures[f"scenario.{KEY}.REFRESH_CUSTOMERS"]


def test_objects_deleted_between_list_and_read_are_left_out(emulator: DSSEmulator,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    original = RecipeSync.list_items
    monkeypatch.setattr(RecipeSync, "list_items",
                        lambda self, key: [*original(self, key), {"name": "deleted_meanwhile", "type": "python"}])
    outcome = engine_for(emulator).sync([KEY])
    assert f"recipe.{KEY}.deleted_meanwhile" not in {r.resource_id for r in outcome.resources}


def test_unexpected_errors_are_failures_not_crashes(emulator: DSSEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: RecipeSync, project_key: str, name: str) -> dict:
        raise KeyError("recipe")

    monkeypatch.setattr(RecipeSync, "read", broken)
    with pytest.raises(SyncError, match="KeyError"):
        engine_for(emulator).sync([KEY])


def test_unreachable_dss(emulator: DSSEmulator) -> None:
    engine = SyncEngine(make_client("http://127.0.0.1:9", "k", timeout=1.0, retries=0))
    with pytest.raises(SyncError, match=r"Cannot reach DSS at http://127\.0\.0\.1:9"):
        engine.sync([KEY])
    with pytest.raises(DSSError, match="Cannot reach DSS"):
        engine.list_project_keys()


def test_an_interrupted_sync_drops_its_queued_reads(emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(SYN, datasets=40, recipes=35, scenarios=0, folders=0)
    emulator.set_latency(0.01)
    most_outstanding = [0]

    def interrupt(done: int, total: int) -> None:  # Ctrl-C once a few recipe reads have finished
        most_outstanding[0] = max(most_outstanding[0], total - done)
        if most_outstanding[0] >= 30 and total - done <= most_outstanding[0] - 5:
            raise KeyboardInterrupt

    engine = engine_for(emulator, workers=2, progress=interrupt)
    emulator.clear_request_counts()
    with pytest.raises(KeyboardInterrupt):
        engine.sync([SYN])
    assert emulator.request_counts()["GET /projects/<project_key>/recipes/<name>"] < 15


def test_list_items_without_attribution_are_read(emulator: DSSEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    original = DatasetSync.list_items
    monkeypatch.setattr(DatasetSync, "list_items", lambda self, key: [
        {k: v for k, v in item.items() if k != "versionTag"} for item in original(self, key)])
    resources = {r.resource_id: r for r in engine_for(emulator).sync([KEY]).resources}
    assert resources[f"dataset.{KEY}.raw_customers"].metadata.last_modified_by == "jane.doe"
