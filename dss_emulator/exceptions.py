"""Typed errors of the emulated DSS API.

Models raise these; one Flask error handler turns them into the body that
``dataikuapi.utils.handle_http_exception`` parses, so no model or route ever builds an
error body by hand (moto's ``JsonRESTError`` habit).
"""

from __future__ import annotations

from typing import Any

NOT_FOUND_ERROR_TYPE = "com.dataiku.dip.server.controllers.NotFoundException"
ILLEGAL_ARGUMENT_ERROR_TYPE = "java.lang.IllegalArgumentException"
UNAUTHORIZED_ERROR_TYPE = "com.dataiku.dip.exceptions.UnauthorizedException"
# Deliberately not a DSS class name: code that treats "NotFoundException" as "object
# absent" must not mistake an endpoint the emulator lacks for a missing object.
UNHANDLED_ROUTE_ERROR_TYPE = "dss_emulator.UnhandledRouteException"


class DSSError(Exception):
    """Base class: an error that DSS reports with an HTTP status and a Java ``errorType``."""

    status: int = 500
    error_type: str = "com.dataiku.dip.exceptions.DKUException"

    def __init__(self, message: str, *, detailed_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detailed_message = detailed_message if detailed_message is not None else message

    def to_json(self) -> dict[str, Any]:
        """The error body, as DSS sends it (the subset dataikuapi reads)."""
        return {
            "errorType": self.error_type,
            "message": self.message,
            "detailedMessage": self.detailed_message,
        }


class NotFound(DSSError):
    """A missing project, dataset, recipe, scenario, folder, saved model or file."""

    status = 404
    error_type = NOT_FOUND_ERROR_TYPE

    def __init__(self, kind: str, ref: str) -> None:
        # Real messages look like "dataset does not exist: PROJ.name".
        super().__init__(f"{kind} does not exist: {ref}")
        self.kind = kind
        self.ref = ref


class BadRequest(DSSError):
    """A malformed body or an invalid argument."""

    status = 400
    error_type = ILLEGAL_ARGUMENT_ERROR_TYPE


class AlreadyExists(BadRequest):
    """Creating an object whose identifier is taken."""

    def __init__(self, kind: str, ref: str) -> None:
        super().__init__(f"{kind} already exists: {ref}")


class Unauthorized(DSSError):
    """No credentials, or an API key DSS does not know."""

    status = 401
    error_type = UNAUTHORIZED_ERROR_TYPE


class Forbidden(DSSError):
    """Valid credentials that lack the right (e.g. a write with a read-only key)."""

    status = 403
    error_type = UNAUTHORIZED_ERROR_TYPE


class UnhandledRoute(DSSError):
    """A request for an endpoint the emulator does not implement."""

    status = 404
    error_type = UNHANDLED_ROUTE_ERROR_TYPE

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"The DSS emulator does not handle {method} {path}")
