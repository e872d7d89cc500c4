"""``dataiku-iac plan --config DIR [--env E] [--out PLAN_FILE] [--store] [--format text|json|html]``.

Reads the config, the environment's state and live DSS (the projects the config names, and those the state
records managed objects in), and prints what apply would do. Writes nothing to DSS nor to the state; ``--out``
saves the plan document for ``apply``; ``--store`` keeps it beside the state (``<state>.plans/``, as the plan
macro does in a state folder) for review and apply in the drift viewer (``dataiku-iac serve``). Exit 0: no
changes; 2: changes; 1: an error, or an operation the config refuses (``protect: true``), in which case no
plan file is written nor stored.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from ..exceptions import ConfigError, StateNotFoundError
from ..models.state import State
from .common import (
    DEFAULT_WORKERS,
    KEY_VARIABLE,
    URL_VARIABLE,
    add_connection_options,
    check_connection,
    connection_environment,
    err,
    json_text,
    positive_int,
    progress_for,
    read_state_file,
    use_color,
    write_output_file,
)
from .sync import add_full_option

EXIT_CHANGES = 2
STATE_SUFFIX = ".state.json"


def add_parser(subparsers: Any) -> None:
    """Register the ``plan`` command."""
    parser = subparsers.add_parser(
        "plan", help="show what apply would change in DSS to match a config (read-only)",
        description="Compare a config with live DSS and the environment's state, and show the operations apply "
                    "would run, in order. Read-only. Exit status 0: no changes, 2: changes, 1: error or refused "
                    "operations (protect: true).",
    )
    parser.add_argument("--config", required=True, metavar="DIR", help="the config directory (holds dataiku-iac.yml)")
    parser.add_argument("--env", metavar="E", default=None,
                        help="the environment of the config (default: its only one)")
    parser.add_argument("--state", metavar="PATH",
                        help="the state file (default: the environment's 'state' in dataiku-iac.yml)")
    parser.add_argument("--out", metavar="PLAN_FILE", help="save the plan for 'dataiku-iac apply PLAN_FILE'")
    parser.add_argument("--store", action="store_true",
                        help="store the plan beside the state, to review and apply it in the drift viewer "
                             "('dataiku-iac serve')")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--show-unmanaged", action="store_true",
                        help="list the objects DSS holds that the config does not manage")
    add_full_option(parser)
    parser.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                        help=f"concurrent DSS requests (default: {DEFAULT_WORKERS})")
    add_connection_options(parser)


def run(args: argparse.Namespace) -> int:
    """Plan, print, optionally save; the exit code says whether there are changes."""
    from ..config import read_config
    from ..planner import plan_environment

    config = read_config(Path(args.config))
    environment = choose_environment(config, args.env)
    stored = read_stored_state(state_location(args, config, environment))
    client, url = environment_client(args, config.environment(environment), args.workers)
    with progress_for(args) as progress:
        result = plan_environment(config, environment, client, stored, os.environ, dss_url=url,
                                  workers=args.workers, progress=progress, full=args.full)
    if result.sync_mode is not None:  # on stderr: standard output stays the plan alone
        err(f"Read DSS: {result.sync_mode.describe()}.")
    document = result.plan.to_dict()
    refused = document["summary"]["refused"]
    sys.stdout.write(render_plan(document, args.format, color=use_color(args), show_unmanaged=args.show_unmanaged))
    sys.stdout.flush()
    if refused:
        return 1
    if args.out:
        from ..plan.plan_file import encode_plan

        path = write_output_file(args.out, encode_plan(document), option="--out path", what="the plan file ")
        # On stderr: standard output stays the plan alone, its last line the summary.
        err(f"Plan saved to {path}: apply it with 'dataiku-iac apply {path}'.")
    if args.store:
        store_plan(document, state_location(args, config, environment), Path(args.config))
    return EXIT_CHANGES if result.plan.has_changes else 0


def store_plan(document: Dict[str, Any], state_path: Path, config_dir: Path) -> Optional[str]:
    """Keep the plan beside the local state, naming its config directory (absolute, so ``serve`` started from
    anywhere reads the same config again when applying); says where on stderr. None when there is nothing to
    apply (no operations), in which case nothing is stored."""
    if not document.get("operations"):
        err("Nothing stored: the plan has no operations (DSS matches the config).")
        return None
    from ..backends.local import LocalFileBackend
    from ..plugin.plans import CONFIG_SOURCE, PlanStore, directory_source

    store = PlanStore(LocalFileBackend(state_path))
    plan_id = store.save(dict(document, **{CONFIG_SOURCE: directory_source(str(config_dir.resolve()))}),
                         local_login())
    err(f"Plan stored as {plan_id} in {store.location(plan_id)}.")
    err(review_hint(state_path))
    return plan_id


def review_hint(state_path: Path) -> str:
    """The ``serve`` line that opens the stored plan (``serve`` lists the states named ``<env>.state.json``)."""
    name = state_path.name
    if not name.endswith(STATE_SUFFIX) or name == STATE_SUFFIX:
        return (f"The drift viewer lists states named <env>{STATE_SUFFIX}: name the state so (e.g. with --state) "
                "to review this plan there.")
    environment = name[: -len(STATE_SUFFIX)]
    directory = shlex.quote(str(state_path.parent))
    return (f"Review and apply it in the drift viewer (Plans tab): dataiku-iac serve --state-dir {directory} "
            f"--env {shlex.quote(environment)}  (with {URL_VARIABLE} and {KEY_VARIABLE} set, to apply)")


def local_login() -> str:
    """Who made the plan, as the viewer names the local user."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry, e.g. in some containers
        return "local user"


