"""Scenarios: step-based ones keep everything in the definition; custom python ones also have a script."""

from __future__ import annotations

import copy
import re
from typing import Optional

from ..exceptions import BadRequest
from .common import BackendPart, JSONDict, StoredObject, require_object, stamp_created, synchronized
from .known_keys import SCENARIO_KEYS

SCENARIO_TYPES = {"step_based", "custom_python"}


class Scenario(StoredObject):
    """A scenario; its id is derived by the server from its name at creation."""

    kind = "scenario"
    id_field = "id"
    known_keys = SCENARIO_KEYS

    def __init__(self, project_key: str, scenario_id: str, definition: JSONDict, script: Optional[str]) -> None:
        super().__init__(project_key, scenario_id, definition)
        self.script = script

    def summary(self) -> JSONDict:
        """A list item: identity, type, state and tags; runtime fields say "idle"."""
        d = self.definition
        return {
            "projectKey": self.project_key,
            "id": self.object_id,
            "name": d.get("name", self.object_id),
            "type": d.get("type", "step_based"),
            "active": bool(d.get("active", False)),
            "running": False,
            "tags": list(d.get("tags", [])),
            "shortDesc": d.get("shortDesc", ""),
            "description": d.get("description", ""),
            "automationLocal": bool(d.get("automationLocal", False)),
            # DSS's scenario list items are taggable-object items: they carry the version tag.
            "versionTag": copy.deepcopy(d.get("versionTag", {})),
        }


def derive_scenario_id(name: str) -> str:
    """Newer DSS: upper-case the name and drop everything but ASCII letters, digits and ``_``.

    "Rebuild data and retrain model" -> "REBUILDDATAANDRETRAINMODEL", "git_reload" -> "GIT_RELOAD".
    """
    return re.sub(r"[^A-Z0-9_]", "", name.upper()) or "SCENARIO"


def default_scenario(project_key: str, scenario_id: str, body: JSONDict) -> JSONDict:
    """A new scenario: the body (definition + type + name) over DSS's defaults."""
    scenario_type = body.get("type") or "step_based"
    definition: JSONDict = {
        "projectKey": project_key,
        "id": scenario_id,
        "type": scenario_type,
        "name": body.get("name"),
        "active": False,
        "triggers": [],
        "reporters": [],
        "params": {"steps": []} if scenario_type == "step_based" else {},
        "delayedTriggersBehavior": {"delayWhileRunning": True, "squashDelayedTriggers": True,
                                    "suppressTriggersWhileRunning": True},
        "automationLocal": False,
        "tags": [],
        "customFields": {},
        "checklists": {"checklists": []},
    }
    # The body is deserialised as a scenario: keys a scenario lacks vanish, as on a save.
    for key, value in body.items():
        if key in SCENARIO_KEYS and key not in ("projectKey", "id", "versionTag", "creationTag"):
            definition[key] = copy.deepcopy(value)
    return definition


class ScenariosMixin(BackendPart):
    """Scenario operations of the backend."""

    @synchronized
    def list_scenarios(self, key: str) -> list[JSONDict]:
        """Summaries (``running`` is always false: the emulator never runs anything)."""
        return [s.summary() for s in self.project(key).scenarios]

    @synchronized
    def get_scenario(self, key: str, scenario_id: str) -> JSONDict:
        """The full definition."""
        return self.project(key).scenarios.get(scenario_id).to_json()

    @synchronized
    def save_scenario(self, key: str, scenario_id: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/scenarios/S``: full replace, ``versionTag`` bumped."""
        body = require_object(body, "scenario settings")
        self.project(key).scenarios.get(scenario_id).save(body, login, self.now())

    @synchronized
    def create_scenario(self, key: str, body: JSONDict, login: str) -> JSONDict:
        """``POST /projects/K/scenarios/``: the id comes from the name; a taken id gets ``_1``, ``_2``..."""
        body = require_object(body, "scenario creation")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("Scenario name is required")
        if body.get("type", "step_based") not in SCENARIO_TYPES:
            raise BadRequest(f"Unknown scenario type: {body.get('type')!r}")
        project = self.project(key)
        base = derive_scenario_id(name)
        scenario_id, n = base, 0
        while scenario_id in project.scenarios:
            n += 1
            scenario_id = f"{base}_{n}"
        definition = default_scenario(key, scenario_id, body)
        stamp_created(definition, login, self.now())
        script = "" if definition["type"] == "custom_python" else None
        return project.scenarios.add(Scenario(key, scenario_id, definition, script)).to_json()

    @synchronized
    def delete_scenario(self, key: str, scenario_id: str) -> None:
        """``DELETE /projects/K/scenarios/S``."""
        self.project(key).scenarios.remove(scenario_id)

    @synchronized
    def get_scenario_payload(self, key: str, scenario_id: str) -> JSONDict:
        """``GET .../payload``: ``{"script": ...}`` (empty for step-based scenarios)."""
        return {"script": self.project(key).scenarios.get(scenario_id).script or ""}

    @synchronized
    def set_scenario_payload(self, key: str, scenario_id: str, body: JSONDict, login: str) -> None:
        """``PUT .../payload``: stores the script, bumping the scenario's ``versionTag``."""
        body = require_object(body, "scenario payload")
        script = body.get("script")
        if not isinstance(script, str):
            raise BadRequest("Scenario payload expects {\"script\": \"...\"}")
        scenario = self.project(key).scenarios.get(scenario_id)
        scenario.script = script
        scenario.touch(login, self.now())
