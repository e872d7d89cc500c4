"""Crash-safe file writes (local file system)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old bytes or the new ones, never a mix.

    The bytes go to a uniquely named temp file in the same directory (so concurrent writers never collide
    and the rename stays on one file system), flushed and fsynced, then moved over the target with
    ``os.replace``; the directory is fsynced so the rename survives a power cut. The temp file is removed
    on any error.
    """
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        remove_quietly(temp_name)
        raise
    fsync_directory(path.parent)


def remove_quietly(path: str) -> None:
    """Remove a file if it is there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def fsync_directory(directory: Path) -> None:
    """fsync a directory so that renames and creations in it are durable (no-op where unsupported)."""
    try:
        fd = os.open(str(directory), os.O_RDONLY)
    except OSError:  # pragma: no cover (directories cannot be opened on Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover (some file systems refuse fsync on directories)
        pass
    finally:
        os.close(fd)
