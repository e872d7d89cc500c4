"""Concurrent writers and dead lock holders on the managed-folder backend, against the DSS emulator.

A managed folder has no atomic create and no compare-and-set: the backend's lock is a record written, left to
settle and read back (see ``backends/managed_folder.py``). These tests hold it to the same promises as the
local backend's (``test_local_concurrent_writers.py``):

- 8 forked processes, each with its own dataikuapi client, load -> change -> save the same environment in one
  emulated folder. Every save lands with a higher serial, or fails with StateLockedError/StaleStateError whose
  message names the holder or the serials; no landed write is lost (each is in the history under its serial
  and in the final state); the final state is valid.
- A writer SIGKILLed while it holds the lock leaves a lock that is reported (who, when, id), never broken
  silently, not even after its expiry; ``force_unlock`` with the right id breaks it, a wrong id is refused.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time

import pytest

from dataiku_iac.backends.managed_folder import LockExpiredError, ManagedFolderBackend
from dataiku_iac.dss.client import make_client
from dataiku_iac.exceptions import StaleStateError, StateError, StateLockedError, StateWriteError
from dataiku_iac.models.state import Resource, State
from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

WRITERS = 8
SAVES_EACH = 6
LOCK_TIMEOUT = 1.0  # how long a writer waits for the lock before StateLockedError (default 10 s)
HISTORY = 10_000  # keep every serial: each landed write must be found in the history


@pytest.fixture
def emulator(sample_emulator: DSSEmulator) -> DSSEmulator:
    """The session's emulator with the sample project, reset (tests/dss_support.py)."""
    return sample_emulator


def _backend(url: str, api_key: str, folder_id: str, **options) -> ManagedFolderBackend:
    """A backend with a client of its own (built in the process that uses it)."""
    client = make_client(url, api_key, timeout=10.0, retries=2, backoff=0.05)
    options.setdefault("history_limit", HISTORY)
    return ManagedFolderBackend.from_client(client, SAMPLE_PROJECT_KEY, folder_id, "conc", **options)


def _writer(url: str, api_key: str, folder_id: str, writer_id: int, start, results) -> None:
    """Child process: SAVES_EACH rounds of load -> add one resource -> save; reports what happened."""
    outcome = {"landed": [], "locked": 0, "stale": 0, "bad_message": [], "other": []}
    try:
        backend = _backend(url, api_key, folder_id, lock_timeout=LOCK_TIMEOUT)
        start.wait(30)
        for attempt in range(SAVES_EACH):
            state = backend.load()
            rid = f"dataset.CONC.w{writer_id}_{attempt}"
            state.add_resource(Resource("dataset", rid, {"writer": writer_id, "attempt": attempt}))
            try:
                backend.save(state)
            except StateLockedError as exc:  # includes LockExpiredError
                outcome["locked"] += 1
                info = exc.info
                if not ("pid" in str(exc) and info.get("id") and info["id"] in str(exc)):
                    outcome["bad_message"].append(str(exc))
            except StaleStateError as exc:
                outcome["stale"] += 1
                if f"serial {exc.stored_serial}" not in str(exc) or f"serial {exc.loaded_serial}" not in str(exc):
                    outcome["bad_message"].append(str(exc))
            else:
                outcome["landed"].append((state.serial, rid))
    except Exception as exc:  # reported to the parent, which fails the test with it
        outcome["other"].append(f"{type(exc).__name__}: {exc}")
    results.put((writer_id, outcome))


