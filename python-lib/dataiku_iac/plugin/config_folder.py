"""Read a config tree (``docs/config.md`` layout) kept in a DSS managed folder.

The folder's files under the chosen path are downloaded into a private temporary directory (0700; every file
is created here, exclusively, so no symbolic link can be on the way), bounded in count and size, and read with
the same :func:`~dataiku_iac.config.read_config` as ``dataiku-iac plan --config DIR``. Messages name the files
as the folder path the user knows (``managed folder PROJ.id:/config/projects/P/datasets.yml:12:3``), never the
temporary directory. The plan macro and step use it; the apply components will too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, List, Tuple

from ..backends.managed_folder import FolderStore
from ..config import Config, read_config
from ..config.errors import ConfigFileError, ConfigValidationError, Problem
from ..exceptions import ConfigError, DataikuIaCError
from .config import LABEL_CONFIG_PATH

#: Bounds of a config downloaded from a folder: a config is text, so these are generous.
MAX_CONFIG_FILES = 5000
MAX_CONFIG_BYTES = 64 * 1024 * 1024



def normalize_config_path(value: Any) -> str:
    """The path inside the folder as ``/a/b`` (``/`` for the whole folder); no ``..`` nor ``.`` parts."""
    if value is None:
        return "/"
    if not isinstance(value, str):
        raise ConfigError(f"{LABEL_CONFIG_PATH}: expected a path such as /config")
    parts = [part for part in value.replace("\\", "/").split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise ConfigError(f"{LABEL_CONFIG_PATH}: {value!r} must not contain '.' or '..' parts")
    return "/" + "/".join(parts)


def config_files(folder: Any, path: str) -> List[Tuple[str, str, int]]:
    """The files under ``path`` in the folder: (folder path, path relative to ``path``, listed size)."""
    store = FolderStore(folder)
    base = normalize_config_path(path)
    prefix = "" if base == "/" else base
    found = []
    for item in store._list_contents():  # the folder's one listing request, with its error translation
        full = item["path"]
        if not full.startswith(prefix + "/"):
            continue
        relative = full[len(prefix) + 1:]
        parts = relative.split("/")
        if not relative or any(part in ("", ".", "..") for part in parts):
            continue
        found.append((full, relative, int(item.get("size") or 0)))
    return sorted(found)


def download_config(folder: Any, path: str, target: Path, *, max_files: int = MAX_CONFIG_FILES,
                    max_bytes: int = MAX_CONFIG_BYTES) -> int:
    """Copy the config under ``path`` of the folder into the empty directory ``target``; returns the count.

    :class:`ConfigError` when there is nothing there, or more than ``max_files`` files or ``max_bytes``
    bytes (checked on the listing before anything is downloaded, and again on the bytes read).
    """
    store = FolderStore(folder)
    where = store.describe(normalize_config_path(path))
    files = config_files(folder, path)
    if not files:
        raise ConfigError(f"No config at {where}: upload the config directory (dataiku-iac.yml, projects/) there, "
                          f"or fix the '{LABEL_CONFIG_PATH}' parameter")
    if len(files) > max_files:
        raise ConfigError(f"The config at {where} has {len(files)} files, more than the {max_files} read from a "
                          "folder: point the path at the config directory itself")
    if sum(size for _, _, size in files) > max_bytes:
        raise ConfigError(f"The config at {where} holds more than {max_bytes // (1024 * 1024)} MiB: point the "
                          "path at the config directory itself")
    total = 0
    for full, relative, _ in files:
        data = store._read(full)
        if data is None:  # removed since the listing: as if it had not been listed
            continue
        total += len(data)
        if total > max_bytes:
            raise ConfigError(f"The config at {where} holds more than {max_bytes // (1024 * 1024)} MiB: point "
                              "the path at the config directory itself")
        _write_new_file(target, relative.split("/"), data)
    return len(files)


def _write_new_file(root: Path, parts: List[str], data: bytes) -> None:
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
def config_from_folder(folder: Any, path: str) -> Iterator[Config]:
    """The config under ``path`` of the folder, valid while the block runs (side files are read lazily).

    Errors raised inside the block (reading, validating, building the desired state) name folder paths.
    """
    base = normalize_config_path(path)
    shown = FolderStore(folder).describe(base.rstrip("/"))
    temp = tempfile.mkdtemp(prefix="dataiku-iac-config-")  # 0700, created by mkdtemp
    root = Path(temp) / "config"
    os.mkdir(root, 0o700)
    try:
        download_config(folder, base, root)
        try:
            yield read_config(root)
        except DataikuIaCError as exc:
            raise in_folder_terms(exc, str(root), shown) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def in_folder_terms(exc: DataikuIaCError, temp_root: str, shown: str) -> DataikuIaCError:
    """The same error, its file names read as the folder's paths rather than the temporary directory's."""

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
        except TypeError:  # an error class with another constructor: keep its kind's meaning, in folder terms
            return ConfigError(mapped(str(exc)))
    return exc


def _mapped_problem(problem: Problem, mapped: Any) -> Problem:
    location = replace(problem.location, file=mapped(problem.location.file))
    return replace(problem, location=location, message=mapped(problem.message))


__all__ = ["MAX_CONFIG_BYTES", "MAX_CONFIG_FILES", "config_files", "config_from_folder", "download_config",
           "in_folder_terms", "normalize_config_path"]
