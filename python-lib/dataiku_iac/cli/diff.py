"""``dataiku-iac diff OLD_STATE NEW_STATE``: what changed between two state files (exit 2 when they differ)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_output_options, emit_report, read_state_file, state_path


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff", help="compare two state files",
        description="Compare two state files (e.g. a snapshot from 'history' and the current state). "
                    "Exit status 0: identical, 2: they differ.",
    )
    parser.add_argument("old_state", metavar="OLD_STATE", help="the earlier state file")
    parser.add_argument("new_state", metavar="NEW_STATE", help="the later state file")
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    """Diff the two files and print the report; 2 when anything changed."""
    from ..diff import DiffEngine
    from ..report.common import has_changes
    from ..report.json_report import diffs_to_json

    old_path, new_path = state_path(args, args.old_state), state_path(args, args.new_state)
    old, new = read_state_file(old_path), read_state_file(new_path)
    diffs = DiffEngine().diff(old, new)
    context = {"old_state": str(old_path), "old_serial": old.serial, "new_state": str(new_path),
               "new_serial": new.serial}
    report = diffs_to_json(diffs, context=context)
    emit_report(report, args, title=f"State diff: {old_path} → {new_path}")
    return 2 if has_changes(report) else 0