@pytest.mark.slow
def test_8_concurrent_folder_writers_x_6_saves_lose_no_update(emulator):
    folder = emulator.client().get_project(SAMPLE_PROJECT_KEY).create_managed_folder("iac_concurrency")
    seed = State(environment="conc")
    seed.add_resource(Resource("project", "project.CONC", {"name": "concurrency"}))
    _backend(emulator.url, emulator.api_key, folder.id).save(seed)

    context = multiprocessing.get_context("fork")
    results, start = context.Queue(), context.Event()
    writers = [context.Process(target=_writer, args=(emulator.url, emulator.api_key, folder.id, n, start, results))
               for n in range(WRITERS)]
    began = time.monotonic()
    for writer in writers:
        writer.start()
    start.set()
    outcomes = dict(results.get(timeout=90) for _ in writers)
    for writer in writers:
        writer.join(timeout=30)
        assert writer.exitcode == 0
    elapsed = time.monotonic() - began

    assert [o["other"] for o in outcomes.values()] == [[]] * WRITERS
    backend = _backend(emulator.url, emulator.api_key, folder.id)
    final = backend.load()  # the final state is valid (schema-checked on load)
    landed = [entry for outcome in outcomes.values() for entry in outcome["landed"]]
    serials = [serial for serial, _ in landed]
    lost = [rid for serial, rid in landed if rid not in backend.load(serial=serial).resources]
    lost += [rid for _, rid in landed if rid not in final.resources]
    locked = sum(o["locked"] for o in outcomes.values())
    stale = sum(o["stale"] for o in outcomes.values())
    print(f"\n{WRITERS} concurrent folder writers x {SAVES_EACH} saves: {len(landed)} landed, {locked + stale} "
          f"refused ({locked} locked, {stale} stale), {len(lost)} lost updates; final serial {final.serial}, "
          f"{len(backend.history())} serials in the history, {elapsed:.1f} s")
    assert len(landed) + locked + stale == WRITERS * SAVES_EACH
    assert lost == []
    assert len(set(serials)) == len(serials), "two saves landed with the same serial"
    assert [m for o in outcomes.values() for m in o["bad_message"]] == []
    for outcome in outcomes.values():
        own = [serial for serial, _ in outcome["landed"]]
        assert own == sorted(own)
    assert final.serial == max(serials)
    assert sorted(serials) == list(range(2, 2 + len(serials))), "a landed serial is missing or skipped"
    assert {e.serial for e in backend.history()} >= set(serials)
    assert len(landed) >= WRITERS, "almost nothing landed: the test did not exercise concurrent saves"
    assert backend.lock_info() is None, "a lock was left behind"


# -- a lock left by a killed process ----------------------------------------------------------------------


def _hold_lock_until_killed(url: str, api_key: str, folder_id: str, lock_ttl: float, held) -> None:
    """Child process: take the lock, say so, and hang on to it until SIGKILL."""
    backend = _backend(url, api_key, folder_id, lock_ttl=lock_ttl, lock_settle=0.05)
    with backend.lock("refresh"):
        held.set()
        time.sleep(120)


