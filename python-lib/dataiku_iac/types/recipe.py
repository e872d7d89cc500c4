"""Recipes: identified by name; one envelope ``{recipe, payload}`` holds the definition and the payload."""

from __future__ import annotations

import json
from typing import Any, List, Optional

from .descriptor import (
    DATA_TABLE_UI_KEYS,
    DATA_TABLE_UI_REASON,
    IDENTITY_NAME,
    Endpoint,
    FieldSpec,
    Ignored,
    Raw,
    TypeDescriptor,
    url_name,
)

_SETTINGS = "settings"

#: Recipe types whose payload is source text (dataikuapi's code recipe types and a few more); a plugin's
#: ``CustomCode_*`` recipes too (see :func:`is_code_recipe`).
CODE_RECIPE_TYPES = frozenset({
    "python", "r", "sql_script", "sql_query", "pyspark", "sparkr", "spark_scala", "shell", "spark_sql_query",
    "hive", "impala", "julia",
})


def is_code_recipe(recipe_type: str) -> bool:
    """True when the payload of a recipe of this type is source text (else a JSON document as a string)."""
    return recipe_type in CODE_RECIPE_TYPES or recipe_type.startswith("CustomCode_")


def payload_value(recipe_type: str, payload: Optional[str]) -> Any:
    """The payload as compared: code as text; a visual recipe's JSON document parsed, so that UI noise can
    be removed by path and changes show per setting (text that is not a JSON object or list stays text)."""
    if payload is None or is_code_recipe(recipe_type):
        return payload
    try:
        parsed = json.loads(payload)
    except ValueError:
        return payload
    return parsed if isinstance(parsed, (dict, list)) else payload


def payload_text(recipe_type: str, value: Any) -> Optional[str]:
    """The inverse of :func:`payload_value`: the string DSS stores (a parsed visual payload re-encoded)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def _field(name: str, **kwargs: Any) -> FieldSpec:
    kwargs.setdefault("at_creation", True)
    return FieldSpec(name, _SETTINGS, _SETTINGS, **kwargs)


class RecipeDescriptor(TypeDescriptor):
    """Recipes: type, inputs and outputs of every role, params, and the payload."""

    type_name = "recipe"
    identity = IDENTITY_NAME
    id_field = "name"
    list_call = "GET /projects/K/recipes/"
    create_call = ("POST /projects/K/recipes/ {recipePrototype: the definition, creationSettings: "
                   "{rawCreation: true, rawPayload}} -> {name}")
    delete_call = "DELETE /projects/K/recipes/N"
    ignored = (
        Ignored("payload.**.$*", "UI state the web UI persists in visual payloads ($idx, $selected, $status with "
                "its cached output schema)"),
        *(Ignored(f"payload.**.{key}", DATA_TABLE_UI_REASON) for key in DATA_TABLE_UI_KEYS),
        Ignored("payload.sorting", "table sorting of the prepare recipe editor (UI state)", subtypes=("shaker",)),
    )
    endpoints = (Endpoint(_SETTINGS, "GET /projects/K/recipes/N {recipe, payload}",
                          "PUT /projects/K/recipes/N {recipe, payload}"),)
    fields = (
        _field("name", identity=True,
               note="renaming is POST /actions/renameRecipe; a new name is another object to the plan"),
        _field("type", immutable=True, note="a recipe's type (python, join...) is fixed when it is created"),
        _field("inputs"), _field("outputs"), _field("params"),
        _field("payload", note="the envelope's payload: code text, or a visual recipe's JSON (parsed)"),
        _field("tags"), _field("description"), _field("shortDesc"), _field("neverRecomputeExistingPartitions"),
        _field("optionalDependencies"), _field("redispatchPartitioning"), _field("maxRunningActivities"),
        _field("hashPropagationBehavior"), _field("variables"), _field("labels"), _field("customFields"),
        _field("customMeta"), _field("dkuProperties"),
    )

    def is_complete(self, item: Raw) -> bool:
        """Never: list items lack the payload, so each recipe needs one GET."""
        return False

    def list_items(self, client: Any, project_key: str) -> List[Raw]:
        """``GET /projects/K/recipes/``: definitions without payload."""
        return [dict(item) for item in client.get_project(project_key).list_recipes(as_type="listitems")]

    def read(self, client: Any, project_key: str, name: str) -> Raw:
        """``GET /projects/K/recipes/R`` (``{recipe, payload}``): the definition with ``payload`` merged in."""
        data = client.get_project(project_key).get_recipe(url_name(name)).get_settings().data
        return self.from_envelope(data, name)

    def from_envelope(self, data: Raw, name: str) -> Raw:
        """The raw recipe of a ``{recipe, payload}`` envelope (pure)."""
        raw = dict(data.get("recipe") or {})
        raw.setdefault("name", name)
        raw["payload"] = payload_value(str(raw.get("type") or ""), data.get("payload"))
        return raw


RECIPE = RecipeDescriptor()