def render_plan(document: Mapping[str, Any], fmt: str, color: bool = False, show_unmanaged: bool = False) -> str:
    """The plan document as text, JSON or HTML (ending with a newline)."""
    if fmt == "json":
        return json_text(document, indent=2, default=str) + "\n"
    if fmt == "html":
        from ..report.plan_html import render_plan_html

        return render_plan_html(document)
    from ..report.plan_text import render_plan_text

    return render_plan_text(document, color=color, show_unmanaged=show_unmanaged) + "\n"


# -- what plan, apply and generate share --------------------------------------------------------------------

def choose_environment(config: Any, name: Optional[str]) -> str:
    """``--env``, or the config's only environment; :class:`ConfigError` listing them otherwise."""
    if name:
        config.environment(name)
        return name
    if len(config.environments) == 1:
        return next(iter(config.environments))
    known = ", ".join(sorted(config.environments)) or "none"
    raise ConfigError(f"The config has several environments ({known}): choose one with --env")


def state_location(args: argparse.Namespace, config: Any, environment: str) -> Path:
    """``--state``, else the environment's ``state`` (relative to the current directory, as for ``sync``)."""
    if getattr(args, "state", None):
        return Path(args.state)
    from ..backends.base import validate_environment_name

    validate_environment_name(environment)
    return Path(config.environment(environment).state)


def read_stored_state(path: Path) -> State:
    """The stored state, or an empty one when none is stored yet (a first plan creates everything)."""
    try:
        return read_state_file(path)
    except StateNotFoundError:
        return State()


def environment_client(args: argparse.Namespace, environment: Any, workers: int) -> Any:
    """A checked client and its URL: ``--host`` else the environment's ``url``; ``--api-key-file`` else the
    environment's ``api_key_env`` variable, else ``$DKU_API_KEY``."""
    from ..dss.client import client_from_env

    environ: Dict[str, str] = connection_environment(args)
    if not args.host and environment is not None and environment.url:
        environ[URL_VARIABLE] = environment.url
    if not args.api_key_file and environment is not None and os.environ.get(environment.api_key_env):
        environ[KEY_VARIABLE] = os.environ[environment.api_key_env]
    settings: Dict[str, Any] = {"verify_tls": False} if args.no_verify_tls else {}
    try:
        check = client_from_env(environ, timeout=min(args.timeout, 10.0), retries=1, **settings)
    except ConfigError as exc:
        hint = f" (or set {environment.api_key_env}, as dataiku-iac.yml says)" if environment is not None else ""
        raise ConfigError(f"{str(exc).rstrip('.')}{hint}.") from None
    check_connection(check, environ[KEY_VARIABLE])
    client = client_from_env(environ, timeout=args.timeout, pool_size=workers, **settings)
    return client, environ[URL_VARIABLE]