@pytest.mark.slow
def test_lock_of_a_kill9_writer_is_reported_then_broken_only_by_its_id(emulator):
    folder = emulator.client().get_project(SAMPLE_PROJECT_KEY).create_managed_folder("iac_dead_holder")
    url, key = emulator.url, emulator.api_key
    survivor = _backend(url, key, folder.id, lock_timeout=0.6, lock_settle=0.05)
    seed = State(environment="conc")
    seed.add_resource(Resource("project", "project.CONC", {"name": "before the crash"}))
    survivor.save(seed)
    before = folder.get_file("/states/conc.state.json").content

    lock_ttl = 3.0
    context = multiprocessing.get_context("fork")
    held = context.Event()
    holder = context.Process(target=_hold_lock_until_killed, args=(url, key, folder.id, lock_ttl, held))
    holder.start()
    assert held.wait(30), "the child never took the lock"
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    assert holder.exitcode == -signal.SIGKILL
    record = json.loads(folder.get_file("/locks/conc.lock").content)

    # 1. While fresh: the next writer waits its lock_timeout, then is told who holds it, since when, its id.
    state = survivor.load()
    state.add_resource(Resource("dataset", "dataset.CONC.after", {"v": 1}))
    started = time.monotonic()
    with pytest.raises(StateLockedError) as fresh:
        survivor.save(state)
    waited = time.monotonic() - started
    assert not isinstance(fresh.value, LockExpiredError)
    message = str(fresh.value)
    assert f"pid {holder.pid}" in message and record["created"] in message and record["id"] in message
    assert "'refresh'" in message and "dataiku-iac state unlock" in message

    # 2. Past its expiry: reported at once as expired, and still in place (not broken silently).
    time.sleep(max(0.0, lock_ttl - (time.monotonic() - started)) + 0.1)
    with pytest.raises(LockExpiredError) as expired:
        survivor.save(state)
    assert f"pid {holder.pid}" in str(expired.value) and f"force_unlock('{record['id']}')" in str(expired.value)
    assert json.loads(folder.get_file("/locks/conc.lock").content) == record
    assert folder.get_file("/states/conc.state.json").content == before

    # 3. A wrong id is refused and removes nothing; the right id breaks it and the save lands.
    with pytest.raises(StateError, match=r"not .*nothing was removed") as wrong:
        survivor.force_unlock("not-" + record["id"])
    assert record["id"] in str(wrong.value)
    assert json.loads(folder.get_file("/locks/conc.lock").content) == record
    broken = survivor.force_unlock(record["id"])
    assert broken["id"] == record["id"] and f"pid {holder.pid}" in broken["who"]
    survivor.save(state)
    assert survivor.load().serial == 2 and "dataset.CONC.after" in survivor.load().resources
    assert survivor.lock_info() is None
    print(f"\n1 writer killed -9 holding the folder lock (ttl {lock_ttl:.0f} s): 1 StateLockedError after "
          f"{waited:.1f} s naming pid {holder.pid}, 1 LockExpiredError after expiry, 0 silent breaks, "
          f"1 wrong id refused, 1 force_unlock then serial 2 landed")


# -- two writers holding the lock at once ---------------------------------------------------------------


class _Hooked:
    """A managed folder whose calls on chosen paths wait for, or signal, events: a slow network, scripted."""

    def __init__(self, folder, before_put=None, after_get=None) -> None:
        self._folder = folder
        self._before_put = before_put or {}
        self._after_get = after_get or {}
        self.armed = False

    def put_file(self, path, data):
        if self.armed and path in self._before_put:
            self._before_put[path]()
        return self._folder.put_file(path, data)

    def get_file(self, path):
        try:
            return self._folder.get_file(path)
        finally:
            if self.armed and path in self._after_get:
                self._after_get[path]()

    def __getattr__(self, name):
        return getattr(self._folder, name)


