"""LocalFileBackend: the backend contract, plus what only a file system has (atomic rename, sidecar lock)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dataiku_iac.backends.base import validate_environment_name
from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import ConfigError, StateWriteError

from .contract import BackendContract, make_state


class TestLocalContract(BackendContract):
    def corrupt_current(self, backend, data):
        backend.state_file.write_bytes(data)

    def stored_current(self, backend):
        return backend.state_file.read_bytes()

    def stored_snapshots(self, backend):
        if not backend.history_dir.is_dir():
            return {}
        return {path.name[: -len(".json")]: path.read_bytes() for path in backend.history_dir.glob("*.json")}

    @pytest.fixture
    def make_backend(self, tmp_path):
        counter = {"fresh": 0}

        def make(history_limit=20, lock_timeout=5.0, report_limit=50, fresh=False):
            if fresh:
                counter["fresh"] += 1
                return LocalFileBackend(tmp_path / f"fresh{counter['fresh']}.state.json")
            return LocalFileBackend(tmp_path / "dev.state.json", history_limit, lock_timeout, report_limit)

        return make


def test_default_location_and_directories_are_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    backend = LocalFileBackend.for_environment("prod")
    assert backend.state_file == Path(".dataiku/state/prod.state.json")
    assert backend.state_file.parent.is_dir()
    nested = LocalFileBackend(tmp_path / "a" / "b" / "c.state.json")
    nested.save(make_state("x"))
    assert (tmp_path / "a" / "b" / "c.state.json").is_file()
    assert (tmp_path / "a" / "b" / "c.state.json.history").is_dir()


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".hidden", "x" * 65, "a..b", "dev\n"])
def test_environment_names_that_could_escape_are_refused(name, tmp_path):
    with pytest.raises(ConfigError, match="environment name"):
        LocalFileBackend.for_environment(name, tmp_path)


def test_valid_environment_names():
    for name in ("dev", "prod-eu", "team_a.v2", "2024"):
        assert validate_environment_name(name) == name


def test_file_is_sorted_indented_with_final_newline(tmp_path):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.save(make_state("b", "a"))
    text = backend.state_file.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "environment": "dev",')
    assert json.loads(text)["serial"] == 1  # the backend numbers saves, not add_resource


def test_file_bytes_are_exactly_the_encoding_of_the_loaded_state(tmp_path):
    from dataiku_iac.state_format import encode_state

    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.save(make_state("b", "a"))
    assert backend.state_file.read_bytes() == encode_state(backend.load())


def test_no_temp_files_left_after_saves(tmp_path):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    for value in range(3):
        state = backend.load() if backend.exists() else make_state("a")
        state.add_resource(make_state("a", value=value).resources["dataset.P.a"])
        backend.save(state)
    leftovers = [p.name for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []


def test_failed_rename_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.save(make_state("a"))
    before = backend.state_file.read_bytes()
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("dev.state.json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    state = backend.load()
    state.add_resource(make_state("b").resources["dataset.P.b"])
    with pytest.raises(StateWriteError, match="No space left"):
        backend.save(state)
    assert backend.state_file.read_bytes() == before
    assert list(tmp_path.rglob("*.tmp")) == []


def test_lock_info_is_written_while_held_and_removed_after(tmp_path):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    with backend.lock("sync"):
        info = json.loads(backend.lock_info_file.read_text())
        assert info["operation"] == "sync" and "pid" in info["who"] and info["id"]
        assert backend.lock_info().to_dict() == info
    assert not backend.lock_info_file.exists()
    assert backend.lock_info() is None


def test_lock_left_by_a_dead_process_is_reported_then_taken_over(tmp_path, caplog):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.lock_info_file.write_text(json.dumps({"id": "dead-1", "who": "ghost"}))
    with caplog.at_level("WARNING"):
        backend.save(make_state("a"))
    assert "dead-1" in caplog.text
    assert backend.load().serial == 1


def test_unreadable_lock_info_is_reported_not_fatal(tmp_path):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.lock_info_file.write_text("{garbage")
    assert backend.lock_info()["who"].startswith("unknown")


def test_history_limit_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="history_limit"):
        LocalFileBackend(tmp_path / "x.json", history_limit=0)


def test_corrupt_report_is_reported(tmp_path):
    from dataiku_iac.exceptions import StateCorruptedError

    backend = LocalFileBackend(tmp_path / "dev.state.json")
    name = backend.save_report({"a": 1})
    (backend.reports_dir / f"{name}.json").write_text("[1]")
    with pytest.raises(StateCorruptedError, match="JSON object"):
        backend.load_report()
    (backend.reports_dir / f"{name}.json").write_text("{")
    with pytest.raises(StateCorruptedError, match="invalid JSON"):
        backend.load_report()


def test_temp_files_left_by_a_killed_writer_are_swept_on_next_lock(tmp_path):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.save(make_state("a"))
    left = [tmp_path / ".dev.state.json.abc123.tmp", backend.history_dir / ".serial-00000002.json.x.tmp"]
    for path in left:
        path.write_bytes(b"half a state")
    other_env = tmp_path / ".prod.state.json.keep.tmp"  # another environment's file: not ours to touch
    other_env.write_bytes(b"x")
    with backend.lock("sync"):
        pass
    assert [path.exists() for path in left] == [False, False]
    assert other_env.exists()


def test_force_unlock_needs_the_right_id_and_breaks_a_live_lock(tmp_path):
    from dataiku_iac.exceptions import StateError, StateLockedError

    holder = LocalFileBackend(tmp_path / "dev.state.json")
    waiter = LocalFileBackend(tmp_path / "dev.state.json", lock_timeout=0.1)
    with pytest.raises(StateError, match="nothing to unlock"):
        waiter.force_unlock("any")
    with holder.lock("stuck apply"):
        with pytest.raises(StateLockedError) as caught:
            waiter.save(make_state("b"))
        lock_id = caught.value.info["id"]
        with pytest.raises(StateError, match="not wrong-id"):
            waiter.force_unlock("wrong-id")
        assert waiter.force_unlock(lock_id)["operation"] == "stuck apply"
        waiter.save(make_state("b"))  # the broken lock no longer blocks
    assert waiter.load().resources.keys() == {"dataset.P.b"}


def test_force_unlock_of_a_dead_holders_record(tmp_path):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.lock_info_file.write_text(json.dumps({"id": "dead-1", "who": "ghost", "operation": "save"}))
    assert backend.force_unlock("dead-1")["who"] == "ghost"
    assert backend.lock_info() is None


# -- history and reports named after the whole state file (issue 11 #9) ----------------------------------


def test_two_state_files_with_one_base_name_never_share_a_history(tmp_path):
    short, full = LocalFileBackend(tmp_path / "prod.json"), LocalFileBackend(tmp_path / "prod.state.json")
    short.save(make_state("only_in_short", environment="prod"))
    full.save(make_state("only_in_full", environment="prod"))
    short.save_report({"of": "short"})
    assert short.history_dir != full.history_dir and short.reports_dir != full.reports_dir
    assert sorted(short.load(serial=1).resources) == ["dataset.P.only_in_short"]
    assert sorted(full.load(serial=1).resources) == ["dataset.P.only_in_full"]
    assert full.list_reports() == []


def _earlier_layout(tmp_path):
    """A state saved by the earlier layout: ``dev.history/`` and ``dev.reports/`` beside ``dev.state.json``."""
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.save(make_state("a"))
    state = backend.load()
    state.add_resource(make_state("b").resources["dataset.P.b"])
    backend.save(state)
    name = backend.save_report({"summary": {"modified": 1}})
    backend.history_dir.rename(tmp_path / "dev.history")
    backend.reports_dir.rename(tmp_path / "dev.reports")
    return name


def test_directories_of_the_earlier_layout_are_moved_to_the_new_names(tmp_path):
    report = _earlier_layout(tmp_path)
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    assert [entry.serial for entry in backend.history()] == [1, 2]
    assert backend.list_reports() == [report] and backend.load_report() == {"summary": {"modified": 1}}
    assert backend.history_dir.name == "dev.state.json.history" and backend.history_dir.is_dir()
    assert not (tmp_path / "dev.history").exists() and not (tmp_path / "dev.reports").exists()
    assert sorted(backend.load(serial=1).resources) == ["dataset.P.a"]


def test_a_shared_directory_of_the_earlier_layout_is_left_alone(tmp_path, caplog):
    _earlier_layout(tmp_path)
    (tmp_path / "dev.json").write_text("{}")  # another state file that mapped to dev.history too
    with caplog.at_level("WARNING"):
        backend = LocalFileBackend(tmp_path / "dev.state.json")
    assert "is shared by dev.state.json and dev.json" in caplog.text
    assert backend.history() == [] and (tmp_path / "dev.history" / "serial-00000001.json").is_file()


def test_a_read_only_earlier_layout_is_still_read(tmp_path, monkeypatch):
    _earlier_layout(tmp_path)

    def refuse(*args):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(os, "rename", refuse)
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    assert backend.history_dir == tmp_path / "dev.history"
    assert [entry.serial for entry in backend.history()] == [1, 2]


@pytest.mark.parametrize("name", ["dev.state.json.lock", "x.history", "x.reports", "x.lock.info", ".hidden.json"])
def test_state_file_names_the_backend_keeps_beside_states_are_refused(tmp_path, name):
    from dataiku_iac.exceptions import StateError

    with pytest.raises(StateError, match="Invalid state file name"):
        LocalFileBackend(tmp_path / name)


def test_release_keeps_the_record_of_a_lock_taken_after_a_force_unlock(tmp_path):
    """A stuck holder's lock is broken and someone else locks; when the stuck one finally releases, the new
    holder's record must stay (it used to be deleted, leaving a held lock that no one could name)."""
    stuck_holder = LocalFileBackend(tmp_path / "dev.state.json")
    newcomer = LocalFileBackend(tmp_path / "dev.state.json", lock_timeout=0.1)
    stuck_lock = stuck_holder.lock("stuck")
    stuck = stuck_lock.__enter__()
    newcomer.force_unlock(stuck.id)
    new_lock = newcomer.lock("sync")
    taken = new_lock.__enter__()
    stuck_lock.__exit__(None, None, None)
    assert newcomer.lock_info() == taken
    new_lock.__exit__(None, None, None)
    assert newcomer.lock_info() is None


