"""Datasets: identified by name; the list endpoint usually serves whole definitions."""

from __future__ import annotations

from typing import Any, List

from .descriptor import IDENTITY_NAME, Endpoint, FieldSpec, Ignored, Raw, TypeDescriptor, url_name

_DEF = "definition"


def new_dataset_schema() -> Raw:
    """The schema of a dataset ``create_dataset`` just made (nothing saved yet)."""
    return {"columns": [], "userModified": False}


def _field(name: str, **kwargs: Any) -> FieldSpec:
    return FieldSpec(name, _DEF, _DEF, **kwargs)


class DatasetDescriptor(TypeDescriptor):
    """Datasets: connection, path/table, format, schema, partitioning, flow options, tags..."""

    type_name = "dataset"
    identity = IDENTITY_NAME
    id_field = "name"
    list_markers = frozenset({"type", "params", "schema"})
    list_call = "GET /projects/K/datasets/"
    create_call = "POST /projects/K/datasets/ {name, type, params, formatType, formatParams}"
    delete_call = "DELETE /projects/K/datasets/N?dropData=false"
    ignored = (
        Ignored("formatParams.probableNumberOfRecords", "an estimate DSS rewrites after builds"),
        Ignored("metrics.displayedState", "which metrics the UI shows, not what is computed"),
        Ignored("metricsChecks.displayedState", "which checks the UI shows, not what is checked"),
    )
    endpoints = (Endpoint(_DEF, "GET /projects/K/datasets/N", "PUT /projects/K/datasets/N"),)
    fields = (
        _field("name", identity=True, at_creation=True,
               note="renaming is POST /actions/renameDataset; a new name is another object to the plan"),
        _field("type", immutable=True, at_creation=True,
               note="DSS keeps a dataset's type (Filesystem, PostgreSQL...) for its life"),
        _field("managed", immutable=True, note="a dataset is managed by DSS or external from its creation"),
        _field("params", at_creation=True),
        _field("formatType", at_creation=True),
        _field("formatParams", at_creation=True),
        _field("schema", note="saved with the definition (one PUT with the rest; PUT .../schema also exists)"),
        _field("partitioning"), _field("flowOptions"), _field("readWriteOptions"), _field("metrics"),
        _field("metricsChecks"), _field("checks"), _field("tags"), _field("description"), _field("shortDesc"),
        _field("customFields"), _field("customMeta"), _field("dkuProperties"), _field("featureGroup"),
    )

    def list_items(self, client: Any, project_key: str) -> List[Raw]:
        """``GET /projects/K/datasets/``: full definitions on DSS and the emulator (checked per item)."""
        return [dict(item) for item in client.get_project(project_key).list_datasets(as_type="listitems")]

    def read(self, client: Any, project_key: str, name: str) -> Raw:
        """``GET /projects/K/datasets/N``."""
        raw = client.get_project(project_key).get_dataset(url_name(name)).get_settings().get_raw()
        raw.setdefault("name", name)
        return raw


DATASET = DatasetDescriptor()
