"""Entry point of the ``dataiku-iac`` command: parse, dispatch to one command module, map errors to exit codes.

Exit codes (documented in ``docs/cli.md``; nothing else in the package calls ``sys.exit``):

- 0: success, no drift
- 1: a user, state or connection error (one line saying what to do; ``--debug`` adds the traceback), and
  command-line usage errors (argparse's own 2 would read as "drift detected", the collision Terraform users
  complain about)
- 2: drift detected (``drift``), or the two states differ (``diff``)
- 3: an unexpected error, i.e. a bug (short message; ``--debug`` shows the traceback)
- 130: interrupted with Ctrl-C

Each command is a module of this package exposing ``add_parser(subparsers)`` and ``run(args) -> int``. The
``serve`` command (the webapp outside DSS) plugs in the same way when its module is present.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from types import ModuleType
from typing import Any, List, Optional, Sequence

from .. import __version__
from ..exceptions import DataikuIaCError, DSSError
from ..report.common import clean_lines

#: Command modules, in the order ``--help`` lists them.
COMMANDS = ("sync", "drift", "diff", "show", "history", "state", "emulator", "demo")
#: Commands whose module is optional: registered only when present.
OPTIONAL_COMMANDS = ("serve",)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DRIFT = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse with usage errors exiting 1, so that exit status 2 always means "drift detected", and no
    abbreviated options: ``--api-key SECRET`` must be refused, not taken as ``--api-key-file SECRET``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # type: ignore[override]
        """Print one line (what is wrong, where the usage is), then exit 1.

        Values of unrecognised arguments are not echoed: ``--api-key SECRET`` must not print the secret.
        """
        self.exit(EXIT_ERROR, f"Error: {_without_values(message)}. Run '{self.prog} --help' for the usage.\n")


def _without_values(message: str) -> str:
    """argparse's message with the words after "unrecognized arguments:" reduced to the option names."""
    head, marker, rest = message.partition("unrecognized arguments:")
    if not marker:
        return message
    options = [word.split("=", 1)[0] for word in rest.split() if word.startswith("-")]
    shown = " ".join(options) if options else "(values not shown)"
    return f"{head}{marker} {shown}"


def build_parser() -> ArgumentParser:
    """The full parser: global flags, then one subcommand per command module."""
    parser = ArgumentParser(
        prog="dataiku-iac",
        description="State and drift detection for Dataiku DSS: record what DSS holds, then see what changed.",
        epilog="Exit codes: 0 success / no drift, 1 error, 2 drift detected, 3 bug, 130 interrupted. "
               "See docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"dataiku-iac {__version__}")
    _add_global_flags(parser, suppress=False)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in command_modules():
        known = set(subparsers.choices)
        module.add_parser(subparsers)
        for name in set(subparsers.choices) - known:
            subparsers.choices[name].set_defaults(_run=module.run)
    _add_flags_to_subcommands(parser)
    return parser


def command_modules() -> List[ModuleType]:
    """The command modules to register: every built-in one, plus the optional ones that are installed."""
    modules = [importlib.import_module(f"{__package__}.{name}") for name in COMMANDS]
    for name in OPTIONAL_COMMANDS:
        module = _optional_module(name)
        if module is not None:
            modules.append(module)
    return modules


def _optional_module(name: str) -> Optional[ModuleType]:
    qualified = f"{__package__}.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            return None  # not installed: the command does not exist
        return _unavailable(name, exc)
    except ImportError as exc:
        return _unavailable(name, exc)


def _unavailable(name: str, error: ImportError) -> ModuleType:
    """A stand-in command that explains why the real one could not be loaded (instead of breaking the CLI)."""
    module = ModuleType(f"{__package__}.{name}")

    def add_parser(subparsers: Any) -> None:
        sub = subparsers.add_parser(name, help=f"(unavailable: {error})", add_help=True)
        sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(args: argparse.Namespace) -> int:
        raise DataikuIaCError(f"The '{name}' command is unavailable here: {error}.")

    module.add_parser = add_parser  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    return module


def _add_global_flags(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # On subcommands the defaults are suppressed, so "dataiku-iac --debug drift" is not undone by drift's
    # own default; both "--debug drift" and "drift --debug" work.
    default = argparse.SUPPRESS if suppress else False
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show tracebacks and debug logging")
    parser.add_argument("--no-color", action="store_true", default=default,
                        help="no colours in text output (also: NO_COLOR=1)")


def _add_flags_to_subcommands(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if "--debug" not in sub._option_string_actions:
                    _add_global_flags(sub, suppress=True)
                _add_flags_to_subcommands(sub)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv`` (default: the process arguments) and run the command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    run = getattr(args, "_run", None)
    if run is None:
        print(f"Error: name a command. Run '{parser.prog} --help' for the list.", file=sys.stderr)
        return EXIT_ERROR
    _configure_logging(args.debug)
    return run_command(run, args)


def run_command(run: Any, args: argparse.Namespace) -> int:
    """The one error handler: every failure becomes a message on stderr and a documented exit code."""
    try:
        return int(run(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DataikuIaCError as exc:
        return _report_error(exc, args.debug)
    except BrokenPipeError:
        # The reader went away (e.g. "| head"): stop quietly; point stdout at devnull so the interpreter's
        # final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:
        library_error = _as_library_error(exc)
        if library_error is not None:
            return _report_error(library_error, args.debug, cause=exc)
        print(f"Unexpected error: {type(exc).__name__}: {clean_lines(exc)}", file=sys.stderr)
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        else:
            print("This is a bug in dataiku-iac: re-run with --debug and report the traceback.", file=sys.stderr)
        return EXIT_BUG


def _report_error(exc: BaseException, debug: bool, cause: Optional[BaseException] = None) -> int:
    # Messages may quote DSS names (a SyncError lists the objects it could not read): no terminal escapes.
    print(f"Error: {clean_lines(exc)}", file=sys.stderr)
    if debug:
        traceback.print_exception(type(cause or exc), cause or exc, (cause or exc).__traceback__, file=sys.stderr)
    return EXIT_ERROR


def _as_library_error(exc: Exception) -> Optional[DataikuIaCError]:
    """A DSS client or HTTP error that escaped the DSS layer, as the library error it stands for."""
    module = type(exc).__module__ or ""
    if not module.startswith(("requests", "urllib3", "dataikuapi")):
        return None
    try:
        from ..dss.errors import to_library_error
    except ImportError:
        return DSSError(f"DSS request failed: {exc}. Check the DSS URL, the API key and that DSS is up.")
    return to_library_error(exc, "talking to DSS")


def _configure_logging(debug: bool) -> None:
    """Library warnings (e.g. a stale lock taken over) on stderr; everything with ``--debug``."""
    logger = logging.getLogger("dataiku_iac")
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    # The sync engine warns about each object it could not read, then raises a SyncError listing them all,
    # which the handler prints: without --debug, show that list once.
    logging.getLogger("dataiku_iac.sync").setLevel(logging.NOTSET if debug else logging.ERROR)
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (tests swap it per test)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def entry_point() -> None:
    """Console-script wrapper: exit with :func:`main`'s code."""
    sys.exit(main())
