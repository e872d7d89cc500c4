"""Routes for datasets."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .common import backend, body, json_response, login, ok, query_bool

bp = Blueprint("datasets", __name__)

BASE = "/projects/<project_key>/datasets"


@bp.get(f"{BASE}/")
def list_datasets(project_key: str) -> Response:
    query_bool("foreign")  # shared datasets from other projects are not emulated
    return json_response(backend().list_datasets(project_key, request.args.getlist("tags")))


@bp.post(f"{BASE}/")
def create_dataset(project_key: str) -> Response:
    return json_response(backend().create_dataset(project_key, body(), login()))


@bp.post(f"{BASE}/managed")
def create_managed_dataset(project_key: str) -> Response:
    return json_response(backend().create_managed_dataset(project_key, body(), login()))


@bp.get(f"{BASE}/<name>")
def get_dataset(project_key: str, name: str) -> Response:
    return json_response(backend().get_dataset(project_key, name))


@bp.put(f"{BASE}/<name>")
def save_dataset(project_key: str, name: str) -> Response:
    backend().save_dataset(project_key, name, body(), login())
    return ok(f"Updated dataset {project_key}.{name}")


@bp.delete(f"{BASE}/<name>")
def delete_dataset(project_key: str, name: str) -> Response:
    query_bool("dropData")
    backend().delete_dataset(project_key, name)
    return ok(f"Deleted dataset {project_key}.{name}")


@bp.get(f"{BASE}/<name>/schema")
def get_schema(project_key: str, name: str) -> Response:
    return json_response(backend().get_dataset_schema(project_key, name))


@bp.put(f"{BASE}/<name>/schema")
def set_schema(project_key: str, name: str) -> Response:
    backend().set_dataset_schema(project_key, name, body(), login())
    return ok(f"Updated schema of dataset {project_key}.{name}")


@bp.get(f"{BASE}/<name>/metadata")
def get_metadata(project_key: str, name: str) -> Response:
    return json_response(backend().get_dataset_metadata(project_key, name))


@bp.put(f"{BASE}/<name>/metadata")
def set_metadata(project_key: str, name: str) -> Response:
    backend().set_dataset_metadata(project_key, name, body(), login())
    return ok(f"Updated metadata of dataset {project_key}.{name}")
