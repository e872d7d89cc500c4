"""The lock protocol of state backends, and the one lock record every backend writes and reports.

A lock is separate from storage (as Terraform's ``statemgr.Locker`` is from its ``Reader``/``Writer``): the
local backend locks an OS file lock (:mod:`.local`), the managed folder a record in the folder
(:mod:`.folder_lock`), the in-memory backend a condition variable (:mod:`.memory`). They all describe the
holder with a :class:`LockInfo`, so a blocked user reads the same message whatever the storage.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Dict, Mapping, Optional

from .. import __version__
from ..exceptions import StateError
from ..timeutil import format_timestamp, utc_now


@dataclass(frozen=True)
class LockInfo:
    """Who holds a state lock, for what, since when (Terraform's ``LockInfo``).

    ``expires`` is set by locks that cannot tell whether their holder is alive (the managed folder's record);
    ``path`` and ``version`` say where and with which dataiku-iac it was taken.
    """

    id: str
    operation: str = "?"
    who: str = "?"
    created: str = "?"
    expires: Optional[str] = None
    path: str = ""
    version: str = ""

    @classmethod
    def new(cls, operation: str, who: str, path: str, ttl: Optional[float] = None) -> LockInfo:
        """A fresh record with a random id, created now (expiring after ``ttl`` seconds when given)."""
        created = utc_now()
        expires = format_timestamp(created + timedelta(seconds=ttl)) if ttl is not None else None
        return cls(str(uuid.uuid4()), operation, who, format_timestamp(created), expires, path, __version__)

    @classmethod
    def from_bytes(cls, data: bytes) -> LockInfo:
        """Read a stored record; an unreadable one gets an id derived from its bytes (so it can be broken)."""
        try:
            record = json.loads(data.decode("utf-8"))
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            return cls(unreadable_lock_id(data), who="unknown (unreadable lock record)")
        return cls.from_dict(record)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> LockInfo:
        """From the JSON form; records of earlier versions named the holder ``owner``."""
        def text(key: str, default: str = "?") -> str:
            value = record.get(key)
            return value if isinstance(value, str) else default

        who = text("who", "") or text("owner")
        expires = record.get("expires")
        return cls(text("id"), text("operation"), who, text("created"),
                   expires if isinstance(expires, str) else None, text("path", ""), text("version", ""))

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form (``expires`` left out when the lock does not expire)."""
        record = asdict(self)
        if self.expires is None:
            del record["expires"]
        return record

    def to_bytes(self) -> bytes:
        """What is stored: sorted, indented JSON with a final newline."""
        return (json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n").encode("utf-8")

    # Read access by key, as for the dict records earlier versions returned (``info["id"]``).
    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """``info.get("who")``: the field, or ``default``."""
        return self.to_dict().get(key, default)


class StateLock(ABC):
    """A lock on one stored state. :class:`StoredStateBackend` makes it re-entrant; implementations are not."""

    @abstractmethod
    def acquire(self, operation: str) -> LockInfo:
        """Take the lock (waiting up to the lock's timeout) or raise :class:`StateLockedError` naming the holder."""

    @abstractmethod
    def release(self) -> None:
        """Release the lock taken by :meth:`acquire` (leaving alone a lock that replaced ours)."""

    @abstractmethod
    def info(self) -> Optional[LockInfo]:
        """The record of the current holder (or of a holder that died), or None when unlocked."""

    @abstractmethod
    def force_unlock(self, lock_id: str) -> LockInfo:
        """Break the lock whose id is ``lock_id`` and return its record.

        Raises :class:`StateError` when no lock is recorded or its id differs: a user never breaks a lock
        they did not see.
        """

    def check_still_held(self) -> None:
        """Raise if the lock this process holds was broken or replaced meanwhile (called before each write).

        Nothing to check for OS locks, which cannot be taken away from a live holder.
        """
        return None


def matching_lock(held: Optional[LockInfo], lock_id: str, location: str) -> LockInfo:
    """``held`` if it is the lock ``lock_id``; else the :class:`StateError` every force_unlock gives."""
    if held is None:
        raise StateError(f"No lock is recorded on {location}: nothing to unlock")
    if held.id != lock_id:
        raise StateError(
            f"The lock on {location} has id {held.id} (held by {held.who}), not {lock_id}: nothing was removed; "
            "check the id and try again"
        )
    return held


def unreadable_lock_id(data: bytes) -> str:
    """A stable id for an unreadable lock record, so it can be removed with force_unlock like any other."""
    return "unreadable-" + hashlib.sha256(data).hexdigest()[:12]


def holder_name(login: Optional[str] = None) -> str:
    """``login@host (pid N)``: who takes a lock, for the message a blocked user reads (OS user by default)."""
    if login is None:
        try:
            login = getpass.getuser()
        except Exception:  # pragma: no cover (no user database entry in some containers)
            login = "unknown"
    return f"{login}@{socket.gethostname()} (pid {os.getpid()})"
