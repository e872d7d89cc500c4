"""LocalFileBackend: a state file on the local file system, for laptops and CI pipelines.

Layout for ``.dataiku/state/dev.state.json`` (every name derives from the whole file name, so two state files
of one directory never share a history, e.g. ``prod.json`` and ``prod.state.json``)::

    .dataiku/state/dev.state.json                    the current state (sorted, indented, final newline, 0600)
    .dataiku/state/dev.state.json.lock               the lock file (an OS lock is taken on it, never on the state)
    .dataiku/state/dev.state.json.lock.info          who holds the lock, for the message a blocked user gets
    .dataiku/state/dev.state.json.history/           serial-00000012.json ... (bounded), backup-*, corrupt-*, ...
    .dataiku/state/dev.state.json.reports/           <kind>-<UTC time>.json: drift reports (bounded per kind)

Directories of the earlier layout (``dev.history/``, ``dev.reports/``: the file name without ``.state.json``
or ``.json``) are renamed to the new names when a backend opens the state, unless another state file of the
directory maps to the same old name (then the old directory is left for a human to sort out, and a warning
says so). Symbolic links are refused for every file and directory above (:mod:`dataiku_iac.fsutil`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, List, Optional, Union

from filelock import FileLock, Timeout

from ..exceptions import DataikuIaCError, StateError, StateLockedError, StateReadError, StateWriteError
from ..fsutil import (
    atomic_write,
    ensure_directory,
    read_file_no_follow,
    refuse_symlink,
    remove_quietly,
)
from .base import DEFAULT_HISTORY_LIMIT, StateLayout, StoredStateBackend, validate_environment_name
from .locks import LockInfo, StateLock, holder_name, matching_lock
from .reports import DEFAULT_REPORT_LIMIT
from .store import BlobInfo, BlobStore

logger = logging.getLogger("dataiku_iac.backends.local")

DEFAULT_STATE_DIR = Path(".dataiku") / "state"
DEFAULT_LOCK_TIMEOUT = 10.0
_SIDE_SUFFIXES = (".lock", ".lock.info", ".history", ".reports")


class LocalDirectoryStore(BlobStore):
    """Blobs as files under one directory; a key is a path relative to it, one directory level at most.

    Writes are atomic (temp file, fsync, rename); symlinks are refused for files and sub-directories, and keys
    can never leave the directory (no ``..``, no absolute or hidden components).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, key: str) -> Optional[bytes]:
        path = self._path(key)
        try:
            if not self._parent_ready(key, create=False):
                return None
            return read_file_no_follow(path)
        except DataikuIaCError:
            raise
        except OSError as exc:
            raise StateReadError(f"Cannot read {path}: {exc.strerror or exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            self._parent_ready(key, create=True)
            atomic_write(path, data)
        except DataikuIaCError:
            raise
        except OSError as exc:
            raise StateWriteError(f"Cannot write {path}: {exc.strerror or exc}") from exc

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            if self._parent_ready(key, create=False):
                remove_quietly(path)  # a symlink is removed itself, never its target
        except DataikuIaCError:
            raise
        except OSError as exc:
            raise StateWriteError(f"Cannot delete {path}: {exc.strerror or exc}") from exc

    def list(self, prefix: str) -> List[BlobInfo]:
        directory, _, start = prefix.rpartition("/")
        where = self.root / directory if directory else self.root
        try:
            if directory and not ensure_directory(where, create=False):
                return []
            infos = []
            with os.scandir(where) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or not entry.name.startswith(start):
                        continue  # temp files of writers in progress are hidden
                    with contextlib.suppress(FileNotFoundError):  # pruned by a concurrent writer meanwhile
                        if entry.is_file(follow_symlinks=False):
                            stat = entry.stat(follow_symlinks=False)
                            modified = datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc)
                            key = f"{directory}/{entry.name}" if directory else entry.name
                            infos.append(BlobInfo(key, stat.st_size, modified))
            return infos
        except DataikuIaCError:
            raise
        except OSError as exc:
            raise StateReadError(f"Cannot list {where}: {exc.strerror or exc}") from exc

    def location(self, key: str) -> str:
        return str(self.root.joinpath(*[part for part in key.split("/") if part]))

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if len(parts) > 2 or any(not part or part.startswith(".") or "\\" in part for part in parts):
            raise ValueError(f"Invalid key {key!r} for a local state directory")
        return self.root.joinpath(*parts)

    def _parent_ready(self, key: str, create: bool) -> bool:
        """True when the key's sub-directory (if any) is a real directory, created if ``create``."""
        directory, _, _ = key.rpartition("/")
        return not directory or ensure_directory(self.root / directory, create=create)


