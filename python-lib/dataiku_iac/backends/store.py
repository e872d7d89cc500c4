"""The blob store: the only thing a storage has to provide (Terraform's ``remote.Client``: Get, Put, Delete).

Keys are relative, ``/``-separated paths such as ``dev.state.json.history/serial-00000003.json``. A store knows
nothing of states, serials or locks; :class:`~.base.StoredStateBackend` holds every rule above it, so the
local directory, the managed folder and the in-memory store keep the same promises.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import List, NamedTuple, Optional


class BlobInfo(NamedTuple):
    """What a store knows about one stored blob, without reading it."""

    key: str
    size: int
    modified_at: Optional[datetime]


class BlobStore(ABC):
    """Named byte strings. Errors are library errors (:class:`StateReadError`, :class:`StateWriteError`,
    :class:`DSSError`, :class:`UnsafePathError`...), never the storage's own exceptions."""

    @abstractmethod
    def get(self, key: str) -> Optional[bytes]:
        """The bytes stored under ``key``, or None when there are none."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``: atomically where the storage can, verified where it cannot."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when absent)."""

    @abstractmethod
    def list(self, prefix: str) -> List[BlobInfo]:
        """The blobs whose key starts with ``prefix`` (which ends with ``/``), directly under it."""

    def location(self, key: str) -> str:
        """Where ``key`` lives, for messages (a file path, a folder path)."""
        return key
