"""Read a config tree (``docs/config.md`` layout) kept in a DSS project's library.

The project library is what DSS can fill from a git repository ("import from git"), so a team can keep the
config in git and let DSS check it out. It is a second :class:`~.config_source.ConfigSource` beside the managed
folder, read through dataikuapi's ``DSSLibrary``: one listing request (``GET /projects/K/libraries/contents``,
made by ``project.get_library()``), then one request per file, in base64 so every byte arrives as stored (the
text form would decode the bytes on the server side). The listing has no sizes: the byte bound is checked on
the bytes read. Bounds, the private temporary directory and the messages
(``project library PROJ:/iac/projects/P/datasets.yml:12:3``) are the shared ones of :mod:`.config_source`.
"""

from __future__ import annotations

import re
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Mapping, Optional, Tuple, TypeVar

from ..config import Config
from ..dss.credentials import client_secrets
from ..dss.errors import is_not_found, to_library_error
from ..exceptions import ConfigError, DataikuIaCError
from .config import LABEL_LIBRARY_PATH, SOURCE_LIBRARY
from .config_source import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_FILES,
    SourceFile,
    files_under,
    normalize_config_path,
    open_config,
)

#: The ``kind`` of a plan's ``config_source`` made from a project library.
LIBRARY_SOURCE_KIND = SOURCE_LIBRARY

T = TypeVar("T")
_GERUNDS = {"list": "listing", "read": "reading"}
_PROJECT_KEY = re.compile(r"^[A-Za-z0-9_]+$")


class LibrarySource:
    """The library of one project (a ``dataikuapi`` ``DSSProject``) as a config source."""

    noun = "a project library"

    def __init__(self, project: Any) -> None:
        self.project = project
        self.project_key = str(getattr(project, "project_key", "?"))
        self._handles: Dict[str, Any] = {}

    def files(self, path: str) -> List[SourceFile]:
        library = self._call("list", "/", self.project.get_library)  # the one listing request
        self._handles = dict(_library_files(library.root))
        return files_under(((full, 0) for full in self._handles), path)

    def read(self, full: str) -> Optional[bytes]:
        handle = self._handles.get(full)
        if handle is None:  # not in the last listing: nothing to read
            return None
        data = self._call("read", full, lambda: handle.read(as_type="bytes"), missing_ok=True)
        return None if data is None else bytes(data)

    def describe(self, path: str) -> str:
        return f"project library {self.project_key}:{path}"

    def missing_hint(self, path: str) -> str:
        return (f"put the config (dataiku-iac.yml, projects/) in the project library of {self.project_key} under "
                f"{path} (DSS can import it there from a git repository), or fix the '{LABEL_LIBRARY_PATH}' "
                "parameter")

    def _call(self, action: str, path: str, function: Callable[[], T], missing_ok: bool = False) -> Optional[T]:
        """One library request, its failure turned into a library error naming the library path."""
        try:
            return function()
        except DataikuIaCError:
            raise
        except Exception as exc:
            if is_not_found(exc):
                if missing_ok:
                    return None
                # The library itself always exists: only its project can be missing.
                raise ConfigError(f"Project {self.project_key} does not exist (or this user cannot see it): name "
                                  "the project whose library holds the config") from None
            secrets = client_secrets(getattr(self.project, "client", None))
            raise to_library_error(exc, f"{_GERUNDS[action]} {self.describe(path)}", secrets) from exc


def _library_files(folder: Any) -> Iterator[Tuple[str, Any]]:
    """``(path, file handle)`` of every file under a dataikuapi library folder (files have no ``children``)."""
    for item in folder.list():
        if item.children is None:
            yield item.path, item
        else:
            yield from _library_files(item)


def config_from_library(project: Any, path: str = "/", *, max_files: int = MAX_CONFIG_FILES,
                        max_bytes: int = MAX_CONFIG_BYTES) -> ContextManager[Config]:
    """The config under ``path`` of the project's library, valid while the block runs (side files read lazily).

    ``project`` is a ``dataikuapi`` ``DSSProject`` (``client.get_project(key)``, acting as its client's user).
    Errors raised inside the block (reading, validating, building the desired state) name library paths.
    """
    normalize_config_path(path, LABEL_LIBRARY_PATH)  # the parameter's own message, before any request
    return open_config(LibrarySource(project), path, max_files=max_files, max_bytes=max_bytes)


def library_source(project_key: str, path: str = "/") -> Dict[str, Any]:
    """The ``config_source`` of a plan made from a project library's config (read again by apply)."""
    return {"kind": LIBRARY_SOURCE_KIND, "project_key": project_key,
            "path": normalize_config_path(path, LABEL_LIBRARY_PATH)}


def config_from_library_source(client: Any, source: Mapping[str, Any]) -> ContextManager[Config]:
    """The config a plan's ``config_source`` of kind ``project_library`` names, read through ``client``.

    The project key and path come from a stored plan: checked as a form's values would be, so a plan edited by
    hand cannot name anything but a library path of a project the client's user can read.
    """
    key = source.get("project_key")
    if source.get("kind") != LIBRARY_SOURCE_KIND or not isinstance(key, str) or not _PROJECT_KEY.match(key):
        raise ConfigError("The plan's config source is not a project library (kind, project_key): make a new plan")
    return config_from_library(client.get_project(key), source.get("path") or "/")


__all__ = ["LABEL_LIBRARY_PATH", "LIBRARY_SOURCE_KIND", "LibrarySource", "config_from_library",
           "config_from_library_source", "library_source"]
