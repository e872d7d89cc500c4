"""Routes for saved models."""

from __future__ import annotations

from flask import Blueprint, Response

from .common import backend, body, json_response, login, ok, query_bool

bp = Blueprint("saved_models", __name__)

BASE = "/projects/<project_key>/savedmodels"


@bp.get(f"{BASE}/")
def list_saved_models(project_key: str) -> Response:
    query_bool("foreign")
    return json_response(backend().list_saved_models(project_key))


@bp.get(f"{BASE}/<model_id>")
def get_saved_model(project_key: str, model_id: str) -> Response:
    return json_response(backend().get_saved_model(project_key, model_id))


@bp.put(f"{BASE}/<model_id>")
def save_saved_model(project_key: str, model_id: str) -> Response:
    backend().save_saved_model(project_key, model_id, body(), login())
    return ok(f"Updated saved model {project_key}.{model_id}")


@bp.delete(f"{BASE}/<model_id>")
def delete_saved_model(project_key: str, model_id: str) -> Response:
    backend().delete_saved_model(project_key, model_id)
    return ok(f"Deleted saved model {project_key}.{model_id}")


@bp.get(f"{BASE}/<model_id>/versions")
def list_versions(project_key: str, model_id: str) -> Response:
    return json_response(backend().list_saved_model_versions(project_key, model_id))
