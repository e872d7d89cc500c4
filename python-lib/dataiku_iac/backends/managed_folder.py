"""ManagedFolderBackend: the state in a DSS managed folder, through the public API (``dataikuapi``).

The same code runs inside DSS (client from ``dataiku.api_client()``) and outside (``DSSClient(url, key)``).
Layout inside the folder (under an optional ``prefix``)::

    states/<env>.state.json                 the current state
    history/<env>/serial-00000012.json      one snapshot per saved serial (bounded), backup-*, deleted-*, corrupt-*
    reports/<env>/report-<UTC time>.json    drift reports (bounded; names sort by time, the newest is last)
    locks/<env>.lock                        the lock record while an operation holds it

A managed folder has no atomic rename and no compare-and-set, so the guarantees are rebuilt on top of plain
file writes:

- every write is read back and compared byte for byte (:class:`StateWriteError` when it differs);
- the snapshot of a serial is written (and verified) before the current file is replaced, so the history
  never lags behind the current state;
- the lock is a JSON record (id, owner, operation, created, expires). Taking it writes the record, waits a
  short settle time and reads it back: a concurrent writer who wrote after us is seen and wins, we back off.
  A lock held by someone else is never broken silently, not even an expired one: the error names its holder
  and id, and :meth:`ManagedFolderBackend.force_unlock` removes it explicitly. Before writing the snapshot and
  again before replacing the current state, a save checks that the lock record is still its own, so a writer
  whose record was overwritten by a late one backs off instead of overwriting the same serial.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional

from .. import __version__
from ..dss.credentials import client_secrets
from ..dss.errors import describe, is_auth_error, is_not_found, is_transport_error
from ..exceptions import ConfigError, DataikuIaCError, DSSError, StateError, StateLockedError, StateWriteError
from ..timeutil import format_timestamp, from_epoch_millis, parse_timestamp, utc_now
from .base import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_REPORT_LIMIT,
    SnapshotInfo,
    StoredStateBackend,
    validate_environment_name,
)

logger = logging.getLogger("dataiku_iac.backends.managed_folder")

#: How long a lock is presumed alive. Past it, the lock is reported as expired (its holder probably died),
#: but it is still not broken without :meth:`ManagedFolderBackend.force_unlock`.
DEFAULT_LOCK_TTL = 3600.0
DEFAULT_LOCK_TIMEOUT = 10.0
#: Wait between writing the lock record and reading it back, so a writer racing us is seen.
DEFAULT_LOCK_SETTLE = 0.2
_POLL_INTERVAL = 0.5


class LockExpiredError(StateLockedError):
    """The folder holds a lock past its expiry: its holder is probably gone, but it is only broken on request."""

    def __init__(self, location: str, info: Dict[str, Any]) -> None:
        super().__init__(location, info)
        lock_id = self.info.get("id", "?")
        self.args = (
            f"State at {location} is locked by {self.info.get('who', '?')} for '{self.info.get('operation', '?')}' "
            f"since {self.info.get('created', '?')}; the lock expired at {self.info.get('expires', '?')}, so its "
            f"holder has probably stopped. It is not broken automatically: make sure nothing is still running, "
            f"then remove it with force_unlock('{lock_id}') (command line: 'dataiku-iac state unlock {lock_id}').",
        )


class ManagedFolderBackend(StoredStateBackend):
    """State of one environment in a DSS managed folder (``dataikuapi`` ``DSSManagedFolder``)."""

    def __init__(
        self,
        folder: Any,
        environment: str,
        *,
        prefix: str = "",
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        report_limit: int = DEFAULT_REPORT_LIMIT,
        lock_ttl: float = DEFAULT_LOCK_TTL,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_settle: float = DEFAULT_LOCK_SETTLE,
        owner: Optional[str] = None,
        read_attempts: int = 3,
        retry_backoff: float = 0.2,
    ) -> None:
        super().__init__(history_limit, report_limit)
        if lock_ttl <= 0 or lock_timeout < 0 or lock_settle < 0:
            raise ValueError("lock_ttl must be positive, lock_timeout and lock_settle not negative")
        self.folder = folder
        self.environment = validate_environment_name(environment)
        self.prefix = normalize_prefix(prefix)
        self.lock_ttl = lock_ttl
        self.lock_timeout = lock_timeout
        self.lock_settle = lock_settle
        self._owner = owner
        self.read_attempts = max(1, read_attempts)
        self.retry_backoff = retry_backoff
        self.state_path = self._path(f"states/{environment}.state.json")
        self.history_dir = self._path(f"history/{environment}")
        self.reports_dir = self._path(f"reports/{environment}")
        self.lock_path = self._path(f"locks/{environment}.lock")
        self.folder_ref = f"{getattr(folder, 'project_key', '?')}.{getattr(folder, 'odb_id', '?')}"
        self.location = self.describe(self.state_path)
        self._held_lock_id: Optional[str] = None

    @classmethod
    def from_client(
        cls, client: Any, project_key: str, folder_id: str, environment: str, **options: Any
    ) -> ManagedFolderBackend:
        """The backend of ``environment`` in managed folder ``folder_id`` of project ``project_key``."""
        return cls(client.get_project(project_key).get_managed_folder(folder_id), environment, **options)

    def describe(self, path: str) -> str:
        """Human-readable location of a path of this folder, for messages."""
        return f"managed folder {self.folder_ref}:{path}"

    def check_folder(self) -> None:
        """Fail early with a readable error when the folder cannot be listed (missing, no access, DSS down)."""
        self._list_contents()

    # -- current state ----------------------------------------------------------------------------------

    def _read_current(self) -> Optional[bytes]:
        return self._read(self.state_path)

    def _write_current(self, data: bytes) -> None:
        self._write_verified(self.state_path, data)

    def _delete_current(self) -> None:
        self._delete(self.state_path)

    def _write_snapshot_then_current(self, name: str, data: bytes) -> None:
        # The lock has no compare-and-set: a writer whose lock record landed late (a slow upload) may hold it
        # at the same time as us. Whoever's record was replaced backs off before each write instead of replacing
        # the serial the other one writes (a lost update); what remains is the time of one request in between.
        self._check_lock_still_ours()
        self._write_snapshot(name, data)
        self._check_lock_still_ours()
        self._write_current(data)

    def _check_lock_still_ours(self) -> None:
        lock_id = self._held_lock_id
        if lock_id is None:
            return
        held = self._read_lock()
        if held is None:
            raise StateWriteError(
                f"The lock {lock_id} on {self.location} was removed (force-unlocked) while this save held it: "
                "the current state was not replaced. Make sure no other run is writing, then retry."
            )
        if held.get("id") != lock_id:
            raise StateLockedError(self.location, _error_info(held))

    # -- history --------------------------------------------------------------------------------------

    def _snapshot_location(self, name: str) -> str:
        return self.describe(self._snapshot_path(name))

    def _snapshot_path(self, name: str) -> str:
        return f"{self.history_dir}/{name}.json"

    def _read_snapshot(self, name: str) -> Optional[bytes]:
        return self._read(self._snapshot_path(name))

    def _write_snapshot(self, name: str, data: bytes) -> None:
        self._write_verified(self._snapshot_path(name), data)

    def _delete_snapshot(self, name: str) -> None:
        self._delete(self._snapshot_path(name))

    def _list_snapshots(self) -> List[SnapshotInfo]:
        infos = []
        for item in self._items_under(self.history_dir):
            name = item["path"][len(self.history_dir) + 1 :]
            if name.endswith(".json") and "/" not in name:
                modified = item.get("lastModified")
                moment = from_epoch_millis(modified) if isinstance(modified, (int, float)) else None
                infos.append(SnapshotInfo(name[: -len(".json")], int(item.get("size") or 0), moment))
        return infos

    # -- reports --------------------------------------------------------------------------------------

    def _report_path(self, name: str) -> str:
        return f"{self.reports_dir}/{name}.json"

    def report_location(self, name: str) -> str:
        """Where the report ``name`` (from :meth:`save_report`) is stored, for messages."""
        return self.describe(self._report_path(name))

    def _write_report(self, name: str, data: bytes) -> None:
        self._write_verified(self._report_path(name), data)

    def _read_report(self, name: str) -> Optional[bytes]:
        return self._read(self._report_path(name))

    def _list_report_names(self) -> List[str]:
        names = []
        for item in self._items_under(self.reports_dir):
            name = item["path"][len(self.reports_dir) + 1 :]
            if name.endswith(".json") and "/" not in name:
                names.append(name[: -len(".json")])
        return names

    def _delete_report(self, name: str) -> None:
        self._delete(self._report_path(name))

    # -- locking --------------------------------------------------------------------------------------

    def _acquire_lock(self, operation: str) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            held = self._read_lock()
            if held is None:
                record = self._new_lock_record(operation)
                self._write(self.lock_path, _lock_bytes(record))
                if self.lock_settle:
                    time.sleep(self.lock_settle)
                if self._read_lock() == record:
                    self._held_lock_id = record["id"]
                    return
                held = self._read_lock()  # someone wrote after us: theirs stands, we back off
                if held is None:
                    # Removed between our write and read (a force_unlock): nothing was decided, try again.
                    continue
            if _is_expired(held):
                raise LockExpiredError(self.location, _error_info(held))
            if time.monotonic() >= deadline:
                raise StateLockedError(self.location, _error_info(held))
            time.sleep(max(0.0, min(_POLL_INTERVAL, deadline - time.monotonic())))

    def _release_lock(self) -> None:
        lock_id, self._held_lock_id = self._held_lock_id, None
        if lock_id is None:
            return
        held = self._read_lock()
        if held is not None and held.get("id") != lock_id:
            # Someone force-unlocked us and took the lock since: theirs must stay.
            logger.warning("Lock %s on %s was replaced by lock %s; leaving it", lock_id, self.location, held.get("id"))
            return
        self._delete(self.lock_path)

    def lock_info(self) -> Optional[Dict[str, Any]]:
        """The stored lock record (with ``who``, as the local backend names the holder), or None when unlocked.

        An unreadable record is reported with an id derived from its bytes, so it can be force-unlocked too.
        """
        record = self._read_lock()
        return None if record is None else _error_info(record)

    def _read_lock(self) -> Optional[Dict[str, Any]]:
        data = self._read(self.lock_path)
        if data is None:
            return None
        try:
            record = json.loads(data.decode("utf-8"))
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            return {"id": unreadable_lock_id(data), "owner": "unknown (unreadable lock record)", "operation": "?"}
        return record

    def force_unlock(self, lock_id: str) -> Dict[str, Any]:
        """Remove the lock whose id is ``lock_id`` (expired or not), and return its record.

        Only the lock named by its id is removed, so a lock taken in the meantime by someone else stays.
        """
        held = self._read_lock()
        if held is None:
            raise StateError(f"State at {self.location} is not locked: nothing to unlock")
        if held.get("id") != lock_id:
            raise StateError(
                f"Lock id {lock_id!r} does not match the lock on {self.location} (held: {held.get('id')!r}); "
                "nothing was removed"
            )
        if not _is_expired(held):
            logger.warning("Force-unlocking lock %s on %s before its expiry", lock_id, self.location)
        self._delete(self.lock_path)
        if self._held_lock_id == lock_id:
            self._held_lock_id = None
        return _error_info(held)

    def _new_lock_record(self, operation: str) -> Dict[str, Any]:
        created = utc_now()
        return {
            "id": str(uuid.uuid4()),
            "owner": self.owner,
            "operation": operation,
            "created": format_timestamp(created),
            "expires": format_timestamp(created + timedelta(seconds=self.lock_ttl)),
            "path": self.location,
            "version": __version__,
        }

    @property
    def owner(self) -> str:
        """Who takes locks through this backend: the DSS login of the client, the host and the process."""
        if self._owner is None:
            self._owner = f"{self._login()}@{socket.gethostname()} (pid {os.getpid()})"
        return self._owner

    def _login(self) -> str:
        client = getattr(self.folder, "client", None)
        try:
            return str(client.get_auth_info()["authIdentifier"])
        except Exception:  # the login only decorates a lock record: fall back to the OS user
            try:
                return getpass.getuser()
            except Exception:  # pragma: no cover (no user database entry in some containers)
                return "unknown"

    # -- folder access --------------------------------------------------------------------------------

    def _path(self, relative: str) -> str:
        return f"/{self.prefix}/{relative}" if self.prefix else f"/{relative}"

    def _list_contents(self) -> List[Dict[str, Any]]:
        listing = self._call("list", "/", self.folder.list_contents)
        items = listing.get("items", []) if isinstance(listing, dict) else []
        return [dict(item, path=normalize_path(item.get("path", ""))) for item in items if isinstance(item, dict)]

    def _items_under(self, directory: str) -> List[Dict[str, Any]]:
        start = directory + "/"
        return [item for item in self._list_contents() if item["path"].startswith(start)]

    def _read(self, path: str) -> Optional[bytes]:
        """The bytes of a file, or None when it does not exist."""

        def get() -> Optional[bytes]:
            response = self.folder.get_file(path)
            try:
                return response.content
            finally:
                response.close()

        return self._call("read", path, get, missing_ok=True)

    def _write(self, path: str, data: bytes) -> None:
        # put_file is a multipart POST: not idempotent, so never retried here; a failure is reported as is.
        self._call("write", path, lambda: self.folder.put_file(path, data))

    def _write_verified(self, path: str, data: bytes) -> None:
        """Write, then read the bytes back: a short or altered write is caught before anything relies on it."""
        self._write(path, data)
        stored = self._read(path)
        if stored != data:
            found = "nothing" if stored is None else f"{len(stored)} different bytes"
            raise StateWriteError(
                f"Write to {self.describe(path)} was not stored intact: wrote {len(data)} bytes, read back {found}. "
                "The previous state is still in the history; check the folder's storage and retry."
            )

    def _delete(self, path: str) -> None:
        self._call("delete", path, lambda: self.folder.delete_file(path), missing_ok=True)

    def _call(self, action: str, path: str, function: Callable[[], Any], missing_ok: bool = False) -> Any:
        """Run one folder request, turning client errors into readable library errors.

        Retries are the client's one policy (:mod:`dataiku_iac.dss.client`): reads and deletes are asked again
        on transient failures; an upload is a multipart POST that may have reached DSS, so it is never repeated.
        """
        try:
            return function()
        except DataikuIaCError:
            raise
        except Exception as exc:
            if missing_ok and _is_missing_file(exc):
                return None
            raise self._library_error(action, path, exc) from exc

    def _library_error(self, action: str, path: str, exc: Exception) -> DataikuIaCError:
        where = self.describe(path)
        text = _shorten(describe(exc, client_secrets(self.folder)))
        if _folder_missing(exc):
            return ConfigError(
                f"Managed folder {self.folder_ref} does not exist (or this user cannot see it): "
                "choose an existing folder of the project"
            )
        if is_transport_error(exc):
            host = getattr(getattr(self.folder, "client", None), "host", "DSS")
            # An upload that timed out may still be stored by DSS once it gets to it: say so, not "not written".
            late = ""
            if action == "write":
                late = "; the upload may still be stored by DSS: load the state again before retrying"
            return DSSError(f"Cannot {action} {where}: DSS at {host} is unreachable or did not answer ({text}){late}")
        if action in ("write", "delete"):
            if is_auth_error(exc):
                return StateWriteError(f"Cannot {action} {where}: the folder is not writable by this user ({text})")
            return StateWriteError(f"Cannot {action} {where}: {text}")
        if is_auth_error(exc):
            return DSSError(f"Cannot {action} {where}: access refused by DSS ({text})")
        return DSSError(f"Cannot {action} {where}: {text}")


def normalize_prefix(prefix: str) -> str:
    """A folder sub-path without leading, trailing or doubled slashes; ``..`` and ``.`` segments are refused."""
    if not isinstance(prefix, str):
        raise ConfigError(f"Invalid state path in the folder: {prefix!r}")
    parts = [part for part in prefix.replace("\\", "/").split("/") if part]
    if any(part in (".", "..") for part in parts) or any(ch in prefix for ch in "\r\n\0"):
        raise ConfigError(
            f"Invalid state path in the folder {prefix!r}: '.', '..' and control characters are not allowed"
        )
    return "/".join(parts)


def normalize_path(path: str) -> str:
    """A listed path in this module's form: one leading slash, no doubled slashes (DSS versions differ)."""
    return "/" + "/".join(part for part in str(path).split("/") if part)


