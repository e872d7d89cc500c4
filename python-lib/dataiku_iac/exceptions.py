"""The one error hierarchy of dataiku-iac.

Every error the library raises on purpose is a :class:`DataikuIaCError`, so callers (CLI, macros, scenario
step, webapp) can turn any of them into a short message that says what to do, and treat anything else as a bug.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence


class DataikuIaCError(Exception):
    """Base class of every error dataiku-iac raises on purpose."""


class InvalidResourceIdError(DataikuIaCError, ValueError):
    """A resource id does not follow ``{type}.{PROJECT_KEY}[.{name}]``."""


class StateFormatError(DataikuIaCError, ValueError):
    """A state document (or part of one) is missing a field or has a field of the wrong type.

    ``field`` is the dotted path of the offending field, e.g. ``resources.dataset.P.x.metadata.checksum``.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class StateError(DataikuIaCError):
    """Base class of errors about stored state."""


class StateNotFoundError(StateError):
    """No state is stored at the backend's location yet."""


class StateCorruptedError(StateError):
    """A stored state cannot be used: invalid JSON, schema violations, unknown future version.

    ``location`` names the file (or folder path) and ``problems`` lists the first problems found, each with
    its JSON path, so that a user can fix the file by hand or restore a snapshot.
    """

    def __init__(self, location: str, problems: Sequence[str]) -> None:
        self.location = location
        self.problems = list(problems)
        shown = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(
            f"State at {location} is not usable: {shown}{more}. "
            "Fix the file, or restore a snapshot from its history."
        )


class StateWriteError(StateError):
    """Writing the state failed; the previously stored state is left as it was."""


class StateReadError(StateError):
    """Reading the stored state (or its history, reports, lock) failed at the storage level; nothing changed."""


class UnsafePathError(DataikuIaCError):
    """A file the tool reads or writes is a symbolic link (or not a regular file): refused, never followed.

    State directories live in git repositories, so a committed symlink could otherwise send writes, reads or
    deletions outside them.
    """


class StateConflictError(StateError):
    """Saving would replace a stored state that this writer must not overwrite."""


class LineageMismatchError(StateConflictError):
    """The state being saved belongs to another line of states than the stored one."""

    def __init__(self, stored_lineage: str, new_lineage: str, location: str) -> None:
        self.stored_lineage = stored_lineage
        self.new_lineage = new_lineage
        super().__init__(
            f"State at {location} has lineage {stored_lineage}, the state being saved has lineage "
            f"{new_lineage}: refusing to replace a different line of states. Use force to override."
        )


class StaleStateError(StateConflictError):
    """Another writer saved a newer serial since this state was loaded (no lost update)."""

    def __init__(self, loaded_serial: int, stored_serial: int, location: str) -> None:
        self.loaded_serial = loaded_serial
        self.stored_serial = stored_serial
        super().__init__(
            f"State at {location} is at serial {stored_serial}, but this state was loaded at serial "
            f"{loaded_serial}: someone saved in between. Reload, re-run, then save again (or use force)."
        )


class StateLockedError(StateError):
    """The state is locked by another operation; ``info`` says who holds the lock and since when."""

    def __init__(self, location: str, info: Mapping[str, Any] | None) -> None:
        self.location = location
        self.info = dict(info or {})
        if self.info:
            holder = (
                f"held by {self.info.get('who', '?')} for '{self.info.get('operation', '?')}' "
                f"since {self.info.get('created', '?')} (lock id {self.info.get('id', '?')})"
            )
        else:
            holder = "held by another process"
        super().__init__(
            f"State at {location} is locked, {holder}. Wait and retry; if that process is gone, "
            f"break the lock explicitly with 'dataiku-iac state unlock LOCK_ID'."
        )


class ResourceNotFoundError(DataikuIaCError):
    """The resource does not exist in DSS."""


class PermissionDeniedError(DataikuIaCError):
    """The user may not do this: e.g. change the baseline of a project they may only read."""


