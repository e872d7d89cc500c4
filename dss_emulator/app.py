"""The Flask app: API prefixes, auth, latency and faults, and error serialisation.

Request pipeline for the emulated API (anything under ``/dip/publicapi`` or ``/public/api``):
count the request -> global latency -> injected fault -> authenticate -> route -> JSON answer.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import socket
import time
from typing import Optional

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from .control import ControlPlane, Fault
from .exceptions import DSSError, NotFound, UnhandledRoute
from .models import DSSBackend
from .responses import api_blueprint
from .responses import control as control_routes
from .responses.common import EXTENSION_KEY, json_response

API_PREFIXES = ("/dip/publicapi", "/public/api")
CONTROL_PREFIX = "/__emulator__"


class AnyPathConverter(BaseConverter):
    """A path that may start with ``/`` (werkzeug's ``path`` converter refuses a leading slash)."""

    regex = ".+"
    part_isolating = False


def api_prefix(path: str) -> Optional[str]:
    """The API prefix ``path`` is under, if any."""
    for prefix in API_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return None


def credentials() -> Optional[str]:
    """The API key from any of the four forms DSS accepts.

    ``X-DKU-APITicket``; ``Authorization: Bearer <key>``; Basic with the key as user and an
    empty password (what dataikuapi sends); Basic with an empty user and the key as password.
    """
    ticket = request.headers.get("X-DKU-APITicket")
    if ticket:
        return ticket
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or password or None
    return None


def drop_connection() -> None:
    """Close the client's TCP connection without an answer (the client sees a reset/EOF)."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        # The peer may already be gone; either way there is nothing more to do.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def fault_response(fault: Fault) -> Response:
    """The answer of an injected status fault (a DSS-style error body)."""
    response = json_response({"errorType": "dss_emulator.InjectedFault", "message": fault.message,
                              "detailedMessage": f"{fault.message} (HTTP {fault.status})"},
                             status=fault.status or 500)
    if fault.retry_after is not None:
        retry = fault.retry_after
        response.headers["Retry-After"] = str(int(retry)) if float(retry).is_integer() else str(retry)
    return response


def create_app(backend: DSSBackend, control: ControlPlane) -> Flask:
    """Build the WSGI app serving ``backend``, steered by ``control``."""
    app = Flask("dss_emulator")
    # Must be set before rules are added: folder paths may contain "//", and both
    # "/variables" and "/variables/" must match without a redirect.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.url_map.converters["anypath"] = AnyPathConverter
    app.extensions[EXTENSION_KEY] = {"backend": backend, "control": control}

    api = api_blueprint()
    app.register_blueprint(api, url_prefix=API_PREFIXES[0], name="dip_publicapi")
    app.register_blueprint(api, url_prefix=API_PREFIXES[1], name="public_api")
    app.register_blueprint(control_routes.bp, url_prefix=CONTROL_PREFIX)

    @app.before_request
    def api_pipeline() -> Optional[Response]:
        path = request.path
        if path.startswith(CONTROL_PREFIX + "/"):
            return None
        prefix = api_prefix(path)
        rule = request.url_rule.rule if request.url_rule is not None else None
        route = rule[len(prefix):] if (rule and prefix and rule.startswith(prefix)) else path
        control.record(request.method, route, path)
        control.begin_request()
        g.in_flight = True
        if control.latency:
            time.sleep(control.latency)
        fault = control.take_fault(request.method, path)
        if fault is not None and fault.after_handling:
            g.fault_after = fault  # the request is handled below; after_request replaces its answer
            fault = None
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop_connection:
                drop_connection()
                return Response(b"", status=500)
            if fault.status is not None:
                return fault_response(fault)
        if prefix is None:
            raise UnhandledRoute(request.method, path)
        api_key = backend.authenticate(credentials())
        api_key.check_method(request.method)
        g.api_key = api_key
        return None

    @app.after_request
    def lose_the_answer(response: Response) -> Response:
        fault: Optional[Fault] = g.pop("fault_after", None)
        if fault is None:
            return response
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop_connection:
            drop_connection()
            return Response(b"", status=500)
        return fault_response(fault)

    @app.teardown_request
    def api_request_done(_error: Optional[BaseException]) -> None:
        if g.pop("in_flight", False):
            control.end_request()

    @app.errorhandler(DSSError)
    def dss_error(error: DSSError) -> Response:
        status = error.status
        if isinstance(error, NotFound):
            status = control.not_found_status
        return json_response(error.to_json(), status=status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        # Routing failures (404/405) name the request so a missing endpoint is obvious.
        if error.code in (404, 405):
            return dss_error(UnhandledRoute(request.method, request.path))
        return json_response({"errorType": "dss_emulator.HTTPError", "message": str(error),
                              "detailedMessage": str(error)}, status=error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # An emulator bug: answer like DSS does for an internal error, with the cause.
        message = f"{type(error).__name__}: {error}"
        return json_response({"errorType": "java.lang.RuntimeException", "message": message,
                              "detailedMessage": message}, status=500)

    return app

