"""``dataiku-iac drift PROJECT_KEY... | --all``: compare live DSS with the saved state, read-only.

Exit status 0: DSS matches the baseline; 2: drift detected. Nothing is written, unless ``--save-report``
asks to keep the report beside the state (or ``--output`` to write it to a file).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..exceptions import StateNotFoundError
from .common import (
    add_connection_options,
    add_output_options,
    add_selection_options,
    add_state_options,
    dss_state_manager,
    emit_report,
    err,
    selected_projects,
    state_path,
)
from .sync import add_full_option


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "drift", help="show what changed in DSS since the last sync (read-only)",
        description="Read the projects from DSS and compare them with the saved state (the baseline), without "
                    "writing it. Without project keys, checks the projects in the baseline. "
                    "Exit status 0: no drift, 2: drift detected.",
    )
    add_selection_options(parser)
    add_state_options(parser)
    add_output_options(parser)
    add_full_option(parser)
    parser.add_argument("--save-report", action="store_true",
                        help="also keep the JSON report beside the state (<env>.reports/)")
    add_connection_options(parser)


def run(args: argparse.Namespace) -> int:
    """Detect drift, print (or write) the report; 2 when DSS drifted."""
    project_keys = selected_projects(args)
    path = state_path(args)
    if not path.is_file():  # checked before the backend exists: a read-only command creates no directory
        raise StateNotFoundError(f"No state at {path}: record a baseline first with "
                                 "'dataiku-iac sync PROJECT_KEY...' (same --env/--state).")
    with dss_state_manager(args) as manager:
        result = manager.detect_drift(project_keys, include_children=not args.no_children,
                                      all_projects=args.all_projects, full=args.full)
    report = result.to_report()
    emit_report(report, args)
    if args.save_report:
        name = manager.backend.save_report(report)
        # stderr: stdout may be the JSON or HTML report itself
        err(f"Report saved as {name} beside {manager.backend.location}")
    return 2 if result.has_drift else 0
