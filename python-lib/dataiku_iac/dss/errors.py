"""Classify what dataikuapi raises, and turn it into the library's errors with messages that say what to do.

dataikuapi's ``DataikuException`` carries no status code and no body, only ``"<errorType>: <message>"``
(``dataikuapi.utils.handle_http_exception``), so the error *type* is the signal: a missing object is
``com.dataiku.dip.server.controllers.NotFoundException`` whatever the status (some DSS versions answer 500
for it). Anything else is not "not found": an unknown route, a server error or a refused key must never make
an object look deleted.
"""

from __future__ import annotations

import logging
import random
import re
import time
from typing import Callable, Iterable, Optional, TypeVar

import requests

from ..exceptions import DataikuIaCError, DSSError, ResourceNotFoundError

logger = logging.getLogger("dataiku_iac.dss")

NOT_FOUND_ERROR_TYPE = "com.dataiku.dip.server.controllers.NotFoundException"
# DSS names refused credentials and missing rights with these class names (401 and 403 share one type).
_AUTH_ERROR_TYPES = re.compile(r"^[\w.$]*(UnauthorizedException|ForbiddenException|AccessDeniedException|"
                               r"NotAuthorizedException|AuthenticationException)\b")
# Words DSS uses when the key is valid but lacks a right (403), as opposed to a refused key (401).
_FORBIDDEN_WORDS = re.compile(r"forbidden|not allowed|read-only|read only|permission|may not|cannot write|"
                              r"not authorized to|lacks? the right", re.IGNORECASE)
_ERROR_TYPE = re.compile(r"^\s*([\w.$]+)\s*:")

T = TypeVar("T")


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
    return _is_dataiku_exception(exc) and str(exc).startswith(NOT_FOUND_ERROR_TYPE)


def is_auth_error(exc: BaseException) -> bool:
    """True when DSS refused the credentials or the right (401/403 errorTypes)."""
    kind = error_type(exc)
    return bool(kind and _AUTH_ERROR_TYPES.match(kind))


def is_transport_error(exc: BaseException) -> bool:
    """True for connection failures and timeouts (after the transport's own retries)."""
    return isinstance(exc, (requests.ConnectionError, requests.Timeout))


def is_retryable(exc: BaseException) -> bool:
    """True for DSS answers worth asking again (server errors), not for absent objects or refused keys.

    Transport errors are not retried here: urllib3 already retried them (see :mod:`dataiku_iac.dss.client`).
    """
    return _is_dataiku_exception(exc) and not is_not_found(exc) and not is_auth_error(exc)


def _scrub(text: str, secrets: Iterable[Optional[str]]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "<api key>")
    return text


def _host_of(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or ""
    match = re.match(r"^(https?://[^/?#@]+)", url)
    return match.group(1) if match else "the configured DSS URL"


def describe(exc: BaseException, secrets: Iterable[Optional[str]] = ()) -> str:
    """A one-line description of ``exc`` without any secret in it."""
    text = str(exc) or type(exc).__name__
    return _scrub(" ".join(text.split()), secrets)


def to_library_error(exc: BaseException, what: str, secrets: Iterable[Optional[str]] = ()) -> DataikuIaCError:
    """The library error for a failure while doing ``what`` (e.g. ``"reading dataset SALES.orders"``).

    Not found becomes :class:`ResourceNotFoundError`; refused keys, missing rights, unreachable hosts and
    timeouts become :class:`DSSError` with a message that says what to do; other DSS answers become a
    :class:`DSSError` quoting DSS. Library errors pass through. ``secrets`` (e.g. the API key) are masked.
    """
    if isinstance(exc, DataikuIaCError):
        return exc
    detail = describe(exc, secrets)
    if is_not_found(exc):
        return ResourceNotFoundError(f"Not found in DSS while {what}: {detail}")
    if is_auth_error(exc):
        if _FORBIDDEN_WORDS.search(detail):
            return DSSError(f"DSS refused the operation while {what} ({detail}): the API key is valid but lacks the "
                            "right; use a key with the needed permissions on the project (e.g. write access)")
        return DSSError(f"DSS refused the API key while {what} ({detail}): check DKU_API_KEY (or the API key "
                        "file); the key may be wrong, expired or revoked")
    # A read timeout exhausted by retries arrives as a ConnectionError wrapping urllib3's ReadTimeoutError.
    if isinstance(exc, requests.Timeout) or (isinstance(exc, requests.ConnectionError) and "timed out" in detail):
        return DSSError(f"DSS at {_host_of(exc)} did not answer in time while {what} ({detail}): DSS may be "
                        "overloaded or the network slow; retry later or raise the timeout")
    if isinstance(exc, requests.ConnectionError):
        return DSSError(f"Cannot reach DSS at {_host_of(exc)} while {what} ({detail}): check DKU_DSS_URL (or "
                        "--host) and that DSS is running and reachable from here")
    if _is_dataiku_exception(exc):
        return DSSError(f"DSS answered an error while {what}: {detail}")
    return DSSError(f"Unexpected error while {what}: {type(exc).__name__}: {detail}")


def call_with_retries(function: Callable[[], T], *, attempts: int = 3, backoff: float = 0.5,
                      sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``function`` (an idempotent read) up to ``attempts`` times while it fails with a retryable error.

    This covers what the transport does not retry: DSS answering 500 for a transient server-side problem.
    Not-found, refused keys and transport errors are raised at once. Waits ``backoff * 2**n`` (with jitter).
    """
    for attempt in range(1, max(1, attempts) + 1):
        try:
            return function()
        except Exception as exc:
            if attempt >= attempts or not is_retryable(exc):
                raise
            delay = backoff * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            logger.debug("retrying after %s (attempt %d of %d, waiting %.2fs)", exc, attempt, attempts, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover (the loop always returns or raises)
