"""Managed folders: a definition, a random 8-character id, and an in-memory file tree."""

from __future__ import annotations

import copy
import random
import string
from dataclasses import dataclass
from typing import Any

from ..exceptions import BadRequest, NotFound
from .common import BackendPart, JSONDict, StoredObject, require_object, stamp_created, synchronized
from .connections import dataset_type_for
from .known_keys import FOLDER_KEYS

ID_ALPHABET = string.ascii_letters + string.digits


@dataclass
class FolderFile:
    """One stored file."""

    data: bytes
    last_modified: int

    def info(self, path: str) -> JSONDict:
        """The ``{path, size, lastModified}`` item that listings and uploads answer."""
        return {"path": path, "size": len(self.data), "lastModified": self.last_modified}


def normalise_path(path: str) -> str:
    """Paths are stored with exactly one leading ``/``: the client may send ``//a`` (quoted ``/a``) or ``a``."""
    stripped = path.lstrip("/")
    if not stripped or stripped.endswith("/"):
        raise BadRequest(f"Invalid file path in managed folder: {path!r}")
    return "/" + stripped


class ManagedFolder(StoredObject):
    """A managed folder and its files."""

    kind = "managed folder"
    id_field = "id"
    known_keys = FOLDER_KEYS

    def __init__(self, project_key: str, folder_id: str, definition: JSONDict) -> None:
        super().__init__(project_key, folder_id, definition)
        self.files: dict[str, FolderFile] = {}


def new_folder_id(rng: random.Random, taken: Any) -> str:
    """A random ``[A-Za-z0-9]{8}`` id, unique in the project."""
    while True:
        candidate = "".join(rng.choice(ID_ALPHABET) for _ in range(8))
        if candidate not in taken:
            return candidate


class FoldersMixin(BackendPart):
    """Managed folder operations of the backend."""

    random: random.Random

    @synchronized
    def list_folders(self, key: str) -> list[JSONDict]:
        """Full definitions."""
        return [f.to_json() for f in self.project(key).folders]

    @synchronized
    def get_folder(self, key: str, folder_id: str) -> JSONDict:
        """``GET /projects/K/managedfolders/F``."""
        return self.project(key).folders.get(folder_id).to_json()

    @synchronized
    def save_folder(self, key: str, folder_id: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/managedfolders/F``: full replace, ``versionTag`` bumped."""
        body = require_object(body, "managed folder settings")
        self.project(key).folders.get(folder_id).save(body, login, self.now())

    @synchronized
    def create_folder(self, key: str, body: JSONDict, login: str) -> JSONDict:
        """``POST /projects/K/managedfolders/``: answers the definition, whose ``id`` is new and random."""
        body = require_object(body, "managed folder creation")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise BadRequest("Managed folder name is required")
        project = self.project(key)
        params = body.get("params") or {"connection": "filesystem_folders", "path": "${projectKey}/${odbId}"}
        if not isinstance(params, dict):
            raise BadRequest("Managed folder params must be a JSON object")
        # dataikuapi sends "type": None unless asked: DSS then stores the folder as its connection's type.
        connection_type = self.connection_type(params.get("connection"), f"managed folder {name!r} of {key}")
        folder_id = new_folder_id(self.random, project.folders)
        definition: JSONDict = {
            "projectKey": key, "id": folder_id, "name": name,
            "type": body.get("type") or dataset_type_for(connection_type),
            "params": copy.deepcopy(params),
            "partitioning": {"dimensions": []},
            "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL",
                            "crossProjectBuildBehavior": "DEFAULT"},
            "metrics": {"probes": [], "displayedState": {"partition": "NP",
                                                         "metrics": ["basic:COUNT_FILES", "basic:SIZE"]}},
            "checks": {"runOnBuild": False, "checks": [], "displayedState": {"partition": "NP", "checks": []}},
            "tags": copy.deepcopy(body.get("tags") or []), "customFields": {}, "checklists": {"checklists": []},
        }
        stamp_created(definition, login, self.now())
        return project.folders.add(ManagedFolder(key, folder_id, definition)).to_json()

    @synchronized
    def rename_folder(self, key: str, body: JSONDict, login: str) -> None:
        """``POST /projects/K/actions/renameManagedFolder`` ``{id, newName}``: the id stays, the name changes."""
        body = require_object(body, "managed folder rename")
        new_name = body.get("newName")
        if not isinstance(new_name, str) or not new_name.strip():  # dataikuapi: "cannot be whitespaces only"
            raise BadRequest("Managed folder rename expects {\"id\": ..., \"newName\": ...}")
        folder = self.project(key).folders.get(str(body.get("id")))
        folder.definition["name"] = new_name
        folder.touch(login, self.now())

    @synchronized
    def delete_folder(self, key: str, folder_id: str) -> None:
        """``DELETE /projects/K/managedfolders/F`` (its files go with it)."""
        self.project(key).folders.remove(folder_id)

    @synchronized
    def list_folder_contents(self, key: str, folder_id: str) -> JSONDict:
        """``{"items": [{path, size, lastModified}, ...]}`` sorted by path."""
        folder = self.project(key).folders.get(folder_id)
        return {"items": [folder.files[p].info(p) for p in sorted(folder.files)]}

    @synchronized
    def get_folder_file(self, key: str, folder_id: str, path: str) -> bytes:
        """The bytes of one file, or NotFound naming it."""
        folder = self.project(key).folders.get(folder_id)
        normalised = normalise_path(path)
        try:
            return folder.files[normalised].data
        except KeyError:
            raise NotFound("file", f"{folder.ref}:{normalised}") from None

    @synchronized
    def put_folder_file(self, key: str, folder_id: str, path: str, data: bytes) -> JSONDict:
        """Create or overwrite a file; answers its info."""
        folder = self.project(key).folders.get(folder_id)
        normalised = normalise_path(path)
        stored = FolderFile(bytes(data), self.now())
        folder.files[normalised] = stored
        return stored.info(normalised)

    @synchronized
    def delete_folder_file(self, key: str, folder_id: str, path: str) -> None:
        """Delete a file; a missing file is not an error (dataikuapi documents this)."""
        folder = self.project(key).folders.get(folder_id)
        folder.files.pop(normalise_path(path), None)
