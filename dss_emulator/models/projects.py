"""Projects: the container of every other object, plus their settings, metadata, variables, permissions."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from ..exceptions import AlreadyExists, BadRequest, NotFound
from .common import (
    BackendPart,
    JSONDict,
    ObjectStore,
    apply_metadata,
    bumped_tag,
    metadata_view,
    normalise_tags,
    require_object,
    synchronized,
    version_tag,
)
from .known_keys import PROJECT_SETTINGS_KEYS
from .library import ProjectLibrary

if TYPE_CHECKING:
    from .datasets import Dataset
    from .folders import ManagedFolder
    from .recipes import Recipe
    from .saved_models import SavedModel
    from .scenarios import Scenario

PROJECT_KEY_RE = re.compile(r"^[A-Za-z0-9_]+$")

# Fields of params.json that only /permissions serves (the settings view omits them).
PERMISSION_FIELDS = ("permissions",)


def default_project_settings() -> JSONDict:
    """The ``settings`` block a fresh DSS project gets (trimmed from real params.json files)."""
    return {
        "gitCommitMode": "AUTO",
        "disableAutomaticTriggers": False,
        "codeEnvs": {"python": {"mode": "INHERIT", "preventOverride": False}, "r": {"mode": "INHERIT"}},
        "container": {"containerMode": "INHERIT"},
        "cluster": {"clusterMode": "INHERIT"},
        "k8sCluster": {"clusterMode": "INHERIT"},
        "flowBuildSettings": {"mergeSparkPipelines": False, "mergeSqlPipelines": False},
        "datasetsCreationSettings": {
            "useGlobal": True,
            "preferedStorageFormats": "CSV_ESCAPING_NOGZIP_FORHIVE,CSV_EXCEL_GZIP,PARQUET_HIVE",
        },
        "dkuProperties": [],
    }


def deep_update(target: JSONDict, extra: JSONDict) -> None:
    """Merge ``extra`` into ``target`` recursively (dicts merge, everything else replaces)."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_update(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class Project:
    """One project: ``params`` is the params.json document; objects live in per-kind stores."""

    def __init__(self, key: str, params: JSONDict) -> None:
        self.key = key
        self.params = params
        self.variables: JSONDict = {}
        self.local_variables: JSONDict = {}
        self.datasets: ObjectStore[Dataset] = ObjectStore(key, "dataset")
        self.recipes: ObjectStore[Recipe] = ObjectStore(key, "recipe")
        self.scenarios: ObjectStore[Scenario] = ObjectStore(key, "scenario")
        self.folders: ObjectStore[ManagedFolder] = ObjectStore(key, "managed folder")
        self.saved_models: ObjectStore[SavedModel] = ObjectStore(key, "saved model")
        # Every project has a library (python/, R/, external-libraries.json); it goes with the project.
        created = params.get("creationTag") or params.get("versionTag") or {}
        self.library = ProjectLibrary.fresh(int(created.get("lastModifiedOn") or 0))

    @property
    def name(self) -> str:
        """Display name (falls back to the key, as DSS does for a nameless project)."""
        return str(self.params.get("name") or self.key)

    def summary(self) -> JSONDict:
        """What ``GET /projects/K`` and each ``GET /projects/`` item carry."""
        p = self.params
        return {
            "projectKey": self.key,
            "name": self.name,
            "shortDesc": p.get("shortDesc", ""),
            "description": p.get("description", ""),
            "tags": list(p.get("tags", [])),
            "ownerLogin": p.get("owner", ""),
            "projectStatus": p.get("projectStatus", ""),
            "projectType": p.get("projectType", "REGULAR"),
            "projectAppType": p.get("projectAppType", "REGULAR"),
            "checklists": copy.deepcopy(p.get("checklists", {"checklists": []})),
            "customFields": copy.deepcopy(p.get("customFields", {})),
            "versionTag": copy.deepcopy(p.get("versionTag", {})),
            "creationTag": copy.deepcopy(p.get("creationTag", {})),
        }

    def touch(self, login: str, now_ms: int) -> None:
        """Bump the project's ``versionTag`` (every project-level save does)."""
        self.params["versionTag"] = bumped_tag(self.params.get("versionTag"), login, now_ms)


