"""Symlinks planted in a state directory (issue 11 #2): refused with the path named, never followed.

State directories live in git repositories, so a committed symlink reaches CI. Each test plants one where the
local backend reads or writes (state, lock, lock record, history and report directories, snapshots, temp
files) and checks that the operation fails with UnsafePathError naming the link, and that the target outside
the directory is untouched: same bytes, same mode, still there.
"""

from __future__ import annotations

import os
import stat

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import DataikuIaCError, UnsafePathError

from .contract import make_state


@pytest.fixture
def victim(tmp_path):
    """A file outside the state directory that an attacker wants us to write, truncate or delete."""
    outside = tmp_path / "victim"
    outside.mkdir()
    secret = outside / "secret"
    secret.write_bytes(b"do not touch")
    secret.chmod(0o600)
    return secret


@pytest.fixture
def state_dir(tmp_path):
    directory = tmp_path / "repo" / ".dataiku" / "state"
    directory.mkdir(parents=True)
    return directory


def untouched(path, data=b"do not touch", mode=0o600) -> bool:
    return path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == mode


@pytest.mark.parametrize("name", ["dev.state.json.lock", "dev.state.json.lock.info"])
def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(state_dir, victim, name):
    (state_dir / name).symlink_to(victim)
    with pytest.raises(UnsafePathError, match=rf"{name} is a symbolic link"):
        LocalFileBackend(state_dir / "dev.state.json").save(make_state("a"))
    assert untouched(victim)
    assert not (state_dir / "dev.state.json").exists()


def test_a_symlinked_state_file_is_neither_read_nor_replaced(state_dir, victim):
    (state_dir / "dev.state.json").symlink_to(victim)
    backend = LocalFileBackend(state_dir / "dev.state.json")
    with pytest.raises(UnsafePathError, match=r"dev\.state\.json is a symbolic link"):
        backend.load()
    with pytest.raises(UnsafePathError):
        backend.save(make_state("a"), force=True)
    assert untouched(victim) and (state_dir / "dev.state.json").is_symlink()


@pytest.mark.parametrize("kind", ["history", "reports"])
def test_symlinked_history_and_report_directories_send_nothing_outside(state_dir, victim, kind):
    outside = victim.parent
    (state_dir / f"dev.state.json.{kind}").symlink_to(outside, target_is_directory=True)
    backend = LocalFileBackend(state_dir / "dev.state.json")
    with pytest.raises(UnsafePathError, match=rf"dev.state.json.{kind} is a symbolic link"):
        if kind == "history":
            backend.save(make_state("a"))
        else:
            backend.save_report({"summary": {}})
    assert sorted(os.listdir(outside)) == ["secret"] and untouched(victim)
    if kind == "history":
        assert not (state_dir / "dev.state.json").exists()  # the snapshot goes first: nothing half-written
        with pytest.raises(UnsafePathError):
            backend.history()
    else:
        with pytest.raises(UnsafePathError):
            backend.list_reports()


def test_the_temp_file_sweep_never_enters_a_symlinked_directory(state_dir, victim):
    outside = victim.parent
    bait = outside / ".serial-00000001.json.x.tmp"
    bait.write_bytes(b"someone else's file")
    (state_dir / "dev.state.json.history").symlink_to(outside, target_is_directory=True)
    backend = LocalFileBackend(state_dir / "dev.state.json")
    with backend.lock("sync"):
        pass
    assert bait.exists() and untouched(victim)


def test_a_symlinked_snapshot_is_not_read(state_dir, victim):
    backend = LocalFileBackend(state_dir / "dev.state.json")
    backend.save(make_state("a"))
    snapshot = backend.history_dir / "serial-00000001.json"
    snapshot.unlink()
    snapshot.symlink_to(victim)
    with pytest.raises(UnsafePathError, match=r"serial-00000001\.json is a symbolic link"):
        backend.load(serial=1)
    assert [entry.serial for entry in backend.history()] == []  # a link is not a kept serial


def test_a_symlinked_directory_of_the_earlier_layout_is_neither_moved_nor_followed(state_dir, victim):
    (state_dir / "dev.history").symlink_to(victim.parent, target_is_directory=True)
    backend = LocalFileBackend(state_dir / "dev.state.json")
    backend.save(make_state("a"))
    assert backend.history_dir == state_dir / "dev.state.json.history" and backend.history_dir.is_dir()
    assert (state_dir / "dev.history").is_symlink() and sorted(os.listdir(victim.parent)) == ["secret"]


def test_a_fifo_planted_as_the_state_is_refused_without_hanging(state_dir):
    os.mkfifo(state_dir / "dev.state.json")
    with pytest.raises(UnsafePathError, match="not a regular file"):
        LocalFileBackend(state_dir / "dev.state.json").load()


def test_every_refusal_is_a_library_error_with_one_line(state_dir, victim):
    (state_dir / "dev.state.json.lock").symlink_to(victim)
    with pytest.raises(DataikuIaCError) as caught:
        LocalFileBackend(state_dir / "dev.state.json").save(make_state("a"))
    assert "\n" not in str(caught.value) and str(state_dir / "dev.state.json.lock") in str(caught.value)
