"""State backends: where states are stored (local files, DSS managed folders, memory).

Each is a :class:`StoredStateBackend` over three small parts: a :class:`BlobStore` (get, put, delete, list),
a :class:`StateLock` describing its holder with a :class:`LockInfo`, and a layout; drift reports go to the
backend's :class:`ReportStore` (``backend.reports``). See ``docs/interfaces.md``.
"""

from __future__ import annotations

from .base import HistoryEntry, StateBackend, StateLayout, StoredStateBackend
from .local import LocalFileBackend
from .locks import LockInfo, StateLock
from .memory import MemoryBackend, MemoryStorage
from .reports import ReportStore
from .store import BlobInfo, BlobStore

__all__ = ["BlobInfo", "BlobStore", "HistoryEntry", "LocalFileBackend", "LockInfo", "MemoryBackend",
           "MemoryStorage", "ReportStore", "StateBackend", "StateLayout", "StateLock", "StoredStateBackend"]
