"""The apply-plan macro and the apply-config scenario step: the entry points the glue files call.

The macro applies a stored plan (:func:`.applying.apply_stored_plan`) once its user ticked the confirmation;
without it, it only shows the plan. The step plans the config kept in a managed folder and applies it in the
same run (:func:`.applying.plan_and_apply`), for automation nodes. Both act as the user DSS runs them as (the
macro's user, the scenario's run-as user): they must be allowed to write the state folder's project, which is
checked before the state lock (a file in that folder) is taken, and every existing project the plan writes,
checked before anything is written.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..apply.executor import ApplyOptions, ApplyRefusedError, StalePlanError
from ..backends.managed_folder import ManagedFolderBackend
from ..config.errors import ConfigFileError, ConfigValidationError, Problem
from ..exceptions import DataikuIaCError, PermissionDeniedError
from ..report.plan_html import render_plan_html
from .actions import (
    MacroProgress,
    PluginError,
    ProgressFn,
    _login,
    _readable,
    macro_authorizer,
    percent_progress,
    resolve_folder,
)
from .applying import AppliedPlan, apply_stored_plan, config_source_opener, latest_record, plan_and_apply
from .config import (
    LABEL_CONFIRM,
    ApplyConfigParams,
    ApplyParams,
    parse_apply_config_params,
    parse_apply_params,
)
from .config_location import component_config
from .planning import problems_html
from .plans import PlanStore
from .render import _CSS, _e, apply_result_html, error_html, stale_plan_html

logger = logging.getLogger("dataiku_iac.plugin")

APPLY_STATUS_VARIABLE = "iac_apply_status"
APPLY_SUMMARY_VARIABLE = "iac_apply_summary"
APPLY_APPLIED_VARIABLE = "iac_apply_applied"
APPLY_FAILED_VARIABLE = "iac_apply_failed"
APPLY_NOT_ATTEMPTED_VARIABLE = "iac_apply_not_attempted"
APPLY_PLAN_ID_VARIABLE = "iac_apply_plan_id"

#: ``iac_apply_status`` values: what the step's run came to.
STATUS_APPLIED = "applied"  # every operation applied
STATUS_NO_CHANGES = "no changes"  # DSS already matched the config
STATUS_FAILED = "failed"  # an operation failed: some applied, the rest not attempted
STATUS_REFUSED = "refused"  # nothing was written: deletions not allowed, protect, a permission, a stale plan
STATUS_ERROR = "error"  # the apply could not run (an invalid config, a lock, DSS unreachable...)

NOTHING_APPLIED = "nothing was applied, nothing was written"

#: Refusals apply raises before its first write.
_REFUSALS = (StalePlanError, ApplyRefusedError, PermissionDeniedError)


class ApplyFailedError(DataikuIaCError):
    """The apply-config step ran, and an operation failed: the step fails with the summary line."""


def apply_options(params: Any) -> ApplyOptions:
    """What the form allows deletions to do (the flags ``--drop-data`` and ``--allow-project-delete``)."""
    return ApplyOptions(drop_data=params.drop_data, allow_project_delete=params.allow_project_delete)


# -- the apply-plan macro ----------------------------------------------------------------------------------


def apply_plan_macro(client: Any, project_key: str, config: Optional[Mapping[str, Any]],
                     progress_callback: Optional[MacroProgress] = None,
                     environ: Optional[Mapping[str, str]] = None) -> str:
    """The apply-plan macro: the outcome of every operation as HTML, the plan itself when the confirmation is
    not ticked, or a readable refusal (stale plan, permission, lock, invalid config); never a traceback."""
    plan_id: Optional[str] = None
    try:
        params = parse_apply_params(config, project_key)
        folder = resolve_folder(client, params.folder)
        backend = ManagedFolderBackend(folder, params.environment)
        # The id shown is the one applied: the newest plan is resolved once, here.
        plan_id = PlanStore(backend).resolve(params.plan_id)
        if not params.confirmed:
            return unconfirmed_html(PlanStore(backend), plan_id, latest_record(backend, plan_id))
        applied = run_apply_plan(client, folder, backend, params, plan_id,
                                 environ=os.environ if environ is None else environ,
                                 progress=phased_progress(progress_callback))
        return applied_html(applied, backend)
    except StalePlanError as exc:
        logger.warning("Stale plan not applied: %s", exc)
        return stale_plan_html(plan_id, exc.reasons)
    except ConfigValidationError as exc:
        return problems_html("The plan's config is not valid any more", exc.problems, NOTHING_APPLIED)
    except ConfigFileError as exc:
        return problems_html("The plan's config is not valid any more", [exc.problem], NOTHING_APPLIED)
    except DataikuIaCError as exc:
        message = _readable(exc, client, config)
        title = "Apply refused" if isinstance(exc, _REFUSALS) else "Apply plan failed"
        if isinstance(exc, PermissionDeniedError):
            message = f"{message} Nothing was written."
        logger.warning("%s: %s", title, message)
        logger.debug("%s: error details", title, exc_info=True)
        return error_html(title, message)


def run_apply_plan(client: Any, folder: Any, backend: ManagedFolderBackend, params: ApplyParams, plan_id: str, *,
                   environ: Mapping[str, str],
                   progress: Tuple[Optional[ProgressFn], Optional[ProgressFn]] = (None, None)) -> AppliedPlan:
    """Apply the stored plan ``plan_id`` as the macro's user; ``progress``: (reads, operations)."""
    authorize = macro_authorizer(client, folder, "apply a plan to")
    authorize([])  # the state folder's project, before the lock (a file in that folder) is written
    reads, operations = progress
    return apply_stored_plan(client, backend, plan_id=plan_id, environ=environ,
                             open_config=config_source_opener(client), authorize=authorize,
                             options=apply_options(params), applied_by=_login(client), progress=operations,
                             read_progress=reads)


