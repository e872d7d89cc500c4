"""``dataiku-iac sync PROJECT_KEY... | --all``: read DSS and save what it holds as the environment's state."""

from __future__ import annotations

import argparse
from typing import Any, Iterable, List, Optional

from ..exceptions import ConfigError
from .common import (
    add_connection_options,
    add_selection_options,
    add_state_options,
    describe_counts,
    dss_state_manager,
    out,
    selected_projects,
    state_path,
)


def add_full_option(parser: Any) -> None:
    """``--full``: read every object instead of reusing the stored ones whose DSS version tag did not move."""
    parser.add_argument("--full", action="store_true",
                        help="read every object from DSS (default: re-read only the objects whose DSS version "
                             "changed since the state, when the state allows it; see docs/cli.md)")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sync", help="read DSS and save its objects as the state",
        description="Read the named projects (or --all) from DSS and save them in the environment's state file, "
                    "under the state's lock. Without project keys, re-reads the projects already in the state. "
                    "Saving identical content writes nothing.",
    )
    add_selection_options(parser)
    add_state_options(parser)
    add_full_option(parser)
    parser.add_argument("--force", action="store_true",
                        help="save even over a state of another lineage or a newer serial")
    add_connection_options(parser)


def run(args: argparse.Namespace) -> int:
    """Sync, save, and print what was recorded."""
    project_keys = selected_projects(args)
    path = state_path(args)
    if project_keys is None and not args.all_projects and not path.is_file():
        raise ConfigError(f"No state at {path} yet: name the projects to sync "
                          "('dataiku-iac sync PROJECT_KEY...') or pass --all.")
    from ..report.common import change_figures, has_changes
    from ..report.json_report import diffs_to_json

    with dss_state_manager(args) as manager:
        backend = manager.backend
        had_state = backend.exists()
        result = manager.refresh(project_keys, include_children=not args.no_children,
                                 all_projects=args.all_projects, force=args.force, full=args.full)
    state = result.state
    synced = sorted(_project_keys(state.resources.values(), project_keys))
    out(f"Synced {len(state.resources)} resources ({describe_counts(state.counts_by_type())}) "
        f"from {_projects_text(synced)}.")
    if result.sync_mode is not None:
        out(f"Mode: {result.sync_mode.describe()}.")
    changes = diffs_to_json(result.diffs)
    if had_state and has_changes(changes):
        out(f"Since the previous state: {change_figures(changes)}.")
    if result.saved:
        out(f"State saved to {backend.location} (serial {state.serial}).")
    else:
        out(f"No change: {backend.location} left as it was (serial {state.serial}).")
    return 0


def _project_keys(resources: Iterable[Any], named: Optional[List[str]]) -> List[str]:
    keys = {resource.project_key for resource in resources if resource.resource_type == "project"}
    return list(named) if named else list(keys)


def _projects_text(keys: List[str]) -> str:
    if not keys:
        return "no project"
    shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
    return f"{len(keys)} project{'s' if len(keys) != 1 else ''} ({shown})"
