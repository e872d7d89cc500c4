"""The parameters of the plugin's macros and scenario step, parsed from DSS's config dicts.

DSS hands components a plain dict of their form's values (JSON-deserialised, with ``None`` or a missing key for
an untouched field). Parsing turns it into frozen values, and every problem into a :class:`ConfigError` whose
message starts with the form field's label, so the user knows which field to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..backends.base import validate_environment_name
from ..exceptions import ConfigError
from ..models.state import RESOURCE_TYPES

DEFAULT_ENVIRONMENT = "dev"
SCOPE_PROJECT = "project"
SCOPE_ALL = "all"
SCOPES = (SCOPE_PROJECT, SCOPE_ALL)

# Form labels, as in the descriptors: messages name the field the user sees.
LABEL_FOLDER = "State folder"
LABEL_ENVIRONMENT = "Environment"
LABEL_SCOPE = "Scope"
LABEL_CHILDREN = "Include children"
LABEL_ACCEPT = "Accept the live state as the new baseline"
LABEL_FAIL = "Fail the scenario on drift"
LABEL_IGNORED = "Resource types to ignore"
LABEL_FULL = "Full read"

_PROJECT_KEY = re.compile(r"[A-Z0-9_]+")


@dataclass(frozen=True)
class FolderRef:
    """A managed folder chosen in a form, as DSS gives it: an id or name, or ``PROJECT_KEY.id`` for a folder
    of another project. ``project_key`` is the project the component runs in."""

    project_key: str
    value: str

    def candidates(self) -> List[Tuple[str, str]]:
        """Where the folder may be, most likely first: (project key, folder id or name).

        A value such as ``SALES.Qx7mK2pA`` names a folder of project SALES, but a local folder may also be called
        ``V2.reports``: the local reading is tried first.
        """
        found = [(self.project_key, self.value)]
        owner, dot, rest = self.value.partition(".")
        if dot and rest and _PROJECT_KEY.fullmatch(owner) and owner != self.project_key:
            found.append((owner, rest))
        elif dot and rest and owner == self.project_key:
            found.insert(0, (owner, rest))
        return found

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SyncParams:
    """The sync-state macro's form."""

    folder: FolderRef
    environment: str
    scope: str
    include_children: bool
    #: Read every object instead of reusing the state's unchanged ones (``sync --full``).
    full_read: bool = False


@dataclass(frozen=True)
class DriftParams:
    """The detect-drift macro's form."""

    folder: FolderRef
    environment: str
    accept_live_as_baseline: bool
    include_children: bool = True
    #: Read every object instead of reusing the state's unchanged ones (``--full``).
    full_read: bool = False


@dataclass(frozen=True)
class CheckParams:
    """The check-drift scenario step's form."""

    folder: FolderRef
    environment: str
    fail_on_drift: bool
    ignored_types: Tuple[str, ...]
    include_children: bool = True
    full_read: bool = False


def parse_sync_params(config: Optional[Mapping[str, Any]], project_key: str) -> SyncParams:
    """The sync-state macro's parameters."""
    config = _mapping(config)
    return SyncParams(**_shared_fields(config, project_key), scope=parse_scope(config.get("scope")),
                      full_read=parse_bool(config.get("full_read"), False, LABEL_FULL))


def parse_drift_params(config: Optional[Mapping[str, Any]], project_key: str) -> DriftParams:
    """The detect-drift macro's parameters."""
    config = _mapping(config)
    return DriftParams(
        **_shared_fields(config, project_key),
        accept_live_as_baseline=parse_bool(config.get("accept_live_as_baseline"), False, LABEL_ACCEPT),
        full_read=parse_bool(config.get("full_read"), False, LABEL_FULL),
    )


def parse_check_params(config: Optional[Mapping[str, Any]], project_key: str) -> CheckParams:
    """The check-drift step's parameters."""
    config = _mapping(config)
    return CheckParams(
        **_shared_fields(config, project_key),
        fail_on_drift=parse_bool(config.get("fail_on_drift"), True, LABEL_FAIL),
        ignored_types=parse_resource_types(config.get("ignored_types")),
        full_read=parse_bool(config.get("full_read"), False, LABEL_FULL),
    )


