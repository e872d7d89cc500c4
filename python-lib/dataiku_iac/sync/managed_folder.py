"""ManagedFolderSync: managed folder definitions (not their contents); ids are DSS's random 8 characters."""

from __future__ import annotations

from typing import List

from .base import ProjectObjectSync, Raw, url_name


class ManagedFolderSync(ProjectObjectSync):
    """Sync managed folders, identified by their id (the display name is the ``name`` attribute)."""

    list_markers = frozenset({"type", "params"})

    @property
    def resource_type(self) -> str:
        """``managed_folder``."""
        return "managed_folder"

    def list_items(self, project_key: str) -> List[Raw]:
        """``GET /projects/K/managedfolders/``: folder definitions."""
        return list(self.client.get_project(project_key).list_managed_folders())

    def read(self, project_key: str, name: str) -> Raw:
        """``GET /projects/K/managedfolders/F``."""
        raw = self.client.get_project(project_key).get_managed_folder(url_name(name)).get_settings().get_raw()
        raw.setdefault("id", name)
        return raw
