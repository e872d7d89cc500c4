"""``dataiku-iac serve``: the drift viewer page outside DSS, over a local state directory or a managed folder.

    dataiku-iac serve --state-dir .dataiku/state [--env dev] [--host 127.0.0.1] [--port 8080]
    dataiku-iac serve --project KEY --folder FOLDER_ID          (DKU_DSS_URL and DKU_API_KEY set)

With a DSS connection (``DKU_DSS_URL``/``DKU_API_KEY``, or ``--dss-url``/``--api-key-file``) the page can also
run live drift checks and accept the live state as the baseline; without one it shows the stored state,
history and reports. It binds 127.0.0.1 unless told otherwise: the page has no login of its own.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, List, Optional

from ..backends.local import DEFAULT_STATE_DIR
from ..exceptions import ConfigError
from .common import (
    DEFAULT_ENVIRONMENT,
    KEY_VARIABLE,
    URL_VARIABLE,
    err,
    out,
    read_api_key_file,
    serve_until_interrupted,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
#: The names a browser uses for this machine (the same as ``webapp.standalone.LOOPBACK_HOSTS``, kept here so
#: that parsing the command line imports no Flask).
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})


def add_parser(subparsers: Any) -> None:
    """Register the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve", help="serve the drift viewer page locally (the DSS webapp, outside DSS)",
        description="Serve the drift viewer (the same page and routes as the DSS webapp) on a local port, over "
                    "a local state directory or over a DSS managed folder (--project and --folder). With "
                    f"${URL_VARIABLE} and ${KEY_VARIABLE} set, the page can also check for drift live.",
    )
    source = parser.add_argument_group("where the state is (one of)")
    source.add_argument("--state-dir", metavar="DIR",
                        help=f"local state directory holding <env>.state.json (default: {DEFAULT_STATE_DIR})")
    source.add_argument("--project", metavar="KEY", help="project of the managed folder holding the state")
    source.add_argument("--folder", metavar="ID", help="id of the managed folder holding the state")
    parser.add_argument("--env", default=DEFAULT_ENVIRONMENT, metavar="NAME",
                        help=f"environment shown first (default: {DEFAULT_ENVIRONMENT})")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default: {DEFAULT_HOST}; note: not the DSS URL, see --dss-url)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port to listen on (default: {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="host name the page may be opened under, in the Host and Origin headers (repeatable; "
                             "default: 127.0.0.1, localhost and ::1, plus the --host address)")
    writes = parser.add_mutually_exclusive_group()
    writes.add_argument("--read-only", action="store_true",
                        help="refuse checks and accepts from the page (the default when not on loopback)")
    writes.add_argument("--allow-writes", action="store_true",
                        help="allow checks and accepts from the page when listening on a non-loopback address "
                             "(anyone who can reach it may then change the baseline: the page has no login)")
    connection = parser.add_argument_group(f"DSS connection (default: ${URL_VARIABLE} and ${KEY_VARIABLE})")
    connection.add_argument("--dss-url", metavar="URL", help=f"DSS base URL (default: ${URL_VARIABLE})")
    connection.add_argument("--api-key-file", metavar="PATH",
                            help=f"file holding the API key (default: the key in ${KEY_VARIABLE})")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 0 on Ctrl-C, 1 when the server cannot start."""
    from werkzeug.serving import make_server

    from ..webapp.standalone import create_app

    context = build_context(args)
    app = create_app(context, allowed_hosts=allowed_hosts(args))
    loopback = is_loopback(args.host)
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug exits by itself when the port is taken
        reason = exc.strerror or exc if isinstance(exc, OSError) else "the address is in use or not available"
        raise ConfigError(f"Cannot listen on {args.host}:{args.port}: {reason}. "
                          "Choose another --port (0 picks a free one).") from None
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    out(f"Drift viewer for {context.location} on http://{shown_host}:{server.port}/  (Ctrl-C to stop)")
    if context.make_manager is None:
        out(f"Live checks and apply are off: set {URL_VARIABLE} and {KEY_VARIABLE} to check DSS from the page "
            "and apply stored plans.")
    if not loopback:
        err(f"Warning: listening on {args.host}: anyone who can reach it sees the state, and the page has no login.")
        if not args.allow_writes:
            err("The page is read-only (no checks, no accepts) off loopback; pass --allow-writes to allow them.")
        if args.host in WILDCARD_HOSTS and not args.allowed_host:
            err("Only loopback names are allowed in the Host header: pass --allowed-host NAME for the name "
                "others open the page under.")
    return serve_until_interrupted(server.serve_forever, server.server_close)


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach."""
    return host.strip("[]").lower() in LOOPBACK_NAMES or host.startswith("127.")


def allowed_hosts(args: argparse.Namespace) -> List[str]:
    """Host names accepted in the Host and Origin headers: loopback names, a specific --host address, and
    every --allowed-host (a wildcard address is no name a browser would send)."""
    names = set(LOOPBACK_NAMES)
    if args.host not in WILDCARD_HOSTS:
        names.add(args.host.strip("[]").lower())
    for name in getattr(args, "allowed_host", None) or []:
        cleaned = name.strip().strip("[]").lower()
        # One colon is a port (host:8080); IPv6 addresses have several.
        if not cleaned or cleaned.count(":") == 1 or any(char in cleaned for char in "/@ \t"):
            raise ConfigError(f"--allowed-host {name[:60]!r}: expected a host name or address, without a port")
        names.add(cleaned)
    return sorted(names)


def read_only_reason(args: argparse.Namespace) -> str:
    """Why the page may not write ("" when it may)."""
    host = getattr(args, "host", DEFAULT_HOST)  # callers building the namespace by hand may leave these out
    if getattr(args, "read_only", False):
        return "the server was started with --read-only"
    if not is_loopback(host) and not getattr(args, "allow_writes", False):
        return f"the server listens on {host}, off loopback, without --allow-writes"
    return ""


def build_context(args: argparse.Namespace) -> Any:
    """The webapp context for the command line's state location and connection."""
    from ..webapp.context import local_context, local_viewer, manager_factory_for, plan_applier

    reason = read_only_reason(args)
    if args.project or args.folder:
        if not (args.project and args.folder):
            raise ConfigError("Pass both --project KEY and --folder ID to serve a managed folder.")
        if args.state_dir:
            raise ConfigError("Pass either --state-dir or --project/--folder, not both.")
        client = dss_client(args, required=True)
        from ..dss.folders import resolve_folder
        from ..plugin.config import FolderRef
        from ..webapp.dss import managed_folder_context

        folder = resolve_folder(client, FolderRef(args.project, args.folder).candidates(), label="--folder")
        # A shared folder's plans are not the local user's own files: their config is read from managed
        # folders only, never from a directory of this machine a plan written by someone else could name.
        return managed_folder_context(client, folder, default_environment=args.env,
                                      identify=local_viewer(bool(reason), reason), check_origin=True,
                                      apply_plan=plan_applier(client))
    client = dss_client(args, required=False)
    return local_context(
        args.state_dir or DEFAULT_STATE_DIR,
        default_environment=args.env,
        make_manager=manager_factory_for(client) if client is not None else None,
        read_only=bool(reason),
        read_only_reason=reason,
        # The local user's own plans and config directories (``plan --store``), applied with the same client.
        apply_plan=plan_applier(client, allow_directories=True) if client is not None else None,
    )


def dss_client(args: argparse.Namespace, required: bool) -> Optional[Any]:
    """A hardened client from the flags or the environment; None when nothing is configured and not required."""
    url = (args.dss_url or os.environ.get(URL_VARIABLE, "")).strip()
    key = read_api_key_file(args.api_key_file) if args.api_key_file else os.environ.get(KEY_VARIABLE, "").strip()
    if not url and not key and not required:
        return None
    if not url:
        raise ConfigError(f"No DSS URL: pass --dss-url URL or set {URL_VARIABLE}.")
    if not key:
        raise ConfigError(f"No API key: set {KEY_VARIABLE} or pass --api-key-file PATH (a file holding the key).")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"DSS URL {url!r} must start with http:// or https://.")
    from ..dss.client import make_client

    return make_client(url.rstrip("/"), key)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 0 and 65535, got {value}")
    return value
