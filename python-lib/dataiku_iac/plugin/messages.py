"""Turning library errors into the short messages a DSS user reads in a macro result or a step log.

Every :class:`DataikuIaCError` already says what went wrong; here it gets the words of the plugin's UI (run the
sync macro, the state folder, the lock file to delete) instead of the command line's, and any secret the
client holds is masked. Anything that is not a DataikuIaCError is a bug and is not turned into a message.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..dss.credentials import client_secrets, safe_text
from ..dss.errors import host_of, is_timeout, is_transport_error
from ..exceptions import (
    DataikuIaCError,
    DSSError,
    DSSTimeoutError,
    DSSUnreachableError,
    StateLockedError,
    StateNotFoundError,
    StateWriteError,
)

__all__ = ["SYNC_MACRO_LABEL", "client_secrets", "user_message"]

SYNC_MACRO_LABEL = "Dataiku IaC: sync state"
_MAX_LENGTH = 1500


def user_message(
    exc: DataikuIaCError,
    *,
    environment: Optional[str] = None,
    folder: Optional[str] = None,
    secrets: Iterable[Optional[str]] = (),
) -> str:
    """A short, readable message for ``exc`` that says what to do next (no traceback, no secret).

    ``secrets``: what :func:`client_secrets` found on the client. Masked before the message is shortened.
    """
    return safe_text(_message(exc, environment, folder), secrets, _MAX_LENGTH, one_line=False)


def _message(exc: DataikuIaCError, environment: Optional[str], folder: Optional[str]) -> str:
    where = _where(environment, folder)
    text = str(exc)
    if isinstance(exc, StateNotFoundError):
        if "drift report" in text:
            return f"No drift report{where} yet: run the drift detection first."
        if "stored plan" in text:
            return text  # it names the plans' folder and the plan macro to run
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
        return _dss_message(exc)
    return text  # config, corrupted state, sync failures: their own messages already say what to do


def _dss_message(exc: DSSError) -> str:
    """DSS errors in the plugin's words: the transport's details (retries, sockets) are left to the logs."""
    # By type: the error itself, or the transport failure it was raised from (e.g. by the state folder).
    cause = exc.__cause__
    host = exc.host or (host_of(cause) if cause is not None else None) or "the DSS URL"
    if isinstance(exc, DSSTimeoutError) or (cause is not None and is_timeout(cause)):
        return f"DSS at {host} did not answer in time: it may be overloaded; retry later."
    if isinstance(exc, DSSUnreachableError) or (cause is not None and is_transport_error(cause)):
        return f"DSS is unreachable: cannot connect to {host}. Check that DSS is running, then retry."
    return f"DSS refused the request: {exc}"


def _where(environment: Optional[str], folder: Optional[str]) -> str:
    parts = []
    if environment:
        parts.append(f"for environment '{environment}'")
    if folder:
        parts.append(f"in state folder '{folder}'")
    return (" " + " ".join(parts)) if parts else ""
