"""ScenarioSync: scenario definitions (triggers, steps, reporters) and the script of custom python scenarios."""

from __future__ import annotations

from typing import List

from .base import ProjectObjectSync, Raw, url_name


class ScenarioSync(ProjectObjectSync):
    """Sync scenarios, identified by their id; python scenarios carry their ``script``."""

    # List items are summaries on DSS; one that holds these (and is step-based) is a whole definition.
    list_markers = frozenset({"type", "triggers", "reporters", "params"})

    @property
    def resource_type(self) -> str:
        """``scenario``."""
        return "scenario"

    def is_complete(self, item: Raw) -> bool:
        """A step-based scenario whose list item holds the whole definition (python ones need their script)."""
        return super().is_complete(item) and item.get("type") == "step_based"

    def list_items(self, project_key: str) -> List[Raw]:
        """``GET /projects/K/scenarios/``: summaries (``id``, ``name``, ``type``, ``active``...)."""
        # The raw dicts, read by "id": dataikuapi's DSSScenarioListItem.id returns the *name* (a client bug).
        return [dict(item) for item in self.client.get_project(project_key).list_scenarios(as_type="listitems")]

    def read(self, project_key: str, name: str) -> Raw:
        """``GET /projects/K/scenarios/S``, plus ``GET .../payload`` for a non step-based scenario."""
        settings = self.client.get_project(project_key).get_scenario(url_name(name)).get_settings()
        raw = dict(settings.get_raw())
        raw.setdefault("id", name)
        if raw.get("type") != "step_based":
            raw["script"] = getattr(settings, "script", None)
        return raw
