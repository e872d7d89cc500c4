"""Helpers for routes: parse the request the way dataikuapi sends it, serialise JSON answers."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, g, request

from ..control import ControlPlane
from ..exceptions import BadRequest
from ..models import ApiKey, DSSBackend

EXTENSION_KEY = "dss_emulator"


def backend() -> DSSBackend:
    """The backend of the app serving this request."""
    return current_app.extensions[EXTENSION_KEY]["backend"]


def control() -> ControlPlane:
    """The control plane of the app serving this request."""
    return current_app.extensions[EXTENSION_KEY]["control"]


def caller() -> ApiKey:
    """The authenticated API key (set by the auth hook)."""
    return g.api_key


def login() -> str:
    """Who the write is attributed to (``versionTag.lastModifiedBy.login``)."""
    return caller().login


def body() -> Any:
    """The JSON body, whatever the Content-Type (dataikuapi sends none); ``None`` when empty."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"Failed to parse JSON request body: {e}") from None


def query_bool(name: str, default: bool = False) -> bool:
    """A boolean query parameter; dataikuapi sends Python's ``True``/``False``."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise BadRequest(f"Invalid boolean for query parameter {name}: {value!r}")


def json_response(obj: Any, status: int = 200) -> Response:
    """Serialise ``obj`` as a JSON response (every answer is JSON, even after writes)."""
    return Response(json.dumps(obj), status=status, mimetype="application/json")


def ok(message: str) -> Response:
    """The small JSON body DSS answers after a write (``{"msg": ...}``)."""
    return json_response({"msg": message})
