"""Pure data models: state, resources, diffs (the seed's ``dataikuapi.iac.models`` faces)."""

from __future__ import annotations

from .diff import AttributeChange, ChangeType, ResourceDiff
from .state import Resource, ResourceMetadata, State, make_resource_id, parse_resource_id

__all__ = ["AttributeChange", "ChangeType", "Resource", "ResourceDiff", "ResourceMetadata", "State",
           "make_resource_id", "parse_resource_id"]
