"""What the command modules share: option groups, the DSS connection, state files, output and progress.

Commands write through :func:`out` and :func:`err`, which look ``sys.stdout``/``sys.stderr`` up at call
time, so tests capture them and nothing is bound at import.

Importing this module (as every command's parser does) stays cheap: the DSS client, the state backends and
the schema validator are imported by the functions that use them, so ``--help`` and usage errors load none.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import stat
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence

from ..exceptions import ConfigError, StateNotFoundError, UnsafePathError

if TYPE_CHECKING:
    from ..backends.local import LocalFileBackend
    from ..manager import StateManager
    from ..models.state import State

DEFAULT_ENVIRONMENT = "dev"
DEFAULT_WORKERS = 8
DEFAULT_TIMEOUT = 30.0
FORMATS = ("text", "json", "html")

# The variables DSS's own Python client reads outside DSS (dss.client reads them; named here for the help
# texts, without importing the DSS client).
URL_VARIABLE = "DKU_DSS_URL"
KEY_VARIABLE = "DKU_API_KEY"
# Where states live by default (backends.local.DEFAULT_STATE_DIR; a test keeps the two equal).
DEFAULT_STATE_FILE = ".dataiku/state/<env>.state.json"
# An API key is a short line: a bigger "key file" is a mistake (or /dev/zero), not read whole.
MAX_KEY_FILE_BYTES = 64 * 1024


# -- output -------------------------------------------------------------------------------------------------

def out(text: str = "") -> None:
    print(text, file=sys.stdout, flush=True)


def err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def use_color(args: argparse.Namespace) -> bool:
    """Colour only on a terminal, and never with ``--no-color`` or ``NO_COLOR`` set (no-color.org)."""
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    return _isatty(sys.stdout)


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# json.dumps escapes C0 controls but leaves DEL and the C1 range (U+0080-U+009F, e.g. U+009B, a one-character
# CSI for some terminals) raw. In JSON they only occur inside strings, where \u escapes mean the same.
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def json_text(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)`` with DEL and C1 control characters escaped, so that
    JSON output holding DSS names is safe on a terminal and parses to the same value."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def write_file(path: str, text: str) -> Path:
    """Write a report to ``path`` as :func:`write_output_file` does (UTF-8)."""
    return write_output_file(path, text.encode("utf-8"), option="--output path")


def write_output_file(path: str, data: bytes, option: str, what: str = "") -> Path:
    """Replace ``path`` with ``data``, readable by the owner only (0600, as state files are), parents created.

    Through :func:`dataiku_iac.fsutil.atomic_write`: a symbolic link at ``path`` is refused (it could send the
    write anywhere, and a link committed to a repository reaches CI), the bytes go to a fresh private temp file
    renamed over the path, and a reader never sees half a file. Messages read "Cannot write <what><path>: ...
    Choose another <option>."
    """
    from ..fsutil import atomic_write

    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
    except UnsafePathError:
        raise ConfigError(f"Cannot write {what}{path}: it is a symbolic link, refused (it could point "
                          f"anywhere). Remove the link or choose another {option}.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot write {what}{path}: {exc.strerror or exc}. "
                          f"Choose another {option}.") from exc
    return target


def render_report(report: Mapping[str, Any], fmt: str, color: bool = False, title: Optional[str] = None) -> str:
    """A drift or diff report in one of :data:`FORMATS`; text and JSON end with a newline."""
    if fmt == "json":
        return json_text(report, indent=2, default=str) + "\n"
    if fmt == "html":
        from ..report.html import render_html

        return render_html(report, title=title)
    from ..report.text import render_text

    return render_text(report, color=color) + "\n"


def emit_report(report: Mapping[str, Any], args: argparse.Namespace, title: Optional[str] = None) -> None:
    """Print the report in ``args.format``, or write it to ``args.output`` and print where, plus its verdict."""
    if args.output:
        path = write_file(args.output, render_report(report, args.format, color=False, title=title))
        from ..report.common import summary_sentence

        out(summary_sentence(report))
        out(f"Report ({args.format}) written to {path}")
        return
    sys.stdout.write(render_report(report, args.format, color=use_color(args), title=title))
    sys.stdout.flush()


# -- option groups ------------------------------------------------------------------------------------------

def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """``--host``, ``--api-key-file``, ``--timeout``, ``--no-verify-tls``: never the key itself, which would
    show in the process list and shell history (``main`` refuses ``--api-key``)."""
    group = parser.add_argument_group("DSS connection (default: $DKU_DSS_URL and $DKU_API_KEY)")
    group.add_argument("--host", metavar="URL", help=f"DSS base URL (default: ${URL_VARIABLE})")
    group.add_argument("--api-key-file", metavar="PATH",
                       help=f"file holding the API key (default: the key in ${KEY_VARIABLE})")
    group.add_argument("--timeout", type=positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"timeout of each DSS request (default: {DEFAULT_TIMEOUT:g})")
    group.add_argument("--no-verify-tls", action="store_true",
                       help="do not verify DSS's TLS certificate (self-signed test instances only)")


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """``--env`` and ``--state``: which state file a command reads or writes."""
    parser.add_argument("--env", default=DEFAULT_ENVIRONMENT, metavar="NAME",
                        help=f"environment name (default: {DEFAULT_ENVIRONMENT})")
    parser.add_argument("--state", metavar="PATH",
                        help=f"state file (default: {DEFAULT_STATE_FILE})")


def add_state_file_options(parser: argparse.ArgumentParser) -> None:
    """An optional ``STATE`` file argument, then the state options (a command that reads one state file)."""
    parser.add_argument("state_file", nargs="?", metavar="STATE", help=f"state file (default: {DEFAULT_STATE_FILE})")
    add_state_options(parser)


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """``PROJECT_KEY...``, ``--all``, ``--no-children`` and ``--workers``."""
    parser.add_argument("project_keys", nargs="*", metavar="PROJECT_KEY", help="projects to read")
    parser.add_argument("--all", action="store_true", dest="all_projects",
                        help="every project the API key can read")
    parser.add_argument("--no-children", action="store_true",
                        help="only the project objects, not their datasets, recipes, scenarios...")
    parser.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                        help=f"concurrent DSS requests (default: {DEFAULT_WORKERS})")


def add_format_option(parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    """``--format``, text by default."""
    parser.add_argument("--format", choices=formats, default="text", help="output format (default: text)")


def add_output_options(parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    """``--format`` and ``--output``."""
    add_format_option(parser, formats)
    parser.add_argument("--output", "-o", metavar="FILE", help="write the output to FILE instead of the terminal")


# The argparse types below never quote the value in their message: usage errors echo no value (main.py).

def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number of at least 1") from None
    if value < 1:
        raise argparse.ArgumentTypeError("expected a whole number of at least 1")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number above 0") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("expected a number above 0")
    return value


def selected_projects(args: argparse.Namespace) -> Optional[List[str]]:
    """The project keys named on the command line (None: not named), refusing keys together with ``--all``."""
    if args.all_projects and args.project_keys:
        raise ConfigError("Name projects or pass --all, not both.")
    return list(dict.fromkeys(args.project_keys)) or None


# -- connection ---------------------------------------------------------------------------------------------

def connection_environment(args: argparse.Namespace, environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment ``dss.client.client_from_env`` reads, with ``--host`` and the key of ``--api-key-file``
    in place of ``DKU_DSS_URL`` and ``DKU_API_KEY``."""
    settings = dict(os.environ if environ is None else environ)
    if args.host:
        settings[URL_VARIABLE] = args.host
    if args.api_key_file:
        settings[KEY_VARIABLE] = read_api_key_file(args.api_key_file)
    return settings


