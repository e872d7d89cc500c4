"""One descriptor per DSS resource type: how it is identified and which fields DSS cannot change in place.

Plan reads it today (a change to an immutable field is a replacement, ``-/+``); sync and apply are meant to
adopt it (the endpoints a field comes from and goes back to belong here too), so that what each type is lives
in one place instead of being spread over ``sync/<type>.py``, ``TRACKED_FIELDS`` and the plan.

Pure data: no DSS access.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import FrozenSet, Mapping, Optional


@dataclass(frozen=True)
class TypeDescriptor:
    """What plan and apply need to know of one resource type."""

    resource_type: str
    #: ``name``: DSS identifies the object by its name (datasets, recipes: a rename is another object);
    #: ``id``: by a server-side id besides its name (scenarios, folders: never predicted by the plan).
    identity: str
    #: Top-level fields DSS cannot change on an existing object, with why: changing one means delete and
    #: create again (a replacement).
    immutable: Mapping[str, str]
    #: False for types the config cannot manage (DSS has no public create).
    writable: bool = True

    @property
    def immutable_fields(self) -> FrozenSet[str]:
        """The names of :attr:`immutable`."""
        return frozenset(self.immutable)


DESCRIPTORS: Mapping[str, TypeDescriptor] = MappingProxyType({
    "project": TypeDescriptor("project", "name", MappingProxyType({
        "projectKey": "a project key cannot be changed once the project exists",
    })),
    "dataset": TypeDescriptor("dataset", "name", MappingProxyType({
        "type": "DSS keeps a dataset's type for its life (Filesystem, PostgreSQL...): a new type is a new dataset",
    })),
    "recipe": TypeDescriptor("recipe", "name", MappingProxyType({
        "type": "a recipe's type (python, join...) is fixed when it is created",
    })),
    "scenario": TypeDescriptor("scenario", "id", MappingProxyType({
        "type": "a scenario is step-based or custom python from its creation",
    })),
    "managed_folder": TypeDescriptor("managed_folder", "id", MappingProxyType({
        "type": "a managed folder's storage type is fixed when it is created",
    })),
    "saved_model": TypeDescriptor("saved_model", "id", MappingProxyType({}), writable=False),
})


def descriptor(resource_type: str) -> Optional[TypeDescriptor]:
    """The descriptor of ``resource_type`` (None for an unknown type)."""
    return DESCRIPTORS.get(resource_type)
