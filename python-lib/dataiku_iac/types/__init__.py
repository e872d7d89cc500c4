"""One descriptor per DSS object type: fields, read and write endpoints, identity, immutable fields.

``DESCRIPTORS`` is the registry (in the order types are listed and reported); :func:`descriptor` finds one.
The sync reads through them, the config and the plan take their type facts from them, and the apply writers
(:mod:`dataiku_iac.apply.writers`) write through them. See ``docs/types.md`` for the tables.
"""

from __future__ import annotations

from typing import Dict, Mapping, Tuple

from .dataset import DATASET, DatasetDescriptor
from .descriptor import (
    FIELD_DEFAULTS,
    IDENTITY_KEY,
    IDENTITY_NAME,
    IDENTITY_SERVER_ID,
    Endpoint,
    FieldSpec,
    TypeDescriptor,
    url_name,
)
from .managed_folder import MANAGED_FOLDER, ManagedFolderDescriptor
from .project import PROJECT, ProjectDescriptor
from .recipe import CODE_RECIPE_TYPES, RECIPE, RecipeDescriptor, is_code_recipe, payload_text, payload_value
from .saved_model import SAVED_MODEL, SavedModelDescriptor
from .scenario import SCENARIO, ScenarioDescriptor

#: Every descriptor by resource type: the project first, then the child types in listing order.
DESCRIPTORS: Mapping[str, TypeDescriptor] = {
    d.type_name: d for d in (PROJECT, DATASET, RECIPE, SCENARIO, MANAGED_FOLDER, SAVED_MODEL)
}
#: Child types in the order they are listed (and reported).
CHILD_TYPES: Tuple[str, ...] = tuple(name for name in DESCRIPTORS if name != "project")
#: Types whose DSS identifier is a server-side id (the config names them; the id is learnt at creation).
SERVER_ID_TYPES = frozenset(name for name, d in DESCRIPTORS.items() if d.identity == IDENTITY_SERVER_ID)
#: Types the config may create (saved models stay read-only).
CREATABLE_TYPES = frozenset(name for name, d in DESCRIPTORS.items() if d.creatable)


def descriptor(resource_type: str) -> TypeDescriptor:
    """The descriptor of a resource type; KeyError naming the known types otherwise."""
    try:
        return DESCRIPTORS[resource_type]
    except KeyError:
        raise KeyError(f"Unknown resource type {resource_type!r}: expected one of {', '.join(DESCRIPTORS)}") \
            from None


def tracked_fields() -> Dict[str, Tuple[str, ...]]:
    """Every type's tracked fields (what ``sync.rules.TRACKED_FIELDS`` holds)."""
    return {name: d.tracked_fields for name, d in DESCRIPTORS.items()}


def replace_reasons(resource_type: str) -> Dict[str, str]:
    """``field -> why`` for the fields of ``resource_type`` that only a replacement can change (the plan's
    table); empty for an unknown type."""
    described = DESCRIPTORS.get(resource_type)
    return described.replace_reasons if described is not None else {}


def immutable_fields() -> Dict[str, frozenset]:
    """Every type's fields that need a replace when they change."""
    return {name: d.immutable_fields for name, d in DESCRIPTORS.items()}


__all__ = [
    "CHILD_TYPES",
    "CODE_RECIPE_TYPES",
    "CREATABLE_TYPES",
    "DATASET",
    "DESCRIPTORS",
    "FIELD_DEFAULTS",
    "IDENTITY_KEY",
    "IDENTITY_NAME",
    "IDENTITY_SERVER_ID",
    "MANAGED_FOLDER",
    "PROJECT",
    "RECIPE",
    "SAVED_MODEL",
    "SCENARIO",
    "SERVER_ID_TYPES",
    "DatasetDescriptor",
    "Endpoint",
    "FieldSpec",
    "ManagedFolderDescriptor",
    "ProjectDescriptor",
    "RecipeDescriptor",
    "SavedModelDescriptor",
    "ScenarioDescriptor",
    "TypeDescriptor",
    "descriptor",
    "immutable_fields",
    "is_code_recipe",
    "payload_text",
    "payload_value",
    "replace_reasons",
    "tracked_fields",
    "url_name",
]
