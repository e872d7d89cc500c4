"""Where a component's config is (its form: a managed folder, or the project library), read in one way.

The plan macro, the check-config step and the apply-config step all call :func:`component_config`: it finds
the folder (or the project), reads the config with the shared bounds and messages of :mod:`.config_source`,
and says what a stored plan records of it: ``config_source`` (read again by apply, see
:func:`.applying.config_source_opener`) and ``config_dir`` (what the plan shows).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator

from ..config import Config
from ..dss.credentials import client_secrets
from ..dss.folders import resolve_folder as find_folder
from .config import LABEL_CONFIG_FOLDER, SOURCE_LIBRARY, PlanParams
from .config_folder import FolderSource, config_from_folder
from .config_library import LibrarySource, config_from_library, library_source
from .plans import folder_source


@dataclass(frozen=True)
class ConfigLocation:
    """A config read for a component, and what a plan made from it records."""

    config: Config
    #: The plan's ``config_source``: where apply reads the config again.
    source: Dict[str, Any]
    #: The plan's ``config_dir``: ``managed folder PROJ.id:/config`` or ``project library PROJ:/iac``.
    shown: str


@contextmanager
def component_config(client: Any, params: PlanParams) -> Iterator[ConfigLocation]:
    """The config the form names, valid while the block runs (errors inside name the user's paths)."""
    if params.config_source == SOURCE_LIBRARY:
        project = client.get_project(params.project_key)
        path = params.library_path
        with config_from_library(project, path) as config:
            yield ConfigLocation(config, library_source(params.project_key, path),
                                 LibrarySource(project).describe(path))
        return
    assert params.config_folder is not None  # parse_plan_params requires it for a folder source
    folder = find_folder(client, params.config_folder.candidates(), label=LABEL_CONFIG_FOLDER,
                         secrets=client_secrets(client))
    with config_from_folder(folder, params.config_path) as config:
        yield ConfigLocation(config, folder_source(folder.project_key, folder.odb_id, params.config_path),
                             FolderSource(folder).describe(params.config_path))


__all__ = ["ConfigLocation", "component_config"]
