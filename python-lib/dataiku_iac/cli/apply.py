"""``dataiku-iac apply [PLAN_FILE] [--config DIR] [--env E] [--auto-approve] [--parallelism N]``.

With ``PLAN_FILE``: apply exactly that saved plan, refused (nothing written) when the state, the config or
an object it touches moved since it was made. The config (``--config``, default the current directory) gives
the values to send, secrets included: a plan file holds no secret, so ``${env:NAME}`` values are read from
the environment again, and the config digest proves it is the config the plan was made from.

Without ``PLAN_FILE``: plan, show the plan and ask for ``yes`` on a terminal (``--auto-approve`` for CI;
without a terminal and without it, refused). Exit 0 when everything was applied (or nothing to do), 1
otherwise. ``docs/apply.md`` describes the guarantees.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from ..exceptions import ConfigError
from .common import add_connection_options, err, out, positive_int, progress_for, use_color

DEFAULT_PARALLELISM = 8


def add_parser(subparsers: Any) -> None:
    """Register the ``apply`` command."""
    parser = subparsers.add_parser(
        "apply", help="write a plan to DSS (a saved plan file, or a fresh plan you approve)",
        description="Apply a saved plan file exactly, or plan the config and apply after approval. The state "
                    "lock is held throughout; each operation is recorded in the state as it completes. Exit "
                    "status 0: everything applied (or nothing to do), 1: refused, stale plan or a failure.",
    )
    parser.add_argument("plan_file", nargs="?", metavar="PLAN_FILE",
                        help="a plan saved by 'dataiku-iac plan --out' (applied without a question)")
    parser.add_argument("--config", metavar="DIR", default=None,
                        help="the config directory (default with PLAN_FILE: the current directory)")
    parser.add_argument("--env", metavar="E", default=None,
                        help="the environment of the config (default: the plan's, or the config's only one)")
    parser.add_argument("--state", metavar="PATH",
                        help="the state file (default: the environment's 'state' in dataiku-iac.yml)")
    parser.add_argument("--auto-approve", action="store_true",
                        help="apply a fresh plan without asking (CI); needed when there is no terminal")
    parser.add_argument("--parallelism", type=positive_int, default=DEFAULT_PARALLELISM, metavar="N",
                        help=f"concurrent DSS writes (default: {DEFAULT_PARALLELISM})")
    parser.add_argument("--drop-data", action="store_true",
                        help="delete the data of deleted datasets and folders too (kept by default)")
    parser.add_argument("--allow-project-delete", action="store_true",
                        help="allow the plan's project deletions (refused by default)")
    add_connection_options(parser)


def run(args: argparse.Namespace) -> int:
    """Prepare (plan again, check), approve, execute, report."""
    from ..apply.executor import ApplyOptions, execute, prepare
    from ..backends.local import LocalFileBackend
    from ..config import read_config
    from ..plan import summary_line
    from ..plan.plan_file import read_plan_file
    from .plan import choose_environment, environment_client, render_plan, state_location

    saved = read_plan_file(args.plan_file) if args.plan_file else None
    if saved is None and not args.config:
        raise ConfigError("Give a plan file (dataiku-iac apply PLAN_FILE) or a config (--config DIR)")
    config_dir = Path(args.config or ".")
    config = read_config(config_dir)
    environment = choose_environment(config, args.env or (saved or {}).get("environment"))
    options = ApplyOptions(parallelism=args.parallelism, drop_data=args.drop_data,
                           allow_project_delete=args.allow_project_delete)
    if saved is None and not args.auto_approve and not _interactive():
        raise ConfigError("apply needs your approval and there is no terminal to ask on: review "
                          "'dataiku-iac plan' and pass --auto-approve, or apply a saved plan file")
    client, url = environment_client(args, config.environment(environment), args.parallelism)
    backend = LocalFileBackend(state_location(args, config, environment))
    with backend.lock("apply"):
        with progress_for(args) as progress:
            del progress  # reads are shown by plan; apply prints each operation as it completes
            prepared = prepare(config, environment, client, backend, os.environ, saved=saved, dss_url=url,
                               options=options)
        document = prepared.document
        if not document["operations"]:
            execute(prepared, client, backend, options)  # records a changed protect: or key, writes no DSS
            out("No changes: DSS matches the config; nothing to apply.")
            return 0
        if saved is None:
            sys.stdout.write(render_plan(document, "text", color=use_color(args)))
            if not args.auto_approve and not _approved():
                out("Apply cancelled: nothing was written.")
                return 1
        else:
            out(f"Applying {args.plan_file}: {summary_line(document['summary'])}")
        stop = threading.Event()
        with _first_interrupt_stops(stop):
            result = execute(prepared, client, backend, options, on_outcome=_show_outcome, stop=stop)
    if stop.is_set():
        err("Interrupted: no new operation was started; those running finished and are recorded.")
    out(result.summary_line())
    out(f"State saved to {backend.location} (serial {result.state_serial}).")
    if stop.is_set():
        return 130
    return 0 if result.ok else 1


@contextmanager
def _first_interrupt_stops(stop: threading.Event) -> Iterator[None]:
    """A first Ctrl-C (SIGINT) sets ``stop`` instead of raising mid-write or mid-save; a second one
    interrupts as usual. Only on the main thread (signal handlers can be set nowhere else)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        err("Stopping after the running operations (Ctrl-C again to interrupt now)...")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _show_outcome(outcome: Any) -> None:
    if outcome.status == "applied":
        shown = outcome.final_id if outcome.final_id and outcome.final_id != outcome.resource_id else ""
        out(f"  {outcome.action} {outcome.resource_id}: done{f' (id {shown})' if shown else ''}")
    else:
        err(f"  {outcome.action} {outcome.resource_id}: failed: {outcome.error}")


def _interactive() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _approved(reader: Optional[Any] = None) -> bool:
    """Ask for ``yes`` (anything else cancels), as Terraform does."""
    sys.stdout.write("\nDo you want to apply these operations? Only 'yes' will be accepted: ")
    sys.stdout.flush()
    line = (reader or sys.stdin).readline()
    return line.strip() == "yes"
