"""RecipeSync (seed §8): recipe definitions with their payload (code text, or the visual recipe's JSON)."""

from __future__ import annotations

import json
from typing import Any, List, Optional

from .base import ProjectObjectSync, Raw, url_name

#: Recipe types whose payload is source text (dataikuapi's code recipe types and a few more).
CODE_RECIPE_TYPES = frozenset({
    "python", "r", "sql_script", "sql_query", "pyspark", "sparkr", "spark_scala", "shell", "spark_sql_query",
    "hive", "impala", "julia",
})


def payload_value(recipe_type: str, payload: Optional[str]) -> Any:
    """The payload as compared: code as text; a visual recipe's JSON document parsed, so that UI noise can
    be removed by path and changes show per setting (text that is not a JSON object or list stays text)."""
    if payload is None or recipe_type in CODE_RECIPE_TYPES or recipe_type.startswith("CustomCode_"):
        return payload
    try:
        parsed = json.loads(payload)
    except ValueError:
        return payload
    return parsed if isinstance(parsed, (dict, list)) else payload


class RecipeSync(ProjectObjectSync):
    """Sync recipes: type, inputs and outputs of every role, params, and the payload."""

    @property
    def resource_type(self) -> str:
        """``recipe``."""
        return "recipe"

    def item_name(self, item: Raw) -> str:
        """Recipes are identified by their name."""
        return str(item["name"])

    def is_complete(self, item: Raw) -> bool:
        """Never: list items lack the payload, so each recipe needs one GET."""
        return False

    def list_items(self, project_key: str) -> List[Raw]:
        """``GET /projects/K/recipes/``: definitions without payload."""
        return [dict(item) for item in self.client.get_project(project_key).list_recipes(as_type="listitems")]

    def read(self, project_key: str, name: str) -> Raw:
        """``GET /projects/K/recipes/R`` (``{recipe, payload}``): the definition with ``payload`` merged in."""
        data = self.client.get_project(project_key).get_recipe(url_name(name)).get_settings().data
        raw = dict(data.get("recipe") or {})
        raw.setdefault("name", name)
        raw["payload"] = payload_value(str(raw.get("type") or ""), data.get("payload"))
        return raw
