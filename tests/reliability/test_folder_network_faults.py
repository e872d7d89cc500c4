"""Network faults while the state is written to, and read from, a managed folder; and while a refresh syncs.

Through the DSS emulator's fault injection (real dataikuapi client over HTTP, hardened by ``make_client``):

- bursts of 502/503/504 and 429 with Retry-After on the folder's reads, listing and deletes are asked again
  by the client's one retry policy and the load/save succeeds; a 500 is DSS's answer, reported at once;
- the same faults (and 500) on an upload (a multipart POST, not idempotent) are never repeated: the save ends in
  StateWriteError with a readable message, and the stored state, its history and the next save are intact;
- a DSS slower than the client's timeout, or a dropped connection, ends the call within a bounded time
  (timeout x attempts + waits + margin: a bound on hanging, not a performance figure) with a library error;
- during a refresh (sync + save in the folder): transient bursts are retried and the state lands; persistent
  faults end in a SyncError listing each object that failed, within a bounded time, and nothing is written.

``tests/sync/test_engine.py`` and ``test_dss_access.py`` already cover the engine and the client alone (500
bursts, persistent 500s, a timeout, a dropped connection); here the faults go through ``StateManager.refresh``
with the state in a folder, and 429/502/503 are added. The retry waits are set low (``backoff``, ``max_wait``:
a Retry-After of 1 s is capped to 0.05 s), so nothing here waits for a retry longer than a few milliseconds.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Dict, List

import pytest

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.dss.client import RetryPolicy, make_client
from dataiku_iac.exceptions import DataikuIaCError, DSSError, StateLockedError, StateWriteError, SyncError
from dataiku_iac.manager import StateManager
from dataiku_iac.models.state import Resource, State
from dss_emulator import SAMPLE_PROJECT_KEY as KEY
from dss_emulator import DSSEmulator

ENV = "dev"
CURRENT = r"/contents//states/"
SNAPSHOT = r"/contents//history/"
LOCK = r"/contents//locks/"
LISTING = r"/managedfolders/[^/]+/contents/?$"
#: The folder calls a load/save makes that may be asked again (idempotent), by what to match them.
IDEMPOTENT_CALLS = {"GET state": ("GET", CURRENT), "list": ("GET", LISTING), "DELETE lock": ("DELETE", LOCK)}
UPLOADS = {"lock record": LOCK, "snapshot": SNAPSHOT, "current state": CURRENT}
RETRIED = (502, 503, 504, 429)
STATUSES = (500, 502, 503, 429)
#: Test retry waits: the first backoff and the cap of any wait (Retry-After included).
BACKOFF, MAX_WAIT = 0.01, 0.05
_names = itertools.count()


@pytest.fixture
def emulator(sample_emulator: DSSEmulator) -> DSSEmulator:
    """The session's emulator with the sample project, reset (tests/dss_support.py)."""
    return sample_emulator


def fast_client(emulator: DSSEmulator, *, timeout: float, retries: int):
    return make_client(emulator.url, emulator.api_key, timeout=timeout, retries=retries, backoff=BACKOFF,
                       max_wait=MAX_WAIT)


def backend_for(emulator: DSSEmulator, folder_id: str, *, timeout: float = 10.0, retries: int = 2,
                **options) -> ManagedFolderBackend:
    client = fast_client(emulator, timeout=timeout, retries=retries)
    options.setdefault("lock_settle", 0.0)
    return ManagedFolderBackend.from_client(client, KEY, folder_id, ENV, **options)


def new_folder(emulator: DSSEmulator) -> str:
    return emulator.client().get_project(KEY).create_managed_folder(f"iac_faults_{next(_names)}").id


def seeded(emulator: DSSEmulator, **options) -> ManagedFolderBackend:
    """A backend on a new folder holding serial 1."""
    backend = backend_for(emulator, new_folder(emulator), **options)
    state = State(environment=ENV)
    state.add_resource(Resource("project", f"project.{KEY}", {"name": "faults"}))
    backend.save(state)
    return backend


def fault_options(status: int) -> dict:
    return {"status": status, "retry_after": 1 if status == 429 else None}


def snapshot_of(backend: ManagedFolderBackend) -> Dict[str, bytes]:
    """Every file of the environment in the folder, with its bytes."""
    folder = backend.folder
    return {item["path"]: folder.get_file(item["path"]).content for item in folder.list_contents()["items"]}


def assert_intact(backend: ManagedFolderBackend) -> State:
    """The current state loads, every kept serial loads, the current serial is in the history, no lock is left."""
    state = backend.load()
    for entry in backend.history():
        backend.load(serial=entry.serial)
    assert state.serial in [entry.serial for entry in backend.history()]
    assert backend.lock_info() is None
    return state


