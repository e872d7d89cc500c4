"""Managed folders: identified by a random 8-character id DSS generates; the name is an attribute."""

from __future__ import annotations

from typing import Any, List

from .descriptor import IDENTITY_SERVER_ID, Endpoint, FieldSpec, Ignored, Raw, TypeDescriptor, url_name

_DEF = "definition"


def _field(name: str, **kwargs: Any) -> FieldSpec:
    return FieldSpec(name, _DEF, _DEF, **kwargs)


class ManagedFolderDescriptor(TypeDescriptor):
    """Managed folder definitions (not their contents)."""

    type_name = "managed_folder"
    identity = IDENTITY_SERVER_ID
    id_field = "id"
    list_markers = frozenset({"type", "params"})
    list_call = "GET /projects/K/managedfolders/"
    create_call = "POST /projects/K/managedfolders/ {name, type, params: {connection, path}} -> {id}"
    delete_call = "DELETE /projects/K/managedfolders/N?dropData=false"
    ignored = (
        Ignored("metrics.displayedState", "which metrics the UI shows, not what is computed"),
        Ignored("checks.displayedState", "which checks the UI shows, not what is checked"),
    )
    endpoints = (Endpoint(_DEF, "GET /projects/K/managedfolders/N", "PUT /projects/K/managedfolders/N"),)
    fields = (
        _field("name", at_creation=True, note="the display name; two folders may share it"),
        _field("type", immutable=True, at_creation=True,
               note="a managed folder's storage type is fixed when it is created"),
        _field("params", note="the create call carries params.connection only"),
        _field("partitioning"), _field("flowOptions"), _field("metrics"), _field("checks"), _field("tags"),
        _field("description"), _field("shortDesc"), _field("customFields"),
    )

    def list_items(self, client: Any, project_key: str) -> List[Raw]:
        """``GET /projects/K/managedfolders/``: folder definitions."""
        return list(client.get_project(project_key).list_managed_folders())

    def read(self, client: Any, project_key: str, name: str) -> Raw:
        """``GET /projects/K/managedfolders/F``."""
        raw = client.get_project(project_key).get_managed_folder(url_name(name)).get_settings().get_raw()
        raw.setdefault("id", name)
        return raw


MANAGED_FOLDER = ManagedFolderDescriptor()
