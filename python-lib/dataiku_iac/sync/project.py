"""ProjectSync (seed §6): project settings and metadata, permissions and variables."""

from __future__ import annotations

from typing import Any, List, Optional

from ..dss.credentials import client_secrets
from ..dss.errors import to_library_error
from ..models.state import Resource, make_resource_id, parse_resource_id
from ..types import PROJECT
from ..types.project import UNREADABLE_PERMISSIONS
from .base import Raw, ResourceSync, version_metadata

__all__ = ["UNREADABLE_PERMISSIONS", "ProjectSync"]


class ProjectSync(ResourceSync):
    """Sync projects: name, descriptions, tags, status, owner, settings, permissions, variables.

    Three GETs per project (settings, permissions, variables); the listing only gives summaries. The calls
    are the descriptor's (:mod:`dataiku_iac.types.project`).
    """

    descriptor = PROJECT

    @property
    def resource_type(self) -> str:
        """``project``."""
        return "project"

    def list_keys(self) -> List[str]:
        """Keys of every project the API key can read (``GET /projects/``)."""
        return self.descriptor.list_keys(self.client)

    def read(self, project_key: str) -> Raw:
        """The raw project: its settings, with ``permissions`` (and ``owner``) and ``variables`` merged in."""
        return self.descriptor.read(self.client, project_key)

    def _permissions(self, project: Any) -> Raw:
        """``permissions`` (and ``owner``), or the unreadable marker."""
        return self.descriptor.read_permissions(project)

    def to_resource(self, project_key: str, raw: Raw) -> Resource:
        """Build the project resource from a raw project (pure)."""
        return Resource(
            resource_type="project",
            resource_id=make_resource_id("project", project_key),
            attributes=self.rules.attributes("project", raw),
            metadata=version_metadata(raw, project_key),
        )

    def fetch(self, resource_id: str) -> Resource:
        """Fetch ``project.KEY``; :class:`ResourceNotFoundError` when the project does not exist."""
        address = parse_resource_id(resource_id)
        if address.resource_type != "project":
            raise ValueError(f"Invalid project resource_id: {resource_id} (expected project.PROJECT_KEY)")
        try:
            raw = self.read(address.project_key)
        except Exception as exc:
            raise to_library_error(exc, f"reading project {address.project_key}", client_secrets(self.client)) from exc
        return self.to_resource(address.project_key, raw)

    def list_all(self, project_key: Optional[str] = None) -> List[Resource]:
        """Every project (or only ``project_key``), each read in full."""
        if project_key:
            return [self.fetch(make_resource_id("project", project_key))]
        try:
            keys = self.list_keys()
        except Exception as exc:
            raise to_library_error(exc, "listing projects", client_secrets(self.client)) from exc
        return [self.fetch(make_resource_id("project", key)) for key in keys]
