"""StateManager (seed §9 requirements), drift detection and refresh, through dataikuapi against the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.diff import DiffEngine
from dataiku_iac.dss.client import client_settings, make_client
from dataiku_iac.exceptions import (
    ConfigError,
    ResourceNotFoundError,
    StaleStateError,
    StateLockedError,
    StateNotFoundError,
    SyncError,
)
from dataiku_iac.manager import DriftResult, RefreshResult, StateManager
from dataiku_iac.models.diff import ChangeType
from dataiku_iac.models.state import Resource, State
from dss_emulator import DSSEmulator

KEY = "CUSTOMER_ANALYTICS"
OTHER = "SYN_OTHER"


@pytest.fixture
def backend(tmp_path: Path) -> LocalFileBackend:
    return LocalFileBackend(tmp_path / "state" / "dev.state.json")


@pytest.fixture
def client(emulator: DSSEmulator) -> Any:
    return make_client(emulator.url, emulator.api_key, timeout=10.0, retries=1)


class FullManager(StateManager):
    """A manager whose drift checks and refreshes always read in full (``--full``)."""

    def detect_drift(self, *args: Any, **kwargs: Any) -> DriftResult:
        kwargs["full"] = True
        return super().detect_drift(*args, **kwargs)

    def refresh(self, *args: Any, **kwargs: Any) -> RefreshResult:
        kwargs["full"] = True
        return super().refresh(*args, **kwargs)


#: Every test of a manager runs in both sync modes: incremental (the default) and full.
@pytest.fixture(params=["incremental", "full"])
def manager(request: Any, backend: LocalFileBackend, client: Any) -> StateManager:
    kind = StateManager if request.param == "incremental" else FullManager
    return kind(backend, client, "dev", retry_backoff=0.01)


# -- seed requirements -----------------------------------------------------------------------------------

def test_load_state_is_empty_without_a_stored_state(manager: StateManager) -> None:
    state = manager.load_state()
    assert isinstance(state, State) and state.environment == "dev" and not state.resources


def test_save_and_load(manager: StateManager, backend: LocalFileBackend) -> None:
    original = manager.sync_project(KEY)
    assert original.serial == 0 and original.lineage is None  # fresh: the backend numbers saves
    manager.save_state(original)
    assert backend.exists() and original.serial == 1 and original.lineage
    loaded = manager.load_state()
    assert loaded.serial == original.serial and len(loaded.resources) == len(original.resources) == 7
    assert DiffEngine().summary(DiffEngine().diff(original, loaded))["unchanged"] == 7


def test_sync_resource_delegates_to_the_type(manager: StateManager) -> None:
    assert manager.sync_resource(f"dataset.{KEY}.raw_customers").attributes["formatType"] == "csv"
    assert manager.sync_resource(f"project.{KEY}").resource_type == "project"
    assert manager.sync_resource(f"saved_model.{KEY}.Lw3fT9dR").resource_type == "saved_model"
    with pytest.raises(ValueError):
        manager.sync_resource("widget.P.x")
    with pytest.raises(ResourceNotFoundError):
        manager.sync_resource(f"recipe.{KEY}.nope")


def test_sync_project_with_and_without_children(manager: StateManager) -> None:
    full = manager.sync_project(KEY, include_children=True)
    assert full.counts_by_type() == {"project": 1, "dataset": 2, "recipe": 1, "scenario": 1,
                                     "managed_folder": 1, "saved_model": 1}
    assert all(r.metadata.last_modified_by == "jane.doe" for r in full.list_resources())
    alone = manager.sync_project(KEY, include_children=False)
    assert list(alone.resources) == [f"project.{KEY}"]


def test_sync_projects_and_sync_all(manager: StateManager, emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(OTHER, datasets=4, recipes=3, scenarios=1)
    both = manager.sync_projects([KEY, OTHER])
    assert {r.project_key for r in both.list_resources()} == {KEY, OTHER}
    assert set(manager.sync_projects(OTHER).resources) == {rid for rid in both.resources if OTHER in rid}
    everything = manager.sync_all()
    assert {f"project.{k}" for k in emulator.client().list_project_keys()} <= set(everything.resources)
    assert set(manager.sync_all(include_children=False).resources) == {
        rid for rid in everything.resources if rid.startswith("project.")}


def test_unknown_project(manager: StateManager) -> None:
    with pytest.raises(ResourceNotFoundError, match="NOPE"):
        manager.sync_project("NOPE")


def test_plain_clients_get_timeouts_and_a_pool_sized_to_the_workers(backend: LocalFileBackend,
                                                                     emulator: DSSEmulator) -> None:
    plain = emulator.client()
    StateManager(backend, plain, "dev", workers=12)
    settings = client_settings(plain)
    assert settings is not None and settings.pool_size == 12 and settings.timeout == 30.0


def test_the_seed_demo_flow(manager: StateManager, backend: LocalFileBackend) -> None:
    """demo_week1.py: sync, save, reload, diff (nothing), sync again, diff (nothing)."""
    state = manager.sync_project(KEY, include_children=True)
    manager.save_state(state)
    assert backend.state_file.is_file()
    loaded_state = manager.load_state()
    diff_engine = DiffEngine()
    assert diff_engine.summary(diff_engine.diff(state, loaded_state)) == {
        "added": 0, "removed": 0, "modified": 0, "unchanged": 7}
    new_state = manager.sync_project(KEY, include_children=True)
    diffs = diff_engine.diff(loaded_state, new_state)
    assert diff_engine.format_output(diffs).startswith("No changes")
    manager.save_state(new_state)  # unchanged content: no new serial
    assert new_state.serial == loaded_state.serial == 1


# -- save binding ----------------------------------------------------------------------------------------

def test_a_fresh_sync_saved_after_someone_else_saved_is_refused(manager: StateManager, client: Any,
                                                                backend: LocalFileBackend) -> None:
    manager.save_state(manager.sync_project(KEY))
    other = StateManager(LocalFileBackend(backend.state_file), client, "dev")
    changed = other.load_state()
    changed.add_resource(Resource("dataset", f"dataset.{KEY}.extra", {"name": "extra"}))
    other.save_state(changed)
    assert changed.serial == 2
    fresh = manager.sync_project(KEY)
    with pytest.raises(StaleStateError):
        manager.save_state(fresh)
    manager.save_state(fresh, force=True)
    assert manager.load_state().serial == 3 and f"dataset.{KEY}.extra" not in manager.load_state().resources


def test_a_manager_that_never_loaded_extends_the_stored_state(manager: StateManager, client: Any,
                                                             backend: LocalFileBackend) -> None:
    manager.save_state(manager.sync_project(KEY))
    newcomer = StateManager(LocalFileBackend(backend.state_file), client, "dev")
    state = newcomer.sync_project(KEY, include_children=False)
    newcomer.save_state(state)
    assert state.serial == 2


def test_a_loaded_state_changed_many_times_is_stored_as_the_next_serial(manager: StateManager) -> None:
    """The seed's add_resource bumps the in-memory serial; the backend alone numbers what it stores."""
    manager.save_state(manager.sync_project(KEY))
    state = manager.load_state()
    for index in range(6):
        state.add_resource(Resource("dataset", f"dataset.{KEY}.added_{index}", {"n": index}))
    assert state.serial == 7
    manager.save_state(state)
    assert state.serial == 2 and manager.load_state().serial == 2


