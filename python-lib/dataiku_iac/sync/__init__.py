"""Reading DSS into resources: one ResourceSync per type, the rules they apply, and the fast engine."""

from __future__ import annotations

from .base import ProjectObjectSync, ResourceSync
from .dataset import DatasetSync
from .engine import CHILD_TYPES, DEFAULT_WORKERS, SyncEngine, SyncOutcome
from .managed_folder import ManagedFolderSync
from .project import ProjectSync
from .recipe import RecipeSync
from .rules import DEFAULT_IGNORE_RULES, TRACKED_FIELDS, IgnoreRule, SyncRules
from .saved_model import SavedModelSync
from .scenario import ScenarioSync

__all__ = [
    "CHILD_TYPES",
    "DEFAULT_IGNORE_RULES",
    "DEFAULT_WORKERS",
    "TRACKED_FIELDS",
    "DatasetSync",
    "IgnoreRule",
    "ManagedFolderSync",
    "ProjectObjectSync",
    "ProjectSync",
    "RecipeSync",
    "ResourceSync",
    "SavedModelSync",
    "ScenarioSync",
    "SyncEngine",
    "SyncOutcome",
    "SyncRules",
]
