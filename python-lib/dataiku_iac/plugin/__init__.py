"""The logic behind the DSS plugin's components (macros, scenario step), testable without DSS.

The glue files in ``python-runnables/`` and ``python-steps/`` are the only code that imports ``dataiku``; they
call these functions with ``dataiku.api_client()``, the project key and the component's config dict.
"""

from __future__ import annotations

from .actions import (
    PROGRESS_TARGET,
    CheckOutcome,
    DriftFoundError,
    DriftOutcome,
    PluginError,
    SyncOutcome,
    build_backend,
    check_drift_step,
    detect_drift_macro,
    resolve_folder,
    run_check_drift,
    run_detect_drift,
    run_sync,
    sync_macro,
)
from .config import (
    CheckParams,
    DriftParams,
    FolderRef,
    SyncParams,
    parse_check_params,
    parse_drift_params,
    parse_sync_params,
)
from .messages import user_message

__all__ = [
    "PROGRESS_TARGET",
    "CheckOutcome",
    "CheckParams",
    "DriftFoundError",
    "DriftOutcome",
    "DriftParams",
    "FolderRef",
    "PluginError",
    "SyncOutcome",
    "SyncParams",
    "build_backend",
    "check_drift_step",
    "detect_drift_macro",
    "parse_check_params",
    "parse_drift_params",
    "parse_sync_params",
    "resolve_folder",
    "run_check_drift",
    "run_detect_drift",
    "run_sync",
    "sync_macro",
    "user_message",
]