def test_a_state_built_at_an_old_serial_cannot_overwrite_newer_saves(manager: StateManager, client: Any,
                                                                   backend: LocalFileBackend) -> None:
    """Issue 10 #1: built at serial 1 with the stored lineage, 6 add_resource calls (serial 7) while others saved
    up to serial 4: refused, whatever the in-memory serial says (it used to overwrite serials 2 to 4)."""
    manager.save_state(manager.sync_project(KEY))
    lineage = manager.load_state().lineage
    other = StateManager(LocalFileBackend(backend.state_file), client, "dev")
    for index in range(3):
        changed = other.load_state()
        changed.add_resource(Resource("dataset", f"dataset.{KEY}.other_{index}", {}))
        other.save_state(changed)
    assert other.load_state().serial == 4
    built = State(environment="dev", serial=1, lineage=lineage)
    for index in range(6):
        built.add_resource(Resource("dataset", f"dataset.{KEY}.built_{index}", {}))
    assert built.serial == 7
    with pytest.raises(StaleStateError, match="serial 4"):
        manager.save_state(built)
    assert f"dataset.{KEY}.other_2" in manager.load_state().resources


def test_a_manager_that_found_no_state_does_not_overwrite_one_created_since(manager: StateManager, client: Any,
                                                                          backend: LocalFileBackend) -> None:
    assert manager.load_state().resources == {}
    StateManager(LocalFileBackend(backend.state_file), client, "dev").save_state(manager.sync_project(KEY))
    with pytest.raises(StaleStateError):
        manager.save_state(manager.sync_project(KEY, include_children=False))
    assert len(manager.load_state().resources) == 7


def test_no_unused_per_type_sync_attributes(manager: StateManager) -> None:
    assert not [name for name in vars(manager) if name.endswith("_sync")]