def change_and_save(backend: ManagedFolderBackend, name: str) -> State:
    state = backend.load()
    state.add_resource(Resource("dataset", f"dataset.{KEY}.{name}", {"v": name}))
    backend.save(state)
    return state


# -- state writes and reads --------------------------------------------------------------------------------


def test_4_statuses_x_3_idempotent_folder_calls_fault_bursts_are_retried(emulator):
    backend = seeded(emulator)
    started, cycles, faulted = time.monotonic(), 0, 0
    for status in RETRIED:
        for what, (method, pattern) in IDEMPOTENT_CALLS.items():
            before = backend.load().serial
            burst = 2
            emulator.inject_fault(method, pattern, count=burst, **fault_options(status))
            state = change_and_save(backend, f"s{status}_{what.replace(' ', '_')}")
            assert emulator.control.list_faults() == [], f"{status} on {what}: the burst was not met"
            assert state.serial == before + 1 and backend.load().resources == state.resources
            cycles += 1
            faulted += burst
    final = assert_intact(backend)
    elapsed = time.monotonic() - started
    print(f"\n{len(RETRIED)} statuses x {len(IDEMPOTENT_CALLS)} folder calls (GET/list/DELETE), bursts of 2 "
          f"(429 with Retry-After 1 s, capped to {MAX_WAIT} s): "
          f"{faulted} faulted answers retried, {cycles}/{cycles} load+save cycles landed, serial 1 -> "
          f"{final.serial}, {elapsed:.1f} s")
    assert final.serial == 1 + len(RETRIED) * len(IDEMPOTENT_CALLS)


def test_a_500_on_a_folder_read_is_reported_at_once(emulator):
    backend = seeded(emulator)
    emulator.clear_request_counts()
    emulator.inject_fault("GET", CURRENT, status=500, count=10)
    with pytest.raises(DSSError, match="Cannot read") as caught:
        backend.load()
    reads = [r for r in emulator.request_log() if r["method"] == "GET" and re.search(CURRENT, r["path"])]
    assert len(reads) == 1 and emulator.api_key not in str(caught.value)  # before: 3 backend x 3 transport tries


def test_4_statuses_x_3_uploads_fail_once_never_repeated_and_nothing_is_half_written(emulator):
    backend = seeded(emulator)
    failed = 0
    for status in STATUSES:
        for what, pattern in UPLOADS.items():
            before_files = snapshot_of(backend)
            serial = backend.load().serial
            emulator.clear_request_counts()
            emulator.inject_fault("POST", pattern, count=1, **fault_options(status))
            started = time.monotonic()
            with pytest.raises(StateWriteError) as caught:
                change_and_save(backend, f"lost_{status}_{what.replace(' ', '_')}")
            elapsed = time.monotonic() - started
            failed += 1
            message = str(caught.value)
            assert message.startswith("Cannot write managed folder") and "InjectedFault" in message, message
            assert "\n" not in message and emulator.api_key not in message
            posts = [r for r in emulator.request_log() if r["method"] == "POST" and re.search(pattern, r["path"])]
            assert len(posts) == 1, f"the {what} upload was sent {len(posts)} times"
            assert elapsed < 3.0, f"{status} on the {what} upload: the save took {elapsed:.1f} s"
            # Nothing half-written: the current file is byte for byte the same; what the history had, it has.
            after_files = snapshot_of(backend)
            current = f"/states/{ENV}.state.json"
            assert after_files[current] == before_files[current]
            # (A snapshot of a serial above the current one is what a failed save left: the next save replaces it.)
            kept = {path: data for path, data in before_files.items() if not _above(path, serial)}
            assert all(after_files.get(path) == data for path, data in kept.items()), what
            assert assert_intact(backend).serial == serial
    # The next save works, and lands as the next serial (an orphan snapshot of it is simply replaced).
    state = change_and_save(backend, "after_the_faults")
    assert state.serial == 2 and backend.load(serial=2).resources == backend.load().resources
    print(f"\n{len(STATUSES)} statuses x {len(UPLOADS)} uploads (lock, snapshot, current): {failed} StateWriteError, "
          f"0 repeated uploads, 0 changed current files, next save landed as serial {state.serial}")


def _above(path: str, serial: int) -> bool:
    match = re.search(r"/serial-(\d+)\.json$", path)
    return bool(match) and int(match.group(1)) > serial


def _bound(timeout: float, retries: int, margin: float = 1.5) -> float:
    """The longest a call may take: every attempt times out, plus the policy's waits between them."""
    waits = RetryPolicy(retries=retries, backoff=BACKOFF, max_wait=MAX_WAIT).worst_case_waits()
    return timeout * (retries + 1) + waits + margin


