"""Fields DSS cannot change on an existing object, per resource type, with why: a change is a replacement.

The facts live in the type descriptors (:mod:`dataiku_iac.types`, ``FieldSpec.immutable`` and its note), so
that what each type is lives in one place; this module keeps the plan's view of them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from ..types import DESCRIPTORS, replace_reasons

IMMUTABLE_FIELDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    name: MappingProxyType(replace_reasons(name)) for name in DESCRIPTORS
})


def immutable_fields(resource_type: str) -> Mapping[str, str]:
    """``field -> why`` for the fields of ``resource_type`` that only a replacement can change."""
    return IMMUTABLE_FIELDS.get(resource_type, MappingProxyType({}))
