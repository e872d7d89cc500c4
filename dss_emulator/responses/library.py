"""Routes for the project library (``dataikuapi.dss.projectlibrary``)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .common import backend, body, json_response, ok

bp = Blueprint("library", __name__)

BASE = "/projects/<project_key>/libraries"


@bp.get(f"{BASE}/contents")
def list_library(project_key: str) -> Response:
    return json_response(backend().list_library(project_key))


# "anypath" accepts a leading slash: dataikuapi quotes "/a/b.py" into "contents//a/b.py".
@bp.get(f"{BASE}/contents/<anypath:path>")
def get_file(project_key: str, path: str) -> Response:
    return json_response(backend().get_library_file(project_key, path, request.args.get("dataEncoding")))


@bp.post(f"{BASE}/contents/<anypath:path>")
def put_file(project_key: str, path: str) -> Response:
    # dataikuapi sends the file's bytes as the raw body (no multipart, no Content-Type).
    return json_response(backend().put_library_file(project_key, path, request.get_data()))


@bp.delete(f"{BASE}/contents/<anypath:path>")
def delete_item(project_key: str, path: str) -> Response:
    backend().delete_library_item(project_key, path)
    return ok(f"Deleted {path} from the library of {project_key}")


@bp.post(f"{BASE}/folders/<anypath:path>")
def add_folder(project_key: str, path: str) -> Response:
    return json_response(backend().add_library_folder(project_key, path))


@bp.post(f"{BASE}/contents-actions/rename")
def rename_item(project_key: str) -> Response:
    backend().rename_library_item(project_key, body())
    return ok(f"Renamed in the library of {project_key}")


@bp.post(f"{BASE}/contents-actions/move")
def move_item(project_key: str) -> Response:
    backend().move_library_item(project_key, body())
    return ok(f"Moved in the library of {project_key}")
