"""State backends: where states are stored (local files, DSS managed folders)."""

from __future__ import annotations

from .base import HistoryEntry, StateBackend, StoredStateBackend
from .local import LocalFileBackend

__all__ = ["HistoryEntry", "LocalFileBackend", "StateBackend", "StoredStateBackend"]