def unreadable_lock_id(data: bytes) -> str:
    """A stable id for an unreadable lock record, so it can be removed with force_unlock like any other."""
    return "unreadable-" + hashlib.sha256(data).hexdigest()[:12]


def _lock_bytes(record: Dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _is_expired(record: Dict[str, Any], now: Optional[datetime] = None) -> bool:
    expires = record.get("expires")
    if not isinstance(expires, str):
        return str(record.get("id", "")).startswith("unreadable-")
    try:
        return parse_timestamp(expires) <= (now or utc_now())
    except ValueError:
        return True


def _error_info(record: Dict[str, Any]) -> Dict[str, Any]:
    """The lock record with ``who`` set, as :class:`StateLockedError` names the holder by it."""
    return dict(record, who=record.get("owner", record.get("who", "?")))


def _shorten(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."


def _is_missing_file(exc: Exception) -> bool:
    """DSS said the file does not exist (not: the folder is missing, a route is unknown, a server failed)."""
    if _folder_missing(exc):
        return False
    return is_not_found(exc) or bool(re.match(r"^\s*[\w.$]*(FileNotFound|NoSuchFile)Exception\b", str(exc)))


def _folder_missing(exc: Exception) -> bool:
    text = str(exc)
    return is_not_found(exc) and ("managed folder does not exist" in text or "project does not exist" in text)
