"""The state backend interface, and the save/load policy shared by every storage.

:class:`StateBackend` is the whole interface the CLI, the manager, the macros and the webapp use.
:class:`StoredStateBackend` implements it once, over three small parts (as Terraform's statemgr keeps its
serial/lineage bookkeeping above a dumb ``remote.Client``): a :class:`~.store.BlobStore` (get, put, delete,
list), a :class:`~.locks.StateLock`, and a :class:`StateLayout` naming the keys. The local directory, the
managed folder and the in-memory store only provide those parts, so all keep the same promises:

- the stored state is always schema-valid: nothing is written when validation fails;
- the backend alone decides the stored serial: the stored one plus one (the in-memory ``serial`` that
  ``add_resource`` bumps is never trusted);
- a save extends the serial its state was loaded (or last saved) at, ``State.base_serial``: when the stored
  serial is newer, the save is refused with :class:`StaleStateError` (no lost update), and a state of another
  lineage never replaces the stored one, unless ``force=True``. ``expected_serial`` states the base
  explicitly, checked under the lock (a conditional save);
- each save that changes the stored content gets a new serial; saving identical content writes nothing;
- every saved serial is kept as a snapshot (bounded history), written before the current state is replaced.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import uuid
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ContextManager, Dict, Iterator, List, NamedTuple, Optional, Tuple

from ..canonical import gc_paused
from ..exceptions import ConfigError, LineageMismatchError, StaleStateError, StateCorruptedError, StateNotFoundError
from ..models.state import State
from ..state_format import StoredSummary, decode_state, decode_state_and_summary, encode_state, summarize_state
from ..timeutil import format_timestamp, utc_now
from .locks import LockInfo, StateLock
from .reports import DEFAULT_REPORT_LIMIT, ReportStore
from .store import BlobStore

logger = logging.getLogger("dataiku_iac.backends")

DEFAULT_HISTORY_LIMIT = 20
_SERIAL_SNAPSHOT = re.compile(r"serial-(\d+)\.json")
_ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def validate_environment_name(name: str) -> str:
    """Return ``name`` if it is a safe environment name (used in file and folder paths), else raise.

    Letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit, at most 64 characters, and no
    ``..``: an environment name can never escape the state directory.
    """
    if not isinstance(name, str) or not _ENVIRONMENT_NAME.fullmatch(name) or ".." in name:
        raise ConfigError(
            f"Invalid environment name {name!r}: use letters, digits, '_', '.' or '-' "
            "(starting with a letter or digit, at most 64 characters), e.g. 'dev' or 'prod'"
        )
    return name


class HistoryEntry(NamedTuple):
    """One saved serial kept in the history."""

    serial: int
    size: int
    saved_at: Optional[datetime]
    location: str

    def to_dict(self) -> Dict[str, Any]:
        """JSON form (for the CLI and the webapp)."""
        return {
            "serial": self.serial,
            "size": self.size,
            "saved_at": format_timestamp(self.saved_at) if self.saved_at else None,
            "location": self.location,
        }


@dataclass(frozen=True)
class StateLayout:
    """Where one environment's state lives in a blob store: the current state's key, and the key prefixes of
    its history snapshots and of its reports (each ending with ``/``)."""

    current: str
    history: str
    reports: str


class StateBackend(ABC):
    """Where a state is stored: the whole interface (implementations: :class:`StoredStateBackend` and its
    subclasses LocalFileBackend, ManagedFolderBackend, MemoryBackend).

    ``reports`` is the environment's :class:`ReportStore`; ``save_report``, ``load_report`` and ``list_reports``
    are shorthands for it.
    """

    #: Human-readable location (file path or folder path) used in messages.
    location: str = ""
    reports: ReportStore

    @abstractmethod
    def load(self, serial: Optional[int] = None) -> State:
        """Load the current state, or the snapshot of ``serial`` from the history.

        Raises :class:`StateNotFoundError` when absent, :class:`StateCorruptedError` when unusable.
        """

    @abstractmethod
    def save(self, state: State, force: bool = False, *, expected_serial: Optional[int] = None) -> None:
        """Store ``state`` as the successor of the stored state; on success ``state.serial``, ``lineage`` and
        ``base_serial`` are those stored.

        Raises :class:`StateWriteError`, :class:`LineageMismatchError`, :class:`StaleStateError` (the stored
        serial is not the one ``state`` was loaded at, or not ``expected_serial`` when given),
        :class:`StateLockedError`, :class:`StateFormatError` (``state`` is invalid: nothing written).
        """

    @abstractmethod
    def exists(self) -> bool:
        """True when a current state is stored."""

    @abstractmethod
    def delete(self) -> None:
        """Delete the current state (a snapshot of it stays in the history)."""

    @abstractmethod
    def backup(self, suffix: str = "backup") -> str:
        """Copy the current state aside under ``suffix``; returns where the copy is."""

    @abstractmethod
    def history(self) -> List[HistoryEntry]:
        """The saved serials still kept, oldest first."""

    @abstractmethod
    def restore(self, serial: int) -> State:
        """Make the snapshot of ``serial`` the current state again, as a new serial; returns it."""

    @abstractmethod
    def lock(self, operation: str = "operation") -> ContextManager[LockInfo]:
        """Hold the state's lock for a read-check-write sequence (re-entrant); yields its record.

        Raises :class:`StateLockedError` naming the holder when someone else holds it.
        """

    @abstractmethod
    def lock_info(self) -> Optional[LockInfo]:
        """The record of the lock's holder (or of a holder that died), or None when unlocked."""

    @abstractmethod
    def force_unlock(self, lock_id: str) -> LockInfo:
        """Break the lock whose id is ``lock_id`` (``dataiku-iac state unlock``); returns its record."""

    def save_report(self, report: Dict[str, Any], *, kind: str = "report") -> str:
        """``reports.save``: store a report beside the state; returns its name (``<kind>-<UTC time>``)."""
        return self.reports.save(report, kind=kind)

    def load_report(self, name: Optional[str] = None) -> Dict[str, Any]:
        """``reports.load``: a stored report by name, or the newest one."""
        return self.reports.load(name)

    def list_reports(self, kind: Optional[str] = None) -> List[str]:
        """``reports.list``: names of the stored reports (of one kind, or all), oldest first."""
        return self.reports.list(kind)

    def report_location(self, name: str) -> str:
        """Where the report ``name`` is stored, for messages."""
        return self.reports.location(name)


