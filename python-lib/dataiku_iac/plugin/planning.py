"""The plan macro and the check-config step: plan a config kept in a managed folder against the host DSS.

The same use case as ``dataiku-iac plan`` (:func:`dataiku_iac.planner.plan_environment`): the config is read
from its folder (:mod:`.config_folder`), the stored state of the environment from the state folder (none yet:
an empty one, so a first plan creates everything), live DSS through the macro's client (it acts as the user
running the macro). Nothing is written to DSS. The macro stores the plan in the state folder
(:mod:`.plans`) when its user may write the folder's project; a reading-only user still sees the plan.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..backends.managed_folder import ManagedFolderBackend
from ..config.errors import ConfigFileError, ConfigValidationError, Problem
from ..exceptions import (
    DataikuIaCError,
    DSSError,
    PermissionDeniedError,
    StateLockedError,
    StateNotFoundError,
    StateWriteError,
)
from ..models.state import State
from ..permissions import client_principal, require_write
from ..plan.model import summary_line
from ..planner import plan_environment
from ..report.plan_html import render_plan_html
from .actions import (
    MacroProgress,
    PluginError,
    ProgressFn,
    _login,
    _readable,
    percent_progress,
    resolve_folder,
)
from .config import LABEL_CONFIG_FOLDER, PlanParams, parse_plan_params
from .config_location import component_config
from .plans import CONFIG_SOURCE, PlanStore
from .render import _CSS, _e, error_html

logger = logging.getLogger("dataiku_iac.plugin")

PLAN_COUNT_VARIABLE = "iac_plan_count"
PLAN_SUMMARY_VARIABLE = "iac_plan_summary"


class ConfigDiffersError(DataikuIaCError):
    """The check-config step found that live DSS differs from the config, and is set to fail the scenario."""


@dataclass(frozen=True)
class PlanOutcome:
    """A plan made in DSS: the document, and its stored id (``plan_id`` None: not stored; ``note`` says why)."""

    document: Dict[str, Any]
    plan_id: Optional[str]
    note: str

    @property
    def operation_count(self) -> int:
        return len(self.document.get("operations") or [])

    @property
    def summary(self) -> str:
        return summary_line(self.document.get("summary") or {})

    def to_html(self) -> str:
        """The macro's result: where the plan is (or why it is not stored), then the plan as ``plan --format
        html`` shows it."""
        css = "diac-ok" if self.plan_id is not None else "diac-note"
        header = f"<div class=\"diac-plugin\"><style>{_CSS}</style><p class=\"{css}\">{_e(self.note)}</p></div>"
        title = f"Plan: {self.document.get('environment') or '?'}"
        return header + "\n" + render_plan_html(self.document, title=title, full_page=False)


def run_plan(client: Any, project_key: str, params: PlanParams, *, environ: Mapping[str, str],
             progress: Optional[ProgressFn] = None, store: bool = True) -> PlanOutcome:
    """Read the config from its folder or library, plan against the host DSS, and store the plan (when ``store``)."""
    state_folder = resolve_folder(client, params.folder)
    backend = ManagedFolderBackend(state_folder, params.environment)
    stored = _stored_state(backend)
    with component_config(client, params) as location:
        result = plan_environment(location.config, params.environment, client, stored, environ,
                                  dss_url=str(getattr(client, "host", "") or ""), progress=progress)
        document = result.plan.to_dict()
    document["config_dir"] = location.shown
    # Where apply reads the config again (to check the digest): the folder or library itself, not a display string.
    document[CONFIG_SOURCE] = location.source
    if not store:
        return PlanOutcome(document, None, "")
    return _store_plan(client, backend, state_folder, document)


def _stored_state(backend: ManagedFolderBackend) -> State:
    """The environment's stored state, or an empty one (a first plan creates everything)."""
    try:
        return backend.load()
    except StateNotFoundError:
        return State()


def _store_plan(client: Any, backend: ManagedFolderBackend, folder: Any, document: Dict[str, Any]) -> PlanOutcome:
    """Store the plan if the user may write the state folder's project; otherwise say why it was not stored."""
    store = PlanStore(backend)
    try:
        require_write(client, [folder.project_key], client_principal(client),
                      f"store a plan in the state folder of project {folder.project_key}")
        plan_id = store.save(document, _login(client))
    except (PermissionDeniedError, StateWriteError, StateLockedError, DSSError) as exc:
        logger.warning("Plan not stored: %s", exc)
        return PlanOutcome(document, None, f"Note: the plan was not stored, so it cannot be applied later: {exc}")
    return PlanOutcome(document, plan_id, f"Plan {plan_id} stored at {store.location(plan_id)}.")


