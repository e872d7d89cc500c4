"""The drift viewer's context over a DSS managed folder, and the DSS viewer check (no ``dataiku`` import).

Inside DSS, ``webapps/drift-viewer/backend.py`` passes ``dataiku.api_client()``, the project key and the
webapp's config to :func:`dss_webapp_context`. Outside DSS, ``dataiku-iac serve --project KEY --folder ID``
uses :func:`managed_folder_context` with a client built from an API key.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, List, Mapping, Optional, Set, Tuple

from ..backends.base import StateBackend
from ..backends.managed_folder import ManagedFolderBackend
from ..dss.folders import resolve_folder
from ..exceptions import PermissionDeniedError
from ..permissions import NOT_GRANTED, Principal, principal_from_auth_info, require_write, write_refusals
from ..plugin.config import LABEL_FOLDER, parse_bool, parse_environment, parse_folder
from ..plugin.messages import client_secrets
from ..redaction_key import key_from_dss_user_secrets
from .context import (
    Authorize,
    PlanApplier,
    Viewer,
    WebappContext,
    environments_from_paths,
    manager_factory_for,
    plan_applier,
)

logger = logging.getLogger("dataiku_iac.webapp")

#: The webapp parameter that lets (default) or stops viewers applying plans from the Plans tab.
LABEL_ALLOW_APPLY = "Allow applying plans from this viewer"


def dss_webapp_context(client: Any, project_key: str, config: Optional[Mapping[str, Any]]) -> WebappContext:
    """The context of the DSS webapp: its ``state_folder`` and ``environment`` parameters, the browser user
    identified by DSS, and live checks as the webapp's run-as user.

    The viewer may change a baseline (accept, check) only with write access to the state folder's project
    and to every project the change covers, whatever the run-as user may do.
    """
    config = config or {}
    folder_ref = parse_folder(config.get("state_folder"), project_key)
    environment = parse_environment(config.get("environment"))
    folder = resolve_folder(client, folder_ref.candidates(), label=LABEL_FOLDER, secrets=client_secrets(client))
    folder_project = str(getattr(folder, "project_key", project_key))
    allow_apply = parse_bool(config.get("allow_apply"), True, LABEL_ALLOW_APPLY)
    context = managed_folder_context(
        client, folder, default_environment=environment, identify=dss_viewer_check(client, folder_project),
        authorize=dss_authorizer(client, folder_project),
        # Plans are applied as the run-as user, their config read again from DSS (folder or library) only.
        apply_plan=plan_applier(client) if allow_apply else None,
    )
    if not allow_apply:
        context.apply_unavailable = f"this drift viewer's parameter '{LABEL_ALLOW_APPLY}' is off"
    context.authorize_creation = dss_admins_only
    return context


def managed_folder_context(
    client: Any,
    folder: Any,
    *,
    default_environment: str,
    identify: Callable[[Mapping[str, str]], Viewer],
    check_origin: bool = False,
    live_checks: bool = True,
    authorize: Optional[Authorize] = None,
    apply_plan: Optional[PlanApplier] = None,
) -> WebappContext:
    """A context over the environments stored in a managed folder (``states/<env>.state.json``)."""

    def backend_for(environment: str) -> StateBackend:
        return ManagedFolderBackend(folder, environment)

    def list_environments() -> List[str]:
        listing = folder.list_contents()
        items = listing.get("items", []) if isinstance(listing, dict) else []
        paths = [str(item.get("path", "")) for item in items if isinstance(item, dict)]
        return environments_from_paths([p for p in paths if p.lstrip("/").startswith("states/")])

    context = WebappContext(
        backend_for=backend_for,
        list_environments=list_environments,
        identify=identify,
        make_manager=manager_factory_for(client, redaction_key=key_from_dss_user_secrets(client))
        if live_checks else None,
        default_environment=default_environment,
        check_origin=check_origin,
        location=f"managed folder {getattr(folder, 'project_key', '?')}.{getattr(folder, 'odb_id', '?')}",
        apply_plan=apply_plan,
    )
    if authorize is not None:
        context.authorize = authorize
    return context


def dss_viewer_check(client: Any, project_key: str) -> Callable[[Mapping[str, str]], Viewer]:
    """Who the browser user is (DSS answers from the request's session headers), and whether they may
    write ``project_key`` (the state folder's): its owner, or a user or group granted admin or write-content
    on it, or a DSS administrator (:mod:`dataiku_iac.permissions`)."""

    def identify(headers: Mapping[str, str]) -> Viewer:
        try:
            info = client.get_auth_info_from_browser_headers(dict(headers))
        except Exception as exc:
            logger.warning("DSS could not identify the browser user: %s", type(exc).__name__)
            return Viewer(login=None, reason="DSS did not recognise your session; reload the page and log in again")
        principal = principal_from_auth_info(info)
        if principal is None:
            return Viewer(login=None, reason="DSS did not name the browser user")
        profile = info.get("userProfile") if isinstance(info.get("userProfile"), dict) else {}
        may_write, reason = may_write_project(client, project_key, principal.login, set(principal.groups),
                                              principal.dss_admin)
        return Viewer(login=principal.login, may_write=may_write, display_name=profile.get("displayName") or None,
                      reason=reason, groups=principal.groups, dss_admin=principal.dss_admin)

    return identify


def may_write_project(client: Any, project_key: str, login: str, groups: Set[str],
                      dss_admin: bool = False) -> Tuple[bool, str]:
    """``(allowed, reason)`` from the project's permissions, as read by the webapp's run-as user."""
    refusals = write_refusals(client, [project_key], Principal(login, frozenset(groups), dss_admin))
    if not refusals:
        return True, ""
    reason = refusals[project_key]
    detail = "" if reason == NOT_GRANTED else f": {reason}"
    return False, f"{login} has no write access to project {project_key}{detail}"


def dss_authorizer(client: Any, folder_project: str) -> Authorize:
    """The DSS rule: write access to the state folder's project and to every project the change covers,
    checked with the project permissions as the run-as user reads them, for the viewer DSS identified."""

    def authorize(viewer: Viewer, project_keys: List[str], action: str) -> None:
        principal = Principal(viewer.login or "?", viewer.groups, viewer.dss_admin)
        require_write(client, sorted(set(project_keys) | {folder_project}), principal, action)

    return authorize


def dss_admins_only(viewer: Viewer, project_keys: List[str], action: str) -> None:
    """Inside DSS, creating projects from the drift viewer is for DSS administrators: the webapp creates them
    as its run-as user, and a project that does not exist yet has no permissions to check the viewer against."""
    if not viewer.dss_admin:
        raise PermissionDeniedError(
            f"{viewer.login or 'This viewer'} may not {action}: only a DSS administrator may create projects "
            "from the drift viewer (ask one, or run the macro 'Dataiku IaC: apply plan' as a user allowed to "
            "create projects)"
        )