# -- drift -----------------------------------------------------------------------------------------------

def test_detect_drift_needs_a_baseline(manager: StateManager) -> None:
    with pytest.raises(StateNotFoundError):
        manager.detect_drift()


def test_no_drift_then_drift_described_per_attribute(manager: StateManager, client: Any,
                                                    backend: LocalFileBackend) -> None:
    manager.refresh([KEY])
    stored_bytes = backend.state_file.read_bytes()
    quiet = manager.detect_drift()
    assert isinstance(quiet, DriftResult) and not quiet.has_drift and quiet.changes() == []
    assert quiet.summary == {"added": 0, "removed": 0, "modified": 0, "unchanged": 7}
    settings = client.get_project(KEY).get_dataset("raw_customers").get_settings()
    settings.get_raw()["params"]["path"] = "/exports/crm"
    settings.save()
    drift = manager.detect_drift([KEY])
    assert drift.has_drift and [d.resource_id for d in drift.changes()] == [f"dataset.{KEY}.raw_customers"]
    change = drift.changes()[0].changes[0]
    assert (change.path_str, change.old, change.new) == ("params.path", "${crm_export_path}", "/exports/crm")
    assert backend.state_file.read_bytes() == stored_bytes and backend.list_reports() == []  # read-only


def test_drift_report(manager: StateManager, client: Any) -> None:
    manager.refresh([KEY])
    client.get_project(KEY).create_managed_folder("exports")
    report = manager.detect_drift().to_report()
    json.dumps(report)
    assert set(report["context"]) == {"environment", "baseline_serial", "baseline_lineage", "baseline_updated_at",
                                      "checked_at", "project_keys", "has_drift", "sync_mode"}
    incremental = not isinstance(manager, FullManager)
    assert report["context"]["sync_mode"] == ("incremental, 6 reused" if incremental else "full (--full)")
    assert report["context"]["environment"] == "dev" and report["context"]["baseline_serial"] == 1
    assert report["context"]["project_keys"] == [KEY] and report["context"]["has_drift"] is True
    assert report["summary"]["added"] == 1
    [added] = report["resource_changes"]
    assert added["type"] == "managed_folder" and added["after"]["name"] == "exports"
    assert added["last_modified_by"] == "admin" and added["last_modified_at"]