class StoredStateBackend(StateBackend):
    """The policy of :class:`StateBackend` over a blob store, a lock and a layout."""

    def __init__(self, store: BlobStore, state_lock: StateLock, layout: StateLayout, location: str, *,
                 history_limit: int = DEFAULT_HISTORY_LIMIT, report_limit: int = DEFAULT_REPORT_LIMIT,
                 report_kind_limits: Optional[Dict[str, int]] = None) -> None:
        if history_limit < 1 or report_limit < 1:
            raise ValueError("history_limit and report_limit must be at least 1")
        self.store = store
        self.layout = layout
        self.location = location
        self.history_limit = history_limit
        self.report_limit = report_limit
        self.reports = ReportStore(store, layout.reports, self.lock, report_limit, report_kind_limits)
        self._state_lock = state_lock
        self._lock_guard = threading.RLock()
        self._lock_depth = 0
        self._held: Optional[LockInfo] = None
        # The bytes this instance last read or wrote, with their summary: a save right after a load does
        # not parse the stored state again when its bytes are unchanged (0.7 s saved on a 57 MB state).
        self._known: Optional[Tuple[bytes, StoredSummary]] = None

    # -- locking --------------------------------------------------------------------------------------

    @contextmanager
    def lock(self, operation: str = "operation") -> Iterator[LockInfo]:
        """Hold the state lock; re-entrant, so ``save`` inside a caller's ``lock`` does not deadlock."""
        with self._lock_guard:
            if self._lock_depth == 0:
                self._held = self._state_lock.acquire(operation)
            self._lock_depth += 1
            try:
                yield self._held  # type: ignore[misc]
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    self._held = None
                    self._state_lock.release()

    def lock_info(self) -> Optional[LockInfo]:
        """The record of the lock's holder, or None when unlocked."""
        return self._state_lock.info()

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Break the lock whose id is ``lock_id``; refused when no lock is recorded or its id differs."""
        return self._state_lock.force_unlock(lock_id)

    # -- the contract ---------------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when a current state is stored."""
        return self.store.get(self.layout.current) is not None

    def load(self, serial: Optional[int] = None) -> State:
        """Load the current state, or the snapshot of ``serial``."""
        if serial is None:
            data = self.store.get(self.layout.current)
            if data is None:
                raise StateNotFoundError(f"No state at {self.location}: run a sync first to create it")
            state, summary = decode_state_and_summary(data, self.location)
            self._known = (data, summary)
            return state
        key = self._snapshot_key(serial_snapshot_name(serial))
        data = self.store.get(key)
        if data is None:
            kept = ", ".join(str(entry.serial) for entry in self.history()) or "none"
            raise StateNotFoundError(f"No snapshot of serial {serial} at {self.location} (kept serials: {kept})")
        return decode_state(data, self.store.location(key))

    def save(self, state: State, force: bool = False, *, expected_serial: Optional[int] = None) -> None:
        """Store ``state`` under the lineage/serial rules; see the module docstring."""
        # The collector is paused as while parsing: a save builds large acyclic trees (fingerprint, document).
        with self.lock("save"), gc_paused():
            stored_bytes = self.store.get(self.layout.current)
            stored = self._summarize_stored(stored_bytes, force)
            if not force:
                check_can_replace(state, stored, self.location, expected_serial)
            fingerprint = state.content_fingerprint()
            if stored is not None and fingerprint == stored.fingerprint:
                _adopt(state, stored.serial, stored.lineage or state.lineage, stored.updated_at)
                return
            if stored is not None and stored_bytes is not None:
                self._keep_snapshot(stored.serial, stored_bytes)
            self._write_version(state, stored, fingerprint)

    def _write_version(self, state: State, stored: Optional[StoredSummary], fingerprint: str) -> None:
        """Write ``state`` as the successor of ``stored`` (snapshot, then current), prune, adopt (under lock)."""
        to_write = copy.copy(state)
        to_write.serial = stored.serial + 1 if stored is not None else self._first_free_serial(state)
        to_write.lineage = state.lineage or (stored.lineage if stored else None) or str(uuid.uuid4())
        to_write.updated_at = utc_now()
        data = encode_state(to_write)
        # The history never lags the current state: the snapshot is written first. Before each write the lock
        # is checked to be still ours (a managed folder's lock can be replaced by a late upload, or broken).
        self._state_lock.check_still_held()
        self.store.put(self._snapshot_key(serial_snapshot_name(to_write.serial)), data)
        self._state_lock.check_still_held()
        self.store.put(self.layout.current, data)
        self._known = (data, StoredSummary(to_write.serial, to_write.lineage, to_write.updated_at, fingerprint))
        self._prune_history()
        _adopt(state, to_write.serial, to_write.lineage, to_write.updated_at)

    def _first_free_serial(self, state: State) -> int:
        """The serial of a save when no current state is stored: past every kept snapshot (after a delete,
        the history still holds serials) and past the serial the state was loaded at."""
        return max([entry.serial for entry in self.history()] + [state.base_serial or 0]) + 1

    def restore(self, serial: int) -> State:
        """Make the snapshot of ``serial`` the current state again, as a new serial (nothing is lost).

        This is how an unusable current state is recovered: its bytes are kept as a ``corrupt-*`` snapshot
        before the restored state replaces it, which then takes the serial after the highest one in the
        history (as it does when no current state is stored).
        """
        with self.lock("restore"):
            snapshot = self.load(serial)
            snapshot.updated_at = utc_now()
            try:
                current = self.load() if self.exists() else None
            except StateCorruptedError as exc:
                # Its summary cannot be trusted either (a hand edit keeps the checksums): keep the bytes aside
                # and write the snapshot as the next serial, whatever the unusable file claims.
                self._keep_unusable(self.store.get(self.layout.current), exc)
                current = None
            if current is not None:
                snapshot.lineage = current.lineage
                self.save(snapshot, expected_serial=current.serial)
                return snapshot
            self._write_version(snapshot, None, snapshot.content_fingerprint())
            return snapshot

    def delete(self) -> None:
        """Delete the current state, after keeping a snapshot of it."""
        with self.lock("delete"):
            data = self.store.get(self.layout.current)
            if data is None:
                return
            self.store.put(self._snapshot_key(f"deleted-{_stamp()}"), data)
            self.store.delete(self.layout.current)
            self._known = None

    def backup(self, suffix: str = "backup") -> str:
        """Copy the current state to a snapshot named after ``suffix``; returns its location."""
        if not isinstance(suffix, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", suffix) or ".." in suffix:
            raise ValueError(f"Invalid backup suffix {suffix!r}: use letters, digits, '_', '.', '-'")
        data = self.store.get(self.layout.current)
        if data is None:
            raise StateNotFoundError(f"No state at {self.location} to back up")
        key = self._snapshot_key(f"backup-{suffix}")
        self.store.put(key, data)
        return self.store.location(key)

    def history(self) -> List[HistoryEntry]:
        """The saved serials still kept, oldest first."""
        entries = []
        for info in self.store.list(self.layout.history):
            match = _SERIAL_SNAPSHOT.fullmatch(info.key[len(self.layout.history):])
            if match:
                location = self.store.location(info.key)
                entries.append(HistoryEntry(int(match.group(1)), info.size, info.modified_at, location))
        return sorted(entries)

    # -- helpers --------------------------------------------------------------------------------------

    def _snapshot_key(self, name: str) -> str:
        return f"{self.layout.history}{name}.json"

    def _summarize_stored(self, data: Optional[bytes], force: bool) -> Optional[StoredSummary]:
        """The stored state's summary, or None. An unusable stored state blocks a save unless forced."""
        if data is None:
            return None
        if self._known is not None and self._known[0] == data:
            return self._known[1]
        try:
            return summarize_state(data, self.location)
        except StateCorruptedError as exc:
            if not force:
                raise
            self._keep_unusable(data, exc)
            return None

    def _keep_unusable(self, data: Optional[bytes], error: StateCorruptedError) -> None:
        """Keep the bytes of an unusable current state as a ``corrupt-*`` snapshot, before they are replaced."""
        if data is None:
            return
        key = self._snapshot_key(f"corrupt-{_stamp()}")
        self.store.put(key, data)
        logger.warning("Replacing the unusable state at %s (%s); its bytes are kept as %s", self.location,
                       "; ".join(error.problems[:1]), self.store.location(key))

    def _keep_snapshot(self, serial: int, data: bytes) -> None:
        """Snapshot the state about to be replaced if its serial has none yet (e.g. written by hand).

        When the serial's snapshot holds other bytes (the file was edited after it was saved), both are kept:
        the edited bytes as an ``edited-*`` snapshot, the serial's snapshot as it was.
        """
        key = self._snapshot_key(serial_snapshot_name(serial))
        kept = self.store.get(key)
        if kept is None:
            self.store.put(key, data)
        elif kept != data:
            edited = self._snapshot_key(f"edited-{_stamp()}")
            self.store.put(edited, data)
            logger.warning("The state at %s differs from the snapshot of its serial %s (edited by hand?): "
                           "its bytes are kept as %s", self.location, serial, self.store.location(edited))

    def _prune_history(self) -> None:
        serial_snapshots = self.history()
        for entry in serial_snapshots[: max(0, len(serial_snapshots) - self.history_limit)]:
            self.store.delete(self._snapshot_key(serial_snapshot_name(entry.serial)))


def serial_snapshot_name(serial: int) -> str:
    """Name of the history snapshot of a serial (zero-padded so names sort by serial)."""
    return f"serial-{int(serial):08d}"


def check_can_replace(state: State, stored: Optional[StoredSummary], location: str,
                      expected_serial: Optional[int] = None) -> None:
    """Refuse a save of another lineage, or one whose base is not the stored serial (no lost update).

    The base is ``expected_serial`` when given, else the serial the state was loaded (or last saved) at. A
    state bound to no lineage and no base (fresh from a sync) extends whatever is stored. The in-memory
    ``serial`` plays no part: ``add_resource`` bumps it, so it says nothing about what a save extends.
    """
    stored_serial = stored.serial if stored is not None else 0
    if stored is not None and state.lineage and stored.lineage and state.lineage != stored.lineage:
        raise LineageMismatchError(stored.lineage, state.lineage, location)
    if expected_serial is not None:
        if stored_serial != expected_serial:
            raise StaleStateError(expected_serial, stored_serial, location)
        return
    if stored is None:
        return
    base = state.base_serial
    if base is None:
        if state.lineage is None:
            return
        base = 0  # claims the stored lineage, yet was never loaded from it: it extends nothing stored
    if stored_serial > base:
        raise StaleStateError(base, stored_serial, location)


def _adopt(state: State, serial: int, lineage: Optional[str], updated_at: datetime) -> None:
    state.serial = serial
    state.lineage = lineage
    state.base_serial = serial
    state.updated_at = updated_at


def _stamp() -> str:
    return utc_now().strftime("%Y%m%dT%H%M%S%fZ")
