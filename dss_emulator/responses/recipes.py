"""Routes for recipes."""

from __future__ import annotations

from flask import Blueprint, Response

from .common import backend, body, json_response, login, ok

bp = Blueprint("recipes", __name__)

BASE = "/projects/<project_key>/recipes"


@bp.get(f"{BASE}/")
def list_recipes(project_key: str) -> Response:
    return json_response(backend().list_recipes(project_key))


@bp.post(f"{BASE}/")
def create_recipe(project_key: str) -> Response:
    return json_response(backend().create_recipe(project_key, body(), login()))


@bp.get(f"{BASE}/<name>")
def get_recipe(project_key: str, name: str) -> Response:
    return json_response(backend().get_recipe(project_key, name))


@bp.put(f"{BASE}/<name>")
def save_recipe(project_key: str, name: str) -> Response:
    backend().save_recipe(project_key, name, body(), login())
    return ok(f"Updated recipe {project_key}.{name}")


@bp.delete(f"{BASE}/<name>")
def delete_recipe(project_key: str, name: str) -> Response:
    backend().delete_recipe(project_key, name)
    return ok(f"Deleted recipe {project_key}.{name}")


@bp.get(f"{BASE}/<name>/metadata")
def get_metadata(project_key: str, name: str) -> Response:
    return json_response(backend().get_recipe_metadata(project_key, name))


@bp.put(f"{BASE}/<name>/metadata")
def set_metadata(project_key: str, name: str) -> Response:
    backend().set_recipe_metadata(project_key, name, body(), login())
    return ok(f"Updated metadata of recipe {project_key}.{name}")