def phased_progress(callback: Optional[MacroProgress]) -> Tuple[Optional[ProgressFn], Optional[ProgressFn]]:
    """(reads, operations) for a macro's percentage: the reads of DSS that check the plan fill the first half
    of the bar, the operations the second (the bar never steps back)."""
    report = percent_progress(callback)
    if report is None:
        return None, None

    def reads(done: int, total: int) -> None:
        if total:
            report(done, 2 * total)

    def operations(done: int, total: int) -> None:
        if total:
            report(total + done, 2 * total)
        else:  # nothing to run: the apply is done
            report(1, 1)

    return reads, operations


def unconfirmed_html(store: PlanStore, plan_id: str, applied: Optional[Mapping[str, Any]] = None) -> str:
    """Without the confirmation: the plan, as the plan macro shows it, and how to apply it (nothing written);
    ``applied``, the plan's latest apply record, says it already ran (a second apply is refused as stale)."""
    document = store.load(plan_id)
    made = ", ".join(part for part in (
        f"made by {document['made_by']}" if document.get("made_by") else "",
        f"at {document['created_at']}" if document.get("created_at") else "",
    ) if part)
    note = (f"Not applied, nothing was written. This is plan {plan_id}{f' ({made})' if made else ''}: review it, "
            f"then run this macro again with '{LABEL_CONFIRM}' ticked (and this id as Plan id, so that a newer "
            "plan is not applied instead).")
    if applied:
        who = applied.get("applied_by") or "someone"
        note = (f"This plan was already applied, by {who} at {applied.get('applied_at') or '?'}: "
                f"{applied.get('summary') or ''} Applying it again is refused as stale once DSS or the state moved; "
                f"make a new plan instead. {note}")
    header = f"<div class=\"diac-plugin\"><style>{_CSS}</style><p class=\"diac-warn\">{_e(note)}</p></div>"
    title = f"Plan: {document.get('environment') or '?'}"
    return header + "\n" + render_plan_html(document, title=title, full_page=False)


def applied_html(applied: AppliedPlan, backend: ManagedFolderBackend) -> str:
    """The macro's result once the plan ran."""
    record = applied.to_dict()
    where = PlanStore(backend).records.location(applied.record_id) if applied.record_id else None
    return apply_result_html(record, state_location=backend.location, record_location=where, note=applied.note)


# -- the apply-config step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepOutcome:
    """What the apply-config step reports to the scenario."""

    status: str
    summary: str
    counts: Dict[str, int]
    plan_id: Optional[str] = None

    @property
    def variables(self) -> Dict[str, Any]:
        return {
            APPLY_STATUS_VARIABLE: self.status, APPLY_SUMMARY_VARIABLE: self.summary,
            APPLY_APPLIED_VARIABLE: self.counts.get("applied", 0), APPLY_FAILED_VARIABLE: self.counts.get("failed", 0),
            APPLY_NOT_ATTEMPTED_VARIABLE: self.counts.get("not attempted", 0), APPLY_PLAN_ID_VARIABLE: self.plan_id,
        }


