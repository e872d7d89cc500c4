"""Routes for managed folders and their contents."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..exceptions import BadRequest
from .common import backend, body, json_response, login, ok, query_bool

bp = Blueprint("folders", __name__)

BASE = "/projects/<project_key>/managedfolders"


@bp.get(f"{BASE}/")
def list_folders(project_key: str) -> Response:
    return json_response(backend().list_folders(project_key))


@bp.post(f"{BASE}/")
def create_folder(project_key: str) -> Response:
    return json_response(backend().create_folder(project_key, body(), login()))


@bp.get(f"{BASE}/<folder_id>")
def get_folder(project_key: str, folder_id: str) -> Response:
    return json_response(backend().get_folder(project_key, folder_id))


@bp.put(f"{BASE}/<folder_id>")
def save_folder(project_key: str, folder_id: str) -> Response:
    backend().save_folder(project_key, folder_id, body(), login())
    return ok(f"Updated managed folder {project_key}.{folder_id}")


@bp.delete(f"{BASE}/<folder_id>")
def delete_folder(project_key: str, folder_id: str) -> Response:
    query_bool("dropData")
    backend().delete_folder(project_key, folder_id)
    return ok(f"Deleted managed folder {project_key}.{folder_id}")


@bp.get(f"{BASE}/<folder_id>/contents")
@bp.get(f"{BASE}/<folder_id>/contents/")
def list_contents(project_key: str, folder_id: str) -> Response:
    return json_response(backend().list_folder_contents(project_key, folder_id))


# "anypath" accepts a leading slash: dataikuapi quotes "/a.csv" into "contents//a.csv".
@bp.get(f"{BASE}/<folder_id>/contents/<anypath:path>")
def get_file(project_key: str, folder_id: str, path: str) -> Response:
    data = backend().get_folder_file(project_key, folder_id, path)
    return Response(data, mimetype="application/octet-stream")


def _uploaded_bytes() -> bytes:
    """The multipart part ``file`` (dataikuapi sends it with an empty filename), else the raw body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is not None:
            return upload.read()
        if "file" in request.form:
            return request.form["file"].encode("utf-8")
        raise BadRequest("Multipart upload without a 'file' part")
    return request.get_data()


@bp.post(f"{BASE}/<folder_id>/contents/<anypath:path>")
def put_file(project_key: str, folder_id: str, path: str) -> Response:
    return json_response(backend().put_folder_file(project_key, folder_id, path, _uploaded_bytes()))


@bp.delete(f"{BASE}/<folder_id>/contents/<anypath:path>")
def delete_file(project_key: str, folder_id: str, path: str) -> Response:
    backend().delete_folder_file(project_key, folder_id, path)
    return ok(f"Deleted {path} from managed folder {project_key}.{folder_id}")
