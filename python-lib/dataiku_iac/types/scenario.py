"""Scenarios: identified by an id DSS derives at creation; custom python ones keep their script apart."""

from __future__ import annotations

from typing import Any, List

from .descriptor import IDENTITY_SERVER_ID, Endpoint, FieldSpec, Ignored, Raw, TypeDescriptor, url_name

_DEF = "definition"
_PAYLOAD = "payload"
STEP_BASED = "step_based"


def _field(name: str, **kwargs: Any) -> FieldSpec:
    kwargs.setdefault("at_creation", True)
    return FieldSpec(name, _DEF, _DEF, **kwargs)


class ScenarioDescriptor(TypeDescriptor):
    """Scenarios: triggers, steps, reporters; python scenarios carry their ``script``."""

    type_name = "scenario"
    identity = IDENTITY_SERVER_ID
    id_field = "id"
    # List items are summaries on DSS; one that holds these (and is step-based) is a whole definition.
    list_markers = frozenset({"type", "triggers", "reporters", "params"})
    list_call = "GET /projects/K/scenarios/"
    create_call = "POST /projects/K/scenarios/ {the definition, name, type} -> {id}"
    delete_call = "DELETE /projects/K/scenarios/N"
    ignored = (
        Ignored("running", "runtime state (list and light views only)"),
        Ignored("start", "runtime state (list and light views only)"),
        Ignored("nextRun", "runtime state (list and light views only)"),
    )
    endpoints = (
        Endpoint(_DEF, "GET /projects/K/scenarios/N", "PUT /projects/K/scenarios/N"),
        Endpoint(_PAYLOAD, "GET /projects/K/scenarios/N/payload {script}",
                 "PUT /projects/K/scenarios/N/payload {script}"),
    )
    fields = (
        _field("name", note="the display name; the id DSS derived from it at creation stays"),
        _field("type", immutable=True, note="a scenario is step-based or custom python from its creation"),
        _field("active"), _field("triggers"), _field("reporters"), _field("params"),
        FieldSpec("script", _PAYLOAD, _PAYLOAD, note="custom python scenarios only"),
        _field("delayedTriggersBehavior"), _field("automationLocal"), _field("runAsUser"), _field("tags"),
        _field("description"), _field("shortDesc"), _field("customFields"),
    )

    def is_complete(self, item: Raw) -> bool:
        """A step-based scenario whose list item holds the whole definition (python ones need their script)."""
        return super().is_complete(item) and item.get("type") == STEP_BASED

    def list_items(self, client: Any, project_key: str) -> List[Raw]:
        """``GET /projects/K/scenarios/``: summaries (``id``, ``name``, ``type``, ``active``...)."""
        # The raw dicts, read by "id": dataikuapi's DSSScenarioListItem.id returns the *name* (a client bug).
        return [dict(item) for item in client.get_project(project_key).list_scenarios(as_type="listitems")]

    def read(self, client: Any, project_key: str, name: str) -> Raw:
        """``GET /projects/K/scenarios/S``, plus ``GET .../payload`` for a non step-based scenario."""
        settings = client.get_project(project_key).get_scenario(url_name(name)).get_settings()
        raw = dict(settings.get_raw())
        raw.setdefault("id", name)
        if raw.get("type") != STEP_BASED:
            raw["script"] = getattr(settings, "script", None)
        return raw


SCENARIO = ScenarioDescriptor()
