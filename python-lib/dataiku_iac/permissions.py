"""Who may change what in DSS: the one "may write these projects" check.

Accepting a live state as the baseline, running a check from the drift viewer (it stores a report) and, next,
apply all change something on behalf of a user, while the code may run with other rights (the webapp's run-as
user) or with rights wider than the decision needs (reading a project is enough to sync it). So every such
action asks :func:`require_write` first, for *every* project it touches, the state folder's project included.

Write access to a project, as DSS grants it: its owner, a user or group granted ``admin`` or
``writeProjectContent`` on it, or a DSS administrator. The permissions are read with ``client`` (the webapp's
run-as user, or the macro user's own client); when they cannot be read, writing is refused (fail closed)
and the reason says so. Nothing here imports ``dataikuapi``: ``client`` is duck-typed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional

from .exceptions import DSSError, PermissionDeniedError

logger = logging.getLogger("dataiku_iac.permissions")

#: Project permission flags that allow changing the project's content (and so a state kept in it).
WRITE_FLAGS = ("admin", "writeProjectContent")
#: The refusal reason when the permissions were read and grant no write access.
NOT_GRANTED = "no write access granted"


@dataclass(frozen=True)
class Principal:
    """A DSS user as DSS named them: login, groups, and whether DSS said they are an administrator."""

    login: str
    groups: FrozenSet[str] = field(default_factory=frozenset)
    dss_admin: bool = False


def principal_from_auth_info(info: Any) -> Optional[Principal]:
    """The principal of an ``/auth/info`` answer (or its browser-headers variant); None without a login."""
    if not isinstance(info, Mapping):
        return None
    login = info.get("authIdentifier")
    if not isinstance(login, str) or not login:
        return None
    groups = info.get("groups") if isinstance(info.get("groups"), list) else []
    return Principal(login, frozenset(str(group) for group in groups), info.get("admin") is True)


def client_principal(client: Any) -> Principal:
    """Who ``client`` acts as (a macro's client acts as the user who runs it)."""
    try:
        info = client.get_auth_info()
    except Exception as exc:
        raise DSSError(f"DSS could not say who runs this ({type(exc).__name__}), so nothing was changed: "
                       "retry, and check that DSS is reachable") from None
    principal = principal_from_auth_info(info)
    if principal is None:
        raise DSSError("DSS did not name the user running this, so nothing was changed")
    return principal


def write_refusals(client: Any, project_keys: Iterable[str], principal: Principal) -> Dict[str, str]:
    """``{project key: why writing is refused}`` for the projects ``principal`` may not write (empty: all
    allowed). Each project's permissions are read once."""
    keys = sorted(set(project_keys))
    if not keys or principal.dss_admin or _in_admin_group(client, principal.groups):
        return {}
    refusals = {}
    for key in keys:
        reason = _write_refusal(client, key, principal)
        if reason:
            refusals[key] = reason
    return refusals


def require_write(client: Any, project_keys: Iterable[str], principal: Principal, action: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``principal`` may write every project of ``project_keys``.

    ``action`` completes "<login> may not ...", e.g. "accept the live state as the baseline".
    """
    refusals = write_refusals(client, project_keys, principal)
    if refusals:
        raise PermissionDeniedError(denied_message(principal.login, action, refusals))


def denied_message(login: str, action: str, refusals: Mapping[str, str]) -> str:
    """One line naming every refused project and why."""
    projects = "; ".join(f"{key} ({reason})" for key, reason in sorted(refusals.items()))
    plural = "s" if len(refusals) > 1 else ""
    return (f"{login} may not {action}: that needs write access to project{plural} {projects}. "
            "Ask a project administrator for write access, or have a project writer do it.")


def _write_refusal(client: Any, project_key: str, principal: Principal) -> str:
    try:
        permissions = client.get_project(project_key).get_permissions()
    except Exception as exc:
        logger.warning("Could not read the permissions of project %s: %s", project_key, type(exc).__name__)
        return "its permissions could not be read; reading them needs admin rights on the project"
    if not isinstance(permissions, Mapping):
        return "DSS answered its permissions in an unexpected form"
    if permissions.get("owner") == principal.login:
        return ""
    for grant in _grants(permissions):
        group = grant.get("group")
        grantee = grant.get("user") == principal.login or (group is not None and str(group) in principal.groups)
        if grantee and any(grant.get(flag) is True for flag in WRITE_FLAGS):
            return ""
    return NOT_GRANTED


def _grants(permissions: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    grants = permissions.get("permissions")
    return [grant for grant in grants if isinstance(grant, Mapping)] if isinstance(grants, list) else []


def _in_admin_group(client: Any, groups: Iterable[str]) -> bool:
    """True when one of the groups has DSS's global admin flag (readable only with admin rights)."""
    for group in sorted(groups):
        try:
            definition = client.get_group(group).get_definition()
        except Exception:
            continue  # the client may not read groups: project permissions decide alone
        if isinstance(definition, Mapping) and definition.get("admin") is True:
            return True
    return False
