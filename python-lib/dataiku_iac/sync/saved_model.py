"""SavedModelSync: saved model settings (not their trained versions)."""

from __future__ import annotations

from typing import List

from .base import ProjectObjectSync, Raw, url_name


class SavedModelSync(ProjectObjectSync):
    """Sync saved models, identified by their id; the active version is left out (it moves on retrain)."""

    list_markers = frozenset({"miniTask"})

    @property
    def resource_type(self) -> str:
        """``saved_model``."""
        return "saved_model"

    def list_items(self, project_key: str) -> List[Raw]:
        """``GET /projects/K/savedmodels/``."""
        return list(self.client.get_project(project_key).list_saved_models())

    def read(self, project_key: str, name: str) -> Raw:
        """``GET /projects/K/savedmodels/ID``."""
        raw = self.client.get_project(project_key).get_saved_model(url_name(name)).get_settings().get_raw()
        raw.setdefault("id", name)
        return raw
