"""The project library: the tree of folders and files of a project's "Libraries" editor (``lib/`` in its git).

A fresh project's library has the ``python`` and ``R`` folders and ``external-libraries.json``, as DSS's
library editor shows them (DSS's "Reusing Python/R code" pages: "By default, the Library editor contains two
top-level folders, python and R"). Paths are ``/a/b`` whatever the client sends (dataikuapi quotes ``/a`` into
``contents//a`` for files it found in a listing, ``contents/a`` for files it creates at the root).
"""

from __future__ import annotations

import base64
import copy
import json
import mimetypes
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from ..exceptions import BadRequest, NotFound
from .common import BackendPart, JSONDict, require_object, synchronized

#: What a fresh project's ``external-libraries.json`` says: the two source folders, nothing imported.
DEFAULT_EXTERNAL_LIBRARIES: JSONDict = {
    "gitReferences": {},
    "pythonPath": ["python"],
    "rsrcPath": ["R"],
    "importLibrariesFromProjects": [],
}
EXTERNAL_LIBRARIES = "/external-libraries.json"


@dataclass
class LibraryFile:
    """One file of the library."""

    data: bytes
    last_modified: int


@dataclass
class LibraryFolder:
    """One folder of the library (its children are the paths under it)."""

    last_modified: int
    children: set[str] = field(default_factory=set)


Node = Union[LibraryFile, LibraryFolder]


def library_path(raw: str) -> str:
    """``/a/b`` for what the URL carries (``a/b``, ``/a/b``, ``//a/b``); 400 for an empty, ``.`` or ``..`` part."""
    stripped = raw.lstrip("/")
    parts = stripped.split("/")
    if not stripped or any(part in ("", ".", "..") for part in parts):
        raise BadRequest(f"Invalid path in project library: {raw!r}")
    return "/" + "/".join(parts)


def parent_of(path: str) -> str:
    """The folder holding ``path`` (``/`` for a top-level item)."""
    return path.rsplit("/", 1)[0] or "/"


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


def mime_type(path: str) -> str:
    """A MIME type from the extension, as the listing names each file (DSS's exact values are not known)."""
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed:
        return guessed
    if path.endswith((".yml", ".yaml")):
        return "application/x-yaml"
    return "text/plain"


class ProjectLibrary:
    """The library of one project: nodes keyed by path, the root ``/`` always a folder."""

    def __init__(self, created_ms: int) -> None:
        self.nodes: dict[str, Node] = {"/": LibraryFolder(created_ms)}

    @classmethod
    def fresh(cls, created_ms: int) -> ProjectLibrary:
        """What DSS gives a new project: ``python/``, ``R/`` and ``external-libraries.json``."""
        library = cls(created_ms)
        library.make_folder("/python", created_ms)
        library.make_folder("/R", created_ms)
        text = json.dumps(DEFAULT_EXTERNAL_LIBRARIES, indent=2) + "\n"
        library.write(EXTERNAL_LIBRARIES, text.encode("utf-8"), created_ms)
        return library

    # -- reads ----------------------------------------------------------------------------------------

    def node(self, path: str, ref: str) -> Node:
        try:
            return self.nodes[path]
        except KeyError:
            raise NotFound("library item", f"{ref}:{path}") from None

    def tree(self, path: str = "/") -> list[JSONDict]:
        """The children of ``path`` as the listing gives them: ``children`` on folders only (even when empty)."""
        folder = self.nodes[path]
        assert isinstance(folder, LibraryFolder)
        return [self.item(child, with_children=True) for child in sorted(folder.children, key=name_of)]

    def item(self, path: str, *, with_children: bool = False) -> JSONDict:
        node = self.nodes[path]
        result: JSONDict = {"name": name_of(path), "path": path, "lastModified": node.last_modified}
        if isinstance(node, LibraryFolder):
            result["mimeType"] = "inode/directory"
            result["hasData"] = False
            if with_children:
                result["children"] = self.tree(path)
        else:
            result["mimeType"] = mime_type(path)
            result["hasData"] = True
        return result

    def read(self, path: str, ref: str, encoding: Optional[str]) -> JSONDict:
        """A file's item with its ``data``: text (UTF-8, undecodable bytes replaced) or base64."""
        node = self.node(path, ref)
        if isinstance(node, LibraryFolder):
            raise BadRequest(f"{ref}:{path} is a folder of the project library, not a file")
        result = self.item(path)
        if encoding == "base64":
            result["data"] = base64.b64encode(node.data).decode("ascii")
        else:
            result["data"] = node.data.decode("utf-8", errors="replace")
        return result

    # -- writes ---------------------------------------------------------------------------------------

    def write(self, path: str, data: bytes, now_ms: int) -> None:
        """Create or replace a file, creating the folders on the way."""
        existing = self.nodes.get(path)
        if isinstance(existing, LibraryFolder):
            raise BadRequest(f"Cannot write {path}: it is a folder of the project library")
        self.make_folder(parent_of(path), now_ms)
        self._attach(path, LibraryFile(bytes(data), now_ms))

    def make_folder(self, path: str, now_ms: int) -> None:
        """Create a folder and its parents; an existing folder is fine, a file in the way is not."""
        existing = self.nodes.get(path)
        if isinstance(existing, LibraryFolder):
            return
        if existing is not None:
            raise BadRequest(f"Cannot create folder {path}: a file of the project library has that path")
        self.make_folder(parent_of(path), now_ms)
        self._attach(path, LibraryFolder(now_ms))

    def delete(self, path: str, ref: str) -> None:
        """Delete a file, or a folder with everything under it."""
        node = self.node(path, ref)
        if isinstance(node, LibraryFolder):
            for child in list(node.children):
                self.delete(child, ref)
        del self.nodes[path]
        parent = self.nodes[parent_of(path)]
        assert isinstance(parent, LibraryFolder)
        parent.children.discard(path)

    def move(self, old: str, new: str, ref: str, now_ms: int) -> None:
        """Give the item at ``old`` (and its subtree) the path ``new``; 400 when taken or inside itself."""
        self.node(old, ref)
        if new in self.nodes:
            raise BadRequest(f"Cannot move {old} to {new}: {new} already exists in the project library")
        if new.startswith(old + "/"):
            raise BadRequest(f"Cannot move {old} into itself")
        self.make_folder(parent_of(new), now_ms)
        moved = {path: node for path, node in self.nodes.items() if path == old or path.startswith(old + "/")}
        self.delete(old, ref)
        for path in sorted(moved):  # parents before children
            node = copy.copy(moved[path])
            if isinstance(node, LibraryFolder):
                node.children = set()
            self._attach(new + path[len(old):], node)

    def _attach(self, path: str, node: Node) -> None:
        self.nodes[path] = node
        parent = self.nodes[parent_of(path)]
        if isinstance(parent, LibraryFolder):
            parent.children.add(path)


