"""Incremental drift (issue 15): the stored objects whose DSS version tag did not move are reused, the others
read; through the real dataikuapi client against the emulator."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataiku_iac import __version__
from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.dss.client import make_client
from dataiku_iac.manager import StateManager
from dataiku_iac.models.state import State
from dataiku_iac.report.json_report import diffs_to_json
from dataiku_iac.sync.incremental import SyncMode, current_stamp, stamp_after, usable_baseline
from dataiku_iac.sync.rules import SyncRules
from dataiku_iac.timeutil import utc_now
from dss_emulator import DSSEmulator

KEY = "CUSTOMER_ANALYTICS"
SYN = "SYN_INC"
KEY_A = "a" * 32
KEY_B = "b" * 32


@pytest.fixture
def client(emulator: DSSEmulator) -> Any:
    return make_client(emulator.url, emulator.api_key, timeout=10.0, retries=1)


@pytest.fixture
def backend(tmp_path: Path) -> LocalFileBackend:
    return LocalFileBackend(tmp_path / "dev.state.json")


def manager_for(backend: LocalFileBackend, client: Any, **kwargs: Any) -> StateManager:
    kwargs.setdefault("redaction_key", KEY_A)
    return StateManager(backend, client, "dev", retry_backoff=0.01, **kwargs)


def object_reads(emulator: DSSEmulator) -> List[str]:
    """The GETs of single objects (not listings) the emulator served."""
    return [entry["path"] for entry in emulator.request_log()
            if entry["method"] == "GET" and not entry["path"].endswith("/")]


def drift_changes(result: Any) -> List[Dict[str, Any]]:
    return diffs_to_json(result.diffs)["resource_changes"]


# -- what an incremental check reads -------------------------------------------------------------------------

def test_an_unchanged_project_is_checked_from_its_listings(emulator: DSSEmulator, backend: LocalFileBackend,
                                                           client: Any) -> None:
    emulator.add_synthetic_project(SYN, datasets=21, recipes=20, scenarios=5)
    manager = manager_for(backend, client)
    manager.refresh([SYN])
    emulator.clear_request_counts()
    result = manager.detect_drift()
    assert not result.has_drift
    assert result.sync_mode is not None and result.sync_mode.incremental
    children = len(result.live.resources) - 1
    assert result.sync_mode.reused == children == 21 + 20 + 5 + 1
    recipe_or_scenario_reads = [p for p in object_reads(emulator) if "/recipes/" in p or "/scenarios/" in p]
    assert recipe_or_scenario_reads == []
    full = manager.detect_drift(full=True)
    assert full.sync_mode == SyncMode(False, "--full") and not full.has_drift
    assert result.to_report()["context"]["sync_mode"] == f"incremental, {children} reused"


def test_only_the_objects_whose_tag_moved_are_read(emulator: DSSEmulator, backend: LocalFileBackend,
                                                   client: Any) -> None:
    manager = manager_for(backend, client)
    manager.refresh([KEY])
    recipe = client.get_project(KEY).get_recipe("compute_customers_prepared")
    settings_ = recipe.get_settings()
    settings_.set_payload("# edited\n")
    settings_.save()
    emulator.clear_request_counts()
    incremental = manager.detect_drift()
    reads = object_reads(emulator)
    recipe_path = f"/dip/publicapi/projects/{KEY}/recipes/compute_customers_prepared"
    assert [p for p in reads if "/recipes/" in p] == [recipe_path]
    full = manager.detect_drift(full=True)
    assert drift_changes(incremental) == drift_changes(full)
    assert [c["address"] for c in drift_changes(incremental)] == [f"recipe.{KEY}.compute_customers_prepared"]


def test_an_edit_dss_makes_without_a_new_tag_is_missed_by_incremental_and_found_by_full(
        emulator: DSSEmulator, backend: LocalFileBackend, client: Any) -> None:
    manager = manager_for(backend, client)
    manager.refresh([KEY])
    # The definition changes in DSS's store, the version tag does not (what an incremental check cannot see).
    emulator.backend.project(KEY).recipes.get("compute_customers_prepared").definition["tags"] = ["untagged edit"]
    assert not manager.detect_drift().has_drift
    found = manager.detect_drift(full=True)
    assert [c["address"] for c in drift_changes(found)] == [f"recipe.{KEY}.compute_customers_prepared"]


# -- when the baseline cannot serve -------------------------------------------------------------------------

def test_a_state_without_sync_stamp_is_read_in_full_and_a_refresh_stamps_it(
        backend: LocalFileBackend, client: Any) -> None:
    manager = manager_for(backend, client)
    manager.save_state(manager.sync_project(KEY))  # the seed's flow: no stamp
    assert manager.detect_drift().sync_mode == SyncMode(False, "no incremental baseline")
    result = manager.refresh()
    assert result.state.sync_stamp["tool_version"] == __version__
    assert backend.load().sync_stamp == result.state.sync_stamp
    assert manager.detect_drift().sync_mode.incremental


def test_other_ignore_rules_or_redaction_key_read_in_full(backend: LocalFileBackend, client: Any) -> None:
    manager_for(backend, client).refresh([KEY])
    rule = {"resource_type": "dataset", "path": "params.path", "reason": "per environment"}
    other_rules = manager_for(backend, client, ignore_rules=[rule]).detect_drift()
    assert other_rules.sync_mode == SyncMode(False, "ignore rules changed since the baseline")
    other_key = manager_for(backend, client, redaction_key=KEY_B).detect_drift()
    assert other_key.sync_mode == SyncMode(False, "redaction key changed since the baseline")
    assert manager_for(backend, client).detect_drift().sync_mode.incremental


def test_a_baseline_of_another_tool_version_or_too_old_is_read_in_full() -> None:
    rules = SyncRules(redaction_key=KEY_A)
    now = utc_now()
    state = State(sync_stamp=current_stamp(rules, now - timedelta(hours=25)))
    assert usable_baseline(state, rules, now=now) == SyncMode(False, "last full read older than 24 h")
    assert usable_baseline(state, rules, now=now, max_age=timedelta(hours=48)).incremental
    state.sync_stamp["tool_version"] = "0.0.1"
    assert usable_baseline(state, rules, now=now, max_age=timedelta(hours=48)) == SyncMode(
        False, "baseline written by dataiku-iac 0.0.1")
    assert usable_baseline(State(sync_stamp=current_stamp(rules, now)), rules, full=True) == SyncMode(False, "--full")


def test_the_full_read_time_moves_only_with_a_full_read_of_the_whole_state() -> None:
    rules = SyncRules(redaction_key=KEY_A)
    now = utc_now()
    old = current_stamp(rules, now - timedelta(hours=13))
    previous = State(sync_stamp=dict(old))
    assert stamp_after(previous, rules, SyncMode(True, ""), [KEY], now=now) == old
    # a full read restarts the age once past half of it (an unchanged state is not re-saved at every full read)
    assert stamp_after(previous, rules, SyncMode(False, "--full"), [KEY], now=now) == current_stamp(rules, now)
    recent = State(sync_stamp=current_stamp(rules, now - timedelta(hours=1)))
    assert stamp_after(recent, rules, SyncMode(False, "--full"), [KEY], now=now) == recent.sync_stamp


def test_a_listing_without_version_tags_is_read_as_before(emulator: DSSEmulator, backend: LocalFileBackend,
                                                          client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = manager_for(backend, client)
    manager.refresh([KEY])
    from dataiku_iac.types import RECIPE

    original = type(RECIPE).list_items

    def untagged(self: Any, client_: Any, key: str) -> List[Dict[str, Any]]:
        return [{k: v for k, v in item.items() if k != "versionTag"} for item in original(self, client_, key)]

    monkeypatch.setattr(type(RECIPE), "list_items", untagged)
    emulator.clear_request_counts()
    result = manager.detect_drift()
    assert result.sync_mode.incremental and result.sync_mode.reused == 5  # every child but the recipe
    assert [p for p in object_reads(emulator) if "/recipes/" in p]


# -- incremental drift == full drift -------------------------------------------------------------------------

_NEW_NAMES = itertools.count()
EDITS = ("dataset_path", "recipe_payload", "scenario_active", "delete_dataset", "create_dataset",
         "project_description", "untouched")


def apply_edit(client: Any, edit: str, n: int) -> None:
    project = client.get_project(SYN)
    datasets = sorted(item["name"] for item in project.list_datasets())
    recipes = sorted(item["name"] for item in project.list_recipes(as_type="listitems"))
    scenarios = sorted(item["id"] for item in project.list_scenarios(as_type="listitems"))
    if edit == "dataset_path" and datasets:
        settings_ = project.get_dataset(datasets[n % len(datasets)]).get_settings()
        settings_.get_raw()["params"]["path"] = f"/edited/{n}"
        settings_.save()
    elif edit == "recipe_payload" and recipes:
        recipe_settings = project.get_recipe(recipes[n % len(recipes)]).get_settings()
        recipe_settings.set_payload(f"# edit {n}\n")
        recipe_settings.save()
    elif edit == "scenario_active" and scenarios:
        scenario_settings = project.get_scenario(scenarios[n % len(scenarios)]).get_settings()
        scenario_settings.get_raw()["active"] = not scenario_settings.get_raw().get("active")
        scenario_settings.save()
    elif edit == "delete_dataset" and datasets:
        project.get_dataset(datasets[n % len(datasets)]).delete()
    elif edit == "create_dataset":
        n = next(_NEW_NAMES)  # the project lives on across examples: every created name is new
        project.create_dataset(f"new_{n}", "Filesystem", params={"connection": "filesystem_managed",
                                                                 "path": f"/new/{n}"})
    elif edit == "project_description":
        metadata = project.get_metadata()
        metadata["description"] = f"edited {n}"
        project.set_metadata(metadata)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 50)), max_size=6))
def test_incremental_drift_equals_full_drift(emulator: DSSEmulator, tmp_path: Path, client: Any,
                                             edits: List[Any]) -> None:
    if SYN not in emulator.backend.project_keys():
        emulator.add_synthetic_project(SYN, datasets=6, recipes=5, scenarios=3)
    backend = LocalFileBackend(tmp_path / f"{len(list(tmp_path.iterdir()))}.state.json")
    manager = manager_for(backend, client)
    manager.refresh([SYN])
    for edit, n in edits:
        apply_edit(client, edit, n)
    incremental, full = manager.detect_drift(), manager.detect_drift(full=True)
    assert incremental.sync_mode.incremental and not full.sync_mode.incremental
    assert drift_changes(incremental) == drift_changes(full)
    assert incremental.summary == full.summary


# -- the state format ---------------------------------------------------------------------------------------

def test_the_version_tag_and_the_stamp_round_trip_through_the_file_and_old_states_load() -> None:
    import orjson

    from dataiku_iac.models.state import Resource, ResourceMetadata, content_fingerprint_of
    from dataiku_iac.state_format import encode_state, schema_problems

    tagged = Resource("dataset", f"dataset.{KEY}.orders", {"params": {}},
                      ResourceMetadata(last_modified_at=utc_now(), version_number=7))
    checksum = tagged.metadata.checksum
    state = State(environment="dev", resources={tagged.resource_id: tagged},
                  sync_stamp=current_stamp(SyncRules(redaction_key=KEY_A), utc_now()))
    document = orjson.loads(encode_state(state))  # validated against state_v2.schema.json
    assert document["resources"][tagged.resource_id]["metadata"]["version_number"] == 7
    loaded = State.from_dict(document)
    assert loaded.resources[tagged.resource_id].metadata.version_number == 7
    assert loaded.resources[tagged.resource_id].metadata.checksum == checksum  # the tag is outside the checksum
    assert loaded.sync_stamp == state.sync_stamp
    assert content_fingerprint_of(document) == state.content_fingerprint() == loaded.content_fingerprint()
    # A state written before: no version_number, no sync section; it loads and cannot serve incrementally.
    del document["sync"], document["resources"][tagged.resource_id]["metadata"]["version_number"]
    assert schema_problems(document) == []
    old = State.from_dict(document)
    assert old.sync_stamp == {} and old.resources[tagged.resource_id].metadata.version_number is None
    assert "version_number" not in old.resources[tagged.resource_id].metadata.to_dict()
    document["sync"] = {"tool_version": 1}
    assert schema_problems(document)
