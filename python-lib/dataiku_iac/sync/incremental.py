"""Incremental syncs: reuse a baseline's resources whose DSS version tag did not move (issue 15).

DSS stamps every save of an object with a new ``versionTag`` (number and time) and its listings carry it. Given
a baseline, the engine takes the baseline's resource for a listed object whose tag (``versionNumber`` and
``lastModifiedOn``) equals the recorded one, and reads the others as before. This module decides when a
baseline may serve at all (:func:`usable_baseline`) and what the state records for the next decision
(:func:`stamp_after`):

- the baseline must have been written by this tool version, with the same ignore rules (their digest) and the
  same redaction key (reused attributes hold the baseline's markers);
- its last full read must be younger than ``max_age`` (default 24 h), so that a change DSS made without a new
  tag cannot hide for longer;
- ``full=True`` (``--full``) always reads everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Optional, Sequence

from .. import __version__
from ..canonical import sha256_hex
from ..models.state import Resource, State, parse_resource_id
from ..timeutil import format_timestamp, parse_timestamp, utc_now
from .rules import SyncRules

DEFAULT_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class SyncMode:
    """Which mode a sync runs in, and why (what reports show)."""

    incremental: bool
    reason: str
    reused: int = 0

    def describe(self) -> str:
        """``incremental, N reused`` or ``full (why)``: the reports' mode line."""
        if self.incremental:
            return f"incremental, {self.reused} reused"
        return f"full ({self.reason})"


def rules_digest(rules: SyncRules) -> str:
    """A digest of the ignore rules and secret words (another set of rules: the baseline cannot be reused)."""
    body = {"rules": [[r.resource_type, r.path, list(r.subtypes)] for r in rules.rules],
            "secret_words": sorted(rules.secret_words)}
    return sha256_hex(body)


def current_stamp(rules: SyncRules, full_read_at: datetime) -> Dict[str, str]:
    """The ``sync`` section a state read with ``rules`` records."""
    return {"tool_version": __version__, "rules_digest": rules_digest(rules),
            "redaction_key_id": str(rules.redaction_key.key_id), "full_read_at": format_timestamp(full_read_at)}


def usable_baseline(baseline: Optional[State], rules: SyncRules, *, full: bool = False,
                    max_age: timedelta = DEFAULT_MAX_AGE, now: Optional[datetime] = None) -> SyncMode:
    """Whether ``baseline`` may serve an incremental sync with ``rules`` (see the module docstring)."""
    if full:
        return SyncMode(False, "--full")
    if max_age <= timedelta(0):
        return SyncMode(False, "max age 0")
    stamp = baseline.sync_stamp if baseline is not None else {}
    if not stamp:
        return SyncMode(False, "no incremental baseline")
    if stamp.get("tool_version") != __version__:
        return SyncMode(False, f"baseline written by dataiku-iac {stamp.get('tool_version')}")
    if stamp.get("rules_digest") != rules_digest(rules):
        return SyncMode(False, "ignore rules changed since the baseline")
    if stamp.get("redaction_key_id") != str(rules.redaction_key.key_id):
        return SyncMode(False, "redaction key changed since the baseline")
    try:
        full_read_at = parse_timestamp(str(stamp.get("full_read_at")))
    except ValueError:
        return SyncMode(False, "no time of the last full read")
    if (now or utc_now()) - full_read_at > max_age:
        return SyncMode(False, f"last full read older than {_hours(max_age)}")
    return SyncMode(True, "")


def baseline_index(baseline: State, project_keys: Sequence[str]) -> Dict[str, Resource]:
    """The baseline's resources of ``project_keys`` that carry a version tag, by resource id."""
    wanted = set(project_keys)
    return {rid: r for rid, r in baseline.resources.items()
            if r.metadata.version_number is not None and parse_resource_id(rid).project_key in wanted}


def stamp_after(previous: Optional[State], rules: SyncRules, mode: SyncMode, project_keys: Sequence[str],
                max_age: timedelta = DEFAULT_MAX_AGE, now: Optional[datetime] = None) -> Dict[str, str]:
    """The stamp to store after a refresh.

    An incremental read keeps the previous stamp. A full read of every project the state holds restarts the
    age, but only once the previous full read is past half of ``max_age`` (or unusable): the stamp is part of
    the content a save compares, so an unchanged state read in full again and again is not re-saved each time.
    A full read of part of the state keeps the previous full-read time (the rest was not re-read).
    """
    now = now or utc_now()
    previous_stamp = dict(previous.sync_stamp) if previous is not None else {}
    if mode.incremental:
        return previous_stamp
    stored_keys = {parse_resource_id(rid).project_key for rid in previous.resources} if previous else set()
    still_fresh = usable_baseline(previous, rules, max_age=max_age / 2, now=now).incremental
    if stored_keys <= set(project_keys):
        return previous_stamp if still_fresh else current_stamp(rules, now)
    try:
        return current_stamp(rules, parse_timestamp(str(previous_stamp["full_read_at"])))
    except (KeyError, ValueError):
        return {}


def _hours(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:g} h"