def test_a_dss_slower_than_the_timeout_ends_reads_and_writes_in_bounded_time(emulator):
    timeout, retries, delay = 0.5, 1, 1.2
    backend = seeded(emulator, timeout=timeout, retries=retries, lock_timeout=0.5)
    figures: List[str] = []

    # One slow answer to a read: the retry answers in time, the load succeeds.
    emulator.inject_fault("GET", CURRENT, status=None, delay=delay, count=1)
    assert backend.load().serial == 1

    # Every answer to the read is slow: a library error, after at most (retries + 1) timeouts.
    emulator.inject_fault("GET", CURRENT, status=None, delay=delay, count=retries + 1)
    started = time.monotonic()
    with pytest.raises(DSSError, match="did not answer") as caught:
        backend.load()
    elapsed = time.monotonic() - started
    figures.append(f"load {elapsed:.1f} s")
    assert elapsed <= _bound(timeout, retries), caught.value
    assert emulator.api_key not in str(caught.value)

    # The upload of the current state is slow: not repeated, a library error after about one timeout.
    before = snapshot_of(backend)[f"/states/{ENV}.state.json"]
    emulator.inject_fault("POST", CURRENT, status=None, delay=delay, count=1)
    started = time.monotonic()
    with pytest.raises(DataikuIaCError) as caught:
        change_and_save(backend, "slow_upload")
    elapsed = time.monotonic() - started
    figures.append(f"save {elapsed:.1f} s")
    assert elapsed <= _bound(timeout, 0) + 1.0, caught.value
    assert "did not answer" in str(caught.value) and "states/dev.state.json" in str(caught.value)
    assert "may still be stored" in str(caught.value)  # not "nothing was written": DSS may get to it later
    # DSS may still store the late upload once its delay is over: either way, what is stored is consistent.
    assert emulator.wait_idle(timeout=delay + 10), "the delayed upload never finished"
    state = assert_intact(backend)
    if state.serial == 1:
        assert snapshot_of(backend)[f"/states/{ENV}.state.json"] == before
        late = "old state kept"
    else:
        assert state.serial == 2 and f"dataset.{KEY}.slow_upload" in state.resources
        assert backend.load(serial=2).resources == state.resources
        late = "late upload stored with its snapshot"
    assert change_and_save(backend, "after_the_slow_dss").serial == state.serial + 1

    # The upload of the lock record is slow: the save gives up, then DSS stores the record. Nobody holds that
    # lock, but it is not broken silently: the next writer is told whose it is, and force_unlock removes it.
    serial = backend.load().serial
    emulator.inject_fault("POST", LOCK, status=None, delay=delay, count=1)
    started = time.monotonic()
    with pytest.raises(DSSError, match="may still be stored"):
        change_and_save(backend, "slow_lock")
    figures.append(f"lock {time.monotonic() - started:.1f} s")
    assert emulator.wait_idle(timeout=delay + 10), "the delayed lock upload never finished"
    with pytest.raises(StateLockedError) as locked:
        change_and_save(backend, "behind_a_late_lock")
    record = backend.lock_info()
    assert record is not None and record["id"] in str(locked.value) and "pid" in str(locked.value)
    backend.force_unlock(record["id"])
    assert change_and_save(backend, "after_force_unlock").serial == serial + 1
    print(f"\nDSS slower than the {timeout} s timeout (delay {delay} s, {retries} retry): "
          f"{', '.join(figures)} (bound {_bound(timeout, retries):.1f} s), 3 library errors, {late}; the late lock "
          f"record was reported (StateLockedError with its id) and removed by force_unlock; next saves landed")


def test_dropped_connections_on_reads_are_retried_and_on_an_upload_fail_cleanly(emulator):
    timeout, retries = 2.0, 1
    backend = seeded(emulator, timeout=timeout, retries=retries)
    emulator.inject_fault("GET", CURRENT, drop_connection=True, count=1)
    emulator.inject_fault("GET", LISTING, drop_connection=True, count=1)
    emulator.inject_fault("DELETE", LOCK, drop_connection=True, count=1)
    assert change_and_save(backend, "through_drops").serial == 2
    assert emulator.control.list_faults() == []

    before = snapshot_of(backend)
    emulator.clear_request_counts()
    emulator.inject_fault("POST", CURRENT, drop_connection=True, count=1)
    started = time.monotonic()
    with pytest.raises(DataikuIaCError) as caught:
        change_and_save(backend, "dropped")
    elapsed = time.monotonic() - started
    assert elapsed <= _bound(timeout, 0), caught.value
    assert "Cannot write" in str(caught.value) and "states/dev.state.json" in str(caught.value)
    assert "may still be stored" in str(caught.value)
    uploads = [r for r in emulator.request_log() if r["method"] == "POST"]
    assert len(uploads) == 3, "lock, snapshot, current: the dropped upload was not repeated"
    after = snapshot_of(backend)
    assert after[f"/states/{ENV}.state.json"] == before[f"/states/{ENV}.state.json"]
    assert assert_intact(backend).serial == 2
    assert change_and_save(backend, "after_the_drop").serial == 3

    emulator.inject_fault("GET", CURRENT, drop_connection=True, count=retries + 1)
    with pytest.raises(DSSError, match="unreachable"):
        backend.load()
    print(f"\n3 dropped connections on GET/list/DELETE: retried, save landed; 1 dropped upload: "
          f"{type(caught.value).__name__} after {elapsed:.2f} s, 0 repeated uploads, current state unchanged; "
          f"{retries + 1} drops in a row on a read: DSSError")


