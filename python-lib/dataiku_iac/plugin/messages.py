"""Turning library errors into the short messages a DSS user reads in a macro result or a step log.

Every :class:`DataikuIaCError` already says what went wrong; here it gets the words of the plugin's UI (run the
sync macro, the state folder, the lock file to delete) instead of the command line's, and any secret the
client holds is masked. Anything that is not a DataikuIaCError is a bug and is not turned into a message.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from ..exceptions import DataikuIaCError, DSSError, StateLockedError, StateNotFoundError, StateWriteError

SYNC_MACRO_LABEL = "Dataiku IaC: sync state"
_MAX_LENGTH = 1500


def user_message(
    exc: DataikuIaCError,
    *,
    environment: Optional[str] = None,
    folder: Optional[str] = None,
    secrets: Iterable[Optional[str]] = (),
) -> str:
    """A short, readable message for ``exc`` that says what to do next (no traceback, no secret)."""
    return _mask(_shorten(_message(exc, environment, folder)), secrets)


def client_secrets(client: Any) -> tuple:
    """The credentials a dataikuapi client holds, to mask them in any message."""
    session = getattr(client, "_session", None)
    auth = getattr(session, "auth", None)
    return (
        getattr(client, "api_key", None),
        getattr(client, "internal_ticket", None),
        getattr(auth, "username", None),
        getattr(auth, "password", None),
    )


def _message(exc: DataikuIaCError, environment: Optional[str], folder: Optional[str]) -> str:
    where = _where(environment, folder)
    text = str(exc)
    if isinstance(exc, StateNotFoundError):
        if "drift report" in text:
            return f"No drift report{where} yet: run the drift detection first."
        return f"No saved state{where} yet: run the sync macro ('{SYNC_MACRO_LABEL}') first to record one."
    if isinstance(exc, StateLockedError):
        env = environment or "<environment>"
        return (
            f"{text} Inside DSS: once you are sure that run has stopped, delete the file locks/{env}.lock "
            "from the state folder."
        )
    if isinstance(exc, StateWriteError):
        if "not writable" in text:
            return (
                f"The state folder is not writable by this user{where}: ask for write access to its project, "
                f"or choose another folder. Details: {text}"
            )
        return f"The state could not be written{where}: {text}"
    if isinstance(exc, DSSError):
        return _dss_message(text)
    return text  # config, corrupted state, sync failures: their own messages already say what to do


def _dss_message(text: str) -> str:
    """DSS errors in the plugin's words: the transport's details (retries, sockets) are left to the logs."""
    host = re.search(r"(?:Cannot reach DSS|DSS) at (https?://[^\s/]+)", text)
    if host and "did not answer in time" in text:
        return f"DSS at {host.group(1)} did not answer in time: it may be overloaded; retry later."
    if host and ("Cannot reach DSS" in text or "unreachable" in text):
        return f"DSS is unreachable: cannot connect to {host.group(1)}. Check that DSS is running, then retry."
    return f"DSS refused the request: {text}"


def _where(environment: Optional[str], folder: Optional[str]) -> str:
    parts = []
    if environment:
        parts.append(f"for environment '{environment}'")
    if folder:
        parts.append(f"in state folder '{folder}'")
    return (" " + " ".join(parts)) if parts else ""


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_LENGTH else text[: _MAX_LENGTH - 1] + "…"


def _mask(text: str, secrets: Iterable[Optional[str]]) -> str:
    for secret in secrets:
        if isinstance(secret, str) and len(secret) >= 6:
            text = text.replace(secret, "***")
    return re.sub(r"(api[_-]?key[=:]\s*)[^&\s,;]+", r"\1***", text, flags=re.IGNORECASE)