def _shared_fields(config: Mapping[str, Any], project_key: str) -> Dict[str, Any]:
    """The fields every component's form has: the state folder, the environment, whether to read children."""
    return {
        "folder": parse_folder(config.get("state_folder"), project_key),
        "environment": parse_environment(config.get("environment")),
        "include_children": parse_bool(config.get("include_children"), True, LABEL_CHILDREN),
    }


def parse_folder(value: Any, project_key: str) -> FolderRef:
    """A MANAGED_FOLDER value: ``id``, ``name`` or ``PROJECT_KEY.id`` (a folder shared from another project)."""
    if not isinstance(project_key, str) or not project_key:
        raise ConfigError("Project: the macro must run inside a project (no project key was given)")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConfigError(f"{LABEL_FOLDER}: choose the managed folder that holds the state")
    if not isinstance(value, str):
        raise ConfigError(f"{LABEL_FOLDER}: expected a managed folder, got {type(value).__name__}")
    return FolderRef(project_key, value.strip())


def parse_environment(value: Any) -> str:
    """The environment name (default ``dev``), safe to use in folder paths."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_ENVIRONMENT
    if not isinstance(value, str):
        raise ConfigError(f"{LABEL_ENVIRONMENT}: expected a name such as 'dev' or 'prod'")
    try:
        return validate_environment_name(value.strip())
    except ConfigError as exc:
        raise ConfigError(f"{LABEL_ENVIRONMENT}: {exc}") from None


def parse_scope(value: Any) -> str:
    """``project`` (the default) or ``all``."""
    if value is None or value == "":
        return SCOPE_PROJECT
    if value not in SCOPES:
        raise ConfigError(f"{LABEL_SCOPE}: expected 'project' (this project) or 'all' (all readable projects)")
    return str(value)


def parse_bool(value: Any, default: bool, label: str) -> bool:
    """A BOOLEAN field; ``None`` (untouched) is the default, and "true"/"false" strings are accepted."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"{label}: expected true or false, got {value!r}")


def parse_resource_types(value: Any) -> Tuple[str, ...]:
    """A MULTISELECT of resource types (or a comma-separated string), each one a known type."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ConfigError(f"{LABEL_IGNORED}: expected a list of resource types")
    types = []
    for item in items:
        name = str(item).strip()
        if not name:
            continue
        if name not in RESOURCE_TYPES:
            raise ConfigError(f"{LABEL_IGNORED}: unknown type {name!r}, expected some of {', '.join(RESOURCE_TYPES)}")
        if name not in types:
            types.append(name)
    return tuple(types)


def _mapping(config: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ConfigError("Parameters: expected the form's values as a JSON object")
    return config


# -- plan from config (issue 14) ---------------------------------------------------------------------------

LABEL_CONFIG_FOLDER = "Config folder"
LABEL_CONFIG_PATH = "Path in the config folder"
LABEL_FAIL_ON_CHANGES = "Fail the scenario when DSS differs from the config"


@dataclass(frozen=True)
class PlanParams:
    """The plan macro's and the check-config step's form: where the config is, and the state to plan from."""

    config_folder: FolderRef
    config_path: str
    folder: FolderRef
    environment: str
    fail_on_changes: bool = True


def parse_plan_params(config: Optional[Mapping[str, Any]], project_key: str) -> PlanParams:
    """The plan macro's (and the check-config step's) parameters."""
    from .config_folder import normalize_config_path

    config = _mapping(config)
    folder = parse_folder(config.get("state_folder"), project_key)
    value = config.get("config_folder")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConfigError(f"{LABEL_CONFIG_FOLDER}: choose the managed folder that holds the config "
                          "(dataiku-iac.yml and projects/)")
    if not isinstance(value, str):
        raise ConfigError(f"{LABEL_CONFIG_FOLDER}: expected a managed folder, got {type(value).__name__}")
    return PlanParams(
        config_folder=FolderRef(project_key, value.strip()),
        config_path=normalize_config_path(config.get("config_path")),
        folder=folder,
        environment=parse_environment(config.get("environment")),
        fail_on_changes=parse_bool(config.get("fail_on_changes"), True, LABEL_FAIL_ON_CHANGES),
    )
