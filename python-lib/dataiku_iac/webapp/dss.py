"""The drift viewer's context over a DSS managed folder, and the DSS viewer check (no ``dataiku`` import).

Inside DSS, ``webapps/drift-viewer/backend.py`` passes ``dataiku.api_client()``, the project key and the
webapp's config to :func:`dss_webapp_context`. Outside DSS, ``dataiku-iac serve --project KEY --folder ID``
uses :func:`managed_folder_context` with a client built from an API key.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ..backends.base import StateBackend
from ..backends.managed_folder import ManagedFolderBackend
from ..plugin.actions import resolve_folder
from ..plugin.config import parse_environment, parse_folder
from .context import Viewer, WebappContext, environments_from_paths, manager_factory_for

logger = logging.getLogger("dataiku_iac.webapp")

#: Project permission flags that allow changing the project's content (and so its state folder).
WRITE_FLAGS = ("admin", "writeProjectContent")


def dss_webapp_context(client: Any, project_key: str, config: Optional[Mapping[str, Any]]) -> WebappContext:
    """The context of the DSS webapp: its ``state_folder`` and ``environment`` parameters, the browser user
    identified by DSS, and live checks as the webapp's run-as user."""
    config = config or {}
    folder_ref = parse_folder(config.get("state_folder"), project_key)
    environment = parse_environment(config.get("environment"))
    folder = resolve_folder(client, folder_ref)
    return managed_folder_context(
        client, folder, default_environment=environment, identify=dss_viewer_check(client, project_key)
    )


def managed_folder_context(
    client: Any,
    folder: Any,
    *,
    default_environment: str,
    identify: Callable[[Mapping[str, str]], Viewer],
    check_origin: bool = False,
    live_checks: bool = True,
) -> WebappContext:
    """A context over the environments stored in a managed folder (``states/<env>.state.json``)."""

    def backend_for(environment: str) -> StateBackend:
        return ManagedFolderBackend(folder, environment)

    def list_environments() -> List[str]:
        listing = folder.list_contents()
        items = listing.get("items", []) if isinstance(listing, dict) else []
        paths = [str(item.get("path", "")) for item in items if isinstance(item, dict)]
        return environments_from_paths([p for p in paths if p.lstrip("/").startswith("states/")])

    return WebappContext(
        backend_for=backend_for,
        list_environments=list_environments,
        identify=identify,
        make_manager=manager_factory_for(client) if live_checks else None,
        default_environment=default_environment,
        check_origin=check_origin,
        location=f"managed folder {getattr(folder, 'project_key', '?')}.{getattr(folder, 'odb_id', '?')}",
    )


def dss_viewer_check(client: Any, project_key: str) -> Callable[[Mapping[str, str]], Viewer]:
    """Who the browser user is (DSS answers from the request's session headers), and whether they may
    write ``project_key``: its owner, or a user or group granted admin or write-content on it, or a DSS
    administrator."""

    def identify(headers: Mapping[str, str]) -> Viewer:
        try:
            info = client.get_auth_info_from_browser_headers(dict(headers))
        except Exception as exc:
            logger.warning("DSS could not identify the browser user: %s", exc)
            return Viewer(login=None, reason="DSS did not recognise your session; reload the page and log in again")
        login = info.get("authIdentifier") if isinstance(info, dict) else None
        if not login:
            return Viewer(login=None, reason="DSS did not name the browser user")
        groups = {str(group) for group in info.get("groups") or []}
        display = (info.get("userProfile") or {}).get("displayName") if isinstance(info.get("userProfile"), dict) \
            else None
        may_write, reason = may_write_project(client, project_key, str(login), groups)
        return Viewer(login=str(login), may_write=may_write, display_name=display or None, reason=reason)

    return identify


def may_write_project(client: Any, project_key: str, login: str, groups: Set[str]) -> Tuple[bool, str]:
    """``(allowed, reason)`` from the project's permissions, as read by the webapp's run-as user."""
    try:
        permissions = client.get_project(project_key).get_permissions()
    except Exception as exc:
        logger.warning("Could not read the permissions of project %s: %s", project_key, exc)
        return False, (f"the permissions of project {project_key} could not be read; the webapp's run-as user "
                       "needs admin rights on the project")
    if permissions.get("owner") == login:
        return True, ""
    for grant in permissions.get("permissions") or []:
        if not isinstance(grant, dict):
            continue
        grantee = grant.get("user") == login or (grant.get("group") is not None and grant.get("group") in groups)
        if grantee and any(grant.get(flag) for flag in WRITE_FLAGS):
            return True, ""
    if _is_dss_admin(client, groups):
        return True, ""
    return False, f"{login} has no write access to project {project_key}"


def _is_dss_admin(client: Any, groups: Iterable[str]) -> bool:
    """True when one of the groups has DSS's global admin flag (readable only with admin rights)."""
    for group in groups:
        try:
            definition: Dict[str, Any] = client.get_group(group).get_definition()
        except Exception:
            continue  # the run-as user may not read groups: project permissions decide alone
        if definition.get("admin"):
            return True
    return False
