"""State format v2: which objects the config manages; version 1 files are upgraded on read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import StateCorruptedError
from dataiku_iac.models.state import STATE_FORMAT_VERSION, ManagedEntry, Resource, State, recorded_ids
from dataiku_iac.state_format import decode_state, encode_state, schema_problems, state_schema

V1_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_state.json"


def managed_state() -> State:
    state = State(serial=4, lineage="lin", environment="dev")
    state.resources = {rid: Resource(rid.split(".")[0], rid, {"name": rid.split(".")[-1]}) for rid in (
        "project.P", "dataset.P.orders", "managed_folder.P.F1x2y3z4", "scenario.P.NIGHTLY")}
    state.managed = {
        "dataset.P.orders": ManagedEntry("orders", "created", ("project.P",), protect=True),
        "managed_folder.P.F1x2y3z4": ManagedEntry("inbox", "adopted", ("project.P",)),
        "scenario.P.NIGHTLY": ManagedEntry("Nightly", "adopted", ("dataset.P.orders", "project.P")),
    }
    return state


def test_a_version_1_file_loads_upgraded_with_nothing_managed() -> None:
    data = V1_FILE.read_bytes()
    assert json.loads(data)["version"] == 1
    state = decode_state(data, str(V1_FILE))
    assert state.version == STATE_FORMAT_VERSION == 2 and state.managed == {}
    assert state.resources  # every resource kept
    again = json.loads(encode_state(state))  # written as version 2
    assert again["version"] == 2 and again["managed"] == {} and schema_problems(again) == []
    assert decode_state(encode_state(state), "again").resources == state.resources


def test_version_2_round_trips_the_managed_section() -> None:
    state = managed_state()
    document = json.loads(encode_state(state))
    assert document["managed"]["dataset.P.orders"] == {"config_key": "orders", "origin": "created",
                                                        "dependencies": ["project.P"], "protect": True}
    loaded = decode_state(encode_state(state), "x")
    assert loaded.managed == state.managed and loaded.resources == state.resources
    assert recorded_ids(loaded.managed) == {("managed_folder", "P", "inbox"): "F1x2y3z4",
                                            ("scenario", "P", "Nightly"): "NIGHTLY"}


@pytest.mark.parametrize("entry, problem", [
    ({"config_key": "o", "origin": "stolen", "dependencies": [], "protect": False}, "origin"),
    ({"config_key": "o", "origin": "created", "dependencies": [], "protect": "yes"}, "protect"),
    ({"config_key": "o", "origin": "created", "dependencies": ["nope"], "protect": False}, "dependencies"),
    ({"config_key": "o", "origin": "created", "dependencies": []}, "protect"),
])
def test_a_bad_managed_entry_is_refused_naming_it(entry: dict, problem: str) -> None:
    document = json.loads(encode_state(managed_state()))
    document["managed"]["dataset.P.orders"] = entry
    with pytest.raises(StateCorruptedError, match=r"managed.*dataset\.P\.orders") as caught:
        decode_state(json.dumps(document).encode(), "x")
    assert problem in str(caught.value)


def test_a_version_2_file_needs_its_managed_section_and_the_schemas_are_valid() -> None:
    from jsonschema import Draft7Validator

    for version in (1, 2):
        Draft7Validator.check_schema(state_schema(version))
    document = json.loads(encode_state(managed_state()))
    del document["managed"]
    assert any("managed" in problem for problem in schema_problems(document))


def test_the_managed_section_counts_in_what_a_save_changes(tmp_path: Path) -> None:
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    state = managed_state()
    state.managed = {}
    state.lineage = None
    backend.save(state)
    loaded = backend.load()
    loaded.managed = {"dataset.P.orders": ManagedEntry("orders")}
    before = loaded.serial
    backend.save(loaded)  # same resources, new managed entries: a real save, not a no-op
    assert backend.load().serial == before + 1 and backend.load().managed == loaded.managed


def test_a_sync_keeps_what_the_config_manages(emulator, tmp_path: Path) -> None:
    """Regression: a refresh rebuilt the state without its managed section, so a sync after generate
    made every object look unmanaged again (and deletions of objects removed from the config were lost)."""
    from dataiku_iac.manager import StateManager

    backend = LocalFileBackend(tmp_path / "dev.state.json")
    manager = StateManager(backend, emulator.client(), "dev")
    manager.refresh(["CUSTOMER_ANALYTICS"])
    state = backend.load()
    state.managed = {"dataset.CUSTOMER_ANALYTICS.raw_customers": ManagedEntry("raw_customers")}
    backend.save(state)
    settings = emulator.client().get_project("CUSTOMER_ANALYTICS").get_dataset("raw_customers").get_settings()
    settings.get_raw_params()["path"] = "/elsewhere"
    settings.save()
    manager.refresh(["CUSTOMER_ANALYTICS"])
    assert backend.load().managed == state.managed