class LocalFileLock(StateLock):
    """An OS lock (``filelock``) on a sidecar file, plus a record of the holder beside it.

    The OS lock dies with its process, so a record left behind belongs to a holder that died: it is reported
    and replaced. ``on_acquired`` runs under the lock before the record is written (the temp-file sweep).
    """

    def __init__(self, lock_file: Path, info_file: Path, location: str, timeout: float,
                 on_acquired: Optional[Callable[[], None]] = None) -> None:
        self.lock_file = lock_file
        self.info_file = info_file
        self.location = location
        self.timeout = timeout
        self._on_acquired = on_acquired
        self._file_lock: Optional[FileLock] = None
        self._held_id: Optional[str] = None

    def acquire(self, operation: str) -> LockInfo:
        # filelock opens its file with O_TRUNC and chmods it: a planted symlink would truncate its target.
        refuse_symlink(self.lock_file)
        refuse_symlink(self.info_file)
        file_lock = FileLock(str(self.lock_file), timeout=self.timeout)
        try:
            file_lock.acquire()
        except Timeout:
            raise StateLockedError(self.location, _as_dict(self.info())) from None
        try:
            left_over = self.info()
            if left_over:
                # The OS lock was free, so its previous holder is gone (killed): say so, then take over.
                logger.warning("Lock %s on %s (%s) was not released: its holder died; taking over",
                               left_over.id, self.location, left_over.who)
            if self._on_acquired is not None:
                self._on_acquired()
            record = LockInfo.new(operation, holder_name(), self.location)
            atomic_write(self.info_file, record.to_bytes())
        except BaseException:
            file_lock.release()
            raise
        self._file_lock, self._held_id = file_lock, record.id
        return record

    def release(self) -> None:
        held, self._held_id = self._held_id, None
        with contextlib.suppress(DataikuIaCError):  # an unreadable record is left for force_unlock
            current = self.info()
            if current is not None and current.id == held:  # after a force_unlock, the record is someone else's
                remove_quietly(self.info_file)
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None

    def info(self) -> Optional[LockInfo]:
        data = read_file_no_follow(self.info_file)
        return LockInfo.from_bytes(data) if data else None

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Break the lock ``lock_id``.

        When its holder is gone (the OS lock is free), the record is checked and removed while this process
        holds the OS lock, so no writer can take the lock in between and lose its record. When the holder is
        alive, its lock file is removed: new writers then lock a new file while the old holder finishes, which
        is why this is only ever done on request; the record is read again just before, so a lock taken by
        someone else since the check is left alone.
        """
        info = self._matching_record(lock_id)
        probe = FileLock(str(self.lock_file), timeout=0)
        try:
            probe.acquire()
        except Timeout:
            self._matching_record(lock_id)
            logger.warning("Breaking lock %s on %s held by a live process (%s)", lock_id, self.location, info.who)
            remove_quietly(self.lock_file)
            remove_quietly(self.info_file)
            return info
        try:
            info = self._matching_record(lock_id)
            remove_quietly(self.info_file)
        finally:
            probe.release()
        return info

    def _matching_record(self, lock_id: str) -> LockInfo:
        refuse_symlink(self.lock_file)
        return matching_lock(self.info(), lock_id, self.location)


class LocalFileBackend(StoredStateBackend):
    """State in a local JSON file, written atomically, with a bounded history and a sidecar lock."""

    def __init__(
        self,
        state_file: Union[str, Path],
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        report_limit: int = DEFAULT_REPORT_LIMIT,
    ) -> None:
        self.state_file = Path(state_file)
        name = self.state_file.name
        if not name or name.startswith(".") or name.endswith(_SIDE_SUFFIXES):
            raise StateError(f"Invalid state file name {name!r}: it must not start with '.' nor end with "
                             f"{', '.join(_SIDE_SUFFIXES)} (names the backend keeps beside states)")
        self.lock_timeout = lock_timeout
        self.lock_file = self.state_file.with_name(name + ".lock")
        self.lock_info_file = self.state_file.with_name(name + ".lock.info")
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self.history_dir = _adopt_legacy_directory(self.state_file, self.state_file.with_name(name + ".history"))
        self.reports_dir = _adopt_legacy_directory(self.state_file, self.state_file.with_name(name + ".reports"))
        layout = StateLayout(current=name, history=f"{self.history_dir.name}/", reports=f"{self.reports_dir.name}/")
        lock = LocalFileLock(self.lock_file, self.lock_info_file, str(self.state_file), lock_timeout,
                             on_acquired=self._sweep_temp_files)
        super().__init__(LocalDirectoryStore(self.state_file.parent), lock, layout, str(self.state_file),
                         history_limit=history_limit, report_limit=report_limit)

    @classmethod
    def for_environment(cls, environment: str, state_dir: Union[str, Path] = DEFAULT_STATE_DIR, **kwargs: Any):
        """The backend of ``<state_dir>/<environment>.state.json`` (default ``.dataiku/state``)."""
        validate_environment_name(environment)
        return cls(Path(state_dir) / f"{environment}.state.json", **kwargs)

    def _sweep_temp_files(self) -> None:
        """Remove temp files left by writers killed mid-write.

        Every write of this backend happens under the lock we now hold, so any temp file of ours that
        exists now belongs to a writer that died: it is garbage, never someone's work in progress. Symlinked
        directories are never entered, and only regular files are removed.
        """
        patterns = [
            (self.state_file.parent, f".{self.state_file.name}.*.tmp"),
            (self.history_dir, ".*.tmp"),
            (self.reports_dir, ".*.tmp"),
        ]
        for directory, pattern in patterns:
            if directory.is_symlink() or not directory.is_dir():
                continue
            for leftover in directory.glob(pattern):
                if leftover.is_file() and not leftover.is_symlink():
                    remove_quietly(leftover)


def _legacy_base_name(state_file: Path) -> str:
    """The earlier layout's base: ``dev.state.json`` -> ``dev``; ``other.json`` -> ``other``."""
    name = state_file.name
    for suffix in (".json", ".state"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name


def _adopt_legacy_directory(state_file: Path, directory: Path) -> Path:
    """Rename the earlier layout's ``<base>.history``/``<base>.reports`` to ``directory`` when it is ours alone;
    returns the directory to use (the old one only when it could not be renamed, e.g. a read-only checkout)."""
    base = _legacy_base_name(state_file)
    legacy = directory.with_name(base + directory.suffix)
    if os.path.lexists(directory) or legacy.is_symlink() or not legacy.is_dir():
        return directory
    sharing = [candidate for candidate in (f"{base}.json", f"{base}.state.json", f"{base}.state", base)
               if candidate != state_file.name and (state_file.parent / candidate).is_file()]
    if sharing:
        logger.warning("%s is shared by %s and %s (the earlier layout): left as it is; %s starts a new %s",
                       legacy, state_file.name, ", ".join(sharing), state_file.name, directory.name)
        return directory
    try:
        os.rename(legacy, directory)
    except FileNotFoundError:  # moved by a concurrent process meanwhile
        return directory
    except OSError as exc:  # e.g. a read-only checkout: keep using the old directory
        logger.warning("Could not move %s to %s (%s): using it as it is", legacy, directory, exc)
        return legacy
    logger.info("Moved %s to %s (history and reports are now named after the whole state file)", legacy, directory)
    return directory


def _as_dict(info: Optional[LockInfo]) -> Optional[dict]:
    return info.to_dict() if info is not None else None
