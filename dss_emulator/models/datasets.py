"""Datasets: definitions, schema and metadata."""

from __future__ import annotations

import copy
from typing import Any

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
from .connections import FILE_CONNECTION_TYPES, dataset_type_for
from .known_keys import DATASET_KEYS

# Dataset types whose data lives in files (they carry formatType/formatParams).
FILE_TYPES = {"Filesystem", "UploadedFiles", "HDFS", "S3", "GCS", "Azure", "FTP", "SFTP", "SCP"}


CSV_FORMAT_PARAMS = {"style": "excel", "charset": "utf8", "separator": ",", "quoteChar": "\"",
                     "escapeChar": "\\", "parseHeaderRow": True, "compress": ""}


class Dataset(StoredObject):
    """A dataset; its name is its identifier."""

    kind = "dataset"
    id_field = "name"
    known_keys = DATASET_KEYS


def default_dataset(project_key: str, name: str, dataset_type: str) -> JSONDict:
    """The fields DSS adds to a dataset created through the API."""
    definition: JSONDict = {
        "projectKey": project_key,
        "name": name,
        "type": dataset_type,
        "managed": False,
        "params": {},
        "schema": {"columns": [], "userModified": False},
        "partitioning": {"ignoreNonMatchingFile": False, "considerMissingRequestedPartitionsAsEmpty": False,
                         "dimensions": []},
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL",
                        "crossProjectBuildBehavior": "DEFAULT"},
        "readWriteOptions": {"preserveOrder": False, "writeBuckets": 1, "forceSingleOutputFile": False,
                             "defaultReadOrdering": {"enabled": False, "rules": []}},
        "metrics": {"probes": [{"type": "basic", "enabled": True, "computeOnBuildMode": "PARTITION",
                                "meta": {"name": "Basic data", "level": 0}, "configuration": {}}],
                    "engineConfig": {"padRunsWithMetrics": False},
                    "displayedState": {"columns": [], "metrics": ["basic:COUNT_COLUMNS"]}},
        "metricsChecks": {"runOnBuild": False, "checks": [], "displayedState": {"checks": []}},
        "checks": [],
        "dkuProperties": [],
        "tags": [],
        "customFields": {},
        "customMeta": {"kv": {}},
        "checklists": {"checklists": []},
    }
    if dataset_type in FILE_TYPES:
        definition["formatType"] = "csv"
        definition["formatParams"] = dict(CSV_FORMAT_PARAMS)
    return definition


def managed_dataset(project_key: str, name: str, connection: str, connection_type: str,
                    format_option_id: str = "") -> JSONDict:
    """A managed dataset as DSS creates it in a connection: its type is the connection's.

    Files (``Filesystem``, ``S3``...) get a path under the project and a CSV format (Parquet when the format
    option says so); SQL connections get a table named after the project and the dataset.
    """
    dataset_type = dataset_type_for(connection_type)
    definition = default_dataset(project_key, name, dataset_type)
    definition["managed"] = True
    if connection_type in FILE_CONNECTION_TYPES:
        definition["params"] = {"connection": connection, "path": "${projectKey}/" + name,
                                "notReadyIfEmpty": False,
                                "filesSelectionRules": {"mode": "ALL", "excludeRules": [],
                                                        "includeRules": [], "explicitFiles": []}}
        definition.setdefault("formatType", "csv")
        if "PARQUET" in format_option_id.upper():
            definition["formatType"] = "parquet"
            definition["formatParams"] = {"parquetLowerCaseIdentifiers": False,
                                          "parquetCompressionMethod": "SNAPPY"}
        elif "formatParams" not in definition:
            definition["formatParams"] = dict(CSV_FORMAT_PARAMS)
    else:
        definition["params"] = {"connection": connection, "notReadyIfEmpty": False, "mode": "table",
                                "table": "${projectKey}_" + name, "tableCreationMode": "auto",
                                "partitioningType": "custom", "normalizeDoubles": True}
        definition.pop("formatType", None)
        definition.pop("formatParams", None)
    return definition


def rename_refs(definition: JSONDict, *, old_ref: str, new_ref: str) -> bool:
    """Point every input/output item referring to ``old_ref`` at ``new_ref``; True when one changed."""
    changed = False
    for side in ("inputs", "outputs"):
        for role in (definition.get(side) or {}).values():
            for item in (role or {}).get("items", []) if isinstance(role, dict) else []:
                if isinstance(item, dict) and item.get("ref") == old_ref:
                    item["ref"] = new_ref
                    changed = True
    return changed


def check_name(name: Any, kind: str) -> str:
    """Dataset-like names: non-empty, and no character that would break a URL or a ref."""
    if not isinstance(name, str) or not name or any(c in name for c in "/.?#"):
        raise BadRequest(f"Invalid {kind} name: {name!r}")
    return name


