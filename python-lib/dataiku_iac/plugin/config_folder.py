"""Read a config tree (``docs/config.md`` layout) kept in a DSS managed folder.

The folder is one :class:`~.config_source.ConfigSource`: its one listing request (with sizes, so the bounds are
checked before anything is downloaded) and one download per file, through the state backend's
:class:`~dataiku_iac.backends.managed_folder.FolderStore` and its error translation. Everything else (bounds,
the private temporary directory, messages such as ``managed folder PROJ.id:/config/projects/P/datasets.yml:12:3``)
is :mod:`.config_source`'s, shared with the project library (:mod:`.config_library`). The plan macro and step
use it; the apply components too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ContextManager, List, Optional

from ..backends.managed_folder import FolderStore
from ..config import Config
from .config import LABEL_CONFIG_PATH
from .config_source import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_FILES,
    SourceFile,
    download,
    files_under,
    in_source_terms,
    normalize_config_path,
    open_config,
)


class FolderSource:
    """A managed folder (``dataikuapi`` ``DSSManagedFolder``) as a config source."""

    noun = "a folder"

    def __init__(self, folder: Any) -> None:
        self.store = FolderStore(folder)

    def files(self, path: str) -> List[SourceFile]:
        # The folder's one listing request, with its error translation.
        listed = ((item["path"], int(item.get("size") or 0)) for item in self.store._list_contents())
        return files_under(listed, path)

    def read(self, full: str) -> Optional[bytes]:
        return self.store._read(full)

    def describe(self, path: str) -> str:
        return self.store.describe(path)

    def missing_hint(self, path: str) -> str:
        return f"upload the config directory (dataiku-iac.yml, projects/) there, or fix the '{LABEL_CONFIG_PATH}' " \
               "parameter"


def config_files(folder: Any, path: str) -> List[SourceFile]:
    """The files under ``path`` in the folder: (folder path, path relative to ``path``, listed size)."""
    return FolderSource(folder).files(path)


def download_config(folder: Any, path: str, target: Path, *, max_files: int = MAX_CONFIG_FILES,
                    max_bytes: int = MAX_CONFIG_BYTES) -> int:
    """Copy the config under ``path`` of the folder into the empty directory ``target``; returns the count.

    :class:`ConfigError` when there is nothing there, or more than ``max_files`` files or ``max_bytes``
    bytes (checked on the listing before anything is downloaded, and again on the bytes read).
    """
    return download(FolderSource(folder), path, target, max_files=max_files, max_bytes=max_bytes)


def config_from_folder(folder: Any, path: str) -> ContextManager[Config]:
    """The config under ``path`` of the folder, valid while the block runs (side files are read lazily).

    Errors raised inside the block (reading, validating, building the desired state) name folder paths.
    """
    return open_config(FolderSource(folder), path)


#: The earlier name of :func:`~.config_source.in_source_terms` (a folder was the only source).
in_folder_terms = in_source_terms

__all__ = ["MAX_CONFIG_BYTES", "MAX_CONFIG_FILES", "FolderSource", "config_files", "config_from_folder",
           "download_config", "in_folder_terms", "normalize_config_path"]
