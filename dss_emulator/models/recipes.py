"""Recipes: a definition plus a payload (code text, or a JSON document as a string for visual recipes)."""

from __future__ import annotations

import copy
import json
from typing import Optional

from ..exceptions import AlreadyExists, BadRequest
from .common import (
    BackendPart,
    JSONDict,
    StoredObject,
    apply_metadata,
    metadata_view,
    require_object,
    stamp_created,
    synchronized,
)
from .datasets import Dataset, managed_dataset
from .known_keys import RECIPE_KEYS, known_only
from .projects import Project

# Recipe types whose payload is source text (dataikuapi's CodeRecipeSettings list).
CODE_TYPES = {"python", "r", "sql_script", "sql_query", "pyspark", "sparkr", "spark_scala", "shell",
              "spark_sql_query", "hive", "impala", "julia"}


class Recipe(StoredObject):
    """A recipe; its name is its identifier. The payload is kept apart from the definition."""

    kind = "recipe"
    id_field = "name"
    known_keys = RECIPE_KEYS

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


def new_recipe_definition(key: str, name: str, recipe_type: str, proto: JSONDict, *, raw: bool) -> JSONDict:
    """A new recipe: DSS's defaults, the prototype's roles and tags; in raw mode every known key it carries."""
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
    if raw:
        for field, value in known_only(proto, RECIPE_KEYS).items():
            if field not in ("projectKey", "name", "type", "versionTag", "creationTag") and value is not None:
                definition[field] = copy.deepcopy(value)
    return definition


def role_items(definition: JSONDict, side: str) -> list[tuple[str, JSONDict]]:
    """``(role, item)`` for every input or output item."""
    found: list[tuple[str, JSONDict]] = []
    for role, block in (definition.get(side) or {}).items():
        items = block.get("items", []) if isinstance(block, dict) else []
        found.extend((role, item) for item in items if isinstance(item, dict))
    return found


def complete_input_items(definition: JSONDict) -> None:
    """DSS stores every input item with its partition dependencies, ``deps: []`` when none is given (dataikuapi's
    builders send ``{"ref": ...}`` only; every input of the shared real projects' recipes has ``deps``)."""
    for _role, item in role_items(definition, "inputs"):
        item.setdefault("deps", [])


