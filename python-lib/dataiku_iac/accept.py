"""Accepting reviewed drift as the new baseline: the one use case behind the drift viewer's *Accept* button,
the detect-drift macro's "accept the live state" option and ``StateManager.accept_live``.

What is stored is exactly the drift report the user reviewed, applied to the baseline it was made against:
each added or modified resource takes the report's ``after``, each removed one goes, everything else (other
projects, children the check did not cover, ignored types) stays as stored. No second sync: what DSS holds
by now is for the next check to report. Under the state lock, the stored baseline must still be the report's
(same serial and lineage, and the caller's ``expected_serial`` if given), and every change's ``before`` must
match it; otherwise nothing is written (:class:`StateConflictError`). Before anything, ``authorize`` is asked
with every project the report covers (see :mod:`dataiku_iac.permissions`).

Reports are stored with a *kind* (``check``, ``report``, ``accepted``): the report a
baseline was accepted from is kept as kind ``accepted``, which the report store prunes on its own quota,
so checks never remove it.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .backends.base import StateBackend
from .diff import DiffEngine
from .exceptions import InvalidResourceIdError, StaleStateError, StateConflictError, StateCorruptedError
from .models.state import Resource, ResourceMetadata, State, parse_resource_id
from .report.json_report import diffs_to_json
from .timeutil import format_timestamp, parse_timestamp, utc_now

logger = logging.getLogger("dataiku_iac.accept")

#: Report kinds: a drift check run from the viewer, one run by a macro or step, and the evidence of an accept.
KIND_CHECK = "check"
KIND_REPORT = "report"
KIND_ACCEPTED = "accepted"

_KINDS = ("added", "modified", "removed")

#: ``authorize(project_keys)`` raises when the user may not change the baseline of one of them.
Authorize = Callable[[List[str]], None]


@dataclass(frozen=True)
class AcceptOutcome:
    """The stored baseline after an accept; ``saved`` is False when the report held no change to store."""

    state: State
    saved: bool
    accepted_changes: int
    project_keys: List[str]
    evidence: Optional[str] = None  # name of the stored ``accepted`` report

    @property
    def serial(self) -> int:
        return self.state.serial

    def baseline_report(self, environment: str, accepted_by: Optional[str], source: Optional[str]) -> Dict[str, Any]:
        """The drift report of the moment right after the accept: no drift against the new baseline."""
        state = self.state
        context = drift_context(state, environment=environment, checked_at=utc_now(),
                                project_keys=sorted({parse_resource_id(rid).project_key for rid in state.resources}),
                                has_drift=False)
        context.update(accepted_by=accepted_by, accepted_changes=self.accepted_changes, accepted_from=source)
        return diffs_to_json(DiffEngine().diff(state, state), context=context)


@dataclass(frozen=True)
class _Change:
    address: str
    kind: str
    before: Optional[Dict[str, Any]]
    after: Optional[Dict[str, Any]]
    last_modified_by: Optional[str]
    last_modified_at: Optional[str]


def drift_context(baseline: State, *, environment: str, checked_at: datetime, project_keys: Sequence[str],
                  has_drift: bool) -> Dict[str, Any]:
    """The ``context`` of a drift report: what it was checked against, when, and its verdict (the fields an
    accept checks: ``baseline_serial`` and ``baseline_lineage``)."""
    return {
        "environment": environment,
        "baseline_serial": baseline.serial,
        "baseline_lineage": baseline.lineage,
        "baseline_updated_at": format_timestamp(baseline.updated_at),
        "checked_at": format_timestamp(checked_at),
        "project_keys": list(project_keys),
        "has_drift": has_drift,
    }


def covered_projects(report: Mapping[str, Any]) -> List[str]:
    """Every project an accept of ``report`` changes the baseline of: those it checked, those it changes."""
    context = report.get("context") if isinstance(report.get("context"), Mapping) else {}
    keys = {key for key in context.get("project_keys") or [] if isinstance(key, str)}
    keys.update(parse_resource_id(change.address).project_key for change in _changes(report))
    return sorted(keys)


def accept_report(
    backend: StateBackend,
    report: Mapping[str, Any],
    *,
    environment: str,
    expected_serial: Optional[int] = None,
    accepted_by: Optional[str] = None,
    source: Optional[str] = None,
    live: Optional[State] = None,
    authorize: Optional[Authorize] = None,
) -> AcceptOutcome:
    """Store the reviewed ``report`` as the new baseline of ``environment`` (see the module docstring).

    ``source`` names the stored report (kept with the evidence); ``live`` is the live state the report was
    made from when the caller still has it (its resources' DSS ids and attribution are then kept too).
    """
    changes = _changes(report)
    baseline_serial, baseline_lineage = _reviewed_baseline(report)
    keys = covered_projects(report)
    if authorize is not None:
        authorize(keys)
    with backend.lock("accept live"):
        stored = backend.load()
        _check_unmoved(stored, baseline_serial, baseline_lineage, expected_serial, environment)
        previous = stored.serial
        stored.resources = _applied(stored, changes, live, accepted_by)
        stored.environment = environment
        if changes:
            backend.save(stored)
        saved = stored.serial != previous
        evidence = None
        if saved:
            evidence = backend.save_report(_evidence(report, stored, accepted_by, source), kind=KIND_ACCEPTED)
            logger.info("%s accepted %d change(s) of %r as serial %s", accepted_by or "someone", len(changes),
                        environment, stored.serial)
    return AcceptOutcome(stored, saved, len(changes), keys, evidence)


# -- reading the reviewed report ----------------------------------------------------------------------------


def _reviewed_baseline(report: Mapping[str, Any]) -> Tuple[int, Optional[str]]:
    context = report.get("context")
    serial = context.get("baseline_serial") if isinstance(context, Mapping) else None
    if not isinstance(serial, int) or isinstance(serial, bool):
        raise StateCorruptedError("the drift report", ["$.context.baseline_serial: expected the serial it was "
                                                       "made against (a report of a drift check)"])
    lineage = context.get("baseline_lineage")
    return serial, lineage if isinstance(lineage, str) else None


def _changes(report: Mapping[str, Any]) -> List[_Change]:
    entries = report.get("resource_changes")
    if not isinstance(entries, list):
        raise StateCorruptedError("the drift report", ["$.resource_changes: expected an array"])
    return [_change(entry, f"$.resource_changes[{index}]") for index, entry in enumerate(entries)]


def _change(entry: Any, where: str) -> _Change:
    problems = []
    if not isinstance(entry, Mapping):
        raise StateCorruptedError("the drift report", [f"{where}: expected an object"])
    address, kind = entry.get("address"), entry.get("change")
    try:
        parse_resource_id(address if isinstance(address, str) else "")
    except InvalidResourceIdError:
        problems.append(f"{where}.address: expected a resource id")
    if kind not in _KINDS:
        problems.append(f"{where}.change: expected one of {', '.join(_KINDS)}")
    before, after = entry.get("before"), entry.get("after")
    if kind in ("modified", "removed") and not isinstance(before, dict):
        problems.append(f"{where}.before: expected the attributes the change replaces")
    if kind in ("added", "modified") and not isinstance(after, dict):
        problems.append(f"{where}.after: expected the attributes to accept")
    if problems:
        raise StateCorruptedError("the drift report", problems)
    by, at = entry.get("last_modified_by"), entry.get("last_modified_at")
    return _Change(str(address), str(kind), before, after, by if isinstance(by, str) else None,
                   at if isinstance(at, str) else None)


# -- applying it ---------------------------------------------------------------------------------------------


def _check_unmoved(stored: State, serial: int, lineage: Optional[str], expected: Optional[int],
                   environment: str) -> None:
    """Refuse when the stored baseline is no longer the one the user reviewed (checked under the lock)."""
    if lineage is not None and stored.lineage is not None and stored.lineage != lineage:
        raise StateConflictError(
            f"The baseline of {environment!r} was replaced (another lineage) since this drift report was made: "
            "check for drift again, review it, then accept")
    for what, wanted in (("the drift report was made against", serial), ("you reviewed", expected)):
        if wanted is not None and stored.serial != wanted:
            error = StaleStateError(wanted, stored.serial, environment)
            # The generic advice ("reload, re-run, save again") does not fit an accept: say what to review.
            error.args = (f"The baseline of {environment!r} is now serial {stored.serial}, but {what} serial "
                          f"{wanted}: someone saved it meanwhile. Check for drift again, review it, then accept.",)
            raise error


def _applied(stored: State, changes: List[_Change], live: Optional[State],
             accepted_by: Optional[str]) -> Dict[str, Resource]:
    resources = dict(stored.resources)
    for change in changes:
        current = resources.get(change.address)
        _check_before(change, current)
        if change.kind == "removed":
            del resources[change.address]
        else:
            resources[change.address] = _accepted_resource(change, current, live, accepted_by)
    return dict(sorted(resources.items()))


def _check_before(change: _Change, current: Optional[Resource]) -> None:
    """Each change must start from the stored resource, or the report describes another baseline."""
    if change.kind == "added":
        matches = current is None
    else:
        matches = current is not None and _attributes_resource(change.address, change.before or {}).metadata.checksum \
            == current.compute_checksum()
    if not matches:
        raise StateConflictError(
            f"The drift report does not describe the stored baseline for {change.address}: check for drift "
            "again, review it, then accept")


def _accepted_resource(change: _Change, current: Optional[Resource], live: Optional[State],
                       accepted_by: Optional[str]) -> Resource:
    accepted = _attributes_resource(change.address, copy.deepcopy(change.after or {}))
    seen_live = live.resources.get(change.address) if live is not None else None
    if seen_live is not None and seen_live.compute_checksum() == accepted.metadata.checksum:
        metadata = copy.copy(seen_live.metadata)
    else:
        metadata = ResourceMetadata(
            dataiku_internal_id=current.metadata.dataiku_internal_id if current is not None else None,
            last_modified_by=change.last_modified_by,
            last_modified_at=_timestamp_or_none(change.last_modified_at),
        )
    metadata.deployed_at = utc_now()
    metadata.deployed_by = accepted_by or metadata.deployed_by
    metadata.checksum = accepted.metadata.checksum
    accepted.metadata = metadata
    return accepted


def _attributes_resource(address: str, attributes: Dict[str, Any]) -> Resource:
    return Resource(parse_resource_id(address).resource_type, address, attributes)


def _timestamp_or_none(text: Optional[str]) -> Any:
    if not text:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def _evidence(report: Mapping[str, Any], state: State, accepted_by: Optional[str],
              source: Optional[str]) -> Dict[str, Any]:
    """The reviewed report with who accepted it, when, from which stored report and as which serial."""
    evidence = dict(report)
    evidence["context"] = {
        **dict(report.get("context") or {}),
        "accepted_by": accepted_by,
        "accepted_at": format_timestamp(utc_now()),
        "accepted_serial": state.serial,
        "accepted_from": source,
    }
    return evidence