def test_2_writers_holding_the_lock_at_once_lose_no_update(emulator):
    """The lock is best effort: B reads "no lock", then its upload of the lock record is slow and lands after A
    took the lock, so for a while both believe they hold it. Both then read serial 1. One save must be refused
    (the other lands); neither may overwrite the other's landed serial, in the current file or the history."""
    import threading

    folder = emulator.client().get_project(SAMPLE_PROJECT_KEY).create_managed_folder("iac_double_holder")
    seed = State(environment="conc")
    seed.add_resource(Resource("project", "project.CONC", {"name": "double holder"}))
    _backend(emulator.url, emulator.api_key, folder.id).save(seed)
    lock, current = "/locks/conc.lock", "/states/conc.state.json"
    snapshot = "/history/conc/serial-00000002.json"
    b_saw_no_lock, a_holds, b_read_current, a_done = (threading.Event() for _ in range(4))
    timeout = 3.0

    def first_time(event):
        return lambda: event.is_set() or event.set()

    def client_folder():
        return make_client(emulator.url, emulator.api_key, timeout=10.0).get_project(
            SAMPLE_PROJECT_KEY).get_managed_folder(folder.id)

    folder_a = _Hooked(client_folder(), before_put={lock: lambda: b_saw_no_lock.wait(timeout),
                                                    snapshot: lambda: b_read_current.wait(timeout)},
                       after_get={current: first_time(a_holds)})
    folder_b = _Hooked(client_folder(), before_put={lock: lambda: a_holds.wait(timeout),
                                                    snapshot: lambda: a_done.wait(timeout)},
                       after_get={lock: first_time(b_saw_no_lock), current: first_time(b_read_current)})
    writer_a = ManagedFolderBackend(folder_a, "conc", lock_settle=0.05, lock_timeout=0.0, history_limit=HISTORY)
    writer_b = ManagedFolderBackend(folder_b, "conc", lock_settle=0.05, lock_timeout=0.0, history_limit=HISTORY)
    state_a, state_b = writer_a.load(), writer_b.load()
    state_a.add_resource(Resource("dataset", "dataset.CONC.from_a", {"v": "a"}))
    state_b.add_resource(Resource("dataset", "dataset.CONC.from_b", {"v": "b"}))
    outcomes = {}

    def save(name, backend, state):
        try:
            backend.save(state)
            outcomes[name] = ("landed", state.serial)
        except StateError as exc:
            outcomes[name] = (type(exc).__name__, str(exc))
        finally:
            a_done.set() if name == "a" else None

    folder_a.armed = folder_b.armed = True
    thread_b = threading.Thread(target=save, args=("b", writer_b, state_b))
    thread_b.start()
    save("a", writer_a, state_a)
    thread_b.join(20)
    assert not thread_b.is_alive()

    checker = _backend(emulator.url, emulator.api_key, folder.id)
    final = checker.load()
    landed = {name: outcome[1] for name, outcome in outcomes.items() if outcome[0] == "landed"}
    lost = [name for name, serial in landed.items()
            if f"dataset.CONC.from_{name}" not in checker.load(serial=serial).resources
            or f"dataset.CONC.from_{name}" not in final.resources]
    refused = {name: outcome for name, outcome in outcomes.items() if outcome[0] != "landed"}
    print(f"\n2 writers holding the folder lock at once: {len(landed)} landed, {len(refused)} refused "
          f"({', '.join(o[0] for o in refused.values()) or 'none'}), {len(lost)} lost updates; "
          f"final serial {final.serial}")
    assert lost == [], f"outcomes: {outcomes}"
    assert len(landed) == 1 and len(refused) == 1, f"outcomes: {outcomes}"
    assert all(kind in ("StateLockedError", "StaleStateError") for kind, _ in refused.values()), outcomes
    assert final.serial == 2


def test_a_lock_force_unlocked_mid_save_stops_it_before_the_current_state(emulator):
    """Someone judged this writer dead and removed its lock while it was saving: it must not go on writing."""
    folder = emulator.client().get_project(SAMPLE_PROJECT_KEY).create_managed_folder("iac_unlocked_mid_save")
    seed = State(environment="conc")
    seed.add_resource(Resource("project", "project.CONC", {"name": "unlocked mid save"}))
    _backend(emulator.url, emulator.api_key, folder.id).save(seed)
    before = folder.get_file("/states/conc.state.json").content
    operator = _backend(emulator.url, emulator.api_key, folder.id)
    hooked = _Hooked(folder, after_get={"/history/conc/serial-00000001.json":
                                        lambda: operator.force_unlock(operator.lock_info()["id"])})
    writer = ManagedFolderBackend(hooked, "conc", lock_settle=0.0, history_limit=HISTORY)
    state = writer.load()
    state.add_resource(Resource("dataset", "dataset.CONC.late", {"v": 1}))
    hooked.armed = True
    with pytest.raises(StateWriteError, match="was removed") as caught:
        writer.save(state)
    assert "not replaced" in str(caught.value)
    assert folder.get_file("/states/conc.state.json").content == before
    assert writer.lock_info() is None
    print("\n1 lock force-unlocked during a save: 1 StateWriteError, current state unchanged, 0 locks left")
