"""Saved models: read-only (DSS has no public create outside ML tasks); identified by a server id."""

from __future__ import annotations

from typing import Any, List

from .descriptor import (
    DATA_TABLE_UI_KEYS,
    DATA_TABLE_UI_REASON,
    IDENTITY_SERVER_ID,
    Endpoint,
    FieldSpec,
    Ignored,
    Raw,
    TypeDescriptor,
    url_name,
)

_DEF = "definition"


def _field(name: str) -> FieldSpec:
    return FieldSpec(name, _DEF, None)


class SavedModelDescriptor(TypeDescriptor):
    """Saved model settings (not their trained versions); nothing is written back."""

    type_name = "saved_model"
    identity = IDENTITY_SERVER_ID
    id_field = "id"
    creatable = False
    list_markers = frozenset({"miniTask"})
    list_call = "GET /projects/K/savedmodels/"
    ignored = (
        Ignored("metrics.displayedState", "which metrics the UI shows, not what is computed"),
        Ignored("metricsChecks.displayedState", "which checks the UI shows, not what is checked"),
        Ignored("activeVersion", "changes on every retrain (publishPolicy UNCONDITIONAL)"),
        Ignored("lastExportedFrom", "identifier of the last export, stamped by DSS"),
        Ignored("lastTrainIndex", "training counter, stamped by DSS"),
        Ignored("lastTrainJobId", "id of the last training job, stamped by DSS"),
        *(Ignored(f"miniTask.**.{key}", DATA_TABLE_UI_REASON) for key in DATA_TABLE_UI_KEYS),
    )
    endpoints = (Endpoint(_DEF, "GET /projects/K/savedmodels/N"),)
    fields = tuple(_field(name) for name in (
        "name", "savedModelType", "contentType", "publishPolicy", "rebuildBehavior", "miniTask", "partitioning",
        "flowOptions", "conditionalOutputs", "metrics", "metricsChecks", "tags", "description", "shortDesc",
        "customFields"))

    def list_items(self, client: Any, project_key: str) -> List[Raw]:
        """``GET /projects/K/savedmodels/``."""
        return list(client.get_project(project_key).list_saved_models())

    def read(self, client: Any, project_key: str, name: str) -> Raw:
        """``GET /projects/K/savedmodels/ID``."""
        raw = client.get_project(project_key).get_saved_model(url_name(name)).get_settings().get_raw()
        raw.setdefault("id", name)
        return raw


SAVED_MODEL = SavedModelDescriptor()
