"""Read a config tree (``docs/config.md`` layout) kept in DSS: one code path for every place it can live.

A place is a tiny :class:`ConfigSource` (a managed folder, :mod:`.config_folder`; the project library,
:mod:`.config_library`): it lists its files once, reads one file, and names a path as the user knows it. This
module does the rest the same way for all of them: the files under the chosen path are bounded in count (and in
size when the listing tells sizes) before anything is read, copied one by one into a private temporary
directory (0700; every file created here, exclusively, without following links, so nothing planted can be on
the way), bounded again on the bytes read, and read with the same :func:`~dataiku_iac.config.read_config` as
``dataiku-iac plan --config DIR``. Messages name the files as the source's paths
(``managed folder PROJ.id:/config/projects/P/datasets.yml:12:3``), never the temporary directory.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, List, Optional, Protocol, Tuple

from ..config import Config, read_config
from ..config.errors import ConfigFileError, ConfigValidationError, Problem
from ..exceptions import ConfigError, DataikuIaCError
from .config import LABEL_CONFIG_PATH

#: Bounds of a config read from DSS: a config is text, so these are generous.
MAX_CONFIG_FILES = 5000
MAX_CONFIG_BYTES = 64 * 1024 * 1024
#: Files read at once: one request per file, so a config of many code files waits on latency, not on DSS
#: (8 is the sync's default concurrency, within the client's connection pool).
READ_WORKERS = 8

#: One file of a source: (its path in the source, its path relative to the config path, listed size; 0: unknown).
SourceFile = Tuple[str, str, int]


class ConfigSource(Protocol):
    """Where a config lives in DSS, as the one reader needs it."""

    #: How messages name the kind of place, after "read from" ("a folder", "a project library").
    noun: str

    def files(self, path: str) -> List[SourceFile]:
        """The files under ``path`` (normalized, ``/`` for everything), from one listing, sorted."""
        ...

    def read(self, full: str) -> Optional[bytes]:
        """The bytes of a listed file; None when it is gone since the listing."""
        ...

    def describe(self, path: str) -> str:
        """A path of the source as the user knows it (``project library PROJ:/iac``)."""
        ...

    def missing_hint(self, path: str) -> str:
        """What to do when nothing is at ``path``."""
        ...


def normalize_config_path(value: Any, label: str = LABEL_CONFIG_PATH) -> str:
    """The path inside the source as ``/a/b`` (``/`` for all of it); no ``..`` nor ``.`` parts."""
    if value is None:
        return "/"
    if not isinstance(value, str):
        raise ConfigError(f"{label}: expected a path such as /config")
    parts = [part for part in value.replace("\\", "/").split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise ConfigError(f"{label}: {value!r} must not contain '.' or '..' parts")
    return "/" + "/".join(parts)


#: Parts of a path that are never config: a git checkout's own data (a folder filled by the user's git tooling
#: holds thousands of its files, which would only count against the bounds).
SKIPPED_PARTS = frozenset({".git"})


def files_under(listed: Iterable[Tuple[str, int]], path: str) -> List[SourceFile]:
    """The listed ``(full path, size)`` entries under ``path`` with their relative paths; odd names skipped."""
    base = normalize_config_path(path)
    prefix = "" if base == "/" else base
    found = []
    for full, size in listed:
        if not full.startswith(prefix + "/"):
            continue
        relative = full[len(prefix) + 1:]
        parts = relative.split("/")
        if not relative or any(part in ("", ".", "..") or part in SKIPPED_PARTS for part in parts):
            continue
        found.append((full, relative, int(size or 0)))
    return sorted(found)


def download(source: ConfigSource, path: str, target: Path, *, max_files: int = MAX_CONFIG_FILES,
             max_bytes: int = MAX_CONFIG_BYTES, workers: int = READ_WORKERS) -> int:
    """Copy the config under ``path`` of ``source`` into the empty directory ``target``; returns the count.

    :class:`ConfigError` when there is nothing there, or more than ``max_files`` files or ``max_bytes`` bytes
    (checked on the listing before anything is read, and again on the bytes read: a listing without sizes is
    bounded there only). Up to ``workers`` files are read at once; they are written in the listing's order.
    """
    base = normalize_config_path(path)
    where = source.describe(base)
    files = source.files(base)
    if not files:
        raise ConfigError(f"No config at {where}: {source.missing_hint(base)}")
    if len(files) > max_files:
        raise ConfigError(f"The config at {where} has {len(files)} files, more than the {max_files} read from "
                          f"{source.noun}: point the path at the config directory itself")
    too_big = (f"The config at {where} holds more than {max_bytes // (1024 * 1024)} MiB: point the path at the "
               "config directory itself")
    if sum(size for _, _, size in files) > max_bytes:
        raise ConfigError(too_big)
    total = 0
    for (_, relative, _), data in read_ahead(source, files, workers):
        if data is None:  # removed since the listing: as if it had not been listed
            continue
        total += len(data)
        if total > max_bytes:
            raise ConfigError(too_big)
        write_new_file(target, relative.split("/"), data)
    return len(files)


def read_ahead(source: ConfigSource, files: List[SourceFile],
               workers: int) -> Iterator[Tuple[SourceFile, Optional[bytes]]]:
    """Each file with its bytes, in order, with at most ``workers`` reads in flight.

    A bounded window rather than one task per file: when the caller stops (a bound exceeded, a read failed),
    only the reads already started finish; nothing more is asked of DSS.
    """
    queue = iter(files)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="dataiku-iac-config") as pool:
        window: deque[Tuple[SourceFile, Future]] = deque(
            (item, pool.submit(source.read, item[0])) for item in itertools.islice(queue, max(1, workers)))
        while window:
            item, future = window.popleft()
            data = future.result()
            following = next(queue, None)
            if following is not None:
                window.append((following, pool.submit(source.read, following[0])))
            yield item, data


def write_new_file(root: Path, parts: List[str], data: bytes) -> None:
    """Create ``root/parts...`` (and its folders, 0700) exclusively, never through a symbolic link."""
    directory = root
    for part in parts[:-1]:
        directory = directory / part
        if not directory.is_dir():
            os.mkdir(directory, 0o700)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(directory / parts[-1], flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@contextmanager
def open_config(source: ConfigSource, path: str, *, max_files: int = MAX_CONFIG_FILES,
                max_bytes: int = MAX_CONFIG_BYTES, workers: int = READ_WORKERS) -> Iterator[Config]:
    """The config under ``path`` of ``source``, valid while the block runs (side files are read lazily).

    Errors raised inside the block (reading, validating, building the desired state) name the source's paths.
    """
    base = normalize_config_path(path)
    shown = source.describe(base.rstrip("/"))
    temp = tempfile.mkdtemp(prefix="dataiku-iac-config-")  # 0700, created by mkdtemp
    root = Path(temp) / "config"
    os.mkdir(root, 0o700)
    try:
        download(source, base, root, max_files=max_files, max_bytes=max_bytes, workers=workers)
        try:
            yield read_config(root)
        except DataikuIaCError as exc:
            raise in_source_terms(exc, str(root), shown) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def in_source_terms(exc: DataikuIaCError, temp_root: str, shown: str) -> DataikuIaCError:
    """The same error, its file names read as the source's paths rather than the temporary directory's."""

    def mapped(text: str) -> str:
        return text.replace(temp_root, shown)

    if isinstance(exc, ConfigValidationError):
        return ConfigValidationError([_mapped_problem(p, mapped) for p in exc.problems])
    if isinstance(exc, ConfigFileError):
        problem = _mapped_problem(exc.problem, mapped)
        return ConfigFileError(problem.location, problem.message)
    if temp_root in str(exc):
        try:
            return type(exc)(mapped(str(exc)))
        except TypeError:  # an error class with another constructor: keep its kind's meaning, in source terms
            return ConfigError(mapped(str(exc)))
    return exc


def _mapped_problem(problem: Problem, mapped: Callable[[str], str]) -> Problem:
    location = replace(problem.location, file=mapped(problem.location.file))
    return replace(problem, location=location, message=mapped(problem.message))


__all__ = ["MAX_CONFIG_BYTES", "MAX_CONFIG_FILES", "READ_WORKERS", "ConfigSource", "SourceFile", "download",
           "files_under", "in_source_terms", "normalize_config_path", "open_config", "read_ahead", "write_new_file"]
