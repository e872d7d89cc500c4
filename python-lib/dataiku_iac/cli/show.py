"""``dataiku-iac show [STATE]``: what a state file holds (resources, or one resource's attributes)."""

from __future__ import annotations

import argparse
from typing import Any, Dict, List

from ..exceptions import ConfigError
from ..models.state import RESOURCE_TYPES, Resource, State
from ..report.common import clean
from ..timeutil import format_timestamp
from .common import (
    add_format_option,
    add_state_file_options,
    describe_counts,
    json_text,
    out,
    read_state_file,
    state_path,
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show", help="list the resources of a state file",
        description="List the resources a state file holds, with who last changed them in DSS; "
                    "or print one resource's attributes with --resource.",
    )
    add_state_file_options(parser)
    parser.add_argument("--type", choices=RESOURCE_TYPES, dest="resource_type", help="only resources of this type")
    parser.add_argument("--resource", metavar="ID", help="print this resource (e.g. dataset.SALES.orders) in full")
    add_format_option(parser, ("text", "json"))


def run(args: argparse.Namespace) -> int:
    """Print the state's resources (or one resource)."""
    path = state_path(args, args.state_file)
    state = read_state_file(path)
    if args.resource:
        return _show_resource(state, args.resource)
    resources = state.list_resources(args.resource_type)
    if args.format == "json":
        out(json_text(_state_json(state, resources), indent=2))
        return 0
    out(f"State {path}: environment {clean(state.environment or '-')}, serial {state.serial}, "
        f"updated {format_timestamp(state.updated_at)}")
    counts: Dict[str, int] = {rtype: 0 for rtype in RESOURCE_TYPES}  # the types in their usual order
    for resource in resources:
        counts[resource.resource_type] = counts.get(resource.resource_type, 0) + 1
    out(f"{len(resources)} resources: {describe_counts({k: v for k, v in counts.items() if v})}")
    if resources:
        out("")
        # DSS names may hold terminal escapes and line breaks: shown escaped, never sent to the terminal.
        ids = {resource.resource_id: clean(resource.resource_id) for resource in resources}
        width = max(len(shown) for shown in ids.values())
        for resource in resources:
            out(f"  {ids[resource.resource_id].ljust(width)}  {_last_change(resource)}".rstrip())
    return 0


def _show_resource(state: State, resource_id: str) -> int:
    resource = state.get_resource(resource_id)
    if resource is None:
        raise ConfigError(f"No resource {resource_id!r} in this state: list them with 'dataiku-iac show'.")
    out(json_text(resource.to_dict(), indent=2, sort_keys=True))
    return 0


def _last_change(resource: Resource) -> str:
    metadata = resource.metadata
    parts = []
    if metadata.last_modified_by:
        parts.append(f"by {clean(metadata.last_modified_by)}")
    if metadata.last_modified_at is not None:
        parts.append(f"at {format_timestamp(metadata.last_modified_at)}")
    return ("changed " + " ".join(parts)) if parts else ""


def _state_json(state: State, resources: List[Resource]) -> Dict[str, Any]:
    return {
        "environment": state.environment,
        "serial": state.serial,
        "lineage": state.lineage,
        "updated_at": format_timestamp(state.updated_at),
        "resources": [
            {
                "resource_id": resource.resource_id,
                "resource_type": resource.resource_type,
                "checksum": resource.metadata.checksum,
                "last_modified_by": resource.metadata.last_modified_by,
                "last_modified_at": (format_timestamp(resource.metadata.last_modified_at)
                                     if resource.metadata.last_modified_at else None),
            }
            for resource in resources
        ],
    }
