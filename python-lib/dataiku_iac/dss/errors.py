"""Classify what dataikuapi raises, and turn it into the library's errors with messages that say what to do.

dataikuapi's ``DataikuException`` carries no status code and no body, only ``"<errorType>: <message>"``
(``dataikuapi.utils.handle_http_exception``), so the error *type* is the signal: a missing object is
``com.dataiku.dip.server.controllers.NotFoundException`` whatever the status (some DSS versions answer 500
for it). Anything else is not "not found": an unknown route, a server error or a refused key must never make
an object look deleted. Transport failures are told apart by their exception types (a read timeout that
exhausted the retries arrives as a ``ConnectionError`` wrapping urllib3's ``ReadTimeoutError``).

Retrying is not done here: the transport's one policy (:mod:`dataiku_iac.dss.client`) already did it.
Every message is masked by :func:`dataiku_iac.dss.credentials.safe_text` (credentials, URL user-info).
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

import requests

from ..exceptions import (
    DataikuIaCError,
    DSSAuthError,
    DSSError,
    DSSPermissionError,
    DSSTimeoutError,
    DSSUnreachableError,
    ResourceNotFoundError,
)
from .credentials import safe_text, strip_userinfo

NOT_FOUND_ERROR_TYPE = "com.dataiku.dip.server.controllers.NotFoundException"
# DSS names refused credentials and missing rights with these class names (401 and 403 share one type).
_AUTH_ERROR_TYPES = re.compile(r"^[\w.$]*(UnauthorizedException|ForbiddenException|AccessDeniedException|"
                               r"NotAuthorizedException|AuthenticationException)\b")
# Words DSS uses when the key is valid but lacks a right (403), as opposed to a refused key (401): only used when
# the HTTP status is unknown (an error from a client that was not hardened).
_FORBIDDEN_WORDS = re.compile(r"forbidden|not allowed|read-only|read only|permission|may not|cannot write|"
                              r"not authorized to|lacks? the right", re.IGNORECASE)
_ERROR_TYPE = re.compile(r"^\s*([\w.$]+)\s*:")
#: Longest DSS detail quoted in a message (after masking).
MAX_DETAIL = 600


def _is_dataiku_exception(exc: BaseException) -> bool:
    # Imported lazily so the pure layers never load dataikuapi through this module.
    from dataikuapi.utils import DataikuException

    return isinstance(exc, DataikuException)


def error_type(exc: BaseException) -> Optional[str]:
    """The DSS ``errorType`` (Java class name) at the start of a ``DataikuException`` message, if any."""
    if not _is_dataiku_exception(exc):
        return None
    match = _ERROR_TYPE.match(str(exc))
    return match.group(1) if match else None


def is_not_found(exc: BaseException) -> bool:
    """True only when DSS said the object does not exist (its NotFoundException errorType)."""
    if isinstance(exc, ResourceNotFoundError):
        return True
    return error_type(exc) == NOT_FOUND_ERROR_TYPE


def http_status(exc: BaseException) -> Optional[int]:
    """The HTTP status DSS answered, when the error came through a hardened client (see ``dss.client``)."""
    status = getattr(exc, "http_status", None)
    return status if isinstance(status, int) else None


def is_auth_error(exc: BaseException) -> bool:
    """True when DSS refused the credentials or the right (401/403, or their errorTypes)."""
    if http_status(exc) in (401, 403):
        return True
    kind = error_type(exc)
    return bool(kind and _AUTH_ERROR_TYPES.match(kind))


def is_permission_error(exc: BaseException) -> bool:
    """True when the credentials are valid but lack the right (403). Without a status (a plain client), the
    words DSS uses for a missing right are the only hint left."""
    status = http_status(exc)
    if status is not None:
        return status == 403
    return is_auth_error(exc) and bool(_FORBIDDEN_WORDS.search(str(exc)))


def is_transport_error(exc: BaseException) -> bool:
    """True for connection failures and timeouts (after the transport's own retries)."""
    return isinstance(exc, (requests.ConnectionError, requests.Timeout))


def is_timeout(exc: BaseException) -> bool:
    """True for a request that got no answer in time (directly, or wrapped by the exhausted retries)."""
    if isinstance(exc, requests.Timeout):
        return True
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    for arg in getattr(exc, "args", ()):
        reason = getattr(arg, "reason", arg)
        # A refused connection is a NewConnectionError, which urllib3 derives from its connect timeout.
        if isinstance(reason, Urllib3Timeout) and not isinstance(reason, NewConnectionError):
            return True
    return False


def host_of(exc: BaseException) -> Optional[str]:
    """``scheme://host[:port]`` of the request that failed (never its user-info), if the error knows it."""
    request = getattr(exc, "request", None)
    url = strip_userinfo(getattr(request, "url", None) or "")
    match = re.match(r"^(https?://[^/?#]+)", url)
    return match.group(1) if match else None


def describe(exc: BaseException, secrets: Iterable[Optional[str]] = ()) -> str:
    """A one-line description of ``exc`` without any secret in it (masked first, then shortened)."""
    return safe_text(str(exc) or type(exc).__name__, secrets, MAX_DETAIL)


def to_library_error(exc: BaseException, what: str, secrets: Iterable[Optional[str]] = ()) -> DataikuIaCError:
    """The library error for a failure while doing ``what`` (e.g. ``"reading dataset SALES.orders"``).

    Not found becomes :class:`ResourceNotFoundError`; a refused key :class:`DSSAuthError`, a missing right
    :class:`DSSPermissionError`, no answer in time :class:`DSSTimeoutError`, an unreachable host
    :class:`DSSUnreachableError`, each with a message that says what to do; other DSS answers become a
    :class:`DSSError` quoting DSS. Library errors pass through. ``secrets`` (see
    :func:`dataiku_iac.dss.credentials.client_secrets`) are masked.
    """
    if isinstance(exc, DataikuIaCError):
        return exc
    detail = describe(exc, secrets)
    if is_not_found(exc):
        return ResourceNotFoundError(f"Not found in DSS while {what}: {detail}")
    if is_auth_error(exc):
        if is_permission_error(exc):
            return DSSPermissionError(f"DSS refused the operation while {what} ({detail}): the API key is valid but "
                                      "lacks the right; use a key with the needed permissions on the project (e.g. "
                                      "write access)")
        return DSSAuthError(f"DSS refused the API key while {what} ({detail}): check DKU_API_KEY (or the API key "
                            "file); the key may be wrong, expired or revoked")
    host = host_of(exc)
    shown = host or "the configured DSS URL"
    if is_timeout(exc):
        return DSSTimeoutError(f"DSS at {shown} did not answer in time while {what} ({detail}): DSS may be "
                               "overloaded or the network slow; retry later or raise the timeout", host=host)
    if is_transport_error(exc):
        return DSSUnreachableError(f"Cannot reach DSS at {shown} while {what} ({detail}): check DKU_DSS_URL (or "
                                   "--host) and that DSS is running and reachable from here", host=host)
    if _is_dataiku_exception(exc):
        return DSSError(f"DSS answered an error while {what}: {detail}")
    return DSSError(f"Unexpected error while {what}: {type(exc).__name__}: {detail}")
