"""The config as code: YAML files of DSS projects, their schema, environments, variables, the desired state.

- :func:`load_config` / :func:`read_config` (``loader``): a config directory, every problem with its place;
- :func:`validate_config` (``validate``): everything ``dataiku-iac validate`` checks;
- :func:`build_desired_state` (``desired``): config + environment -> the desired :class:`State`, with the
  managed paths, dependencies, order and secrets (kept apart) of each resource.

Pure code (no DSS access); ``docs/config.md`` documents the format.
"""

from __future__ import annotations

from .desired import (
    DesiredResource,
    DesiredState,
    build_desired_state,
    identities_from_state,
    leaf_paths,
    restrict,
)
from .errors import ConfigFileError, ConfigValidationError, Location, Problem
from .loader import load_config, read_config
from .model import Config, Environment, ProjectConfig, ResourceConfig
from .validate import ValidationResult, validate_config

__all__ = [
    "Config",
    "ConfigFileError",
    "ConfigValidationError",
    "DesiredResource",
    "DesiredState",
    "Environment",
    "Location",
    "Problem",
    "ProjectConfig",
    "ResourceConfig",
    "ValidationResult",
    "build_desired_state",
    "identities_from_state",
    "leaf_paths",
    "load_config",
    "read_config",
    "restrict",
    "validate_config",
]
