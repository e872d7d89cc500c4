"""Concurrent writers on the local backend: 8 processes load, change and save the same environment.

Every save must either land with a higher serial or fail with StateLockedError/StaleStateError whose message
names the holder or the serials; no successful write may be lost (each is in the history under its serial),
and the final state file must be valid.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import StaleStateError, StateLockedError
from dataiku_iac.models.state import Resource, State

WRITERS = 8
SAVES_EACH = 25


def _writer(path: str, writer_id: int, results) -> None:
    backend = LocalFileBackend(path, history_limit=10_000, lock_timeout=0.05)
    outcome = {"landed": [], "locked": 0, "stale": 0, "bad_message": 0}
    for attempt in range(SAVES_EACH):
        state = backend.load()
        rid = f"dataset.CONC.w{writer_id}_{attempt}"
        state.add_resource(Resource("dataset", rid, {"writer": writer_id, "attempt": attempt}))
        try:
            backend.save(state)
        except StateLockedError as exc:
            outcome["locked"] += 1
            outcome["bad_message"] += "pid" not in str(exc) and "another process" not in str(exc)
        except StaleStateError as exc:
            outcome["stale"] += 1
            outcome["bad_message"] += f"serial {exc.stored_serial}" not in str(exc)
        else:
            outcome["landed"].append((state.serial, rid))
    results.put((writer_id, outcome))


@pytest.mark.slow
def test_8_concurrent_writers_lose_no_update(tmp_path):
    path = tmp_path / "conc.state.json"
    seed = State(environment="conc")
    seed.add_resource(Resource("project", "project.CONC", {"name": "concurrency"}))
    LocalFileBackend(path).save(seed)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    writers = [context.Process(target=_writer, args=(str(path), n, results)) for n in range(WRITERS)]
    for writer in writers:
        writer.start()
    outcomes = dict(results.get(timeout=120) for _ in writers)
    for writer in writers:
        writer.join(timeout=30)
        assert writer.exitcode == 0

    backend = LocalFileBackend(path, history_limit=10_000)
    final = backend.load()  # the final file is valid
    landed = [entry for outcome in outcomes.values() for entry in outcome["landed"]]
    serials = [serial for serial, _ in landed]
    # A landed save was based on the newest stored state, so every landed change is in the final state too.
    lost = [rid for serial, rid in landed if rid not in backend.load(serial=serial).resources]
    lost += [rid for _, rid in landed if rid not in final.resources]
    refused = sum(o["locked"] + o["stale"] for o in outcomes.values())
    print(f"\n{WRITERS} concurrent writers x {SAVES_EACH} saves: {len(landed)} landed, {refused} refused "
          f"(locked or stale), {len(lost)} lost updates; final serial {final.serial}")
    assert len(landed) + refused == WRITERS * SAVES_EACH
    assert lost == []
    assert len(set(serials)) == len(serials), "two saves landed with the same serial"
    assert all(o["bad_message"] == 0 for o in outcomes.values())
    for outcome in outcomes.values():
        own = [serial for serial, _ in outcome["landed"]]
        assert own == sorted(own)
    assert final.serial == max(serials)
    assert len(landed) > WRITERS, "almost nothing landed: the test did not exercise concurrent saves"
    assert os.listdir(tmp_path)  # sanity: the files are where we looked
