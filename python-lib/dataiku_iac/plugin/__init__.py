"""The logic behind the DSS plugin's components (macros, scenario step), testable without DSS.

The glue files in ``python-runnables/`` and ``python-steps/`` are the only code that imports ``dataiku``; they
call these functions with ``dataiku.api_client()``, the project key and the component's config dict.

The names below are imported on first use: the drift viewer reads ``plugin.config`` alone, and importing this
package must not pull in the state manager and the sync layer for it.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "actions": (
        "PROGRESS_TARGET", "CheckOutcome", "DriftFoundError", "DriftOutcome", "PluginError", "SyncSummary",
        "build_backend", "check_drift_step", "detect_drift_macro", "resolve_folder", "run_check_drift",
        "run_detect_drift", "run_sync", "sync_macro",
    ),
    "apply_components": (
        "APPLY_APPLIED_VARIABLE", "APPLY_FAILED_VARIABLE", "APPLY_NOT_ATTEMPTED_VARIABLE", "APPLY_PLAN_ID_VARIABLE",
        "APPLY_STATUS_VARIABLE", "APPLY_SUMMARY_VARIABLE", "ApplyFailedError", "StepOutcome", "apply_config_step",
        "apply_plan_macro", "run_apply_config", "run_apply_plan",
    ),
    "applying": ("AppliedPlan", "apply_stored_plan", "config_source_opener", "plan_and_apply"),
    "config": (
        "ApplyConfigParams", "ApplyParams", "CheckParams", "DriftParams", "FolderRef", "PlanParams", "SyncParams",
        "parse_apply_config_params", "parse_apply_params", "parse_check_params", "parse_drift_params",
        "parse_plan_params", "parse_sync_params",
    ),
    "messages": ("user_message",),
    "planning": (
        "PLAN_COUNT_VARIABLE", "PLAN_SUMMARY_VARIABLE", "ConfigCheck", "ConfigDiffersError", "PlanOutcome",
        "check_config_step", "plan_macro", "run_plan",
    ),
    "plans": ("PlanStore",),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
