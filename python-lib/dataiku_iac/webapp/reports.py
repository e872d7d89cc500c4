"""Where the page's reports come from: stored drift reports, and diffs between two saved serials.

Both are kept in a small in-memory LRU cache, because the page asks for the index of a report and then for
single resources of it as rows are expanded: a 5,000-change report is parsed (or a diff computed) once, not
once per click. Keys identify immutable content: a stored report's name is its creation time, and a serial's
snapshot is keyed together with its size and time, so a snapshot rewritten under the same serial (a new
lineage after a delete) is not served from the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, Hashable, Optional, Tuple

from ..backends.base import StateBackend
from ..diff import DiffEngine
from ..exceptions import StateNotFoundError
from ..report.json_report import diffs_to_json
from ..timeutil import format_timestamp
from .errors import UnavailableError

DEFAULT_CACHE_SIZE = 6
#: Reports built at once: a diff of two 5,000-resource serials holds both states and the report in memory.
DEFAULT_MAX_BUILDS = 2
#: Seconds a refused request is told to wait (``Retry-After``).
DEFAULT_RETRY_AFTER = 5


class _Build:
    """A report being built: the requests for the same key wait for it instead of building it again."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.report: Optional[Dict[str, Any]] = None
        self.error: Optional[BaseException] = None


class ReportCache:
    """A thread-safe LRU of report dicts (treat them as read-only) that builds each missing one once.

    At most ``max_builds`` different reports are built at a time; a request for another one meanwhile is
    refused with :class:`UnavailableError` (503, ``Retry-After``) rather than queued, so that any number of
    viewers asking for distinct diffs cannot exhaust the memory.
    """

    def __init__(self, size: int = DEFAULT_CACHE_SIZE, max_builds: int = DEFAULT_MAX_BUILDS,
                 retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        self.size = size
        self.max_builds = max_builds
        self.retry_after = retry_after
        self.builds_started = 0
        self._items: OrderedDict = OrderedDict()
        self._building: Dict[Hashable, _Build] = {}
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
        """The cached report for ``key``; built (outside the lock) by the first request, awaited by the others."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            pending = self._building.get(key)
            owner = pending is None
            if pending is None:
                if len(self._building) >= self.max_builds:
                    raise UnavailableError(
                        "The drift viewer is busy building other reports; try again in a few seconds",
                        retry_after=self.retry_after)
                pending = self._building[key] = _Build()
                self.builds_started += 1
        if not owner:
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.report  # type: ignore[return-value]
        return self._build(key, pending, build)

    def _build(self, key: Hashable, pending: _Build, build: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
        try:
            pending.report = build()
        except BaseException as exc:
            pending.error = exc
            raise
        finally:
            with self._lock:
                del self._building[key]
                if pending.error is None:
                    self._keep(key, pending.report)  # type: ignore[arg-type]
            pending.done.set()
        return pending.report

    def put(self, key: Hashable, report: Dict[str, Any]) -> None:
        """Keep ``report`` under ``key``, dropping the least recently used entries beyond the size."""
        with self._lock:
            self._keep(key, report)

    def _keep(self, key: Hashable, report: Dict[str, Any]) -> None:
        self._items[key] = report
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def stored_report(
    cache: ReportCache, environment: str, backend: StateBackend, name: Optional[str] = None
) -> Tuple[str, Dict[str, Any]]:
    """``(name, report)`` of a stored drift report, the newest when ``name`` is None."""
    if name is None:
        names = backend.list_reports()
        if not names:
            raise StateNotFoundError(
                f"No drift report for environment {environment!r} yet: press 'Check now' to run a drift check"
            )
        name = names[-1]
    return name, cache.get_or_build(("report", environment, name), lambda: backend.load_report(name))


def compare_report(
    cache: ReportCache, environment: str, backend: StateBackend, from_serial: int, to_serial: int
) -> Dict[str, Any]:
    """The report of what changed from one saved serial to another (a JSON drift report)."""
    kept = {entry.serial: entry for entry in backend.history()}
    for serial in (from_serial, to_serial):
        if serial not in kept:
            listed = ", ".join(str(s) for s in sorted(kept)) or "none"
            raise StateNotFoundError(
                f"Serial {serial} of environment {environment!r} is not in the history (kept serials: {listed})"
            )
    old_entry, new_entry = kept[from_serial], kept[to_serial]
    key = ("compare", environment, tuple(old_entry[:3]), tuple(new_entry[:3]))

    def build() -> Dict[str, Any]:
        old, new = backend.load(from_serial), backend.load(to_serial)
        context = {
            "environment": environment,
            "from_serial": old.serial,
            "to_serial": new.serial,
            "from_updated_at": format_timestamp(old.updated_at),
            "to_updated_at": format_timestamp(new.updated_at),
            "from_lineage": old.lineage,
            "to_lineage": new.lineage,
        }
        return diffs_to_json(DiffEngine().diff(old, new), context=context)

    return cache.get_or_build(key, build)
