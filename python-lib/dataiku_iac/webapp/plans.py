"""The Plans tab's views: stored plans (``dataiku_iac.plugin.plans``) in the drift viewer's row form.

A plan's operations become rows as a drift report's changes do (the page's list, filters, search and details
are shared): ``change`` is the drift kind the action reads as (create: added, delete: removed, the others:
modified), ``action`` the plan's own word, and ``last_modified_by``/``at`` who changed the object outside
the config. The operations keep the plan's order (apply's order); ``position`` is that order.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ..backends.base import StoredStateBackend
from ..plugin.plans import PlanStore
from ..report.plan_text import _header_notes, display_address
from .errors import NotFoundError
from .views import MAX_PATHS_PER_ROW, counts_by_type

_CHANGE_OF_ACTION = {"create": "added", "delete": "removed"}


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


def plan_index(plan_id: str, document: Mapping[str, Any], environment: str) -> Dict[str, Any]:
    """The page's view of a stored plan: who made it and when, its summary, counts by type, one row per
    operation in apply's order."""
    rows = [operation_row(position, op) for position, op in enumerate(_operations(document))]
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
    }


def plan_operation(plan_id: str, document: Mapping[str, Any], address: str) -> Dict[str, Any]:
    """The full operation ``address`` of a plan, in the drift detail's form (attribute changes, the created
    object's attributes) with the plan's notes (changed outside the config, replace, adopt, refused)."""
    for position, operation in enumerate(_operations(document)):
        if display_address(operation) != address:
            continue
        row = operation_row(position, operation)
        notes = _header_notes(operation) + [str(note) for note in operation.get("notes") or []]
        if operation.get("refused"):
            notes.insert(0, f"refused: {operation['refused']}")
        return dict(row, attribute_changes=list(operation.get("changes") or []), after=operation.get("after"),
                    before=None, notes=notes, dependencies=list(operation.get("dependencies") or []))
    raise NotFoundError(f"{address!r} is not among the operations of plan {plan_id}")
