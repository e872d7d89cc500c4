"""The JSON shapes the routes answer, built from states and drift reports (pure, no I/O).

A drift report (``report.json_report.diffs_to_json``) carries every changed resource's whole ``before`` and
``after`` attributes: tens of megabytes for thousands of changes. The page therefore gets an *index* first,
one light row per changed resource (enough to count, filter, search and paginate), and asks for one
resource's attribute-level changes when a row is expanded.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping

from ..exceptions import StateCorruptedError
from ..models.diff import count_changes
from ..models.state import RESOURCE_TYPES, State
from ..timeutil import format_timestamp
from .errors import NotFoundError

#: Changed attribute paths listed per row, so the search box also finds e.g. ``schema.columns``.
MAX_PATHS_PER_ROW = 12
CHANGE_KINDS = ("added", "removed", "modified")


def state_summary(state: State) -> Dict[str, Any]:
    """Serial, lineage, time, counts by type and projects of a state."""
    return {
        "environment": state.environment,
        "serial": state.serial,
        "lineage": state.lineage,
        "updated_at": format_timestamp(state.updated_at),
        "resource_count": len(state.resources),
        "counts_by_type": state.counts_by_type(),
        "project_keys": project_keys_of(state),
    }


def project_keys_of(state: State) -> List[str]:
    """The sorted keys of the projects a state's resources belong to."""
    return sorted({rid.split(".", 2)[1] for rid in state.resources})


def resource_view(state: State, address: str) -> Dict[str, Any]:
    """One resource of a state: its attributes and tracking metadata."""
    resource = state.get_resource(address)
    if resource is None:
        raise NotFoundError(f"No resource {address!r} in serial {state.serial} of environment {state.environment!r}")
    return {
        "address": resource.resource_id,
        "type": resource.resource_type,
        "project_key": resource.project_key,
        "name": resource.resource_name,
        "serial": state.serial,
        "attributes": resource.attributes,
        "metadata": resource.metadata.to_dict(),
    }


def report_changes(report: Mapping[str, Any], where: str) -> List[Mapping[str, Any]]:
    """The report's ``resource_changes``, checked to be a list of objects (stored reports are files)."""
    changes = report.get("resource_changes", [])
    if not isinstance(changes, list) or not all(isinstance(change, Mapping) for change in changes):
        raise StateCorruptedError(where, ["$.resource_changes: expected an array of objects"])
    return changes


def report_index(report: Mapping[str, Any], source: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """The page's view of a report: summary, context, counts by type and change, one light row per change."""
    rows = [index_row(change) for change in report_changes(report, where)]
    summary = report.get("summary")
    return {
        "source": dict(source),
        "format_version": report.get("format_version"),
        "summary": dict(summary) if isinstance(summary, Mapping) else counts_by_change(rows),
        "context": dict(report.get("context") or {}),
        "counts_by_type": counts_by_type(rows),
        "rows": rows,
    }


def index_row(change: Mapping[str, Any]) -> Dict[str, Any]:
    """One changed resource without its attributes."""
    attribute_changes = change.get("attribute_changes") or []
    return {
        "address": change.get("address"),
        "type": change.get("type"),
        "project_key": change.get("project_key"),
        "name": change.get("name"),
        "change": change.get("change"),
        "last_modified_by": change.get("last_modified_by"),
        "last_modified_at": change.get("last_modified_at"),
        "change_count": len(attribute_changes),
        "paths": [
            item.get("path") for item in attribute_changes[:MAX_PATHS_PER_ROW] if isinstance(item, Mapping)
        ],
    }


def find_change(report: Mapping[str, Any], address: str, where: str) -> Dict[str, Any]:
    """The full entry of one resource in a report (attribute changes, before/after)."""
    for change in report_changes(report, where):
        if change.get("address") == address:
            return dict(change)
    raise NotFoundError(f"{address!r} is not among the changes of {where}")


def counts_by_type(rows: Iterable[Mapping[str, Any]]) -> Dict[str, Dict[str, int]]:
    """``{type: {added, removed, modified}}``, known types in report order first, then any others."""
    kinds_by_type: Dict[str, List[Any]] = {}
    for row in rows:
        if row.get("change") in CHANGE_KINDS:
            kinds_by_type.setdefault(str(row.get("type")), []).append(row["change"])
    order = [t for t in RESOURCE_TYPES if t in kinds_by_type] + sorted(
        t for t in kinds_by_type if t not in RESOURCE_TYPES)
    return {t: _changed_counts(kinds_by_type[t]) for t in order}


def counts_by_change(rows: Iterable[Mapping[str, Any]]) -> Dict[str, int]:
    """``{added, removed, modified}`` counted from rows (for reports without a summary)."""
    return _changed_counts(row.get("change") for row in rows)


def _changed_counts(kinds: Iterable[Any]) -> Dict[str, int]:
    counts = count_changes(kinds)  # the one place change counts are computed
    return {kind: counts[kind] for kind in CHANGE_KINDS}

