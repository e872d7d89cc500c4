"""``python -m dss_emulator``: serve the emulator on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Optional, Sequence

from .models.connections import parse_code_env_spec, parse_connection_spec
from .server import DSSEmulator


def connection_arg(value: str) -> tuple[str, str]:
    """argparse type of ``--connection NAME:TYPE``."""
    try:
        return parse_connection_spec(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def code_env_arg(value: str) -> tuple[str, str]:
    """argparse type of ``--code-env LANG:NAME``."""
    try:
        return parse_code_env_spec(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dss_emulator",
        description="Serve an emulated Dataiku DSS public API on 127.0.0.1 for the dataikuapi client.",
    )
    parser.add_argument("--port", type=int, default=11200, help="port to bind on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--seed", action="append", default=[], metavar="DIR",
                        help="a project tree, or a folder of project trees, to load (repeatable)")
    parser.add_argument("--synthetic", action="append", type=int, default=[], metavar="N",
                        help="add a synthetic project SYNTHETIC_<i> with N datasets (repeatable)")
    parser.add_argument("--samples", action="store_true",
                        help="load the shipped sample project (the default when nothing else is loaded)")
    parser.add_argument("--api-key", default=None, help="use this admin API key instead of a random one")
    parser.add_argument("--admin-login", default="admin", help="login the admin key acts as")
    parser.add_argument("--not-found-status", type=int, choices=(404, 500), default=404,
                        help="HTTP status for missing objects (some DSS versions answer 500)")
    parser.add_argument("--connection", action="append", type=connection_arg, default=[], metavar="NAME:TYPE",
                        help="add a connection to those of a fresh install, e.g. warehouse:PostgreSQL (repeatable)")
    parser.add_argument("--code-env", action="append", type=code_env_arg, default=[], metavar="LANG:NAME",
                        help="declare a code env, e.g. python:py39_ml (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="print an access log line per request")
    return parser.parse_args(argv)


def synthetic_sizes(datasets: int) -> dict[str, int]:
    """Proportions for ``--synthetic N``: most datasets are produced by a recipe."""
    return {"datasets": datasets, "recipes": max(0, datasets - max(1, datasets // 5)),
            "scenarios": max(1, datasets // 20), "folders": max(1, datasets // 25)}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Start, print the connection facts, serve until Ctrl-C.

    The first line, ``DSS emulator listening on <url>``, is printed once the socket accepts requests: a
    process that started the emulator (port 0 included) waits on that line, never on a timer.
    """
    args = parse_args(argv)
    load_samples = args.samples or not (args.seed or args.synthetic)
    emulator = DSSEmulator(args.seed, port=args.port, api_key=args.api_key, admin_login=args.admin_login,
                           samples=load_samples, not_found_status=args.not_found_status,
                           log_requests=args.verbose, connections=args.connection, code_envs=args.code_env)
    for index, size in enumerate(args.synthetic, start=1):
        emulator.add_synthetic_project(f"SYNTHETIC_{index}", seed=index, **synthetic_sizes(size))
    with emulator:
        print(f"DSS emulator listening on {emulator.url}", flush=True)
        print(f"API key: {emulator.api_key}", flush=True)
        print(f"Projects: {', '.join(emulator.backend.project_keys()) or '(none)'}", flush=True)
        print(f"Connections: {', '.join(f'{n} ({t})' for n, t in sorted(emulator.connections().items()))}",
              flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopping.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
