"""TEST STUB of Dataiku's internal ``dataiku`` package: for tests outside DSS only, never shipped in the plugin.

The real package only exists inside DSS (or pip-installed from an instance). This stub mirrors the signatures
and the environment-variable contract of the parts the plugin's glue files use (DSS 9 sources), so that
``runnable.py``, ``step.py`` and ``backend.py`` run unchanged against the DSS emulator:

- :func:`api_client` builds a ``dataikuapi.DSSClient`` the way the real one does: inside DSS from
  ``DKU_API_TICKET`` (+ ``DKU_BACKEND_HOST``/``DKU_BACKEND_PORT``), outside from ``DKU_DSS_URL`` +
  ``DKU_API_KEY`` (``DKU_NO_CHECK_CERTIFICATE``), or from :func:`set_remote_dss`. Unlike the real one it does
  not cache the location, and it does not read ``~/.dataiku/config.json`` (tests must not depend on a home dir).
- :func:`default_project_key` reads ``DKU_CURRENT_PROJECT_KEY`` and raises when it is unset.
- ``dataiku.runnables`` (Runnable, ResultTable), ``dataiku.customstep``, ``dataiku.customwebapp`` (JSON configs
  from ``DKU_PLUGIN_STEP_CONFIG``, ``DKU_CUSTOM_WEBAPP_CONFIG``, ``DKU_PLUGIN_CONFIG``) and
  ``dataiku.scenario.Scenario`` (records scenario variables in memory instead of calling the backend).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

__all__ = ["api_client", "default_project_key", "reset_stub", "set_default_project_key", "set_remote_dss"]

STUB = True  # lets a test assert that it runs against this stub, not a real install

_remote: Optional[Dict[str, Any]] = None


def set_remote_dss(url: str, api_key: str, no_check_certificate: bool = False) -> None:
    """Point :func:`api_client` at a DSS instance (takes precedence over the environment, as in DSS)."""
    global _remote
    _remote = {"url": url, "api_key": api_key, "no_check_certificate": no_check_certificate}


def reset_stub() -> None:
    """Stub only: forget :func:`set_remote_dss` and the recorded scenario variables."""
    global _remote
    _remote = None
    from . import scenario

    scenario.reset_recorded_variables()


def api_client() -> Any:
    """Obtain an API client to request the API of this DSS instance (a ``dataikuapi.DSSClient``)."""
    from dataikuapi import DSSClient

    if _remote is not None:
        return _client_with_key(DSSClient, _remote["url"], _remote["api_key"], _remote["no_check_certificate"])
    ticket = os.environ.get("DKU_API_TICKET")
    if ticket is not None:
        host = os.environ.get("DKU_BACKEND_HOST", "127.0.0.1")
        return DSSClient(f"http://{host}:{os.environ.get('DKU_BACKEND_PORT')}", internal_ticket=ticket)
    if os.environ.get("DKU_DSS_URL") is not None:
        flag = os.environ.get("DKU_NO_CHECK_CERTIFICATE")
        no_check = bool(flag) and flag.lower() != "false"
        # Like the real package: DKU_DSS_URL without DKU_API_KEY is a KeyError.
        return _client_with_key(DSSClient, os.environ["DKU_DSS_URL"], os.environ["DKU_API_KEY"], no_check)
    raise Exception("No DSS URL or API key found from any location")


def _client_with_key(client_class: Any, url: str, api_key: str, no_check_certificate: bool) -> Any:
    client = client_class(url, api_key=api_key)
    if no_check_certificate:
        client._session.verify = False
    return client


def default_project_key() -> str:
    """The key of the project the code runs in."""
    key = os.environ.get("DKU_CURRENT_PROJECT_KEY")
    if key is None:
        raise Exception("Default project key is not specified (no DKU_CURRENT_PROJECT_KEY in env)")
    return key


def set_default_project_key(project_key: str) -> None:
    """Set the key :func:`default_project_key` returns (the real one also sets the env var)."""
    os.environ["DKU_CURRENT_PROJECT_KEY"] = project_key
