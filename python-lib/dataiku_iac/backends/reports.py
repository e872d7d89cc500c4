"""The report store: drift reports kept beside a state, apart from it, with a bounded quota per kind.

Names are ``<kind>-YYYYMMDDTHHMMSSffffffZ`` (UTC), so the name says what the report is and when it was
saved; reports written before kinds existed are ``report-...`` and read as kind ``report``. Each kind is
pruned to its own quota, so many saves of one kind (e.g. ``check``: drift checks run from the webapp) never
remove another kind's evidence (``accepted``: the report a baseline was accepted from).
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..canonical import parse_json, pretty_json_bytes
from ..exceptions import ConfigError, StateCorruptedError, StateNotFoundError
from ..timeutil import utc_now
from .store import BlobStore

DEFAULT_REPORT_LIMIT = 50
#: Quotas of kinds that are not the default one: the reports baselines were accepted from are kept longer.
DEFAULT_KIND_LIMITS: Mapping[str, int] = {"accepted": 200}
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_NAME = re.compile(r"(?P<kind>[a-z][a-z0-9_]{0,31})-(?P<stamp>[0-9]{8}T[0-9]{12}Z)")


class ReportStore:
    """Reports of one environment under ``prefix`` of a blob store.

    ``lock(operation)`` is the state's lock: a save and its pruning run under it, so two writers never prune
    each other's new report. ``limit`` bounds every kind without a quota of its own in ``kind_limits``.
    """

    def __init__(self, store: BlobStore, prefix: str, lock: Callable[[str], AbstractContextManager],
                 limit: int = DEFAULT_REPORT_LIMIT, kind_limits: Optional[Mapping[str, int]] = None) -> None:
        limits = dict(DEFAULT_KIND_LIMITS, **dict(kind_limits or {}))
        if limit < 1 or any(value < 1 for value in limits.values()):
            raise ValueError("report limits must be at least 1")
        self.store = store
        self.prefix = prefix
        self.limit = limit
        self.kind_limits = limits
        self._lock = lock

    def save(self, report: Dict[str, Any], *, kind: str = "report") -> str:
        """Store a report (a JSON object); prune the oldest of its kind beyond the quota. Returns its name."""
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise ConfigError(f"Invalid report kind {kind!r}: use lower-case letters, digits and '_'")
        name = f"{kind}-{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}"
        with self._lock(f"save {kind}"):
            self.store.put(self._key(name), pretty_json_bytes(report))
            for old in self.list(kind)[: -self.limit_of(kind)]:
                self.store.delete(self._key(old))
        return name

    def load(self, name: Optional[str] = None) -> Dict[str, Any]:
        """The report ``name``, or the newest of any kind; :class:`StateNotFoundError` when there is none."""
        if name is None:
            names = self.list()
            if not names:
                raise StateNotFoundError(
                    f"No drift report at {self.store.location(self.prefix)} yet: run a drift check first")
            name = names[-1]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise StateNotFoundError(f"No drift report named {name!r}: report names look like report-<time>")
        data = self.store.get(self._key(name))
        if data is None:
            raise StateNotFoundError(f"No drift report named {name!r} at {self.store.location(self.prefix)}")
        try:
            report = parse_json(data)
        except ValueError as exc:
            raise StateCorruptedError(self.location(name), [f"$: invalid JSON ({exc})"]) from exc
        if not isinstance(report, dict):
            raise StateCorruptedError(self.location(name), ["$: expected a JSON object"])
        return report

    def list(self, kind: Optional[str] = None) -> List[str]:
        """Names of the stored reports (of one kind, or all), oldest first."""
        found = []
        for info in self.store.list(self.prefix):
            rest = info.key[len(self.prefix):]
            match = _NAME.fullmatch(rest[: -len(".json")]) if rest.endswith(".json") else None
            if match and (kind is None or match["kind"] == kind):
                found.append((match["stamp"], match["kind"], match.group(0)))
        return [name for _, _, name in sorted(found)]

    def limit_of(self, kind: str) -> int:
        """How many reports of ``kind`` are kept."""
        return self.kind_limits.get(kind, self.limit)

    def location(self, name: str) -> str:
        """Where the report ``name`` is stored, for messages."""
        return self.store.location(self._key(name))

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}.json"
