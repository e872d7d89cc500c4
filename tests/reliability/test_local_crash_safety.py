"""Crash safety of the local backend: kill -9 a writer in the middle of a save, again and again.

Each round forks a writer that loops load -> change -> save on a state of 300 resources and reports over a
pipe when a save starts and when it ends (with its duration). The parent waits for a completed save (so every
round makes progress, however slow the machine), then for the start of the next one, and kills the writer
with SIGKILL at a random point within the duration the writer measured for its last save: kills land in every
phase (temp write, fsync, rename, history pruning) on a fast machine and on a loaded one. After each kill,
the state must still load (old or new content), every snapshot in the history must load, the serial must
have grown, and temp files must not pile up.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import StateNotFoundError
from dataiku_iac.models.state import Resource, State

KILLS = 200
RESOURCES = 300
REPORT_TIMEOUT = 60.0  # only reached if the writer is stuck: the test then fails with a message


def _initial_state() -> State:
    state = State(environment="crash")
    for index in range(RESOURCES):
        attributes = {"params": {"path": f"/data/{index}", "blob": "x" * 300}, "value": 0}
        state.add_resource(Resource("dataset", f"dataset.CRASH.ds_{index}", attributes))
    return state


def _writer_forever(path: str, seed: int, reports) -> None:
    """Child process: save changed states until killed, saying when each save starts and how long it took."""
    backend = LocalFileBackend(path, history_limit=5)
    rng = random.Random(seed)
    while True:
        try:
            state = backend.load()
        except StateNotFoundError:
            state = _initial_state()
        name = f"dataset.CRASH.ds_{rng.randrange(RESOURCES)}"
        resource = state.resources[name]
        resource.attributes["value"] = resource.attributes["value"] + 1
        resource.refresh_checksum()
        reports.send(("saving", 0.0))
        started = time.perf_counter()
        backend.save(state)
        reports.send(("saved", time.perf_counter() - started))


def _next_report(receiver, expected: str) -> float:
    while True:
        assert receiver.poll(REPORT_TIMEOUT), f"the writer reported no '{expected}' within {REPORT_TIMEOUT:.0f} s"
        kind, seconds = receiver.recv()
        if kind == expected:
            return seconds


def _temp_files(directory) -> list:
    return [path for path in directory.rglob("*.tmp")]


@pytest.mark.slow
def test_200_kill9_during_save_leave_no_corrupt_state(tmp_path):
    path = tmp_path / "crash.state.json"
    LocalFileBackend(path).save(_initial_state())
    context = multiprocessing.get_context("fork")
    rng = random.Random(20261127)
    corrupt = interrupted = 0
    most_temp_files = 0
    serials = [LocalFileBackend(path).load().serial]
    for round_number in range(KILLS):
        receiver, sender = context.Pipe(duplex=False)
        writer = context.Process(target=_writer_forever, args=(str(path), round_number, sender))
        writer.start()
        sender.close()
        try:
            save_seconds = _next_report(receiver, "saved")  # at least one save landed in this round
            _next_report(receiver, "saving")  # the writer is inside its next save now
            time.sleep(rng.uniform(0.0, save_seconds * 1.2))  # a random point of it (or just after it)
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.join()
            receiver.close()
        leftovers = len(_temp_files(tmp_path))
        interrupted += leftovers > 0
        most_temp_files = max(most_temp_files, leftovers)
        checker = LocalFileBackend(path)
        try:
            state = checker.load()
            for entry in checker.history():
                checker.load(serial=entry.serial)
        except Exception:  # any failure to load is what this test counts
            corrupt += 1
            continue
        serials.append(state.serial)
    # A new writer sweeps what the killed ones left behind.
    with LocalFileBackend(path).lock("check"):
        pass
    print(f"\n{KILLS} kill -9 during save: {corrupt} corrupt, {interrupted} left a temp file (killed mid-write), "
          f"serial {serials[0]} -> {serials[-1]}")
    assert corrupt == 0
    assert all(later > earlier for earlier, later in zip(serials, serials[1:])), \
        "a round without a landed save, or the serial went backwards after a crash"
    assert interrupted > 0, "no kill landed in the middle of a write: the test did not exercise crashes"
    assert most_temp_files <= 2, "temp files pile up across crashes"
    assert _temp_files(tmp_path) == []
