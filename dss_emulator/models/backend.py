"""The backend: all emulated DSS state, one method per operation, callable without HTTP."""

from __future__ import annotations

import copy
import random
from typing import Callable, Iterable, Optional

from ..seed_types import ProjectSeed
from .auth import ApiKey, AuthMixin
from .common import JSONDict, new_lock, synchronized, system_clock, version_tag
from .connections import CodeEnv, ConnectionsMixin
from .datasets import Dataset, DatasetsMixin
from .folders import FolderFile, FoldersMixin, ManagedFolder, normalise_path
from .library import LibraryMixin
from .projects import Project, ProjectsMixin
from .recipes import Recipe, RecipesMixin
from .saved_models import SavedModel, SavedModelsMixin
from .scenarios import Scenario, ScenariosMixin


class DSSBackend(
    AuthMixin, ProjectsMixin, DatasetsMixin, RecipesMixin, ScenariosMixin, FoldersMixin, SavedModelsMixin,
    ConnectionsMixin, LibraryMixin,
):
    """The emulated DSS instance.

    ``clock`` returns epoch milliseconds (inject a fake one for deterministic tags);
    ``random_seed`` makes managed folder ids reproducible. The instance has the connections of a fresh
    DSS install (``default_connections``) plus ``connections`` (``(name, type)`` pairs), and the code envs
    ``code_envs`` (``(lang, name)`` pairs).
    """

    def __init__(self, clock: Callable[[], int] = system_clock, random_seed: Optional[int] = None, *,
                 connections: Iterable[tuple[str, str]] = (), code_envs: Iterable[tuple[str, str]] = (),
                 default_connections: bool = True) -> None:
        self.lock = new_lock()
        self.clock = clock
        self.random = random.Random(random_seed)
        self.projects: dict[str, Project] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.browser_sessions: dict[str, ApiKey] = {}
        self.connections: dict[str, str] = {}
        self.configured_connections: dict[str, str] = {}
        self.code_envs: dict[tuple[str, str], CodeEnv] = {}
        self.configure_instance(connections, code_envs, defaults=default_connections)

    def now(self) -> int:
        """Current time in ms, from the injected clock."""
        return self.clock()

    @synchronized
    def clear_projects(self) -> None:
        """Forget every project and the connections only their seeds implied (API keys stay)."""
        self.projects.clear()
        self.forget_seed_connections()

    @synchronized
    def project_keys(self) -> list[str]:
        """Keys of the loaded projects, sorted."""
        return sorted(self.projects)

    @synchronized
    def load_project(self, seed: ProjectSeed) -> Project:
        """Load one project tree (replacing a project with the same key), adding identity fields."""
        key = seed.key
        params = copy.deepcopy(seed.params)
        owner = str(params.get("owner") or "admin")
        params.setdefault("versionTag", version_tag(0, owner, self.now()))
        project = Project(key, params)
        project.variables = copy.deepcopy(seed.variables)
        project.local_variables = copy.deepcopy(seed.local_variables)
        for name, definition in seed.datasets.items():
            project.datasets.add(Dataset(key, name, self._with_tag(definition, owner)))
        for name, (definition, payload) in seed.recipes.items():
            project.recipes.add(Recipe(key, name, self._with_tag(definition, owner), payload))
        for scenario_id, (definition, script) in seed.scenarios.items():
            project.scenarios.add(Scenario(key, scenario_id, self._with_tag(definition, owner), script))
        for folder_id, definition in seed.managed_folders.items():
            folder = project.folders.add(ManagedFolder(key, folder_id, self._with_tag(definition, owner)))
            for path, data in seed.folder_files.get(folder_id, {}).items():
                folder.files[normalise_path(path)] = FolderFile(bytes(data), self.now())
        for model_id, definition in seed.saved_models.items():
            project.saved_models.add(SavedModel(key, model_id, self._with_tag(definition, owner)))
        self.projects[key] = project
        self._declare_seed_connections(project)
        return project

    def _declare_seed_connections(self, project: Project) -> None:
        """A DSS that holds these objects has their connections: declare the ones the instance lacks."""
        for dataset in project.datasets:
            params = dataset.definition.get("params")
            if isinstance(params, dict):
                self.add_seed_connection(params.get("connection"), dataset.definition.get("type"))
        for folder in project.folders:
            params = folder.definition.get("params")
            if isinstance(params, dict):
                self.add_seed_connection(params.get("connection"), folder.definition.get("type"))

    def _with_tag(self, definition: JSONDict, owner: str) -> JSONDict:
        """A copy of an on-disk definition; the API always shows a ``versionTag``, so add one if missing."""
        result = copy.deepcopy(definition)
        result.setdefault("versionTag", version_tag(0, owner, self.now()))
        return result
