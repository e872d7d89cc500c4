"""Crash safety of the local backend: kill -9 a writer at random points of a save, again and again.

Each round forks a writer that loops load -> change -> save on a state of 300 resources (a save takes a few
milliseconds, so random kills land in every phase: temp write, fsync, link, rename, history pruning), kills it
with SIGKILL after a random delay, then checks that the state still loads (old or new content), that every
snapshot in the history loads, and that temp files do not pile up.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import StateNotFoundError
from dataiku_iac.models.state import Resource, State

KILLS = 200
RESOURCES = 300


def _initial_state() -> State:
    state = State(environment="crash")
    for index in range(RESOURCES):
        attributes = {"params": {"path": f"/data/{index}", "blob": "x" * 300}, "value": 0}
        state.add_resource(Resource("dataset", f"dataset.CRASH.ds_{index}", attributes))
    return state


def _writer_forever(path: str, seed: int) -> None:
    """Child process: save changed states until killed."""
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
        backend.save(state)


def _temp_files(directory) -> list:
    return [path for path in directory.rglob("*.tmp")]


def test_200_kill9_during_save_leave_no_corrupt_state(tmp_path):
    path = tmp_path / "crash.state.json"
    LocalFileBackend(path).save(_initial_state())
    context = multiprocessing.get_context("fork")
    rng = random.Random(20261127)
    corrupt = interrupted = 0
    most_temp_files = 0
    serials = []
    for round_number in range(KILLS):
        writer = context.Process(target=_writer_forever, args=(str(path), round_number))
        writer.start()
        time.sleep(rng.uniform(0.005, 0.06))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
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
    print(f"\n{KILLS} kill -9 during save: {corrupt} corrupt, {interrupted} left a temp file, "
          f"serial {serials[0]} -> {serials[-1]}")
    assert corrupt == 0
    assert serials == sorted(serials), "the serial went backwards after a crash"
    assert serials[-1] > serials[0], "the writers never managed to save: the test did not exercise saves"
    assert most_temp_files <= 2, "temp files pile up across crashes"
    assert _temp_files(tmp_path) == []
