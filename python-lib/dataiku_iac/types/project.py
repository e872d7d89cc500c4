"""Projects: identified by their key; four endpoints (settings, metadata, permissions, variables)."""

from __future__ import annotations

import logging
from typing import Any, List

from .descriptor import IDENTITY_KEY, Endpoint, FieldSpec, Ignored, Raw, TypeDescriptor

logger = logging.getLogger("dataiku_iac.sync")

#: Recorded instead of the permissions when the API key may read the project but not its permissions (DSS
#: reserves them to project admins): the rest of the project still syncs, and the report says why they differ.
UNREADABLE_PERMISSIONS = "<unreadable: this API key may not read the project's permissions>"

SETTINGS = "settings"
METADATA = "metadata"
PERMISSIONS = "permissions"
VARIABLES = "variables"
#: Metadata fields: read in the settings, written through PUT /metadata (where ``name`` is ``label``).
METADATA_LABELS = {"name": "label"}


class ProjectDescriptor(TypeDescriptor):
    """Projects: name, descriptions, tags, status, owner, settings, permissions, variables.

    Three GETs per project (settings, permissions, variables); the listing only gives summaries.
    """

    type_name = "project"
    identity = IDENTITY_KEY
    id_field = "projectKey"
    list_call = "GET /projects/"
    create_call = "POST /projects/ {projectKey, name, owner, description, permissions, tags}"
    delete_call = "DELETE /projects/K (explicit flag only; managed data kept unless asked)"
    ignored = (
        Ignored("settings.flowDisplaySettings", "cosmetic flow layout choice of the UI"),
        Ignored("imgPattern", "cosmetic project picture"),
        Ignored("imgColor", "cosmetic project colour"),
        Ignored("permissionsVersion", "format marker of the permission model, set by DSS"),
    )
    # Written in this order: a settings PUT carries the metadata fields too (as read before), so the metadata
    # PUT must come after it or it would be undone.
    endpoints = (
        Endpoint(SETTINGS, "GET /projects/K/settings", "PUT /projects/K/settings"),
        Endpoint(METADATA, "GET /projects/K/metadata", "PUT /projects/K/metadata"),
        Endpoint(PERMISSIONS, "GET /projects/K/permissions", "PUT /projects/K/permissions"),
        Endpoint(VARIABLES, "GET /projects/K/variables/", "PUT /projects/K/variables/ {standard, local}"),
    )
    fields = (
        FieldSpec("projectKey", SETTINGS, None, immutable=True, identity=True, at_creation=True,
                  note="a project key cannot change once the project exists"),
        FieldSpec("name", SETTINGS, METADATA, at_creation=True, note="the metadata's label"),
        FieldSpec("description", SETTINGS, METADATA, at_creation=True),
        FieldSpec("shortDesc", SETTINGS, METADATA),
        FieldSpec("tags", SETTINGS, METADATA, at_creation=True),
        FieldSpec("projectStatus", SETTINGS, SETTINGS),
        FieldSpec("owner", PERMISSIONS, PERMISSIONS, at_creation=True),
        FieldSpec("checklists", SETTINGS, METADATA),
        FieldSpec("customFields", SETTINGS, METADATA),
        FieldSpec("settings", SETTINGS, SETTINGS),
        FieldSpec("exposedObjects", SETTINGS, SETTINGS),
        FieldSpec("dashboardAuthorizations", SETTINGS, SETTINGS),
        FieldSpec("permissions", PERMISSIONS, PERMISSIONS, at_creation=True),
        FieldSpec("variables", VARIABLES, VARIABLES, note="both standard and local are always written",
                  empty={"standard": {}, "local": {}}),
    )

    def list_keys(self, client: Any) -> List[str]:
        """Keys of every project the API key can read (``GET /projects/``)."""
        return [str(item["projectKey"]) for item in client.list_projects()]

    def list_items(self, client: Any, project_key: str) -> List[Raw]:
        """Projects are not listed inside a project."""
        raise TypeError("projects are listed with list_keys(client)")

    def read(self, client: Any, project_key: str, name: str = "") -> Raw:
        """The raw project: its settings, with ``permissions`` (and ``owner``) and ``variables`` merged in."""
        project = client.get_project(project_key)
        raw = dict(project.get_settings().get_raw())
        variables = project.get_variables()
        raw["projectKey"] = project_key
        raw.update(self.read_permissions(project))
        raw["variables"] = {"standard": variables.get("standard", {}), "local": variables.get("local", {})}
        return raw

    def read_permissions(self, project: Any) -> Raw:
        """``permissions`` (and ``owner``) from ``GET /projects/K/permissions``, or the unreadable marker."""
        from ..dss.errors import is_auth_error  # the DSS layer's classification (it imports requests)

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


PROJECT = ProjectDescriptor()
