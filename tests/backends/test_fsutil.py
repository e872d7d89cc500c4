"""fsutil: the symlink-refusing helpers every local file write and read goes through (also for key files)."""

from __future__ import annotations

import os
import stat

import pytest

from dataiku_iac.exceptions import UnsafePathError
from dataiku_iac.fsutil import (
    atomic_write,
    ensure_directory,
    open_no_follow,
    read_file_no_follow,
    write_private_file,
)


def test_write_private_file_is_0600_and_atomic(tmp_path):
    key = tmp_path / "api-key"
    write_private_file(key, b"secret-1")
    write_private_file(key, b"secret-2")
    assert key.read_bytes() == b"secret-2" and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["api-key"]  # no temp file left


def test_write_private_file_refuses_a_planted_symlink(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"theirs")
    key = tmp_path / "api-key"
    key.symlink_to(target)
    with pytest.raises(UnsafePathError, match="api-key is a symbolic link"):
        write_private_file(key, b"secret")
    assert target.read_bytes() == b"theirs" and key.is_symlink()


def test_write_private_file_refuses_a_symlinked_directory(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    with pytest.raises(UnsafePathError, match="linked is a symbolic link"):
        write_private_file(tmp_path / "linked" / "api-key", b"secret")
    assert list((tmp_path / "real").iterdir()) == []
    with pytest.raises(FileNotFoundError):
        write_private_file(tmp_path / "missing" / "api-key", b"secret")


def test_read_file_no_follow(tmp_path):
    path = tmp_path / "f"
    assert read_file_no_follow(path) is None
    path.write_bytes(b"x")
    assert read_file_no_follow(path) == b"x"
    link = tmp_path / "link"
    link.symlink_to(path)
    with pytest.raises(UnsafePathError, match="link is a symbolic link"):
        read_file_no_follow(link)
    with pytest.raises(UnsafePathError, match="not a regular file"):
        read_file_no_follow(tmp_path)


def test_open_no_follow_with_exclusive_create_names_the_link(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UnsafePathError, match="link"):
        open_no_follow(link, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    assert not (tmp_path / "nowhere").exists()


def test_atomic_write_refuses_to_replace_a_symlink(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"theirs")
    link = tmp_path / "state.json"
    link.symlink_to(target)
    with pytest.raises(UnsafePathError):
        atomic_write(link, b"ours")
    assert target.read_bytes() == b"theirs"


def test_ensure_directory(tmp_path):
    assert ensure_directory(tmp_path / "new") and (tmp_path / "new").is_dir()
    assert not ensure_directory(tmp_path / "absent", create=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(UnsafePathError, match="not a directory"):
        ensure_directory(tmp_path / "file")
