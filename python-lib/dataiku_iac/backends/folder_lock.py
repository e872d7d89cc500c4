"""The lock of a state kept in storage without atomic create or compare-and-set (a DSS managed folder).

The lock is a :class:`LockInfo` record stored under one key. Taking it writes the record, waits a short
settle time and reads it back: a concurrent writer who wrote after us is seen and wins, we back off. A lock
held by someone else is never broken silently, not even an expired one: the error names its holder and id,
and :meth:`FolderLock.force_unlock` removes it explicitly. Before each write of a save,
:meth:`FolderLock.check_still_held` checks that the record is still ours, so a writer whose record was
overwritten by a late one backs off instead of overwriting the same serial. What no record can close is the
time of one request between a check and the write that follows it: the known limit of such storage.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Callable, Optional

from ..exceptions import StateLockedError, StateWriteError
from ..timeutil import parse_timestamp, utc_now
from .locks import LockInfo, StateLock, matching_lock
from .store import BlobStore

logger = logging.getLogger("dataiku_iac.backends.folder_lock")

#: How long a lock is presumed alive. Past it, the lock is reported as expired (its holder probably died),
#: but it is still not broken without force_unlock.
DEFAULT_LOCK_TTL = 3600.0
DEFAULT_LOCK_TIMEOUT = 10.0
#: Wait between writing the lock record and reading it back, so a writer racing us is seen.
DEFAULT_LOCK_SETTLE = 0.2
_POLL_INTERVAL = 0.5


class LockExpiredError(StateLockedError):
    """The folder holds a lock past its expiry: its holder is probably gone, but it is only broken on request."""

    def __init__(self, location: str, info: LockInfo) -> None:
        super().__init__(location, info.to_dict())
        self.args = (
            f"State at {location} is locked by {info.who} for '{info.operation}' since {info.created}; the lock "
            f"expired at {info.expires or '?'}, so its holder has probably stopped. It is not broken automatically: "
            f"make sure nothing is still running, then remove it with force_unlock('{info.id}') "
            f"(command line: 'dataiku-iac state unlock {info.id}').",
        )


class FolderLock(StateLock):
    """A lock record under ``key`` of ``store``; ``who()`` names the holder (called once, when first needed)."""

    def __init__(self, store: BlobStore, key: str, location: str, who: Callable[[], str], *,
                 ttl: float = DEFAULT_LOCK_TTL, timeout: float = DEFAULT_LOCK_TIMEOUT,
                 settle: float = DEFAULT_LOCK_SETTLE) -> None:
        if ttl <= 0 or timeout < 0 or settle < 0:
            raise ValueError("lock_ttl must be positive, lock_timeout and lock_settle not negative")
        self.store = store
        self.key = key
        self.location = location
        self.ttl = ttl
        self.timeout = timeout
        self.settle = settle
        self._who = who
        self._held_id: Optional[str] = None

    def acquire(self, operation: str) -> LockInfo:
        deadline = time.monotonic() + self.timeout
        while True:
            held = self.info()
            if held is None:
                record = LockInfo.new(operation, self._who(), self.location, ttl=self.ttl)
                self.store.put(self.key, record.to_bytes())
                if self.settle:
                    time.sleep(self.settle)
                if self.info() == record:
                    self._held_id = record.id
                    return record
                held = self.info()  # someone wrote after us: theirs stands, we back off
                if held is None:
                    # Removed between our write and read (a force_unlock): nothing was decided, try again.
                    continue
            if is_expired(held):
                raise LockExpiredError(self.location, held)
            if time.monotonic() >= deadline:
                raise StateLockedError(self.location, held.to_dict())
            time.sleep(max(0.0, min(_POLL_INTERVAL, deadline - time.monotonic())))

    def release(self) -> None:
        lock_id, self._held_id = self._held_id, None
        if lock_id is None:
            return
        held = self.info()
        if held is not None and held.id != lock_id:
            # Someone force-unlocked us and took the lock since: theirs must stay.
            logger.warning("Lock %s on %s was replaced by lock %s; leaving it", lock_id, self.location, held.id)
            return
        self.store.delete(self.key)

    def info(self) -> Optional[LockInfo]:
        data = self.store.get(self.key)
        return None if data is None else LockInfo.from_bytes(data)

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock whose id is ``lock_id`` (expired or not), and return its record.

        The record is read again right before its removal, so a lock taken meanwhile by someone else stays
        (up to the one-request window this storage cannot close).
        """
        held = self._matching_record(lock_id)
        if not is_expired(held):
            logger.warning("Force-unlocking lock %s on %s before its expiry", lock_id, self.location)
        self._matching_record(lock_id)
        self.store.delete(self.key)
        if self._held_id == lock_id:
            self._held_id = None
        return held

    def check_still_held(self) -> None:
        lock_id = self._held_id
        if lock_id is None:
            return
        held = self.info()
        if held is None:
            raise StateWriteError(
                f"The lock {lock_id} on {self.location} was removed (force-unlocked) while this save held it: "
                "the current state was not replaced. Make sure no other run is writing, then retry."
            )
        if held.id != lock_id:
            raise StateLockedError(self.location, held.to_dict())

    def _matching_record(self, lock_id: str) -> LockInfo:
        return matching_lock(self.info(), lock_id, self.location)


def is_expired(record: LockInfo, now: Optional[datetime] = None) -> bool:
    """True when the record's expiry has passed (an unreadable record counts as expired)."""
    if record.expires is None:
        return record.id.startswith("unreadable-")
    try:
        return parse_timestamp(record.expires) <= (now or utc_now())
    except ValueError:
        return True