def test_force_unlock_leaves_a_lock_taken_between_its_check_and_its_removal(tmp_path, monkeypatch):
    """Issue 11: a dead holder's record is checked, then a writer takes the lock before the removal: the new
    writer's record and lock must survive the force_unlock (which is refused)."""
    from dataiku_iac.backends.local import LocalFileLock
    from dataiku_iac.exceptions import StateError

    breaker = LocalFileBackend(tmp_path / "dev.state.json")
    writer = LocalFileBackend(tmp_path / "dev.state.json")
    breaker.lock_info_file.write_text(json.dumps({"id": "dead-1", "who": "ghost", "operation": "save"}))
    real_matching = LocalFileLock._matching_record
    writer_lock = writer.lock("sync")
    calls = []

    def writer_locks_right_after_the_check(self, lock_id):
        record = real_matching(self, lock_id)
        if not calls:
            calls.append(writer_lock.__enter__())  # the race: a writer locks between check and removal
        return record

    monkeypatch.setattr(LocalFileLock, "_matching_record", writer_locks_right_after_the_check)
    with pytest.raises(StateError, match="not dead-1"):
        breaker.force_unlock("dead-1")
    assert writer.lock_info() == calls[0] and breaker.lock_file.exists()
    writer_lock.__exit__(None, None, None)


def test_a_failed_read_is_a_read_error_naming_the_file(tmp_path, monkeypatch):
    """Issue 10: storage failures on reads were reported as StateWriteError."""
    from dataiku_iac.backends import local
    from dataiku_iac.exceptions import StateReadError

    backend = LocalFileBackend(tmp_path / "dev.state.json")
    backend.save(make_state("a"))

    def failing_read(path):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(local, "read_file_no_follow", failing_read)
    with pytest.raises(StateReadError, match=r"Cannot read .*dev\.state\.json: Input/output error") as caught:
        backend.load()
    assert not isinstance(caught.value, StateWriteError)
