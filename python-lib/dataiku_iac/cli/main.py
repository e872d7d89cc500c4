"""Entry point of the ``dataiku-iac`` command: parse, dispatch to one command module, map errors to exit codes.

Exit codes (documented in ``docs/cli.md``; nothing else in the package calls ``sys.exit``):

- 0: success, no drift
- 1: a user, state or connection error (one line saying what to do; ``--debug`` adds the traceback), and
  command-line usage errors (argparse's own 2 would read as "drift detected", the collision Terraform users
  complain about)
- 2: drift detected (``drift``), or the two states differ (``diff``)
- 3: an unexpected error, i.e. a bug (short message; ``--debug`` shows the traceback)
- 130: interrupted with Ctrl-C

Each command is a module of this package exposing ``add_parser(subparsers)`` and ``run(args) -> int``. Only
the module of the command being run is imported: ``--version`` and ``--help`` import none, and a command
loads the DSS client, the web framework or the schema validator only if it uses them (start-up time, see
``benchmarks/bench_cli_startup.py``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
from typing import Any, Collection, Iterable, List, Optional, Sequence, Set

from .. import __version__
from ..exceptions import DataikuIaCError

#: Every command, in the order ``--help`` lists them, with the summary ``--help`` shows (equal to the help its
#: module registers, which a test checks; the table lets ``--help`` list the commands without importing them).
COMMANDS = {
    "sync": "read DSS and save its objects as the state",
    "drift": "show what changed in DSS since the last sync (read-only)",
    "diff": "compare two state files",
    "show": "list the resources of a state file",
    "history": "list the saved serials of a state",
    "state": "restore a serial, or break a stuck lock",
    "validate": "check a config directory (YAML, schema, references, flow, variables)",
    "plan": "show what apply would change in DSS to match a config (read-only)",
    "apply": "write a plan to DSS (a saved plan file, or a fresh plan you approve)",
    "generate": "write the config of live DSS projects (and record them as managed)",
    "emulator": "serve an emulated DSS on 127.0.0.1 (for trying the tool)",
    "demo": "run the drift demo on an embedded, emulated DSS",
    "serve": "serve the drift viewer page locally (the DSS webapp, outside DSS)",
}

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DRIFT = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

# Options that would carry a secret on the command line, where other users see it (ps, /proc) and shell
# history keeps it: refused before parsing, naming only the option. --api-key-file is the way to pass a key.
_SECRET_OPTION = re.compile(r"^(?:--?(?:api[-_]?key|key|token|password|passwd|secret)(?:=.*)?|-k.*)$",
                            re.IGNORECASE)
_NOT_SHOWN = "(value not shown)"


class UsageError(Exception):
    """A command-line usage error, raised by the parser instead of printing (``main`` prints it, without
    the values the user typed)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog
        self.message = message