# -- validation problems, listed -------------------------------------------------------------------------


def problems_html(title: str, problems: List[Problem], outcome: str = "nothing was planned") -> str:
    """Every problem of an invalid config, with file, line and column, as the macro's result (``outcome``: what
    the macro therefore did not do)."""
    errors = [p for p in problems if p.is_error]
    items = "".join(f"<li><code>{_e(p.location)}</code>: {_e(('warning: ' if not p.is_error else '') + p.message)}"
                    f"</li>" for p in problems)
    return (f"<div class=\"diac-plugin\"><style>{_CSS}</style><h2>{_e(title)}</h2>"
            f"<div class=\"diac-error\"><p>The config has {len(errors)} error(s); {_e(outcome)}.</p>"
            f"<ul>{items}</ul></div></div>")


# -- entry points for the glue -----------------------------------------------------------------------------


def plan_macro(client: Any, project_key: str, config: Optional[Mapping[str, Any]],
               progress_callback: Optional[MacroProgress] = None,
               environ: Optional[Mapping[str, str]] = None) -> str:
    """The plan-from-config macro: the HTML plan (and the stored plan's id), or the problems / a short error."""
    title = "Plan from config failed"
    try:
        params = parse_plan_params(config, project_key)
        return run_plan(client, project_key, params, environ=os.environ if environ is None else environ,
                        progress=percent_progress(progress_callback)).to_html()
    except ConfigValidationError as exc:
        return problems_html("The config is not valid", exc.problems)
    except ConfigFileError as exc:
        return problems_html("The config is not valid", [exc.problem])
    except DataikuIaCError as exc:
        message = _readable(exc, client, config)
        logger.warning("%s: %s", title, message)
        logger.debug("%s: error details", title, exc_info=True)
        return error_html(title, message)


@dataclass(frozen=True)
class ConfigCheck:
    """The check-config step's verdict."""

    operations: int
    summary: str

    @property
    def variables(self) -> Dict[str, Any]:
        return {PLAN_COUNT_VARIABLE: self.operations, PLAN_SUMMARY_VARIABLE: self.summary}


def check_config_step(client: Any, project_key: str, config: Optional[Mapping[str, Any]],
                      set_variables: Callable[..., None],
                      environ: Optional[Mapping[str, str]] = None) -> ConfigCheck:
    """The check-config step: plans (storing nothing), sets ``iac_plan_count`` / ``iac_plan_summary``, and
    raises :class:`ConfigDiffersError` when the plan has changes (and failing is on), :class:`PluginError`
    when the check cannot run (count -1, the summary says why)."""
    try:
        params = parse_plan_params(config, project_key)
        outcome = run_plan(client, project_key, params, environ=os.environ if environ is None else environ,
                           store=False)
    except DataikuIaCError as exc:
        if isinstance(exc, ConfigValidationError):
            errors = [str(p) for p in exc.problems if p.is_error]
            message = f"The config has {len(errors)} error(s): " + "; ".join(errors)
        else:
            message = _readable(exc, client, config)
        logger.warning("config check could not run: %s", message)
        set_variables(**{PLAN_COUNT_VARIABLE: -1, PLAN_SUMMARY_VARIABLE: f"Config check could not run: {message}"})
        raise PluginError(message) from exc
    check = ConfigCheck(outcome.operation_count, _check_summary(params, outcome))
    set_variables(**check.variables)
    logger.info("config check: %s", check.summary)
    if check.operations and params.fail_on_changes:
        raise ConfigDiffersError(check.summary)
    return check


def _check_summary(params: PlanParams, outcome: PlanOutcome) -> str:
    where = f"environment '{params.environment}'"
    if not outcome.operation_count:
        return f"DSS matches the config for {where}: no changes."
    shown = [f"{op.get('action')} {op.get('resource_id')}" for op in outcome.document["operations"][:5]]
    more = f" and {outcome.operation_count - 5} more" if outcome.operation_count > 5 else ""
    return f"DSS differs from the config for {where}: {outcome.summary} ({', '.join(shown)}{more})"


__all__ = [
    "LABEL_CONFIG_FOLDER",
    "PLAN_COUNT_VARIABLE",
    "PLAN_SUMMARY_VARIABLE",
    "ConfigCheck",
    "ConfigDiffersError",
    "PlanOutcome",
    "check_config_step",
    "plan_macro",
    "problems_html",
    "run_plan",
]