class DSSError(DataikuIaCError):
    """Talking to DSS failed (unreachable, refused credentials, server error).

    ``host`` is the DSS URL concerned (without user-info) when known.
    """

    def __init__(self, message: str, host: str | None = None) -> None:
        super().__init__(message)
        self.host = host


class DSSUnreachableError(DSSError):
    """DSS could not be reached (connection refused or reset, unknown host)."""


class DSSTimeoutError(DSSError):
    """DSS did not answer within the timeout (after the retries)."""


class DSSAuthError(DSSError):
    """DSS refused the credentials (wrong, expired or revoked key)."""


class DSSPermissionError(DSSAuthError):
    """DSS accepted the credentials but they lack the right for the operation."""


class SyncError(DataikuIaCError):
    """A sync could not read every resource; nothing was written.

    ``failures`` maps each resource id (or listing) that could not be read to its error text.
    """

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(sorted(failures.items()))
        # One line per failure, whatever the names hold (a line break in a DSS name must not start a line).
        lines = [_one_line(f"  {rid}: {err}") for rid, err in list(self.failures.items())[:10]]
        more = f"\n  ... and {len(self.failures) - 10} more" if len(self.failures) > 10 else ""
        super().__init__(
            f"Sync failed for {len(self.failures)} resource(s); no state was written:\n"
            + "\n".join(lines)
            + more
        )


class ConfigError(DataikuIaCError):
    """A user-supplied setting (CLI flag, macro parameter, environment variable) is missing or invalid."""


class MissingConnectionError(ConfigError):
    """The plan puts objects on connections the target DSS instance lacks. ``missing`` maps each connection
    name (after the environment's remapping) to the resource ids using it."""

    def __init__(self, environment: str, missing: Mapping[str, Sequence[str]], mapping: Mapping[str, str],
                 available: Sequence[str]) -> None:
        self.environment = environment
        self.missing = {name: list(ids) for name, ids in missing.items()}
        parts = []
        for name in sorted(self.missing):
            ids = self.missing[name]
            shown = ", ".join(ids[:5]) + (f" (and {len(ids) - 5} more)" if len(ids) > 5 else "")
            parts.append(f"{name!r} (used by {shown})")
        current = ", ".join(f"{k}: {v}" for k, v in sorted(mapping.items())) or "none"
        super().__init__(
            f"The DSS instance of environment {environment!r} has no connection {'; no connection '.join(parts)}. "
            f"Map each to one it has under environments.{environment}.connections in dataiku-iac.yml "
            f"(config name: instance name; now {current}), or create it in DSS. "
            f"The instance has: {', '.join(available[:20]) or 'none'}"
            + (f" (and {len(available) - 20} more)" if len(available) > 20 else ""))


def _one_line(text: str) -> str:
    """``text`` with its line breaks written as ``\\n`` (``\\r``, ``\\u2028``...)."""
    return "".join(_LINE_BREAKS.get(char, char) for char in text)


_LINE_BREAKS = {"\n": "\\n", "\r": "\\r", "\x0b": "\\x0b", "\x0c": "\\x0c", "\x1c": "\\x1c",
                "\x1d": "\\x1d", "\x1e": "\\x1e", "\x85": "\\x85", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class ApplyError(DataikuIaCError):
    """Writing the config to DSS failed or was refused; ``resource_id`` names the object concerned."""

    def __init__(self, message: str, resource_id: str = "") -> None:
        super().__init__(message)
        self.resource_id = resource_id


class WriteNotAppliedError(ApplyError):
    """DSS accepted a write but reading the object back shows managed paths that did not stick (DSS drops
    keys it does not know without an error). ``paths`` lists them, dotted."""

    def __init__(self, resource_id: str, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        shown = ", ".join(self.paths[:10]) + (f" (and {len(self.paths) - 10} more)" if len(self.paths) > 10 else "")
        super().__init__(
            f"{resource_id}: DSS did not keep {shown} after saving (read back differs): check that this DSS "
            "version knows these fields and that the values are valid for it", resource_id)


class ReplaceRequiredError(ApplyError):
    """An update would change a field DSS cannot change in place (the plan must replace the object)."""