class ProjectsMixin(BackendPart):
    """Project operations of :class:`~dss_emulator.models.backend.DSSBackend`."""

    projects: dict[str, Project]
    def project(self, key: str) -> Project:
        """The project, or NotFound naming it."""
        try:
            return self.projects[key]
        except KeyError:
            raise NotFound("project", key) from None

    @synchronized
    def list_projects(self) -> list[JSONDict]:
        """Summaries of every project, sorted by key."""
        return [self.projects[k].summary() for k in sorted(self.projects)]

    @synchronized
    def get_project_summary(self, key: str) -> JSONDict:
        """``GET /projects/K``."""
        return self.project(key).summary()

    @synchronized
    def create_project(self, body: JSONDict, login: str) -> Project:
        """``POST /projects/``: a fresh project with DSS's default settings."""
        body = require_object(body, "project creation")
        key = body.get("projectKey")
        if not isinstance(key, str) or not PROJECT_KEY_RE.match(key):
            raise BadRequest(f"Invalid project key: {key!r} (letters, digits and _ only)")
        if key in self.projects:
            raise AlreadyExists("project", key)
        now = self.now()
        owner = body.get("owner") or login
        settings = default_project_settings()
        if isinstance(body.get("settings"), dict):
            deep_update(settings, body["settings"])
        params: JSONDict = {
            "projectType": "REGULAR",
            "projectAppType": "REGULAR",
            "name": body.get("name") or key,
            "owner": owner,
            "projectStatus": "Sandbox",
            "description": body.get("description") or "",
            "shortDesc": "",
            "tags": normalise_tags(body.get("tags")),
            "customFields": {},
            "checklists": {"checklists": []},
            "permissionsVersion": "V2",
            "permissions": copy.deepcopy(body.get("permissions") or []),
            "exposedObjects": {"objects": []},
            "dashboardAuthorizations": {"allAuthorized": False, "authorizations": []},
            "settings": settings,
            "versionTag": version_tag(0, login, now),
            "creationTag": version_tag(0, login, now),
        }
        project = Project(key, params)
        self.projects[key] = project
        return project

    @synchronized
    def delete_project(self, key: str) -> JSONDict:
        """``DELETE /projects/K``: answers a finished future, as DSS does when ``wait`` is true."""
        self.project(key)
        del self.projects[key]
        return {
            "hasResult": True,
            "aborted": False,
            "alive": False,
            "runningTime": 0,
            "progress": {"states": []},
            "result": {"anyMessage": False, "success": True, "warning": False, "error": False,
                       "messages": [], "maxSeverity": None},
        }

    @synchronized
    def get_project_metadata(self, key: str) -> JSONDict:
        """``GET /projects/K/metadata`` (label is the project name)."""
        project = self.project(key)
        return metadata_view(project.params, project.name)

    @synchronized
    def set_project_metadata(self, key: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/metadata``: label renames the project."""
        body = require_object(body, "project metadata")
        project = self.project(key)
        apply_metadata(project.params, body)
        if body.get("label"):
            project.params["name"] = body["label"]
        project.touch(login, self.now())

    @synchronized
    def get_project_settings(self, key: str) -> JSONDict:
        """``GET /projects/K/settings``: params.json without permissions."""
        params = self.project(key).params
        return {k: copy.deepcopy(v) for k, v in params.items() if k not in PERMISSION_FIELDS}

    @synchronized
    def set_project_settings(self, key: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/settings``: replaces everything but permissions and the tags."""
        body = require_object(body, "project settings")
        project = self.project(key)
        old = project.params
        # Deserialised into DSS's project params: unknown top-level keys vanish without an error.
        new = {k: copy.deepcopy(v) for k, v in body.items()
               if k in PROJECT_SETTINGS_KEYS and k not in PERMISSION_FIELDS}
        for k in PERMISSION_FIELDS:
            if k in old:
                new[k] = old[k]
        if "tags" in new:
            new["tags"] = normalise_tags(new["tags"])
        new["versionTag"] = old.get("versionTag")
        if "creationTag" in old:
            new["creationTag"] = old["creationTag"]
        project.params = new
        project.touch(login, self.now())

    @synchronized
    def get_project_permissions(self, key: str) -> JSONDict:
        """``GET /projects/K/permissions``: ``{owner, permissions}``."""
        params = self.project(key).params
        return {"owner": params.get("owner", ""), "permissions": copy.deepcopy(params.get("permissions", []))}

    @synchronized
    def set_project_permissions(self, key: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/permissions``."""
        body = require_object(body, "project permissions")
        permissions = body.get("permissions", [])
        if not isinstance(permissions, list):
            raise BadRequest("permissions must be a list")
        project = self.project(key)
        project.params["permissions"] = copy.deepcopy(permissions)
        if body.get("owner"):
            project.params["owner"] = body["owner"]
        project.touch(login, self.now())

    @synchronized
    def get_project_variables(self, key: str) -> JSONDict:
        """``GET /projects/K/variables/``: ``{"standard": ..., "local": ...}``."""
        project = self.project(key)
        return {"standard": copy.deepcopy(project.variables), "local": copy.deepcopy(project.local_variables)}

    @synchronized
    def set_project_variables(self, key: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/variables/``: both halves are required, as the client insists."""
        body = require_object(body, "project variables")
        for half in ("standard", "local"):
            if not isinstance(body.get(half), dict):
                raise BadRequest(f"Missing or invalid '{half}' variables")
        project = self.project(key)
        project.variables = copy.deepcopy(body["standard"])
        project.local_variables = copy.deepcopy(body["local"])
        project.touch(login, self.now())
