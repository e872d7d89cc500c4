"""The Plans tab's views: stored plans (``dataiku_iac.plugin.plans``) in the drift viewer's row form.

A plan's operations become rows as a drift report's changes do (the page's list, filters, search and details
are shared): ``change`` is the drift kind the action reads as (create: added, delete: removed, the others:
modified), ``action`` the plan's own word, and ``last_modified_by``/``at`` who changed the object outside
the config. The operations keep the plan's order (apply's order); ``position`` is that order.

A plan that was applied carries its latest apply record (``dataiku_iac.plugin.applying.latest_records``): who
applied it, when, the counts and summary line, and on each row the operation's outcome (applied, failed and
why, not attempted).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ..backends.base import StoredStateBackend
from ..plugin.plans import PlanStore
from ..report.plan_text import _header_notes, display_address
from .errors import NotFoundError
from .views import MAX_PATHS_PER_ROW, counts_by_type

_CHANGE_OF_ACTION = {"create": "added", "delete": "removed"}
#: ``dataiku_iac.apply.result.NOT_ATTEMPTED``, spelled here: importing the apply package loads the write layer.
NOT_ATTEMPTED = "not attempted"


def plan_store(backend: Any) -> PlanStore:
    """The plans beside the viewed state (every backend of the library stores blobs, so has a place for them)."""
    if not isinstance(backend, StoredStateBackend):
        raise NotFoundError("This viewer's storage keeps no plans")
    return PlanStore(backend)


def change_of(action: Any) -> str:
    """The drift kind a plan action shows as."""
    return _CHANGE_OF_ACTION.get(str(action), "modified")


def _operations(document: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    return [op for op in document.get("operations") or [] if isinstance(op, Mapping)]


def _name(operation: Mapping[str, Any]) -> Any:
    if operation.get("config_key"):
        return operation["config_key"]
    rid = str(operation.get("resource_id") or "")
    return rid.split(".", 2)[2] if rid.count(".") >= 2 else None


def operation_row(position: int, operation: Mapping[str, Any]) -> Dict[str, Any]:
    """One operation without its attributes."""
    changes = [c for c in operation.get("changes") or [] if isinstance(c, Mapping)]
    outside = operation.get("outside") if isinstance(operation.get("outside"), Mapping) else {}
    return {
        "position": position,
        "address": display_address(operation),
        "type": operation.get("resource_type"),
        "project_key": operation.get("project_key"),
        "name": _name(operation),
        "change": change_of(operation.get("action")),
        "action": operation.get("action"),
        "refused": operation.get("refused"),
        "last_modified_by": outside.get("by"),
        "last_modified_at": outside.get("at"),
        "change_count": len(changes),
        "paths": [c.get("path") for c in changes[:MAX_PATHS_PER_ROW]],
    }


def applied_view(record: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """An apply record without its operations (the plan list's and the plan header's "applied by X at T")."""
    if not isinstance(record, Mapping):
        return None
    counts = record.get("counts") if isinstance(record.get("counts"), Mapping) else {}
    return {"id": record.get("id"), "applied_by": record.get("applied_by"), "applied_at": record.get("applied_at"),
            "ok": bool(record.get("ok")), "summary": record.get("summary"), "state_serial": record.get("state_serial"),
            "counts": {str(key): value for key, value in counts.items()}}


def outcomes_by_operation(record: Optional[Mapping[str, Any]]) -> Dict[str, Mapping[str, Any]]:
    """The record's outcome of each operation, by the plan's resource id."""
    if not isinstance(record, Mapping):
        return {}
    outcomes = [item for item in record.get("operations") or [] if isinstance(item, Mapping)]
    return {str(item.get("resource_id")): item for item in outcomes}


def with_outcome(row: Dict[str, Any], operation: Mapping[str, Any],
                 outcomes: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """``row`` with what the latest apply did to its operation (nothing added when the plan was never applied;
    an operation the record does not list was not attempted)."""
    if outcomes:
        outcome = outcomes.get(str(operation.get("resource_id"))) or {}
        row["apply_status"] = outcome.get("status") or NOT_ATTEMPTED
        row["apply_error"] = outcome.get("error")
    return row


def plan_index(plan_id: str, document: Mapping[str, Any], environment: str,
               record: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The page's view of a stored plan: who made it and when, its summary, counts by type, one row per
    operation in apply's order; with ``record`` (its latest apply), who applied it and each operation's outcome."""
    outcomes = outcomes_by_operation(record)
    rows = [with_outcome(operation_row(position, op), op, outcomes)
            for position, op in enumerate(_operations(document))]
    state = document.get("state") if isinstance(document.get("state"), Mapping) else {}
    return {
        "source": {"kind": "plan", "environment": environment, "id": plan_id},
        "summary": dict(document.get("summary") or {}),
        "context": {
            "made_by": document.get("made_by"), "created_at": document.get("created_at"),
            "dss_url": document.get("dss_url"), "config_dir": document.get("config_dir"),
            "config_digest": document.get("config_digest"), "state_serial": state.get("serial"),
            "state_lineage": state.get("lineage"), "warnings": list(document.get("warnings") or []),
        },
        "counts_by_type": counts_by_type(rows),
        "rows": rows,
        "applied": applied_view(record),
    }


def plan_operation(plan_id: str, document: Mapping[str, Any], address: str,
                   record: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The full operation ``address`` of a plan, in the drift detail's form (attribute changes, the created
    object's attributes) with the plan's notes (changed outside the config, replace, adopt, refused)."""
    for position, operation in enumerate(_operations(document)):
        if display_address(operation) != address:
            continue
        row = with_outcome(operation_row(position, operation), operation, outcomes_by_operation(record))
        notes = _header_notes(operation) + [str(note) for note in operation.get("notes") or []]
        if operation.get("refused"):
            notes.insert(0, f"refused: {operation['refused']}")
        return dict(row, attribute_changes=list(operation.get("changes") or []), after=operation.get("after"),
                    before=None, notes=notes, dependencies=list(operation.get("dependencies") or []))
    raise NotFoundError(f"{address!r} is not among the operations of plan {plan_id}")
