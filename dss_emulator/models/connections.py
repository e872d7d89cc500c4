"""Connections and code envs: the instance-level objects that datasets, folders and projects point at.

A fresh DSS install comes with file connections on its data directory; an administrator adds the rest
(SQL databases, cloud storage). The emulator keeps a name -> type map: enough to refuse an object on a
connection the instance lacks, and to give a managed dataset the type of the connection it is stored in.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ..exceptions import BadRequest, NotFound
from .common import BackendPart, JSONDict, synchronized

#: The connections of a fresh DSS install. DSS's documentation of the data directory names
#: ``filesystem_managed`` (``managed_datasets/``) and ``filesystem_folders`` (``managed_folders/``) as
#: "installed by default"; ``filesystem_root`` (the server's whole filesystem) is what real project
#: trees point their external files at (RAMENMEITEN's folder ``0kM5kXKs``, the sample ``raw_customers``).
DEFAULT_CONNECTIONS: dict[str, str] = {
    "filesystem_folders": "Filesystem",
    "filesystem_managed": "Filesystem",
    "filesystem_root": "Filesystem",
}

#: Connection types whose dataset type differs from the connection type: DSS's S3 connections are of
#: type ``EC2`` (a historic name) while their datasets are ``S3``.
DATASET_TYPE_OF_CONNECTION: dict[str, str] = {"EC2": "S3"}

#: Connection types that hold files (managed datasets on them get a file format).
FILE_CONNECTION_TYPES = {"Filesystem", "HDFS", "EC2", "GCS", "Azure", "FTP", "SFTP", "SCP", "SharePointOnline"}

CONNECTION_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def dataset_type_for(connection_type: str) -> str:
    """The ``type`` of a managed dataset stored in a connection of ``connection_type``."""
    return DATASET_TYPE_OF_CONNECTION.get(connection_type, connection_type)


def parse_connection_spec(spec: str) -> tuple[str, str]:
    """``NAME:TYPE`` (the ``--connection`` option) -> ``(name, type)``; a clear error otherwise."""
    name, sep, connection_type = spec.partition(":")
    name, connection_type = name.strip(), connection_type.strip()
    if not sep or not name or not connection_type:
        raise ValueError(f"Invalid connection {spec!r}: expected NAME:TYPE, e.g. warehouse:PostgreSQL")
    if not CONNECTION_NAME_RE.match(name):
        raise ValueError(f"Invalid connection name {name!r}: use letters, digits, '_', '-' or '.'")
    return name, connection_type


def parse_code_env_spec(spec: str) -> tuple[str, str]:
    """``LANG:NAME`` (the ``--code-env`` option) -> ``(lang, name)``."""
    lang, sep, name = spec.partition(":")
    lang, name = lang.strip().lower(), name.strip()
    if not sep or lang not in ("python", "r") or not name:
        raise ValueError(f"Invalid code env {spec!r}: expected python:NAME or r:NAME")
    return lang, name


@dataclass(frozen=True)
class CodeEnv:
    """A code env as ``GET /admin/code-envs/`` lists it."""

    lang: str
    name: str

    def to_json(self) -> JSONDict:
        return {"envLang": self.lang.upper(), "envName": self.name, "deploymentMode": "DESIGN_MANAGED",
                "owner": "admin"}


class ConnectionsMixin(BackendPart):
    """Connection and code env operations of the backend."""

    connections: dict[str, str]
    configured_connections: dict[str, str]
    code_envs: dict[tuple[str, str], CodeEnv]

    @synchronized
    def add_connection(self, name: str, connection_type: str, *, configured: bool = True) -> None:
        """Declare a connection. ``configured`` ones survive :meth:`forget_seed_connections` (a reset)."""
        if not isinstance(name, str) or not CONNECTION_NAME_RE.match(name):
            raise BadRequest(f"Invalid connection name: {name!r}")
        if not isinstance(connection_type, str) or not connection_type:
            raise BadRequest(f"Invalid connection type for {name}: {connection_type!r}")
        self.connections[name] = connection_type
        if configured:
            self.configured_connections[name] = connection_type

    @synchronized
    def forget_seed_connections(self) -> None:
        """Back to the connections the instance was configured with (before seeds are reloaded)."""
        self.connections = dict(self.configured_connections)

    def add_seed_connection(self, name: Any, object_type: Any) -> None:
        """A seeded object's connection: a DSS holding the object has it, so declare it if unknown.

        Its type is guessed from the object's (a ``PostgreSQL`` dataset lives on a PostgreSQL connection);
        called under the backend lock by ``load_project``.
        """
        if not isinstance(name, str) or not name or name in self.connections:
            return
        guessed = "EC2" if object_type == "S3" else (object_type if isinstance(object_type, str) else "")
        self.connections[name] = guessed or "Filesystem"

    def connection_type(self, name: Any, what: str) -> str:
        """The type of connection ``name``; a 400 naming it and ``what`` needed it when the instance lacks it."""
        if not isinstance(name, str) or name not in self.connections:
            known = ", ".join(sorted(self.connections)) or "none"
            raise BadRequest(f"Connection does not exist: {name} (needed by {what}; this instance has: {known})")
        return self.connections[name]

    @synchronized
    def list_connection_names(self, connection_type: Optional[str]) -> list[str]:
        """``GET /connections/get-names?type=T``: names, sorted; ``all`` (or no type) lists every one."""
        return sorted(n for n, t in self.connections.items()
                      if connection_type in (None, "", "all") or t == connection_type)

    @synchronized
    def list_connections(self) -> JSONDict:
        """``GET /admin/connections/``: name -> the connection as an administrator sees it."""
        return {name: self._connection_json(name) for name in sorted(self.connections)}

    @synchronized
    def get_connection(self, name: str) -> JSONDict:
        """``GET /admin/connections/NAME``."""
        if name not in self.connections:
            raise NotFound("connection", name)
        return self._connection_json(name)

    def _connection_json(self, name: str) -> JSONDict:
        return {"name": name, "type": self.connections[name], "params": {}, "usableBy": "ALL",
                "allowedGroups": [], "allowWrite": True, "allowManagedDatasets": True,
                "allowManagedFolders": True, "detailsReadability": {"readableBy": "NONE", "allowedGroups": []}}

    @synchronized
    def add_code_env(self, lang: str, name: str) -> None:
        """Declare a code env (``python`` or ``r``)."""
        self.code_envs[(lang, name)] = CodeEnv(lang, name)

    @synchronized
    def list_code_envs(self) -> list[JSONDict]:
        """``GET /admin/code-envs/``: ``[{envLang, envName, ...}]`` sorted by language and name."""
        return [copy.deepcopy(self.code_envs[k].to_json()) for k in sorted(self.code_envs)]

    def configure_instance(self, connections: Iterable[tuple[str, str]],
                           code_envs: Iterable[tuple[str, str]], *, defaults: bool = True) -> None:
        """The fresh-install connections (unless ``defaults`` is false), plus the given ones."""
        if defaults:
            for name, connection_type in DEFAULT_CONNECTIONS.items():
                self.add_connection(name, connection_type)
        for name, connection_type in connections:
            self.add_connection(name, connection_type)
        for lang, name in code_envs:
            self.add_code_env(lang, name)