def apply_config_step(client: Any, project_key: str, config: Optional[Mapping[str, Any]],
                      set_variables: Callable[..., None],
                      environ: Optional[Mapping[str, str]] = None) -> StepOutcome:
    """The apply-config step: plan the config kept in a managed folder and apply it, set the ``iac_apply_*``
    scenario variables, and raise (failing the step, with the summary) unless everything was applied or there
    was nothing to do: :class:`ApplyFailedError` when an operation failed, :class:`PluginError` when the apply
    was refused (nothing written) or could not run."""
    environment = "?"
    try:
        params = parse_apply_config_params(config, project_key)
        environment = params.plan.environment
        applied = run_apply_config(client, params, environ=os.environ if environ is None else environ)
    except DataikuIaCError as exc:
        outcome = _not_applied(exc, client, config, environment)
        set_variables(**outcome.variables)
        logger.warning("config apply: %s", outcome.summary)
        raise PluginError(outcome.summary) from exc
    outcome = _step_outcome(applied)
    set_variables(**outcome.variables)
    logger.info("config apply: %s", outcome.summary)
    if outcome.status == STATUS_FAILED:
        raise ApplyFailedError(outcome.summary)
    return outcome


def run_apply_config(client: Any, params: ApplyConfigParams, *, environ: Mapping[str, str]) -> AppliedPlan:
    """Plan the config of the step's folder (or project library) and apply it as the scenario's run-as user."""
    plan = params.plan
    state_folder = resolve_folder(client, plan.folder)
    authorize = macro_authorizer(client, state_folder, "apply the config to")
    authorize([])  # the state folder's project, before the lock (a file in that folder) is written
    backend = ManagedFolderBackend(state_folder, plan.environment)
    with component_config(client, plan) as location:
        return plan_and_apply(client, backend, location.config, plan.environment, environ=environ,
                              authorize=authorize, allow_deletions=params.allow_deletions,
                              options=apply_options(params), applied_by=_login(client), source=location.source,
                              config_dir=location.shown)


def _step_outcome(applied: AppliedPlan) -> StepOutcome:
    where = f"environment '{applied.environment}'"
    counts = applied.counts()
    recorded = f" Plan {applied.plan_id}." if applied.plan_id else ""
    if not applied.result.outcomes:
        return StepOutcome(STATUS_NO_CHANGES, f"DSS matches the config for {where}: no changes, nothing applied.",
                           counts, applied.plan_id)
    if applied.ok:
        return StepOutcome(STATUS_APPLIED, f"{applied.summary_line()} Config applied to {where} (state serial "
                           f"{applied.result.state_serial}).{recorded}", counts, applied.plan_id)
    return StepOutcome(STATUS_FAILED, f"Apply of the config to {where} failed: {applied.summary_line()}. The state "
                       f"records what was applied (serial {applied.result.state_serial}).{recorded}", counts,
                       applied.plan_id)


def _not_applied(exc: DataikuIaCError, client: Any, config: Optional[Mapping[str, Any]],
                 environment: str) -> StepOutcome:
    """Why the step applied nothing (or stopped with an error): counts 0 for a refusal before any write,
    -1 when the apply could not run or stopped on an error (what was done, if anything, is in the state)."""
    if isinstance(exc, ConfigValidationError):
        message = _problems_line(exc.problems)
    elif isinstance(exc, ConfigFileError):
        message = _problems_line([exc.problem])
    else:
        message = _readable(exc, client, config)
    if isinstance(exc, _REFUSALS):
        said = "Apply refused, nothing was written: "
        if message.startswith(said):  # the refusal's own words, not repeated
            summary = f"Apply refused for environment '{environment}', nothing was written: {message[len(said):]}"
        else:
            summary = f"Apply refused for environment '{environment}': {message}" + (
                " Nothing was written." if isinstance(exc, PermissionDeniedError) else "")
        return StepOutcome(STATUS_REFUSED, summary, {"applied": 0, "failed": 0, "not attempted": 0})
    unknown = {"applied": -1, "failed": -1, "not attempted": -1}
    return StepOutcome(STATUS_ERROR, f"Apply could not run for environment '{environment}': {message}", unknown)


def _problems_line(problems: List[Problem]) -> str:
    errors = [str(problem) for problem in problems if problem.is_error]
    return f"The config has {len(errors)} error(s): " + "; ".join(errors)


__all__ = [
    "APPLY_APPLIED_VARIABLE",
    "APPLY_FAILED_VARIABLE",
    "APPLY_NOT_ATTEMPTED_VARIABLE",
    "APPLY_PLAN_ID_VARIABLE",
    "APPLY_STATUS_VARIABLE",
    "APPLY_SUMMARY_VARIABLE",
    "ApplyFailedError",
    "StepOutcome",
    "apply_config_step",
    "apply_plan_macro",
    "run_apply_config",
    "run_apply_plan",
]
