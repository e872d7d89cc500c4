"""ManagedFolderBackend: the state in a DSS managed folder, through the public API (``dataikuapi``).

The same code runs inside DSS (client from ``dataiku.api_client()``) and outside (``DSSClient(url, key)``).
Layout inside the folder::

    states/<env>.state.json                 the current state
    history/<env>/serial-00000012.json      one snapshot per saved serial (bounded), backup-*, deleted-*, corrupt-*
    reports/<env>/<kind>-<UTC time>.json    drift reports (bounded per kind; names sort by time)
    locks/<env>.lock                        the lock record while an operation holds it

A managed folder has no atomic rename and no compare-and-set, so the guarantees are rebuilt on top of plain
file writes: every write is read back and compared byte for byte (:class:`StateWriteError` when it differs);
the snapshot of a serial is written (and verified) before the current file is replaced, so the history never
lags behind the current state; the lock is a record written, left to settle and read back
(:mod:`.folder_lock`), checked to be still ours before each write of a save.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Dict, List, Optional

from ..dss.credentials import client_secrets
from ..dss.errors import describe, is_auth_error, is_not_found, is_transport_error
from ..exceptions import ConfigError, DataikuIaCError, DSSError, StateWriteError
from ..timeutil import from_epoch_millis
from .base import DEFAULT_HISTORY_LIMIT, StateLayout, StoredStateBackend, validate_environment_name
from .folder_lock import DEFAULT_LOCK_SETTLE, DEFAULT_LOCK_TIMEOUT, DEFAULT_LOCK_TTL, FolderLock, LockExpiredError
from .locks import holder_name, unreadable_lock_id
from .reports import DEFAULT_REPORT_LIMIT
from .store import BlobInfo, BlobStore

logger = logging.getLogger("dataiku_iac.backends.managed_folder")

__all__ = ["FolderStore", "LockExpiredError", "ManagedFolderBackend", "normalize_path", "unreadable_lock_id"]


class FolderStore(BlobStore):
    """Blobs as files of a managed folder (``dataikuapi`` ``DSSManagedFolder``); key ``a/b.json`` is ``/a/b.json``.

    Reads and deletes are asked again on a transient DSS failure (the client's one retry policy); an upload (a
    multipart POST) is never repeated, and is read back to be sure it was stored intact, unless
    ``verify_writes`` is False (the lock record: racing writers overwrite it on purpose, and the lock reads it
    back itself to decide who won).
    """

    def __init__(self, folder: Any, *, verify_writes: bool = True) -> None:
        self.folder = folder
        self.verify_writes = verify_writes
        self.folder_ref = f"{getattr(folder, 'project_key', '?')}.{getattr(folder, 'odb_id', '?')}"

    def get(self, key: str) -> Optional[bytes]:
        return self._read(self._path(key))

    def put(self, key: str, data: bytes) -> None:
        if self.verify_writes:
            self._write_verified(self._path(key), data)
        else:
            self._write(self._path(key), data)

    def delete(self, key: str) -> None:
        self._delete(self._path(key))

    def list(self, prefix: str) -> List[BlobInfo]:
        start = self._path(prefix)
        infos = []
        for item in self._list_contents():
            rest = item["path"][len(start):]
            if item["path"].startswith(start) and rest and "/" not in rest:
                modified = item.get("lastModified")
                moment = from_epoch_millis(modified) if isinstance(modified, (int, float)) else None
                infos.append(BlobInfo(item["path"][1:], int(item.get("size") or 0), moment))
        return infos

    def location(self, key: str) -> str:
        return self.describe(self._path(key))

    def describe(self, path: str) -> str:
        """Human-readable location of a path of this folder, for messages."""
        return f"managed folder {self.folder_ref}:{path}"

    @staticmethod
    def _path(key: str) -> str:
        return "/" + key

    # -- folder access --------------------------------------------------------------------------------

    def _list_contents(self) -> List[Dict[str, Any]]:
        listing = self._call("list", "/", self.folder.list_contents)
        items = listing.get("items", []) if isinstance(listing, dict) else []
        return [dict(item, path=normalize_path(item.get("path", ""))) for item in items if isinstance(item, dict)]

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


class ManagedFolderBackend(StoredStateBackend):
    """State of one environment in a DSS managed folder (``dataikuapi`` ``DSSManagedFolder``)."""

    def __init__(
        self,
        folder: Any,
        environment: str,
        *,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        report_limit: int = DEFAULT_REPORT_LIMIT,
        lock_ttl: float = DEFAULT_LOCK_TTL,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_settle: float = DEFAULT_LOCK_SETTLE,
        owner: Optional[str] = None,
    ) -> None:
        self.folder = folder
        self.environment = validate_environment_name(environment)
        self._owner = owner
        store = FolderStore(folder)
        self.folder_ref = store.folder_ref
        layout = StateLayout(current=f"states/{environment}.state.json", history=f"history/{environment}/",
                             reports=f"reports/{environment}/")
        self.state_path = "/" + layout.current
        self.lock_path = f"/locks/{environment}.lock"
        location = store.location(layout.current)
        lock_store = FolderStore(folder, verify_writes=False)
        lock = FolderLock(lock_store, self.lock_path[1:], location, lambda: self.owner,
                          ttl=lock_ttl, timeout=lock_timeout, settle=lock_settle)
        super().__init__(store, lock, layout, location, history_limit=history_limit, report_limit=report_limit)

    @classmethod
    def from_client(
        cls, client: Any, project_key: str, folder_id: str, environment: str, **options: Any
    ) -> ManagedFolderBackend:
        """The backend of ``environment`` in managed folder ``folder_id`` of project ``project_key``."""
        return cls(client.get_project(project_key).get_managed_folder(folder_id), environment, **options)

    def check_folder(self) -> None:
        """Fail early with a readable error when the folder cannot be listed (missing, no access, DSS down)."""
        self.store.list("")

    @property
    def owner(self) -> str:
        """Who takes locks through this backend: the DSS login of the client, the host and the process."""
        if self._owner is None:
            self._owner = holder_name(self._login())
        return self._owner

    def _login(self) -> Optional[str]:
        client = getattr(self.folder, "client", None)
        try:
            return str(client.get_auth_info()["authIdentifier"])
        except Exception:  # the login only decorates a lock record: fall back to the OS user
            return None


def normalize_path(path: str) -> str:
    """A listed path in this module's form: one leading slash, no doubled slashes (DSS versions differ)."""
    return "/" + "/".join(part for part in str(path).split("/") if part)


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
