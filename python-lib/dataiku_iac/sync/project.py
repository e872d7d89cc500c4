"""ProjectSync (seed §6): project settings and metadata, permissions and variables."""

from __future__ import annotations

from typing import Any, List, Optional

from ..dss.errors import call_with_retries, to_library_error
from ..models.state import Resource, make_resource_id, parse_resource_id
from .base import Raw, ResourceSync, version_metadata


class ProjectSync(ResourceSync):
    """Sync projects: name, descriptions, tags, status, owner, settings, permissions, variables.

    Three GETs per project (settings, permissions, variables); the listing only gives summaries.
    """

    read_attempts = 3

    @property
    def resource_type(self) -> str:
        """``project``."""
        return "project"

    def list_keys(self) -> List[str]:
        """Keys of every project the API key can read (``GET /projects/``)."""
        return [str(item["projectKey"]) for item in self.client.list_projects()]

    def read(self, project_key: str) -> Raw:
        """The raw project: its settings, with ``permissions`` (and ``owner``) and ``variables`` merged in."""
        project = self.client.get_project(project_key)
        raw = dict(project.get_settings().get_raw())
        permissions = project.get_permissions()
        variables = project.get_variables()
        raw["projectKey"] = project_key
        raw["permissions"] = permissions.get("permissions", [])
        if permissions.get("owner"):
            raw["owner"] = permissions["owner"]
        raw["variables"] = {"standard": variables.get("standard", {}), "local": variables.get("local", {})}
        return raw

    def to_resource(self, project_key: str, raw: Raw) -> Resource:
        """Build the project resource from a raw project (pure)."""
        return Resource(
            resource_type="project",
            resource_id=make_resource_id("project", project_key),
            attributes=self.rules.attributes("project", raw),
            metadata=version_metadata(raw, project_key),
        )

    def _secrets(self) -> List[Any]:
        return [getattr(self.client, "api_key", None)]

    def fetch(self, resource_id: str) -> Resource:
        """Fetch ``project.KEY``; :class:`ResourceNotFoundError` when the project does not exist."""
        address = parse_resource_id(resource_id)
        if address.resource_type != "project":
            raise ValueError(f"Invalid project resource_id: {resource_id} (expected project.PROJECT_KEY)")
        try:
            raw = call_with_retries(lambda: self.read(address.project_key), attempts=self.read_attempts)
        except Exception as exc:
            raise to_library_error(exc, f"reading project {address.project_key}", self._secrets()) from exc
        return self.to_resource(address.project_key, raw)

    def list_all(self, project_key: Optional[str] = None) -> List[Resource]:
        """Every project (or only ``project_key``), each read in full."""
        if project_key:
            return [self.fetch(make_resource_id("project", project_key))]
        try:
            keys = call_with_retries(self.list_keys, attempts=self.read_attempts)
        except Exception as exc:
            raise to_library_error(exc, "listing projects", self._secrets()) from exc
        return [self.fetch(make_resource_id("project", key)) for key in keys]
