"""Crash-safe, symlink-refusing file access on the local file system.

State directories live in git repositories, so anything in them may have been committed by someone else: a
symbolic link planted where a state, lock, snapshot, report or key file goes would send our writes (or reads,
or deletions) elsewhere. Every helper here refuses a symlink in the last component (``O_NOFOLLOW``, ``lstat``)
with :class:`UnsafePathError` naming the path, and the directory helpers refuse a symlinked directory. Paths
the user typed themselves (the state directory, ``--output``) are the user's choice and are not second-guessed;
what is refused is a link *inside* them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Optional, Union

from .exceptions import UnsafePathError

PathLike = Union[str, Path]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a planted FIFO must not hang the reader
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _symlink_error(path: PathLike) -> UnsafePathError:
    return UnsafePathError(
        f"{path} is a symbolic link: refusing to follow it (state, lock, history, report and key files must be "
        "real files). Remove the link, then retry."
    )


def refuse_symlink(path: PathLike) -> None:
    """Raise :class:`UnsafePathError` when ``path`` is a symbolic link (a missing path is fine)."""
    if os.path.islink(path):
        raise _symlink_error(path)


def open_no_follow(path: PathLike, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses a symlink as the last component; returns the file descriptor.

    Where the platform has no ``O_NOFOLLOW`` (Windows), the path is checked with ``lstat`` first.
    """
    if not _NOFOLLOW:  # pragma: no cover (Windows)
        refuse_symlink(path)
    try:
        return os.open(str(path), flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        # ELOOP: the last component is a symlink. With O_CREAT|O_EXCL a symlink gives EEXIST instead.
        if exc.errno == errno.ELOOP or (exc.errno == errno.EEXIST and os.path.islink(path)):
            raise _symlink_error(path) from None
        raise


def read_file_no_follow(path: PathLike) -> Optional[bytes]:
    """The bytes of the regular file ``path``, or None when it does not exist; a symlink or a non-regular
    file (FIFO, device, directory) is refused with :class:`UnsafePathError`."""
    try:
        fd = open_no_follow(path, os.O_RDONLY | _NONBLOCK)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePathError(f"{path} is not a regular file: refusing to read it. Remove it, then retry.")
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def ensure_directory(path: PathLike, create: bool = True) -> bool:
    """True when ``path`` is a real directory (created if missing and ``create``); False when it is missing.

    A symlink, or a file where the directory should be, is refused with :class:`UnsafePathError`.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return False
        with contextlib.suppress(FileExistsError):  # created by a concurrent writer: checked below
            os.mkdir(path)
        info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePathError(
            f"{path} is a symbolic link: refusing to use it as a state directory (history and reports must stay "
            "beside the state). Remove the link, then retry."
        )
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(f"{path} is not a directory: move it away, then retry.")
    return True


def atomic_write(path: PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old bytes or the new ones, never a mix.

    The bytes go to a uniquely named temp file in the same directory (``mkstemp``: created with ``O_EXCL``, so
    a planted symlink is never followed, and mode 0600), flushed and fsynced, then moved over the target with
    ``os.replace``; the directory is fsynced so the rename survives a power cut. The temp file is removed on
    any error. A symlink at ``path`` is refused rather than silently replaced.
    """
    path = Path(path)
    refuse_symlink(path)
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


def write_private_file(path: PathLike, data: bytes) -> None:
    """Write a file only its owner may read (mode 0600: API keys, states), atomically, refusing symlinks.

    The parent directory must exist and must not be a symlink itself.
    """
    path = Path(path)
    if not ensure_directory(path.parent, create=False):
        raise FileNotFoundError(errno.ENOENT, "No such directory", str(path.parent))
    atomic_write(path, data)


def remove_quietly(path: PathLike) -> None:
    """Remove a file if it is there (a symlink is removed itself, never its target)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def fsync_directory(directory: PathLike) -> None:
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
