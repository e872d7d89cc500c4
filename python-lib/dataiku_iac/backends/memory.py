"""MemoryBackend: a state kept in memory, with every promise of the other backends (Terraform's NewFullFake).

For tests of the layers above storage (manager, plan/apply, webapp) and for the backend contract suite. Several
backends built on one :class:`MemoryStorage` behave as independent writers of the same stored state, in one
process: they share the blobs and the lock.
"""

from __future__ import annotations

import threading
import time
from typing import Dict, List, Optional, Tuple

from ..exceptions import StateLockedError
from ..timeutil import utc_now
from .base import DEFAULT_HISTORY_LIMIT, StateLayout, StoredStateBackend, validate_environment_name
from .locks import LockInfo, StateLock, holder_name, matching_lock
from .reports import DEFAULT_REPORT_LIMIT
from .store import BlobInfo, BlobStore


class MemoryStorage(BlobStore):
    """Blobs in a dict, plus the lock record of each key, shared by the backends built on it (thread-safe)."""

    def __init__(self) -> None:
        self._blobs: Dict[str, Tuple[bytes, object]] = {}
        self._locks: Dict[str, LockInfo] = {}
        self._changed = threading.Condition()

    def get(self, key: str) -> Optional[bytes]:
        with self._changed:
            entry = self._blobs.get(key)
        return None if entry is None else entry[0]

    def put(self, key: str, data: bytes) -> None:
        with self._changed:
            self._blobs[key] = (bytes(data), utc_now())

    def delete(self, key: str) -> None:
        with self._changed:
            self._blobs.pop(key, None)

    def list(self, prefix: str) -> List[BlobInfo]:
        with self._changed:
            return [BlobInfo(key, len(data), moment) for key, (data, moment) in self._blobs.items()
                    if key.startswith(prefix) and "/" not in key[len(prefix):]]  # type: ignore[arg-type]

    def location(self, key: str) -> str:
        return f"memory:{key}"


class MemoryLock(StateLock):
    """A lock on one key of a :class:`MemoryStorage`; waiters are woken by the release, never poll."""

    def __init__(self, storage: MemoryStorage, key: str, location: str, timeout: float) -> None:
        self.storage = storage
        self.key = key
        self.location = location
        self.timeout = timeout
        self._held_id: Optional[str] = None

    def acquire(self, operation: str) -> LockInfo:
        deadline = time.monotonic() + self.timeout
        with self.storage._changed:
            while self.key in self.storage._locks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StateLockedError(self.location, self.storage._locks[self.key].to_dict())
                self.storage._changed.wait(remaining)
            record = LockInfo.new(operation, holder_name(), self.location)
            self.storage._locks[self.key] = record
            self._held_id = record.id
            return record

    def release(self) -> None:
        with self.storage._changed:
            held = self.storage._locks.get(self.key)
            if held is not None and held.id == self._held_id:
                del self.storage._locks[self.key]
            self._held_id = None
            self.storage._changed.notify_all()

    def info(self) -> Optional[LockInfo]:
        with self.storage._changed:
            return self.storage._locks.get(self.key)

    def force_unlock(self, lock_id: str) -> LockInfo:
        with self.storage._changed:  # the check and the removal are one step: no one can lock in between
            held = matching_lock(self.storage._locks.get(self.key), lock_id, self.location)
            del self.storage._locks[self.key]
            self.storage._changed.notify_all()
            return held

    def check_still_held(self) -> None:
        with self.storage._changed:
            held = self.storage._locks.get(self.key)
        if self._held_id is not None and (held is None or held.id != self._held_id):
            raise StateLockedError(self.location, held.to_dict() if held else None)


class MemoryBackend(StoredStateBackend):
    """The state of ``environment`` in ``storage`` (a new, empty one by default)."""

    def __init__(self, storage: Optional[MemoryStorage] = None, environment: str = "dev", *,
                 history_limit: int = DEFAULT_HISTORY_LIMIT, report_limit: int = DEFAULT_REPORT_LIMIT,
                 lock_timeout: float = 0.0) -> None:
        self.storage = storage if storage is not None else MemoryStorage()
        self.environment = validate_environment_name(environment)
        layout = StateLayout(current=f"{environment}.state.json", history=f"{environment}.state.json.history/",
                             reports=f"{environment}.state.json.reports/")
        location = self.storage.location(layout.current)
        lock = MemoryLock(self.storage, f"{environment}.state.json.lock", location, lock_timeout)
        super().__init__(self.storage, lock, layout, location, history_limit=history_limit,
                         report_limit=report_limit)