class LibraryMixin(BackendPart):
    """Project library operations of the backend (``/projects/K/libraries/...``)."""

    def _library(self, key: str) -> ProjectLibrary:
        return self.project(key).library

    @synchronized
    def list_library(self, key: str) -> list[JSONDict]:
        """``GET /projects/K/libraries/contents``: the root's children, nested."""
        return self._library(key).tree()

    @synchronized
    def get_library_file(self, key: str, path: str, encoding: Optional[str]) -> JSONDict:
        """``GET /projects/K/libraries/contents/<path>[?dataEncoding=base64]``."""
        if encoding not in (None, "", "text", "base64"):
            raise BadRequest(f"Unknown dataEncoding: {encoding!r} (expected base64)")
        return self._library(key).read(library_path(path), key, encoding)

    @synchronized
    def put_library_file(self, key: str, path: str, data: bytes) -> JSONDict:
        """``POST /projects/K/libraries/contents/<path>`` with the raw bytes as body (none: an empty file)."""
        library = self._library(key)
        normalised = library_path(path)
        library.write(normalised, data, self.now())
        return library.item(normalised)

    @synchronized
    def add_library_folder(self, key: str, path: str) -> JSONDict:
        """``POST /projects/K/libraries/folders/<path>``."""
        library = self._library(key)
        normalised = library_path(path)
        library.make_folder(normalised, self.now())
        return library.item(normalised)

    @synchronized
    def delete_library_item(self, key: str, path: str) -> None:
        """``DELETE /projects/K/libraries/contents/<path>``: a file, or a folder and its contents."""
        self._library(key).delete(library_path(path), key)

    @synchronized
    def rename_library_item(self, key: str, body: Any) -> None:
        """``POST /projects/K/libraries/contents-actions/rename`` ``{oldPath, newName}``."""
        body = require_object(body, "library rename")
        old, new_name = body.get("oldPath"), body.get("newName")
        if not isinstance(old, str) or not isinstance(new_name, str) or not new_name.strip() or "/" in new_name:
            raise BadRequest("Library rename expects {\"oldPath\": ..., \"newName\": ...} (a name, no '/')")
        source = library_path(old)
        target = library_path(parent_of(source).rstrip("/") + "/" + new_name.strip())
        self._library(key).move(source, target, key, self.now())

    @synchronized
    def move_library_item(self, key: str, body: Any) -> None:
        """``POST /projects/K/libraries/contents-actions/move`` ``{oldPath, newPath}`` (the destination folder)."""
        body = require_object(body, "library move")
        old, destination = body.get("oldPath"), body.get("newPath")
        if not isinstance(old, str) or not isinstance(destination, str):
            raise BadRequest("Library move expects {\"oldPath\": ..., \"newPath\": ...}")
        source = library_path(old)
        folder = "/" if destination.strip("/") == "" else library_path(destination)
        library = self._library(key)
        if not isinstance(library.nodes.get(folder), LibraryFolder):
            raise BadRequest(f"Cannot move {source}: {folder} is not a folder of the project library")
        library.move(source, folder.rstrip("/") + "/" + name_of(source), key, self.now())
