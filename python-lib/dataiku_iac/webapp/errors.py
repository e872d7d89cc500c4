"""HTTP statuses for library errors, and the JSON error envelope ``{"error": {"status", "message"}}``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..exceptions import (
    ApplyError,
    ConfigError,
    DataikuIaCError,
    DSSError,
    InvalidResourceIdError,
    PermissionDeniedError,
    ResourceNotFoundError,
    StateConflictError,
    StateFormatError,
    StateLockedError,
    StateNotFoundError,
    SyncError,
)

#: What the browser sees for an unexpected error; the traceback goes to the backend log only.
INTERNAL_ERROR_MESSAGE = "Internal error in the drift viewer backend; the details are in the backend log."


class WebappError(DataikuIaCError):
    """An error a route raises on purpose, with the HTTP status it answers."""

    status = 400

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        if status:
            self.status = status


class BadRequestError(WebappError):
    """A query parameter or body is missing or malformed."""

    status = 400


class NotAuthenticatedError(WebappError):
    """The host could not tell who the browser user is."""

    status = 401


class ForbiddenError(WebappError):
    """The viewer may not do this (e.g. accept the live state without write access to the project)."""

    status = 403


class NotFoundError(WebappError):
    """The thing asked for does not exist (a job, a resource in a report)."""

    status = 404


class ConflictError(WebappError):
    """The request conflicts with the current state (stored serial moved on, another job is running)."""

    status = 409


class UnavailableError(WebappError):
    """The host cannot do this (a live check without a DSS connection), or not now (``retry_after`` seconds:
    the backend is busy building other reports)."""

    status = 503

    def __init__(self, message: str, status: int = 0, retry_after: int = 0) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


# Checked in order: the first class an error is an instance of gives its status.
_STATUSES: Tuple[Tuple[type, int], ...] = (
    (WebappError, 0),
    (PermissionDeniedError, 403),
    (ConfigError, 400),
    (InvalidResourceIdError, 400),
    (StateFormatError, 400),
    (StateNotFoundError, 404),
    (ResourceNotFoundError, 404),
    (StateLockedError, 409),
    (StateConflictError, 409),
    (DSSError, 502),
    (SyncError, 502),
)


#: An apply refusal the viewer can act on (a protected object, a project deletion): the request was understood
#: but the plan asks for what apply will not do.
REFUSED_STATUS = 422


def _apply_statuses() -> Tuple[Tuple[type, int], ...]:
    """The statuses of apply's refusals: a stale plan is a conflict with what DSS, the state or the config
    became (409), a refused plan unprocessable (422). Imported only once an apply error exists, so the read-only
    pages never load the apply engine (it pulls in the planner and the sync layer)."""
    from ..apply.executor import ApplyRefusedError, StalePlanError

    return ((StalePlanError, 409), (ApplyRefusedError, REFUSED_STATUS), (ApplyError, REFUSED_STATUS))


def status_for(error: BaseException) -> int:
    """The HTTP status a library error answers (500 for anything unexpected)."""
    statuses = _STATUSES
    if isinstance(error, ApplyError) and not isinstance(error, (WebappError, PermissionDeniedError)):
        statuses = _apply_statuses() + statuses
    for error_class, status in statuses:
        if isinstance(error, error_class):
            return status or getattr(error, "status", 500)
    return 500


def error_body(status: int, message: str, reasons: Optional[List[str]] = None) -> Dict[str, Any]:
    """The JSON error envelope; ``reasons`` lists every reason of a refusal (a stale plan's) when there are
    several, so the page can show them all, not only the first ten of the message."""
    body: Dict[str, Any] = {"status": status, "message": message}
    if reasons:
        body["reasons"] = [str(reason) for reason in reasons]
    return {"error": body}


def describe(error: BaseException) -> Tuple[Dict[str, Any], int]:
    """Envelope and status for an error: a library error's own message, a fixed text for anything else."""
    status = status_for(error)
    if not isinstance(error, DataikuIaCError):
        return error_body(status, INTERNAL_ERROR_MESSAGE), status
    reasons = getattr(error, "reasons", None)
    return error_body(status, str(error) or type(error).__name__,
                      reasons if isinstance(reasons, list) else None), status
