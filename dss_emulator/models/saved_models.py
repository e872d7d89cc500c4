"""Saved models: settings only (versions and training are out of scope)."""

from __future__ import annotations

from .common import BackendPart, JSONDict, StoredObject, require_object, synchronized


class SavedModel(StoredObject):
    """A saved model; its id is DSS's random 8-character string."""

    kind = "saved model"
    id_field = "id"


class SavedModelsMixin(BackendPart):
    """Saved model operations of the backend."""

    @synchronized
    def list_saved_models(self, key: str) -> list[JSONDict]:
        """Full definitions."""
        return [m.to_json() for m in self.project(key).saved_models]

    @synchronized
    def get_saved_model(self, key: str, model_id: str) -> JSONDict:
        """``GET /projects/K/savedmodels/ID``."""
        return self.project(key).saved_models.get(model_id).to_json()

    @synchronized
    def save_saved_model(self, key: str, model_id: str, body: JSONDict, login: str) -> None:
        """``PUT /projects/K/savedmodels/ID``: full replace, ``versionTag`` bumped."""
        body = require_object(body, "saved model settings")
        self.project(key).saved_models.get(model_id).save(body, login, self.now())

    @synchronized
    def list_saved_model_versions(self, key: str, model_id: str) -> list[JSONDict]:
        """The active version only (the emulator trains nothing)."""
        definition = self.project(key).saved_models.get(model_id).definition
        active = definition.get("activeVersion")
        return [{"id": active, "active": True}] if active else []

    @synchronized
    def delete_saved_model(self, key: str, model_id: str) -> None:
        """``DELETE /projects/K/savedmodels/ID``."""
        self.project(key).saved_models.remove(model_id)