def add_virtual_inputs(definition: JSONDict, virtual_inputs: object) -> None:
    """Join and stack builders send their inputs apart (``virtualInputs``); DSS puts them in role ``main``."""
    if not virtual_inputs:
        return
    if not isinstance(virtual_inputs, list):
        raise BadRequest("virtualInputs must be a list")
    main = definition.setdefault("inputs", {}).setdefault("main", {"items": []})
    for entry in virtual_inputs:
        ref = entry.get("ref") if isinstance(entry, dict) else entry
        if not isinstance(ref, str) or not ref:
            raise BadRequest(f"Invalid virtual input: {entry!r}")
        if all(item.get("ref") != ref for item in main.setdefault("items", [])):
            main["items"].append({"ref": ref})


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
        complete_input_items(definition)
        recipe.save(definition, login, self.now())
        if payload is not ...:
            recipe.payload = payload

    @synchronized
    def create_recipe(self, key: str, body: JSONDict, login: str) -> JSONDict:
        """``POST /projects/K/recipes/``: answers ``{"name": <final name>}``.

        Two modes, as dataikuapi's ``set_raw_mode`` documents them. By default (every ``new_recipe`` builder)
        DSS checks the flow: an input or output that does not exist is refused, unless the creation settings
        ask DSS to create the output (``createOutputDataset`` / ``createOutputFolder``); join and stack
        builders send their inputs as ``virtualInputs``. With ``rawCreation`` the prototype is the recipe,
        as is: no existence check, no output created, the payload is ``rawPayload``.
        """
        body = require_object(body, "recipe creation")
        proto = require_object(body.get("recipePrototype"), "recipePrototype")
        settings = body.get("creationSettings") or {}
        if not isinstance(settings, dict):
            raise BadRequest("creationSettings must be a JSON object")
        project = self.project(key)
        recipe_type = proto.get("type")
        if not isinstance(recipe_type, str) or not recipe_type:
            raise BadRequest("recipePrototype.type is required")
        for side in ("inputs", "outputs"):
            if not isinstance(proto.get(side) or {}, dict):
                raise BadRequest(f"recipePrototype.{side} must be a JSON object of roles")
        raw = bool(settings.get("rawCreation"))
        name = self._recipe_name(project, proto, recipe_type)
        definition = new_recipe_definition(key, name, recipe_type, proto, raw=raw)
        if not raw:
            self._complete_builder_recipe(project, name, definition, settings, login)
            complete_input_items(definition)  # a raw creation keeps the prototype as declared
        stamp_created(definition, login, self.now())
        project.recipes.add(Recipe(key, name, definition, default_payload(recipe_type, settings)))
        return {"name": name}

    def _complete_builder_recipe(self, project: Project, name: str, definition: JSONDict, settings: JSONDict,
                                 login: str) -> None:
        """A builder's recipe: its flow checked, then the outputs DSS was asked to create made.

        Everything is checked before anything is created, so a refused recipe leaves no output behind.
        """
        add_virtual_inputs(definition, settings.get("virtualInputs"))
        dataset_settings = settings.get("outputDatasetSettings") or {}
        folder_settings = settings.get("outputFolderSettings") or {}
        creates_datasets = bool(settings.get("createOutputDataset"))
        creates_folders = bool(settings.get("createOutputFolder"))
        if creates_datasets:
            self.connection_type(dataset_settings.get("connectionId") or "filesystem_managed",
                                 f"the outputs of recipe {project.key}.{name}")
        if creates_folders:
            self.connection_type(folder_settings.get("connectionId") or "filesystem_folders",
                                 f"the output folders of recipe {project.key}.{name}")
        # A real DSS names a missing output before a missing input (a public report, docs/emulator.md).
        self._check_outputs(project, name, definition, creatable=creates_datasets or creates_folders)
        self._check_inputs(project, name, definition)
        if creates_datasets:
            self._create_outputs(project, definition, dataset_settings, login)
        if creates_folders:
            self._create_output_folders(project, definition, folder_settings, login)

    def _ref_exists(self, project: Project, ref: str) -> bool:
        """A dataset name, managed folder id or saved model id; ``OTHER.x`` looks in project OTHER."""
        holder, _, object_id = ref.rpartition(".")
        target = project
        if holder:
            target = self.projects.get(holder)  # type: ignore[attr-defined]
            if target is None:
                return False
        return object_id in target.datasets or object_id in target.folders or object_id in target.saved_models

    def _check_inputs(self, project: Project, name: str, definition: JSONDict) -> None:
        """Refuse a builder's recipe whose input is not in the flow."""
        for role, item in role_items(definition, "inputs"):
            ref = item.get("ref")
            if not isinstance(ref, str) or not ref or not self._ref_exists(project, ref):
                raise BadRequest(f"Cannot create recipe {project.key}.{name}: its input {ref!r} (role {role}) "
                                 f"does not exist; create it first, or use raw creation to keep a dangling "
                                 f"reference")

    def _check_outputs(self, project: Project, name: str, definition: JSONDict, *, creatable: bool) -> None:
        """Refuse a builder's recipe whose output neither exists nor is to be created by DSS.

        The message starts as a real DSS's does for this case (a public bug report quotes it).
        """
        for role, item in role_items(definition, "outputs"):
            ref = item.get("ref")
            if not isinstance(ref, str) or not ref:
                raise BadRequest(f"Invalid output of recipe {project.key}.{name}: {ref!r}")
            if self._ref_exists(project, ref) or (creatable and "." not in ref):
                continue
            raise BadRequest("Need to create output dataset or folder, but creationInfo params are suppressing "
                             f"it: output {ref!r} (role {role}) of recipe {project.key}.{name} does not exist")

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
        """``createOutputDataset``: a managed dataset, typed by its connection, for each missing output."""
        connection = settings.get("connectionId") or "filesystem_managed"
        format_id = str((settings.get("specificSettings") or {}).get("formatOptionId") or "")
        for ref in output_refs(definition):
            if "." in ref or ref in project.datasets or ref in project.folders:
                continue
            connection_type = self.connection_type(connection, f"output dataset {project.key}.{ref}")
            dataset = managed_dataset(project.key, ref, connection, connection_type, format_id)
            stamp_created(dataset, login, self.now())
            project.datasets.add(Dataset(project.key, ref, dataset))

    def _create_output_folders(self, project: Project, definition: JSONDict, settings: JSONDict,
                               login: str) -> None:
        """``createOutputFolder``: the output named by the builder becomes a new folder; the ref takes its id."""
        connection = settings.get("connectionId") or "filesystem_folders"
        for _role, item in role_items(definition, "outputs"):
            ref = item.get("ref")
            if not isinstance(ref, str) or "." in ref or ref in project.datasets or ref in project.folders:
                continue
            created = self.create_folder(project.key, {  # type: ignore[attr-defined]
                "name": ref, "type": settings.get("typeOptionId"),
                "params": {"connection": connection, "path": "${projectKey}/${odbId}"}}, login)
            item["ref"] = created["id"]

    @synchronized
    def get_recipe_metadata(self, key: str, name: str) -> JSONDict:
        """``GET .../recipes/R/metadata``: the taggable-object view (no ``customFields`` for recipes, as the
        dataikuapi docstring says)."""
        view = metadata_view(self.project(key).recipes.get(name).definition, name)
        view.pop("customFields", None)
        return view

    @synchronized
    def set_recipe_metadata(self, key: str, name: str, body: JSONDict, login: str) -> None:
        """``PUT .../recipes/R/metadata``: tags, descriptions, checklists, custom metadata; bumps the tag."""
        body = require_object(body, "recipe metadata")
        recipe = self.project(key).recipes.get(name)
        apply_metadata(recipe.definition, body)
        recipe.touch(login, self.now())

    @synchronized
    def rename_recipe(self, key: str, body: JSONDict, login: str) -> None:
        """``POST /projects/K/actions/renameRecipe`` ``{oldName, newName}``."""
        body = require_object(body, "recipe rename")
        project = self.project(key)
        recipe = project.recipes.get(str(body.get("oldName")))
        new_name = body.get("newName")
        if not isinstance(new_name, str) or not new_name or "." in new_name or "/" in new_name:
            raise BadRequest(f"Invalid recipe name: {new_name!r}")
        if new_name in project.recipes:
            raise AlreadyExists("recipe", f"{key}.{new_name}")
        project.recipes.remove(recipe.object_id)
        recipe.object_id = new_name
        recipe.definition["name"] = new_name
        recipe.touch(login, self.now())
        project.recipes.add(recipe)

    @synchronized
    def delete_recipe(self, key: str, name: str) -> None:
        """``DELETE /projects/K/recipes/R``."""
        self.project(key).recipes.remove(name)