# -- during a refresh (sync + save into the folder) ----------------------------------------------------------


def manager_for(emulator: DSSEmulator, folder_id: str, *, timeout: float, retries: int) -> StateManager:
    backend = backend_for(emulator, folder_id)  # the state's own client: normal timeout, no faults aimed at it
    return StateManager(backend, fast_client(emulator, timeout=timeout, retries=retries), ENV, workers=4)


def test_refresh_through_bursts_of_429_502_503_504_saves_the_state(emulator):
    folder_id = new_folder(emulator)
    manager = manager_for(emulator, folder_id, timeout=5.0, retries=3)
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=503, count=2)
    emulator.inject_fault("GET", rf"/projects/{KEY}/datasets/$", status=502, count=2)
    emulator.inject_fault("GET", r"/scenarios/REFRESH_CUSTOMERS$", status=429, retry_after=1, count=1)
    emulator.inject_fault("GET", rf"/projects/{KEY}/settings$", status=504, count=1)
    started = time.monotonic()
    result = manager.refresh([KEY])
    elapsed = time.monotonic() - started
    assert emulator.control.list_faults() == []
    # The sample's 7 objects, and the managed folder that holds the state.
    assert result.saved and result.state.serial == 1 and len(result.state.resources) == 8
    assert assert_intact(manager.backend).resources == result.state.resources
    print(f"\nrefresh through 6 faulted answers (2x503, 2x502, 1x429 Retry-After 1, 1x504): "
          f"{len(result.state.resources)} resources saved as serial 1 in {elapsed:.1f} s")


def test_refresh_with_persistent_faults_fails_listing_them_in_bounded_time_and_writes_nothing(emulator):
    folder_id = new_folder(emulator)
    manager_for(emulator, folder_id, timeout=5.0, retries=1).refresh([KEY])
    settings = emulator.client().get_project(KEY).get_dataset("raw_customers").get_settings()
    settings.get_raw()["description"] = "changed: a refresh would save serial 2"
    settings.save()
    timeout, retries = 0.5, 1
    manager = manager_for(emulator, folder_id, timeout=timeout, retries=retries)
    before = snapshot_of(manager.backend)
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=None, delay=2.0, count=100)
    emulator.inject_fault("GET", r"/scenarios/REFRESH_CUSTOMERS$", drop_connection=True, count=100)
    emulator.inject_fault("GET", r"/savedmodels/$", status=503, count=100)
    started = time.monotonic()
    with pytest.raises(SyncError) as caught:
        manager.refresh(full=True)  # incremental, the unchanged recipe and scenario would not be read
    elapsed = time.monotonic() - started
    failures = caught.value.failures
    bound = _bound(timeout, retries, margin=0.0) + 2.0
    emulator.clear_faults()
    after = snapshot_of(manager.backend)
    changed = sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))
    print(f"\nrefresh with 3 persistent faults (timeouts, dropped connections, 503s): SyncError listing "
          f"{len(failures)} failures after {elapsed:.1f} s (bound {bound:.1f} s), {len(changed)} files written "
          "or changed")
    assert set(failures) == {f"recipe.{KEY}.compute_customers_prepared", f"scenario.{KEY}.REFRESH_CUSTOMERS",
                             f"saved_models of {KEY} (listing)"}, failures
    assert "did not answer in time" in failures[f"recipe.{KEY}.compute_customers_prepared"]
    assert "Cannot reach DSS" in failures[f"scenario.{KEY}.REFRESH_CUSTOMERS"]
    assert "InjectedFault" in failures[f"saved_models of {KEY} (listing)"]
    assert "no state was written" in str(caught.value) and emulator.api_key not in str(caught.value)
    assert elapsed <= bound
    assert changed == [], "the failed refresh wrote into the folder"