class DatasetsMixin(BackendPart):
    """Dataset operations of the backend."""

    @synchronized
    def list_datasets(self, key: str, tags: list[str] | None = None) -> list[JSONDict]:
        """Full definitions (as the real list does); ``tags`` keeps datasets having any of them."""
        items = [d.to_json() for d in self.project(key).datasets]
        if tags:
            items = [d for d in items if set(d.get("tags", [])) & set(tags)]
        return items

    @synchronized
    def get_dataset(self, key: str, name: str) -> JSONDict:
        """``GET /projects/K/datasets/N``."""
        return self.project(key).datasets.get(name).to_json()

    @synchronized
    def create_dataset(self, key: str, body: JSONDict, login: str) -> JSONDict:
        """``POST /projects/K/datasets/``: body ``{name, type, params, formatType, formatParams}``.

        A dataset whose ``params.connection`` names a connection the instance lacks is refused.
        """
        body = require_object(body, "dataset creation")
        project = self.project(key)
        name = check_name(body.get("name"), "dataset")
        if name in project.datasets:
            raise AlreadyExists("dataset", f"{key}.{name}")
        params = body.get("params")
        if isinstance(params, dict) and params.get("connection") is not None:
            self.connection_type(params["connection"], f"dataset {key}.{name}")
        definition = default_dataset(key, name, str(body.get("type") or "Filesystem"))
        for field in ("params", "formatType", "formatParams", "schema", "managed", "tags",
                      "description", "shortDesc"):
            if body.get(field) is not None:
                definition[field] = copy.deepcopy(body[field])
        stamp_created(definition, login, self.now())
        return project.datasets.add(Dataset(key, name, definition)).to_json()

    @synchronized
    def create_managed_dataset(self, key: str, body: JSONDict, login: str) -> JSONDict:
        """``POST /projects/K/datasets/managed``: a managed dataset stored in a connection, typed by it."""
        body = require_object(body, "managed dataset creation")
        project = self.project(key)
        name = check_name(body.get("name"), "dataset")
        settings = body.get("creationSettings") or {}
        if not isinstance(settings, dict):
            raise BadRequest("creationSettings must be a JSON object")
        if name in project.datasets:
            raise AlreadyExists("dataset", f"{key}.{name}")
        connection = settings.get("connectionId") or "filesystem_managed"
        connection_type = self.connection_type(connection, f"managed dataset {key}.{name}")
        format_id = str((settings.get("specificSettings") or {}).get("formatOptionId") or "")
        definition = managed_dataset(key, name, connection, connection_type, format_id)
        stamp_created(definition, login, self.now())
        return project.datasets.add(Dataset(key, name, definition)).to_json()

    @synchronized
    def rename_dataset(self, key: str, body: JSONDict, login: str) -> None:
        """``POST /projects/K/actions/renameDataset`` ``{oldName, newName}``: the recipes using it follow."""
        body = require_object(body, "dataset rename")
        project = self.project(key)
        old = project.datasets.get(str(body.get("oldName")))
        new_name = check_name(body.get("newName"), "dataset")
        if new_name == old.object_id:
            raise BadRequest(f"Dataset name is already {new_name}")
        if new_name in project.datasets:
            raise AlreadyExists("dataset", f"{key}.{new_name}")
        project.datasets.remove(old.object_id)
        old.object_id = new_name
        old.definition["name"] = new_name
        old.touch(login, self.now())
        project.datasets.add(old)
        for recipe in project.recipes:
            if rename_refs(recipe.definition, old_ref=body["oldName"], new_ref=new_name):
                recipe.touch(login, self.now())

    @synchronized
    def save_dataset(self, key: str, name: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/datasets/N``: full replace, ``versionTag`` bumped."""
        body = require_object(body, "dataset settings")
        self.project(key).datasets.get(name).save(body, login, self.now())

    @synchronized
    def delete_dataset(self, key: str, name: str) -> None:
        """``DELETE /projects/K/datasets/N`` (``dropData`` is accepted and has no data to drop)."""
        self.project(key).datasets.remove(name)

    @synchronized
    def get_dataset_schema(self, key: str, name: str) -> JSONDict:
        """``GET .../schema``: ``{columns, userModified}``."""
        definition = self.project(key).datasets.get(name).definition
        return copy.deepcopy(definition.get("schema", {"columns": [], "userModified": False}))

    @synchronized
    def set_dataset_schema(self, key: str, name: str, body: JSONDict, login: str) -> None:
        """``PUT .../schema``: replaces the schema inside the definition, bumping its tag."""
        body = require_object(body, "dataset schema")
        if not isinstance(body.get("columns", []), list):
            raise BadRequest("schema columns must be a list")
        dataset = self.project(key).datasets.get(name)
        dataset.definition["schema"] = copy.deepcopy(body)
        dataset.touch(login, self.now())

    @synchronized
    def get_dataset_metadata(self, key: str, name: str) -> JSONDict:
        """``GET .../metadata`` (also what ``DSSDataset.exists()`` calls)."""
        return metadata_view(self.project(key).datasets.get(name).definition, name)

    @synchronized
    def set_dataset_metadata(self, key: str, name: str, body: JSONDict, login: str) -> None:
        """``PUT .../metadata``: tags, descriptions, checklists, custom metadata."""
        body = require_object(body, "dataset metadata")
        dataset = self.project(key).datasets.get(name)
        apply_metadata(dataset.definition, body)
        dataset.touch(login, self.now())
