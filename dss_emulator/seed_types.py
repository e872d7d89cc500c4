"""The in-memory form of one project tree, shared by the seed loader and the synthetic generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

JSONDict = dict[str, Any]


@dataclass
class ProjectSeed:
    """Everything needed to load one project into the emulator.

    Definitions are in the on-disk form DSS's git integration writes (identity fields may
    be missing); the backend adds ``projectKey``, ``name`` and ``id`` when it loads them.
    """

    key: str
    params: JSONDict
    variables: JSONDict = field(default_factory=dict)
    local_variables: JSONDict = field(default_factory=dict)
    datasets: dict[str, JSONDict] = field(default_factory=dict)
    # recipe name -> (definition, payload text or None)
    recipes: dict[str, tuple[JSONDict, Optional[str]]] = field(default_factory=dict)
    # scenario id -> (definition, python script or None)
    scenarios: dict[str, tuple[JSONDict, Optional[str]]] = field(default_factory=dict)
    managed_folders: dict[str, JSONDict] = field(default_factory=dict)
    saved_models: dict[str, JSONDict] = field(default_factory=dict)
    # folder id -> {path: bytes}; trees from git never carry folder contents
    folder_files: dict[str, dict[str, bytes]] = field(default_factory=dict)
