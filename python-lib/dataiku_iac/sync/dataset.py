"""DatasetSync (seed §7): dataset definitions; the list endpoint usually serves them whole."""

from __future__ import annotations

from typing import List

from .base import ProjectObjectSync, Raw, url_name


class DatasetSync(ProjectObjectSync):
    """Sync datasets: connection, path/table, format, schema, partitioning, flow options, tags..."""

    list_markers = frozenset({"type", "params", "schema"})

    @property
    def resource_type(self) -> str:
        """``dataset``."""
        return "dataset"

    def item_name(self, item: Raw) -> str:
        """Datasets are identified by their name."""
        return str(item["name"])

    def list_items(self, project_key: str) -> List[Raw]:
        """``GET /projects/K/datasets/``: full definitions on DSS and the emulator (checked per item)."""
        return [dict(item) for item in self.client.get_project(project_key).list_datasets(as_type="listitems")]

    def read(self, project_key: str, name: str) -> Raw:
        """``GET /projects/K/datasets/N``."""
        raw = self.client.get_project(project_key).get_dataset(url_name(name)).get_settings().get_raw()
        raw.setdefault("name", name)
        return raw
