"""Routes for instance-level objects: connections and code envs."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..exceptions import Forbidden
from .common import backend, caller, json_response

bp = Blueprint("instance", __name__)


def require_admin(what: str) -> None:
    """Endpoints whose dataikuapi docstring says "requires an API key with admin rights"."""
    if not caller().admin:
        raise Forbidden(f"Action forbidden: {what} requires administrator rights ({caller().login} is not one)")


@bp.get("/connections/get-names")
def connection_names() -> Response:
    # dataikuapi's list_connections_names(type): any user may ask; type "all" does not filter.
    return json_response(backend().list_connection_names(request.args.get("type")))


@bp.get("/admin/connections/")
def list_connections() -> Response:
    require_admin("listing connections")
    return json_response(backend().list_connections())


@bp.get("/admin/connections/<name>")
def get_connection(name: str) -> Response:
    require_admin("reading a connection")
    return json_response(backend().get_connection(name))


@bp.get("/admin/code-envs/")
def list_code_envs() -> Response:
    # Unlike list_connections, dataikuapi's list_code_envs does not say it needs admin rights.
    return json_response(backend().list_code_envs())
