"""``dataiku-iac history [STATE]``: the saved serials kept beside a state file, and its stored reports."""

from __future__ import annotations

import argparse
import json
from typing import Any, Optional

from ..backends.local import LocalFileBackend
from ..exceptions import StateCorruptedError, StateNotFoundError
from ..fsutil import read_file_no_follow
from ..state_format import summarize_state
from ..timeutil import format_timestamp
from .common import add_format_option, add_state_file_options, out, state_path


def add_parser(subparsers: Any) -> None:
    """Register the ``history`` command."""
    parser = subparsers.add_parser(
        "history", help="list the saved serials of a state",
        description="List the serials kept in a state's history (restore one with 'state restore --serial N', "
                    "compare two with 'diff'), and its stored drift reports.",
    )
    add_state_file_options(parser)
    add_format_option(parser, ("text", "json"))


def run(args: argparse.Namespace) -> int:
    """Print the history, newest serial first."""
    path = state_path(args, args.state_file)
    if not path.parent.is_dir():
        raise StateNotFoundError(f"No state at {path}: check the path, or run 'dataiku-iac sync' first.")
    backend = LocalFileBackend(path)
    entries = list(reversed(backend.history()))
    try:
        current = _current_serial(path)
    except StateCorruptedError:
        current = None  # still list the history: restoring a snapshot is how to recover
    if current is None and not entries and not path.is_file():
        raise StateNotFoundError(f"No state and no history at {path}: run 'dataiku-iac sync' first.")
    reports = backend.list_reports()
    if args.format == "json":
        document = {"state": str(path), "current_serial": current,
                    "history": [entry.to_dict() for entry in entries], "reports": reports}
        out(json.dumps(document, indent=2))
        return 0
    out(f"State {path}: current serial {current if current is not None else '(none: missing or unreadable)'}")
    if entries:
        out("")
        out(f"  {'SERIAL':>8}  {'SAVED AT':<27}  {'SIZE':>10}  SNAPSHOT")
        for entry in entries:
            saved = format_timestamp(entry.saved_at) if entry.saved_at else "-"
            marker = "*" if entry.serial == current else " "
            out(f"{marker} {entry.serial:>8}  {saved:<27}  {entry.size:>10}  {entry.location}")
    if reports:
        out("")
        out(f"{len(reports)} drift report(s) in {backend.reports_dir}, newest {reports[-1]}")
    return 0


def _current_serial(path: Any) -> Optional[int]:
    data = read_file_no_follow(path)
    return None if data is None else summarize_state(data, str(path)).serial
