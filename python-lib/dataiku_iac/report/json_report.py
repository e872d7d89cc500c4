"""The machine-readable form of a diff, in the spirit of Terraform's ``resource_changes``.

One shape for the CLI's ``--json``, the macros, the scenario step and the webapp, so they never disagree
about what changed. Everything in it is plain JSON (``json.dumps`` works on the result as is) and its order
is deterministic: resource changes by address, attribute changes in the engine's order.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ..models.diff import ChangeType, ResourceDiff, count_changes
from ..models.state import Resource, parse_resource_id
from ..timeutil import format_timestamp

#: Version of the report's shape; bump the major part on any incompatible change.
JSON_REPORT_FORMAT_VERSION = "1.0"

# Terraform's action names, so tools that read plans recognise them.
_ACTIONS = {
    ChangeType.ADDED: ["create"],
    ChangeType.REMOVED: ["delete"],
    ChangeType.MODIFIED: ["update"],
    ChangeType.UNCHANGED: ["no-op"],
}


def diffs_to_json(
    diffs: List[ResourceDiff],
    include_unchanged: bool = False,
    context: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """The report as a JSON-ready dict: ``format_version``, ``summary`` (counts of all diffs),
    ``context`` (caller-supplied, e.g. environment and project keys) and ``resource_changes``.

    ``before``/``after`` are the resources' own attribute dicts, not copies: serialise the report or treat
    it as read-only.
    """
    shown = [
        d for d in sorted(diffs, key=lambda d: d.resource_id)
        if include_unchanged or d.change_type is not ChangeType.UNCHANGED
    ]
    return {
        "format_version": JSON_REPORT_FORMAT_VERSION,
        "summary": count_changes(d.change_type for d in diffs),
        "context": dict(context or {}),
        "resource_changes": [resource_change(d) for d in shown],
    }


def resource_change(resource_diff: ResourceDiff) -> Dict[str, Any]:
    """One entry of ``resource_changes``: address, type, actions, before/after and attribute changes."""
    old, new = resource_diff.old_resource, resource_diff.new_resource
    # Attribution describes the latest known version: the live (new) side, else the recorded one.
    latest = new if new is not None else old
    address = parse_resource_id(resource_diff.resource_id)
    return {
        "address": resource_diff.resource_id,
        "type": resource_diff.resource_type,
        "project_key": address.project_key,
        "name": address.name,
        "actions": list(_ACTIONS[resource_diff.change_type]),
        "change": resource_diff.change_type.value,
        "before": old.attributes if old is not None else None,
        "after": new.attributes if new is not None else None,
        "attribute_changes": [change.to_dict() for change in resource_diff.changes],
        **_attribution(latest),
    }


def _attribution(resource: Optional[Resource]) -> Dict[str, Optional[str]]:
    metadata = resource.metadata if resource is not None else None
    modified_at = metadata.last_modified_at if metadata is not None else None
    return {
        "last_modified_by": metadata.last_modified_by if metadata is not None else None,
        "last_modified_at": format_timestamp(modified_at) if modified_at is not None else None,
    }
