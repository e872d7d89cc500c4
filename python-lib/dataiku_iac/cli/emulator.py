"""``dataiku-iac emulator``: serve the DSS emulator in the foreground, to try the tool without a DSS.

The admin API key goes to a file (mode 0600), never to the terminal, like every key this tool handles; the
command prints the lines that point the other commands at it.
"""

from __future__ import annotations

import argparse
import socket
import threading
from pathlib import Path
from typing import Any, List

from ..exceptions import ConfigError
from .common import URL_VARIABLE, out, serve_until_interrupted, write_output_file

DEFAULT_PORT = 11200
DEFAULT_KEY_FILE = Path(".dataiku") / "emulator" / "api-key"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator", help="serve an emulated DSS on 127.0.0.1 (for trying the tool)",
        description="Serve the DSS emulator (the DSS public API, in memory) on 127.0.0.1 until Ctrl-C. "
                    "Without --seed it loads the sample project CUSTOMER_ANALYTICS.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0: any)")
    parser.add_argument("--seed", action="append", default=[], metavar="DIR",
                        help="a DSS project tree, or a folder of them, to load (repeatable)")
    parser.add_argument("--samples", action="store_true", help="also load the sample project (default without --seed)")
    parser.add_argument("--connection", action="append", default=[], metavar="NAME:TYPE",
                        help="add a connection to those of a fresh DSS install (filesystem_managed, "
                             "filesystem_folders, filesystem_root), e.g. warehouse:PostgreSQL (repeatable)")
    parser.add_argument("--api-key-file", default=str(DEFAULT_KEY_FILE), metavar="PATH",
                        help=f"where to write the admin API key (default: {DEFAULT_KEY_FILE})")


def load_emulator_class() -> Any:
    """``dss_emulator.DSSEmulator``, or a clear error where the emulator is not installed (inside DSS)."""
    try:
        from dss_emulator import DSSEmulator
    except ImportError as exc:
        raise ConfigError(
            f"The DSS emulator is not available here ({exc}): it ships with the source checkout, not the plugin. "
            "Run from the repository after 'make venv'."
        ) from exc
    return DSSEmulator


def run(args: argparse.Namespace) -> int:
    """Start the emulator, print how to use it, serve until Ctrl-C (which is the normal way to stop: exit 0)."""
    emulator_class = load_emulator_class()
    for seed in args.seed:
        if not Path(seed).is_dir():
            raise ConfigError(f"Seed {seed} is not a directory: give a DSS project tree or a folder of them.")
    check_port_free(args.port)
    try:
        emulator = emulator_class(args.seed, port=args.port, samples=args.samples or not args.seed,
                                  connections=args.connection)
    except ValueError as exc:  # a malformed --connection: the emulator's message says what it expects
        raise ConfigError(f"{exc} (option --connection)") from None
    emulator.start()
    return serve_until_interrupted(lambda: _announce_and_wait(emulator, args.api_key_file), emulator.stop)


def _announce_and_wait(emulator: Any, api_key_file: str) -> None:
    """Write the key file, say how to use the emulator, and wait for Ctrl-C."""
    key_file = write_key_file(api_key_file, emulator.api_key)
    keys: List[str] = emulator.backend.project_keys()
    out(f"DSS emulator listening on {emulator.url}")
    out(f"Projects: {', '.join(keys) or '(none)'}")
    out(f"Connections: {', '.join(f'{n} ({t})' for n, t in sorted(emulator.connections().items()))}")
    out(f"Admin API key written to {key_file}")
    out("")
    out("In another shell:")
    out(f"  export {URL_VARIABLE}={emulator.url}")
    out(f"  export DKU_API_KEY=\"$(cat {key_file})\"")
    out(f"  dataiku-iac sync {keys[0] if keys else 'PROJECT_KEY'}")
    out(f"or: dataiku-iac drift --host {emulator.url} --api-key-file {key_file} ...")
    out("")
    out("Press Ctrl-C to stop.")
    wait_forever()


def check_port_free(port: int) -> None:
    """Refuse a busy port with one clear line (werkzeug would print its own text and exit the process)."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds: TIME_WAIT is fine
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ConfigError(f"Cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}): "
                              "pick another --port, or 0 for any free port.") from None


def write_key_file(path: str, key: str) -> Path:
    """Write the key readable by the owner only; a symbolic link at ``path`` is refused, never written through
    (it could aim the key at a file another user reads)."""
    return write_output_file(path, (key + "\n").encode("utf-8"), option="--api-key-file",
                              what="the API key file ")


def wait_forever() -> None:
    """Block until interrupted (tests replace this)."""
    threading.Event().wait()