def read_api_key_file(path: str) -> str:
    """The key held in ``path`` (surrounding whitespace ignored). The key itself never appears in messages.

    Refused, as ssh refuses such private keys: a symbolic link (it could point anywhere), anything but a
    regular file, and a file any user may write (they could put their own key there and read what the
    commands send). A file other users may read is used with a warning: the key is exposed, tighten it.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"The API key file {path} is a symbolic link, refused: give the path of the "
                              "file itself.") from None
        raise ConfigError(f"Cannot read the API key file {path}: {exc.strerror or exc}.") from exc
    try:
        _check_key_file_mode(path, os.fstat(descriptor))
        data = os.read(descriptor, MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"Cannot read the API key file {path}: {exc.strerror or exc}.") from exc
    finally:
        os.close(descriptor)
    try:
        key = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"The API key file {path} is not text: it should hold only the key.") from None
    if not key or len(data) > MAX_KEY_FILE_BYTES or any(char.isspace() for char in key):
        raise ConfigError(f"The API key file {path} should hold only the key, on one line.")
    return key


def _check_key_file_mode(path: str, status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise ConfigError(f"The API key file {path} is not a regular file: give a file holding only the key.")
    mode = stat.S_IMODE(status.st_mode)
    if mode & stat.S_IWOTH:
        raise ConfigError(f"The API key file {path} is writable by every user (mode {mode:04o}), refused: "
                          f"run 'chmod 600 {path}' (and rotate the key if others may have used the file).")
    if mode & (stat.S_IRGRP | stat.S_IROTH | stat.S_IWGRP):
        err(f"Warning: the API key file {path} is accessible to other users (mode {mode:04o}): "
            f"run 'chmod 600 {path}'.")


def connect(args: argparse.Namespace, workers: int = DEFAULT_WORKERS) -> Any:
    """A hardened ``dataikuapi.DSSClient`` for the command's connection options, checked with one request.

    The check fails fast, with one message, on the common mistakes (wrong URL, DSS down, refused key);
    otherwise every object read of a sync would retry with backoff and fail with the same cause.
    """
    from ..dss.client import client_from_env

    environ = connection_environment(args)
    settings: Dict[str, Any] = {"verify_tls": False} if args.no_verify_tls else {}
    try:
        check_client = client_from_env(environ, timeout=min(args.timeout, 10.0), retries=1, **settings)
    except ConfigError as exc:
        raise ConfigError(f"{str(exc).rstrip('.')} (or pass --host URL, --api-key-file PATH).") from None
    check_connection(check_client, environ[KEY_VARIABLE])
    return client_from_env(environ, timeout=args.timeout, pool_size=workers, **settings)


def check_connection(client: Any, key: str) -> None:
    """One cheap authenticated request (``GET /auth/info``); a failure becomes a one-line library error
    (with ``key`` and every other credential the client holds masked, should the client's error quote them)."""
    try:
        client.get_auth_info()
    except Exception as exc:
        from ..dss.credentials import client_secrets
        from ..dss.errors import to_library_error

        raise to_library_error(exc, "connecting", secrets=[key, *client_secrets(client)]) from exc


# -- state files --------------------------------------------------------------------------------------------

def state_backend(args: argparse.Namespace) -> LocalFileBackend:
    """The local backend of ``--state PATH``, else of ``.dataiku/state/<env>.state.json``."""
    from ..backends.local import LocalFileBackend

    if getattr(args, "state", None):
        return LocalFileBackend(args.state)
    return LocalFileBackend.for_environment(args.env)


def state_path(args: argparse.Namespace, positional: Optional[str] = None) -> Path:
    """The state file a read-only command looks at: the positional path, ``--state``, or the env's default."""
    if positional:
        return Path(positional)
    if getattr(args, "state", None):
        return Path(args.state)
    from ..backends.base import validate_environment_name
    from ..backends.local import DEFAULT_STATE_DIR

    return DEFAULT_STATE_DIR / f"{validate_environment_name(args.env)}.state.json"


def read_state_file(path: Path) -> State:
    """Load and validate a state file without creating anything (read-only commands)."""
    from ..state_format import decode_state

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StateNotFoundError(f"No state file at {path}: check the path, or run 'dataiku-iac sync' first.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return decode_state(data, str(path))


def describe_counts(counts: Dict[str, int]) -> str:
    """``1 project, 2 datasets, 1 recipe`` from counts by resource type."""
    return ", ".join(f"{count} {_plural(rtype, count)}" for rtype, count in counts.items()) or "nothing"


def _plural(resource_type: str, count: int) -> str:
    name = resource_type.replace("_", " ")
    return name if count == 1 else name + "s"


# -- progress -----------------------------------------------------------------------------------------------

class ProgressDisplay:
    """A ``progress(done, total)`` callback showing a rich progress bar on stderr once a sync runs long.

    Only when enabled (stdout is a terminal): piped or redirected output stays clean. The bar appears after
    ``delay`` seconds, so quick syncs print nothing, and it is removed when done. Thread-safe: the manager
    may report from its worker threads.
    """

    def __init__(self, enabled: bool, delay: float = 0.5, label: str = "Reading DSS objects",
                 console: Any = None) -> None:
        self.enabled = enabled
        self.delay = delay
        self.label = label
        self._console = console
        self._lock = threading.Lock()
        self._started_at = time.monotonic()
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._progress is None:
                if time.monotonic() - self._started_at < self.delay:
                    return
                self._start(total)
            self._progress.update(self._task, completed=done, total=total)

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = self._console or Console(stderr=True)
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console, transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=total)

    def close(self) -> None:
        """Remove the bar (if it was shown)."""
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress_for(args: argparse.Namespace) -> ProgressDisplay:
    """The progress display of a long command: on when stdout and stderr are terminals."""
    return ProgressDisplay(enabled=_isatty(sys.stdout) and _isatty(sys.stderr))


@contextmanager
def dss_state_manager(args: argparse.Namespace) -> Iterator[StateManager]:
    """The manager of a command that reads DSS into (or against) the state of its options, with the progress
    display on while it runs.

    Connected (and the key checked) before the backend exists: a refused key or a bad URL writes nothing, not
    even the state directory.
    """
    client = connect(args, workers=args.workers)
    backend = state_backend(args)
    from ..manager import StateManager

    with progress_for(args) as progress:
        yield StateManager(backend, client, args.env, workers=args.workers, progress=progress)


def serve_until_interrupted(serve: Callable[[], None], release: Callable[[], None]) -> int:
    """Run ``serve`` until Ctrl-C, the normal way to stop a server command ("Stopped.", exit status 0); then
    ``release`` what served, however it ended."""
    try:
        serve()
    except KeyboardInterrupt:
        out("Stopped.")
    finally:
        release()
    return 0
