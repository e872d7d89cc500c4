"""Routes for scenarios."""

from __future__ import annotations

from flask import Blueprint, Response

from .common import backend, body, json_response, login, ok

bp = Blueprint("scenarios", __name__)

BASE = "/projects/<project_key>/scenarios"


@bp.get(f"{BASE}/")
def list_scenarios(project_key: str) -> Response:
    return json_response(backend().list_scenarios(project_key))


@bp.post(f"{BASE}/")
def create_scenario(project_key: str) -> Response:
    return json_response(backend().create_scenario(project_key, body(), login()))


@bp.get(f"{BASE}/<scenario_id>")
def get_scenario(project_key: str, scenario_id: str) -> Response:
    return json_response(backend().get_scenario(project_key, scenario_id))


@bp.put(f"{BASE}/<scenario_id>")
def save_scenario(project_key: str, scenario_id: str) -> Response:
    backend().save_scenario(project_key, scenario_id, body(), login())
    return ok(f"Updated scenario {project_key}.{scenario_id}")


@bp.delete(f"{BASE}/<scenario_id>")
def delete_scenario(project_key: str, scenario_id: str) -> Response:
    backend().delete_scenario(project_key, scenario_id)
    return ok(f"Deleted scenario {project_key}.{scenario_id}")


@bp.get(f"{BASE}/<scenario_id>/payload")
def get_payload(project_key: str, scenario_id: str) -> Response:
    # dataikuapi's deprecated get_payload sends a body with this GET; it is ignored.
    return json_response(backend().get_scenario_payload(project_key, scenario_id))


@bp.put(f"{BASE}/<scenario_id>/payload")
def set_payload(project_key: str, scenario_id: str) -> Response:
    backend().set_scenario_payload(project_key, scenario_id, body(), login())
    return ok(f"Updated script of scenario {project_key}.{scenario_id}")
