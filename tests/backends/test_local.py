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
