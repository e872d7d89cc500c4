"""The ``/__emulator__/`` control plane over HTTP (not part of the DSS API, not authenticated)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..control import Fault, SyntheticSpec
from ..exceptions import BadRequest
from .common import backend, body, control, json_response

bp = Blueprint("emulator_control", __name__)


def _object() -> dict[str, Any]:
    data = body()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequest("Control plane bodies are JSON objects")
    return data


def _number(data: dict[str, Any], key: str, default: Any = None) -> Any:
    value = data.get(key, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise BadRequest(f"{key} must be a number")
    return value


@bp.get("/health")
def health() -> Response:
    return json_response({"status": "ok", "projects": backend().project_keys()})


@bp.post("/reset")
def reset() -> Response:
    reload_seeds = _object().get("reloadSeeds", True)
    return json_response({"projectKeys": control().reset(reload_seeds=bool(reload_seeds))})


@bp.post("/seed")
def seed() -> Response:
    path = _object().get("path")
    if not isinstance(path, str):
        raise BadRequest("seed expects {\"path\": \"<directory>\"}")
    try:
        return json_response({"projectKeys": control().load_seed(path)})
    except FileNotFoundError as e:
        raise BadRequest(str(e)) from None


@bp.post("/synthetic")
def synthetic() -> Response:
    data = _object()
    if not isinstance(data.get("key"), str):
        raise BadRequest("synthetic expects at least {\"key\": \"PROJECT_KEY\"}")
    try:
        spec = SyntheticSpec(key=data["key"], datasets=int(data.get("datasets", 10)),
                             recipes=int(data.get("recipes", 8)), scenarios=int(data.get("scenarios", 2)),
                             folders=int(data.get("folders", 1)), seed=int(data.get("seed", 0)))
        return json_response({"projectKey": control().add_synthetic(spec)})
    except (TypeError, ValueError) as e:
        raise BadRequest(str(e)) from None


@bp.get("/requests")
def requests_seen() -> Response:
    counts = control().request_counts()
    return json_response({"counts": counts, "total": sum(counts.values()), "log": control().request_log()})


@bp.delete("/requests")
def clear_requests() -> Response:
    control().clear_counts()
    return json_response({"counts": {}, "total": 0})


@bp.put("/latency")
@bp.post("/latency")
def latency() -> Response:
    seconds = _number(_object(), "seconds", 0.0)
    control().set_latency(float(seconds))
    return json_response({"seconds": control().latency})


@bp.put("/not-found-status")
@bp.post("/not-found-status")
def not_found_status() -> Response:
    status = _number(_object(), "status", 404)
    control().set_not_found_status(int(status))
    return json_response({"status": control().not_found_status})


@bp.get("/faults")
def list_faults() -> Response:
    return json_response(control().list_faults())


@bp.post("/faults")
def add_fault() -> Response:
    data = _object()
    if not isinstance(data.get("pathPattern", ""), str):
        raise BadRequest("pathPattern must be a string")
    fault = Fault(
        method=str(data.get("method", "*")),
        path_pattern=data.get("pathPattern", ""),
        status=_number(data, "status", None if data.get("dropConnection") else 500),
        remaining=int(_number(data, "count", 1)),
        retry_after=_number(data, "retryAfter"),
        delay=float(_number(data, "delay", 0.0)),
        drop_connection=bool(data.get("dropConnection", False)),
        message=str(data.get("message", "Injected fault")),
        after_handling=bool(data.get("afterHandling", False)),
    )
    return json_response(control().inject_fault(fault).to_json())


@bp.delete("/faults")
def clear_faults() -> Response:
    control().clear_faults()
    return json_response([])


@bp.post("/api-keys")
def create_api_key() -> Response:
    data = _object()
    api_key = backend().create_api_key(str(data.get("login", "admin")), read_only=bool(data.get("readOnly")),
                                       admin=bool(data.get("admin", True)), key=data.get("key"))
    return json_response({"key": api_key.key, "login": api_key.login, "readOnly": api_key.read_only,
                          "admin": api_key.admin})


@bp.post("/connections")
def add_connection() -> Response:
    data = _object()
    backend().add_connection(data.get("name"), data.get("type"))
    return json_response({"connections": backend().list_connection_names("all")})