class ArgumentParser(argparse.ArgumentParser):
    """argparse with usage errors raised as :class:`UsageError` (``main`` exits 1 with them, so that exit
    status 2 always means "drift detected"), and no abbreviated options: ``--api-key SECRET`` must be refused,
    not taken as ``--api-key-file SECRET``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(self.prog, message)


def build_parser(load: Collection[str] = tuple(COMMANDS)) -> ArgumentParser:
    """The parser: global flags, then one subcommand per command. The commands in ``load`` get their full
    parser (their module is imported); the others are listed by name and summary only."""
    parser = ArgumentParser(
        prog="dataiku-iac",
        description="State and drift detection for Dataiku DSS: record what DSS holds, then see what changed.",
        epilog="Exit codes: 0 success / no drift, 1 error, 2 drift detected, 3 bug, 130 interrupted. "
               "See docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"dataiku-iac {__version__}")
    _add_global_flags(parser, suppress=False)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        if name in load:
            module = importlib.import_module(f"{__package__}.{name}")
            module.add_parser(subparsers)
            subparsers.choices[name].set_defaults(_run=module.run)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    _add_flags_to_subcommands(parser)
    return parser


def named_command(arguments: Sequence[str]) -> List[str]:
    """The command an argument list runs (as a list of at most one name): its first word that is not an
    option, when that word is a command. The global options take no value, so that word is the command."""
    for argument in arguments:
        if not argument.startswith("-"):
            return [argument] if argument in COMMANDS else []
    return []


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


# -- usage errors without values ----------------------------------------------------------------------------

def refused_secret_option(arguments: Iterable[str]) -> Optional[str]:
    """The name of the first option in ``arguments`` that would put a secret on the command line, or None."""
    for argument in arguments:
        if argument == "--":
            return None
        if _SECRET_OPTION.match(argument):
            return argument.split("=", 1)[0] if argument.startswith("--") else argument[:2]
    return None


def without_values(message: str, arguments: Sequence[str], vocabulary: Collection[str]) -> str:
    """argparse's ``message`` with nothing the user typed in it but the CLI's own words (``vocabulary``:
    commands, option names, choices), so that a secret typed in the wrong place is never echoed."""
    message = re.sub(r"invalid choice: .*? \(choose from", "invalid choice (choose from", message)
    message = re.sub(r"(invalid \S+ value): .*", r"\1", message)
    message = re.sub(r"(ignored explicit argument) .*", r"\1", message)
    head, marker, rest = message.partition("unrecognized arguments:")
    if marker:
        words = rest.split()
        names = [_option_name(word) for word in words if word.startswith("-")]
        others = len(words) - len(names)
        shown = " ".join(names + ([f"and {others} more"] if names and others else []))
        message = f"{head}{marker} {shown or _NOT_SHOWN}"
    # A safety net for message forms not rewritten above: any remaining value the user typed is masked.
    for value in sorted(_typed_values(arguments, vocabulary), key=len, reverse=True):
        message = message.replace(repr(value), _NOT_SHOWN)
        if len(value) >= 4:  # a shorter raw word could be argparse's own text; secrets are longer
            message = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", _NOT_SHOWN, message)
    return message


def _option_name(word: str) -> str:
    """``--x=value`` -> ``--x``; a single-dash word keeps its first letter only (``-kVALUE`` -> ``-k``)."""
    return word.split("=", 1)[0] if word.startswith("--") else word[:2]


def _typed_values(arguments: Sequence[str], vocabulary: Collection[str]) -> Set[str]:
    values = set()
    for argument in arguments:
        if argument.startswith("--") and "=" in argument:
            values.add(argument.split("=", 1)[1])
        elif argument.startswith("-") and not argument.startswith("--") and len(argument) > 2:
            values.add(argument[2:])
        elif not argument.startswith("-"):
            values.add(argument)
    return {value for value in values if value and value not in vocabulary}


def parser_vocabulary(parser: argparse.ArgumentParser) -> Set[str]:
    """Every word the parser itself defines: option strings, command names and choices, at every level."""
    words: Set[str] = set()
    for action in parser._actions:
        words.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                words.add(name)
                words |= parser_vocabulary(sub)
        elif action.choices is not None:
            words.update(str(choice) for choice in action.choices)
    return words


# -- running ------------------------------------------------------------------------------------------------

def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv`` (default: the process arguments) and run the command; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    secret_option = refused_secret_option(arguments)
    if secret_option:
        print(f"Error: {secret_option} is refused: an API key on the command line is visible to other users "
              "and kept in shell history. Set DKU_API_KEY or pass --api-key-file PATH.", file=sys.stderr)
        return EXIT_ERROR
    parser = build_parser(load=named_command(arguments))
    try:
        args = parser.parse_args(arguments)
    except UsageError as exc:
        message = without_values(exc.message, arguments, parser_vocabulary(parser))
        print(f"Error: {message}. Run '{exc.prog} --help' for the usage.", file=sys.stderr)
        return EXIT_ERROR
    except SystemExit as exc:  # --help and --version
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
        from ..report.common import clean_lines

        print(f"Unexpected error: {type(exc).__name__}: {clean_lines(exc)}", file=sys.stderr)
        if args.debug:
            _print_traceback(exc)
        else:
            print("This is a bug in dataiku-iac: re-run with --debug and report the traceback.", file=sys.stderr)
        return EXIT_BUG


def _report_error(exc: BaseException, debug: bool, cause: Optional[BaseException] = None) -> int:
    from ..report.common import clean_lines

    # Messages may quote DSS names (a SyncError lists the objects it could not read): no terminal escapes.
    print(f"Error: {clean_lines(exc)}", file=sys.stderr)
    if debug:
        _print_traceback(cause or exc)
    return EXIT_ERROR


def _print_traceback(exc: BaseException) -> None:
    import traceback

    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


def _as_library_error(exc: Exception) -> Optional[DataikuIaCError]:
    """A DSS client or HTTP error that escaped the DSS layer, as the library error it stands for."""
    module = type(exc).__module__ or ""
    if not module.startswith(("requests", "urllib3", "dataikuapi")):
        return None
    from ..dss.errors import to_library_error

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
