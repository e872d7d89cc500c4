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

DEFAULT_CACHE_SIZE = 6


class ReportCache:
    """A thread-safe LRU of report dicts (treat them as read-only)."""

    def __init__(self, size: int = DEFAULT_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
        """The cached report for ``key``, building (outside the lock) and keeping it when absent."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        report = build()
        self.put(key, report)
        return report

    def put(self, key: Hashable, report: Dict[str, Any]) -> None:
        """Keep ``report`` under ``key``, dropping the least recently used entries beyond the size."""
        with self._lock:
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
