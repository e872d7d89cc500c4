"""Fields DSS cannot change on an existing object, per resource type, with why: a change is a replacement.

A small table for the plan until the type descriptors (``dataiku_iac.types``, Task H) hold it: they are to
fold it in, so that what each type is lives in one place. Names are the attribute names the sync records.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

IMMUTABLE_FIELDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "project": MappingProxyType({"projectKey": "a project key cannot change once the project exists"}),
    "dataset": MappingProxyType({
        "type": "DSS keeps a dataset's type (Filesystem, PostgreSQL...) for its life",
        "managed": "a dataset is managed by DSS or external from its creation",
    }),
    "recipe": MappingProxyType({"type": "a recipe's type (python, join...) is fixed when it is created"}),
    "scenario": MappingProxyType({"type": "a scenario is step-based or custom python from its creation"}),
    "managed_folder": MappingProxyType({"type": "a managed folder's storage type is fixed when it is created"}),
    "saved_model": MappingProxyType({}),
})


def immutable_fields(resource_type: str) -> Mapping[str, str]:
    """``field -> why`` for the fields of ``resource_type`` that only a replacement can change."""
    return IMMUTABLE_FIELDS.get(resource_type, MappingProxyType({}))
