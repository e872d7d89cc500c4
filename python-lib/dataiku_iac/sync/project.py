"""ProjectSync (seed §6): project settings and metadata, permissions and variables."""

from __future__ import annotations

import logging
from typing import Any, List, Optional

from ..dss.credentials import client_secrets
from ..dss.errors import is_auth_error, to_library_error
from ..models.state import Resource, make_resource_id, parse_resource_id
from .base import Raw, ResourceSync, version_metadata

logger = logging.getLogger("dataiku_iac.sync")

#: Recorded instead of the permissions when the API key may read the project but not its permissions (DSS
#: reserves them to project admins): the rest of the project still syncs, and the report says why they differ.
UNREADABLE_PERMISSIONS = "<unreadable: this API key may not read the project's permissions>"


class ProjectSync(ResourceSync):
    """Sync projects: name, descriptions, tags, status, owner, settings, permissions, variables.

    Three GETs per project (settings, permissions, variables); the listing only gives summaries.
    """

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
        variables = project.get_variables()
        raw["projectKey"] = project_key
        raw.update(self._permissions(project))
        raw["variables"] = {"standard": variables.get("standard", {}), "local": variables.get("local", {})}
        return raw

    def _permissions(self, project: Any) -> Raw:
        """``permissions`` (and ``owner``) from ``GET /projects/K/permissions``, or the unreadable marker."""
        try:
            answer = project.get_permissions()
        except Exception as exc:
            if not is_auth_error(exc):
                raise
            logger.warning("permissions of project %s are not readable with this API key: %s", project.project_key,
                           exc)
            return {"permissions": UNREADABLE_PERMISSIONS}
        result: Raw = {"permissions": answer.get("permissions", [])}
        if answer.get("owner"):
            result["owner"] = answer["owner"]
        return result

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
