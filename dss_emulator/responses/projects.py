"""Routes for projects and ``/auth/info``."""

from __future__ import annotations

from flask import Blueprint, Response

from .common import backend, body, caller, json_response, login, ok, query_bool

bp = Blueprint("projects", __name__)


@bp.get("/auth/info")
def auth_info() -> Response:
    return json_response(backend().auth_info(caller()))


@bp.post("/auth/info-from-browser-headers")
def auth_info_from_browser_headers() -> Response:
    return json_response(backend().auth_info_from_browser_headers(body()))


@bp.get("/projects/")
def list_projects() -> Response:
    query_bool("includeLocation")  # accepted for fidelity; there are no project folders
    return json_response(backend().list_projects())


@bp.post("/projects/")
def create_project() -> Response:
    project = backend().create_project(body(), login())
    return json_response({"msg": f"Created project {project.key}", "projectKey": project.key})


@bp.get("/projects/<project_key>")
def get_project(project_key: str) -> Response:
    return json_response(backend().get_project_summary(project_key))


@bp.delete("/projects/<project_key>")
def delete_project(project_key: str) -> Response:
    for flag in ("clearManagedDatasets", "clearOutputManagedFolders", "clearJobAndScenarioLogs",
                 "clearManagedKnowledgeBanks", "wait"):
        query_bool(flag)  # validated so a malformed flag is a 400, as a typed DSS endpoint would be
    return json_response(backend().delete_project(project_key))


@bp.get("/projects/<project_key>/metadata")
def get_metadata(project_key: str) -> Response:
    return json_response(backend().get_project_metadata(project_key))


@bp.put("/projects/<project_key>/metadata")
def set_metadata(project_key: str) -> Response:
    backend().set_project_metadata(project_key, body(), login())
    return ok(f"Updated metadata of project {project_key}")


@bp.get("/projects/<project_key>/settings")
def get_settings(project_key: str) -> Response:
    return json_response(backend().get_project_settings(project_key))


@bp.put("/projects/<project_key>/settings")
def set_settings(project_key: str) -> Response:
    backend().set_project_settings(project_key, body(), login())
    return ok(f"Updated settings of project {project_key}")


@bp.get("/projects/<project_key>/permissions")
def get_permissions(project_key: str) -> Response:
    return json_response(backend().get_project_permissions(project_key))


@bp.put("/projects/<project_key>/permissions")
def set_permissions(project_key: str) -> Response:
    backend().set_project_permissions(project_key, body(), login())
    return ok(f"Updated permissions of project {project_key}")


@bp.get("/projects/<project_key>/variables/")
def get_variables(project_key: str) -> Response:
    return json_response(backend().get_project_variables(project_key))


@bp.put("/projects/<project_key>/variables/")
def set_variables(project_key: str) -> Response:
    backend().set_project_variables(project_key, body(), login())
    return ok(f"Updated variables of project {project_key}")


@bp.post("/projects/<project_key>/actions/renameDataset")
def rename_dataset(project_key: str) -> Response:
    backend().rename_dataset(project_key, body(), login())
    return ok(f"Renamed dataset in project {project_key}")


@bp.post("/projects/<project_key>/actions/renameRecipe")
def rename_recipe(project_key: str) -> Response:
    backend().rename_recipe(project_key, body(), login())
    return ok(f"Renamed recipe in project {project_key}")


@bp.post("/projects/<project_key>/actions/renameManagedFolder")
def rename_managed_folder(project_key: str) -> Response:
    backend().rename_folder(project_key, body(), login())
    return ok(f"Renamed managed folder in project {project_key}")