def test_drift_scope(manager: StateManager, client: Any, emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(OTHER, datasets=4, recipes=3, scenarios=1)
    manager.refresh([KEY, OTHER])
    client.get_project(OTHER).get_dataset(client.get_project(OTHER).list_datasets()[0]["name"]).delete()
    only_sample = manager.detect_drift([KEY])
    assert not only_sample.has_drift and {d.resource_id.split(".")[1] for d in only_sample.diffs} == {KEY}
    projects_only = manager.detect_drift(include_children=False)
    assert not projects_only.has_drift and len(projects_only.diffs) == 2
    assert manager.detect_drift().summary["removed"] == 1
    assert manager.detect_drift(all_projects=True).summary["removed"] == 1


def test_a_project_deleted_from_dss_is_drift_and_an_unknown_one_an_error(manager: StateManager, client: Any,
                                                                        emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(OTHER, datasets=3, recipes=2, scenarios=0)
    manager.refresh([KEY, OTHER])
    client.get_project(OTHER).delete()
    drift = manager.detect_drift()
    removed = [d for d in drift.diffs if d.change_type is ChangeType.REMOVED]
    assert {d.resource_id.split(".")[1] for d in removed} == {OTHER} and len(removed) == 1 + 3 + 2 + 1
    with pytest.raises(ResourceNotFoundError, match="NOPE"):
        manager.detect_drift(["NOPE"])


def test_a_failed_read_never_looks_like_a_deletion(manager: StateManager, emulator: DSSEmulator) -> None:
    manager.refresh([KEY])
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=500, count=100)
    with pytest.raises(SyncError) as caught:
        manager.detect_drift(full=True)  # incremental, an unchanged recipe is not read at all
    assert f"recipe.{KEY}.compute_customers_prepared" in caught.value.failures


def test_progress_and_user_ignore_rules(backend: LocalFileBackend, client: Any) -> None:
    calls: List[Tuple[int, int]] = []
    rule = {"resource_type": "dataset", "path": "params.path", "reason": "differs per environment"}
    manager = StateManager(backend, client, "dev", ignore_rules=[rule], progress=lambda d, t: calls.append((d, t)))
    manager.refresh([KEY])
    assert calls[-1] == (7, 7)
    settings = client.get_project(KEY).get_dataset("raw_customers").get_settings()
    settings.get_raw()["params"]["path"] = "/elsewhere"
    settings.save()
    manager.progress = None
    assert not manager.detect_drift().has_drift and manager.progress is None


# -- refresh ---------------------------------------------------------------------------------------------

def test_refresh_creates_updates_and_skips_unchanged(manager: StateManager, client: Any) -> None:
    with pytest.raises(ConfigError, match="name the projects"):
        manager.refresh()
    first = manager.refresh([KEY])
    assert isinstance(first, RefreshResult) and first.saved and first.state.serial == 1
    assert [d.change_type for d in first.diffs] == [ChangeType.ADDED] * 7 and len(first.changes()) == 7
    again = manager.refresh()
    assert not again.saved and again.state.serial == 1 and again.changes() == []
    settings = client.get_project(KEY).get_recipe("compute_customers_prepared").get_settings()
    settings.set_code("print(1)\n")
    settings.save()
    changed = manager.refresh()
    assert changed.saved and changed.state.serial == 2
    assert [d.resource_id for d in changed.changes()] == [f"recipe.{KEY}.compute_customers_prepared"]
    assert changed.changes()[0].changes[0].text_diff


def test_refresh_keeps_projects_outside_its_scope(manager: StateManager, emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(OTHER, datasets=3, recipes=2, scenarios=0)
    manager.refresh([KEY, OTHER])
    result = manager.refresh([OTHER], include_children=False)
    assert not result.saved
    assert {r.project_key for r in result.state.list_resources()} == {KEY, OTHER}
    assert len(result.state.resources) == 7 + 1 + 3 + 2 + 1
    everything = manager.refresh(all_projects=True)
    assert {f"project.{k}" for k in emulator.client().list_project_keys()} <= set(everything.state.resources)


def test_refresh_writes_nothing_when_a_read_fails(manager: StateManager, emulator: DSSEmulator,
                                                 backend: LocalFileBackend) -> None:
    manager.refresh([KEY])
    before = backend.state_file.read_bytes()
    emulator.inject_fault("GET", r"/projects/CUSTOMER_ANALYTICS/variables/?$", status=500, count=100)
    with pytest.raises(SyncError, match=f"project.{KEY}"):
        manager.refresh()
    assert backend.state_file.read_bytes() == before and [e.serial for e in backend.history()] == [1]


def test_refresh_holds_the_lock(backend: LocalFileBackend, client: Any) -> None:
    holder = LocalFileBackend(backend.state_file)
    waiting = StateManager(LocalFileBackend(backend.state_file, lock_timeout=0.1), client, "dev")
    with holder.lock("someone else's sync"), pytest.raises(StateLockedError):
        waiting.refresh([KEY])


# -- accepting the live state ----------------------------------------------------------------------------

def test_accept_live_stores_what_was_reviewed_and_keeps_what_was_not_checked(manager: StateManager, client: Any,
                                                                            emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project(OTHER, datasets=3, recipes=2, scenarios=0)
    first = manager.refresh([KEY, OTHER]).state
    settings = client.get_project(KEY).get_recipe("compute_customers_prepared").get_settings()
    settings.set_code("print('reviewed')\n")
    settings.save()
    for include_children in (False, True):
        result = manager.detect_drift([KEY], include_children=include_children)
        assert result.has_drift is include_children
        if include_children:
            accepted = manager.accept_live(result)
    assert accepted.serial == first.serial + 1
    stored = manager.load_state()
    assert set(stored.resources) == set(first.resources)  # the other project and every child are still there
    assert stored.resources[f"recipe.{KEY}.compute_customers_prepared"].attributes["payload"] == "print('reviewed')\n"
    assert not manager.detect_drift().has_drift


def test_accept_live_of_a_projects_only_check_keeps_the_children(manager: StateManager, client: Any) -> None:
    first = manager.refresh([KEY]).state
    client.get_project(KEY).get_metadata()  # nothing changes: a projects-only check of an unchanged project
    result = manager.detect_drift(include_children=False)
    stored = manager.accept_live(result)
    assert set(stored.resources) == set(first.resources) and stored.serial == first.serial


def test_accept_live_after_someone_else_saved_is_refused(manager: StateManager, client: Any,
                                                       backend: LocalFileBackend) -> None:
    manager.refresh([KEY])
    result = manager.detect_drift()
    other = StateManager(backend, client, "dev")
    settings = client.get_project(KEY).get_recipe("compute_customers_prepared").get_settings()
    settings.set_code("print('meanwhile')\n")
    settings.save()
    other.refresh()
    with pytest.raises(StaleStateError):
        manager.accept_live(result)
