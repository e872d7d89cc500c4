"""LocalFileBackend: a state file on the local file system, for laptops and CI pipelines.

Layout for ``.dataiku/state/dev.state.json``::

    .dataiku/state/dev.state.json            the current state (sorted, indented, final newline)
    .dataiku/state/dev.state.json.lock       the lock file (an OS lock is taken on it, never on the state)
    .dataiku/state/dev.state.json.lock.info  who holds the lock, for the message a blocked user gets
    .dataiku/state/dev.history/              serial-00000012.json ... (bounded), backup-*, corrupt-*, edited-*
    .dataiku/state/dev.reports/              report-<UTC time>.json: drift reports (bounded)
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from filelock import FileLock, Timeout

from .. import __version__
from ..exceptions import StateError, StateLockedError
from ..fsutil import atomic_write, remove_quietly
from ..timeutil import format_timestamp, utc_now
from .base import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_REPORT_LIMIT,
    SnapshotInfo,
    StoredStateBackend,
    validate_environment_name,
)

logger = logging.getLogger("dataiku_iac.backends.local")

DEFAULT_STATE_DIR = Path(".dataiku") / "state"
DEFAULT_LOCK_TIMEOUT = 10.0


class LocalFileBackend(StoredStateBackend):
    """State in a local JSON file, written atomically, with a bounded history and a sidecar lock."""

    def __init__(
        self,
        state_file: Union[str, Path],
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        report_limit: int = DEFAULT_REPORT_LIMIT,
    ) -> None:
        super().__init__(history_limit, report_limit)
        self.state_file = Path(state_file)
        self.location = str(self.state_file)
        self.lock_timeout = lock_timeout
        self.lock_file = self.state_file.with_name(self.state_file.name + ".lock")
        self.lock_info_file = self.state_file.with_name(self.state_file.name + ".lock.info")
        self.history_dir = self.state_file.with_name(_base_name(self.state_file) + ".history")
        self.reports_dir = self.state_file.with_name(_base_name(self.state_file) + ".reports")
        self._file_lock: Optional[FileLock] = None
        self.state_file.parent.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_environment(cls, environment: str, state_dir: Union[str, Path] = DEFAULT_STATE_DIR, **kwargs: Any):
        """The backend of ``<state_dir>/<environment>.state.json`` (default ``.dataiku/state``)."""
        validate_environment_name(environment)
        return cls(Path(state_dir) / f"{environment}.state.json", **kwargs)

    # -- current state ----------------------------------------------------------------------------------

    def _read_current(self) -> Optional[bytes]:
        return _read_or_none(self.state_file)

    def _write_current(self, data: bytes) -> None:
        atomic_write(self.state_file, data)

    def _delete_current(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.state_file.unlink()

    # -- history --------------------------------------------------------------------------------------

    def _snapshot_location(self, name: str) -> Path:
        return self.history_dir / f"{name}.json"

    def _read_snapshot(self, name: str) -> Optional[bytes]:
        return _read_or_none(self._snapshot_location(name))

    def _write_snapshot(self, name: str, data: bytes) -> None:
        self.history_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self._snapshot_location(name), data)

    # No hard link between the snapshot and the current state (it would save a write): the current state is
    # the file people open, and an editor writing in place (vim keeps a linked file's links, VS Code) or a
    # shell redirection would then rewrite the snapshot too, losing the last good serial with it. The base
    # class writes two files: the snapshot first, so the history is never behind the current state.

    def _delete_snapshot(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._snapshot_location(name).unlink()

    def _list_snapshots(self) -> List[SnapshotInfo]:
        if not self.history_dir.is_dir():
            return []
        infos = []
        for path in self.history_dir.glob("*.json"):
            with contextlib.suppress(FileNotFoundError):  # pruned by a concurrent writer meanwhile
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc)
                infos.append(SnapshotInfo(path.name[: -len(".json")], stat.st_size, modified))
        return infos

    # -- reports --------------------------------------------------------------------------------------

    def _write_report(self, name: str, data: bytes) -> None:
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.reports_dir / f"{name}.json", data)

    def _read_report(self, name: str) -> Optional[bytes]:
        return _read_or_none(self.reports_dir / f"{name}.json")

    def _list_report_names(self) -> List[str]:
        if not self.reports_dir.is_dir():
            return []
        return [path.name[: -len(".json")] for path in self.reports_dir.glob("*.json")]

    def _delete_report(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.reports_dir / f"{name}.json").unlink()

    # -- locking --------------------------------------------------------------------------------------

    def _acquire_lock(self, operation: str) -> None:
        file_lock = FileLock(str(self.lock_file), timeout=self.lock_timeout)
        try:
            file_lock.acquire()
        except Timeout:
            raise StateLockedError(self.location, self.lock_info()) from None
        try:
            left_over = self.lock_info()
            if left_over:
                # The OS lock was free, so its previous holder is gone (killed): say so, then take over.
                logger.warning(
                    "Lock %s on %s (%s) was not released: its holder died; taking over",
                    left_over.get("id"), self.location, left_over.get("who"),
                )
            self._sweep_temp_files()
            atomic_write(self.lock_info_file, json.dumps(_lock_info(operation, self.location)).encode("utf-8"))
        except BaseException:
            file_lock.release()
            raise
        self._file_lock = file_lock

    def _sweep_temp_files(self) -> None:
        """Remove temp files left by writers killed mid-write.

        Every write of this backend happens under the lock we now hold, so any temp file of ours that
        exists now belongs to a writer that died: it is garbage, never someone's work in progress.
        """
        patterns = [
            (self.state_file.parent, f".{self.state_file.name}.*.tmp"),
            (self.lock_info_file.parent, f".{self.lock_info_file.name}.*.tmp"),
            (self.history_dir, ".*.tmp"),
            (self.reports_dir, ".*.tmp"),
        ]
        for directory, pattern in patterns:
            if directory.is_dir():
                for leftover in directory.glob(pattern):
                    remove_quietly(str(leftover))

    def _release_lock(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.lock_info_file.unlink()
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None

    def force_unlock(self, lock_id: str) -> Dict[str, Any]:
        """Break the lock whose id is ``lock_id`` (``dataiku-iac state unlock``); returns the lock record.

        Refuses when no lock is recorded or the id differs, so a user never breaks a lock they did not see.
        When the holder is alive (it still holds the OS lock), its lock file is removed: new writers then
        lock a new file while the old holder finishes, which is why this is only ever done on request.
        """
        info = self.lock_info()
        if not info:
            raise StateError(f"No lock is recorded on {self.location}: nothing to unlock")
        if info.get("id") != lock_id:
            raise StateError(
                f"The lock on {self.location} has id {info.get('id')} (held by {info.get('who')}), not {lock_id}: "
                "check the id and try again"
            )
        probe = FileLock(str(self.lock_file), timeout=0)
        try:
            probe.acquire()
        except Timeout:
            holder = info.get("who", "?")
            logger.warning("Breaking lock %s on %s held by a live process (%s)", lock_id, self.location, holder)
            remove_quietly(str(self.lock_file))
        else:
            probe.release()
        remove_quietly(str(self.lock_info_file))
        return info

    def lock_info(self) -> Optional[Dict[str, Any]]:
        """The lock record of the current (or last, if it died) holder, or None when there is none."""
        data = _read_or_none(self.lock_info_file)
        if not data:
            return None
        try:
            info = json.loads(data)
        except ValueError:
            return {"id": "?", "who": "unknown (unreadable lock info)"}
        return info if isinstance(info, dict) else None


def _base_name(state_file: Path) -> str:
    """``dev.state.json`` -> ``dev``; ``other.json`` -> ``other``."""
    name = state_file.name
    for suffix in (".json", ".state"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name


def _read_or_none(path: Path) -> Optional[bytes]:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _lock_info(operation: str, location: str) -> Dict[str, Any]:
    """Terraform-style lock record: enough for a blocked user to know who to ask."""
    return {
        "id": str(uuid.uuid4()),
        "operation": operation,
        "who": f"{_user()}@{socket.gethostname()} (pid {os.getpid()})",
        "created": format_timestamp(utc_now()),
        "path": location,
        "version": __version__,
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover (no user database entry, e.g. in some containers)
        return "unknown"
