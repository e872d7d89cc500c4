"""Datasets: definitions, schema and metadata."""

from __future__ import annotations

import copy
from typing import Any

from ..exceptions import BadRequest
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

# Dataset types whose data lives in files (they carry formatType/formatParams).
FILE_TYPES = {"Filesystem", "UploadedFiles", "HDFS", "S3", "GCS", "Azure", "FTP", "SFTP", "SCP"}


class Dataset(StoredObject):
    """A dataset; its name is its identifier."""

    kind = "dataset"
    id_field = "name"


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
        definition["formatParams"] = {"style": "excel", "charset": "utf8", "separator": ",",
                                      "quoteChar": "\"", "escapeChar": "\\", "parseHeaderRow": True,
                                      "compress": ""}
    return definition


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
        """``POST /projects/K/datasets/``: body ``{name, type, params, formatType, formatParams}``."""
        body = require_object(body, "dataset creation")
        project = self.project(key)
        name = check_name(body.get("name"), "dataset")
        definition = default_dataset(key, name, str(body.get("type") or "Filesystem"))
        for field in ("params", "formatType", "formatParams", "schema", "managed", "tags",
                      "description", "shortDesc"):
            if body.get(field) is not None:
                definition[field] = copy.deepcopy(body[field])
        stamp_created(definition, login, self.now())
        return project.datasets.add(Dataset(key, name, definition)).to_json()

    @synchronized
    def create_managed_dataset(self, key: str, body: JSONDict, login: str) -> JSONDict:
        """``POST /projects/K/datasets/managed``: a managed dataset stored in a connection."""
        body = require_object(body, "managed dataset creation")
        project = self.project(key)
        name = check_name(body.get("name"), "dataset")
        settings = body.get("creationSettings") or {}
        connection = settings.get("connectionId") or "filesystem_managed"
        definition = default_dataset(key, name, "Filesystem")
        definition["managed"] = True
        definition["params"] = {"connection": connection, "path": "${projectKey}/" + name,
                                "notReadyIfEmpty": False,
                                "filesSelectionRules": {"mode": "ALL", "excludeRules": [],
                                                        "includeRules": [], "explicitFiles": []}}
        format_id = str((settings.get("specificSettings") or {}).get("formatOptionId") or "")
        if "PARQUET" in format_id.upper():
            definition["formatType"] = "parquet"
            definition["formatParams"] = {"parquetLowerCaseIdentifiers": False,
                                          "parquetCompressionMethod": "SNAPPY"}
        stamp_created(definition, login, self.now())
        return project.datasets.add(Dataset(key, name, definition)).to_json()

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
