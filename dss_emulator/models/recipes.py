"""Recipes: a definition plus a payload (code text, or a JSON document as a string for visual recipes)."""

from __future__ import annotations

import copy
import json
from typing import Optional

from ..exceptions import AlreadyExists, BadRequest
from .common import BackendPart, JSONDict, StoredObject, require_object, stamp_created, synchronized
from .datasets import Dataset, default_dataset
from .projects import Project

# Recipe types whose payload is source text (dataikuapi's CodeRecipeSettings list).
CODE_TYPES = {"python", "r", "sql_script", "sql_query", "pyspark", "sparkr", "spark_scala", "shell",
              "spark_sql_query", "hive", "impala", "julia"}


class Recipe(StoredObject):
    """A recipe; its name is its identifier. The payload is kept apart from the definition."""

    kind = "recipe"
    id_field = "name"

    def __init__(self, project_key: str, name: str, definition: JSONDict, payload: Optional[str]) -> None:
        super().__init__(project_key, name, definition)
        self.payload = payload

    def envelope(self) -> JSONDict:
        """``GET /projects/K/recipes/R`` answers ``{"recipe": ..., "payload": ...}``."""
        return {"recipe": self.to_json(), "payload": self.payload}


def default_params(recipe_type: str) -> JSONDict:
    """The ``params`` block DSS gives a new recipe of this type."""
    if recipe_type in CODE_TYPES:
        return {"envSelection": {"envMode": "INHERIT"}, "containerSelection": {"containerMode": "INHERIT"},
                "skipPrerunValidate": False}
    return {"engineParams": {"maxThreads": 8, "containerSelection": {"containerMode": "INHERIT"}}}


def default_payload(recipe_type: str, settings: JSONDict) -> Optional[str]:
    """The payload a created recipe starts with, from its creation settings."""
    if settings.get("rawCreation"):
        return settings.get("rawPayload")
    if recipe_type in CODE_TYPES:
        # CodeRecipeCreator sends "script"; the create_recipe docstring says "payload".
        return str(settings.get("script") or settings.get("payload") or "")
    if recipe_type == "grouping":
        keys = [{"column": settings["groupKey"]}] if settings.get("groupKey") else []
        return json.dumps({"keys": keys, "values": [], "globalCount": False,
                           "preFilter": {"distinct": False, "enabled": False},
                           "postFilter": {"enabled": False}, "computedColumns": []}, indent=2)
    return json.dumps({}, indent=2)


def output_refs(definition: JSONDict) -> list[str]:
    """Every output ref, role by role."""
    refs: list[str] = []
    for role in (definition.get("outputs") or {}).values():
        refs.extend(item.get("ref", "") for item in (role or {}).get("items", []))
    return [r for r in refs if r]


class RecipesMixin(BackendPart):
    """Recipe operations of the backend."""

    @synchronized
    def list_recipes(self, key: str) -> list[JSONDict]:
        """Definitions without payload (what ``GET /projects/K/recipes/`` lists)."""
        return [r.to_json() for r in self.project(key).recipes]

    @synchronized
    def get_recipe(self, key: str, name: str) -> JSONDict:
        """The ``{recipe, payload}`` envelope."""
        return self.project(key).recipes.get(name).envelope()

    @synchronized
    def get_recipe_payload(self, key: str, name: str) -> Optional[str]:
        """Just the payload (model-level convenience, no HTTP route)."""
        return self.project(key).recipes.get(name).payload

    @synchronized
    def save_recipe(self, key: str, name: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/recipes/R`` with the envelope; a missing ``payload`` key keeps the payload."""
        body = require_object(body, "recipe settings")
        definition = body.get("recipe")
        if not isinstance(definition, dict):
            raise BadRequest("Recipe save expects {\"recipe\": {...}, \"payload\": \"...\"}")
        payload = body.get("payload", ...)
        if payload is not ... and payload is not None and not isinstance(payload, str):
            raise BadRequest("Recipe payload must be a string")
        recipe = self.project(key).recipes.get(name)
        recipe.save(definition, login, self.now())
        if payload is not ...:
            recipe.payload = payload

    @synchronized
    def create_recipe(self, key: str, body: JSONDict, login: str) -> JSONDict:
        """``POST /projects/K/recipes/``: answers ``{"name": <final name>}``."""
        body = require_object(body, "recipe creation")
        proto = require_object(body.get("recipePrototype"), "recipePrototype")
        settings = body.get("creationSettings") or {}
        project = self.project(key)
        recipe_type = proto.get("type")
        if not isinstance(recipe_type, str) or not recipe_type:
            raise BadRequest("recipePrototype.type is required")
        name = self._recipe_name(project, proto, recipe_type)
        definition: JSONDict = {
            "projectKey": key, "name": name, "type": recipe_type,
            "neverRecomputeExistingPartitions": False, "optionalDependencies": False,
            "params": default_params(recipe_type),
            "inputs": copy.deepcopy(proto.get("inputs") or {}),
            "outputs": copy.deepcopy(proto.get("outputs") or {}),
            "redispatchPartitioning": False, "maxRunningActivities": 0, "hashPropagationBehavior": "INHERIT",
            "variables": {}, "dkuProperties": [], "labels": [], "tags": copy.deepcopy(proto.get("tags") or []),
            "customFields": {}, "customMeta": {"kv": {}}, "checklists": {"checklists": []},
        }
        stamp_created(definition, login, self.now())
        if settings.get("createOutputDataset"):
            self._create_outputs(project, definition, settings.get("outputDatasetSettings") or {}, login)
        project.recipes.add(Recipe(key, name, definition, default_payload(recipe_type, settings)))
        return {"name": name}

    def _recipe_name(self, project: Project, proto: JSONDict, recipe_type: str) -> str:
        """An explicit name must be free; a missing one is derived and de-duplicated (``_1``...)."""
        explicit = proto.get("name")
        if explicit:
            if not isinstance(explicit, str) or "." in explicit or "/" in explicit:
                raise BadRequest(f"Invalid recipe name: {explicit!r}")
            if explicit in project.recipes:
                raise AlreadyExists("recipe", f"{project.key}.{explicit}")
            return explicit
        outputs = output_refs(proto)
        base = f"compute_{outputs[0].split('.')[-1]}" if outputs else f"{recipe_type}_recipe"
        name, n = base, 0
        while name in project.recipes:
            n += 1
            name = f"{base}_{n}"
        return name

    def _create_outputs(self, project: Project, definition: JSONDict, settings: JSONDict, login: str) -> None:
        """``createOutputDataset``: make a managed dataset for each output that does not exist yet."""
        connection = settings.get("connectionId") or "filesystem_managed"
        for ref in output_refs(definition):
            if "." in ref or ref in project.datasets or ref in project.folders:
                continue
            dataset = default_dataset(project.key, ref, "Filesystem")
            dataset["managed"] = True
            dataset["params"] = {"connection": connection, "path": "${projectKey}/" + ref}
            stamp_created(dataset, login, self.now())
            project.datasets.add(Dataset(project.key, ref, dataset))

    @synchronized
    def delete_recipe(self, key: str, name: str) -> None:
        """``DELETE /projects/K/recipes/R``."""
        self.project(key).recipes.remove(name)
