"""The loaded config: environments, projects and their resources, each remembering where it is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from ..exceptions import ConfigError
from ..types import CREATABLE_TYPES, SERVER_ID_TYPES
from .errors import Location
from .yaml_loader import PathKey, YamlDocument

#: Sections of a project file -> the resource type of their entries (in the order a project is read).
RESOURCE_SECTIONS: Mapping[str, str] = {
    "datasets": "dataset",
    "managed_folders": "managed_folder",
    "recipes": "recipe",
    "scenarios": "scenario",
}
#: Types whose DSS identifier is a server-side id (not the name): the config names them, an ``id:`` may pin them.
ID_TYPES = SERVER_ID_TYPES & CREATABLE_TYPES  # scenarios and managed folders (see dataiku_iac.types)
#: Fields of the config that are not DSS attributes (they say how to read or protect the object).
CONFIG_ONLY_FIELDS = frozenset({"payload_file", "script_file", "protect", "id"})

ENVIRONMENTS_FILE = "dataiku-iac.yml"
PROJECTS_DIR = "projects"


@dataclass
class ResourceConfig:
    """One resource as the config writes it: ``key`` is its name in the config, ``body`` its fields (raw)."""

    resource_type: str
    project_key: str
    key: str
    body: Dict[str, Any]
    document: YamlDocument
    path: PathKey
    #: Text of the side files it references, by the field they fill (``payload``, ``script``).
    side_texts: Dict[str, str] = field(default_factory=dict)
    #: The schema found errors in it: it still counts as defined (references to it are not dangling), but
    #: no desired resource is built from it.
    broken: bool = False

    @property
    def name(self) -> str:
        """The object's DSS name: the key, unless a scenario or folder gives ``name:``."""
        given = self.body.get("name") if self.resource_type in ID_TYPES else None
        return given if isinstance(given, str) and given else self.key

    @property
    def pinned_id(self) -> Optional[str]:
        """The DSS id the config pins (scenarios and folders only)."""
        value = self.body.get("id") if self.resource_type in ID_TYPES else None
        return value if isinstance(value, str) and value else None

    @property
    def protected(self) -> bool:
        """``protect: true``: apply must refuse to delete or replace it."""
        return self.body.get("protect") is True

    @property
    def label(self) -> str:
        """How messages name it: ``recipe 'compute_x'``."""
        return f"{self.resource_type.replace('_', ' ')} {self.key!r}" if self.resource_type != "project" \
            else f"project {self.project_key}"

    def location(self, *sub: Any, key: bool = False) -> Location:
        """Where the resource (or a field below it) is written."""
        return self.document.location((*self.path, *sub), key=key)


@dataclass
class ProjectConfig:
    """One project directory: its ``project:`` section and its resources, merged from every file."""

    key: str
    directory: Path
    project: Optional[ResourceConfig] = None
    resources: Dict[Tuple[str, str], ResourceConfig] = field(default_factory=dict)

    def of_type(self, resource_type: str) -> Dict[str, ResourceConfig]:
        """The resources of one type, by key."""
        return {key: res for (kind, key), res in self.resources.items() if kind == resource_type}

    def get(self, resource_type: str, key: str) -> Optional[ResourceConfig]:
        """A resource by type and key."""
        return self.resources.get((resource_type, key))


@dataclass
class Environment:
    """One DSS instance the config is applied to."""

    name: str
    url: str
    api_key_env: str
    state: str
    variables: Dict[str, Any]
    connections: Dict[str, str]
    location: Location

    def __repr__(self) -> str:  # short: variables may be long, and hold ${env:} references
        return f"Environment({self.name!r}, url={self.url!r}, api_key_env={self.api_key_env!r})"


@dataclass
class Config:
    """A whole config directory."""

    root: Path
    environments: Dict[str, Environment] = field(default_factory=dict)
    variables: Dict[str, Any] = field(default_factory=dict)
    projects: Dict[str, ProjectConfig] = field(default_factory=dict)
    environments_document: Optional[YamlDocument] = None

    def environment(self, name: str) -> Environment:
        """The named environment; :class:`ConfigError` listing the known ones otherwise."""
        if name not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ConfigError(f"Environment {name!r} is not in {self.root / ENVIRONMENTS_FILE} "
                              f"(known: {known}): pass one of them with --env")
        return self.environments[name]

    def resources(self) -> Dict[Tuple[str, str, str], ResourceConfig]:
        """Every resource, projects included, by (type, project key, key)."""
        found: Dict[Tuple[str, str, str], ResourceConfig] = {}
        for project in self.projects.values():
            if project.project is not None:
                found[("project", project.key, "")] = project.project
            for (kind, key), res in project.resources.items():
                found[(kind, project.key, key)] = res
        return found
