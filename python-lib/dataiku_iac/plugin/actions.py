"""The use cases behind the plugin's macros and scenario step, on a client, a project key and parsed params.

Nothing here imports ``dataiku``: the glue files hand over ``dataiku.api_client()`` (hardened), the project key
and the form's dict, and get plain results back. ``run_*`` raise library errors; the ``*_macro`` and
``check_drift_step`` entry points turn those into the short messages of :mod:`.messages`.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..accept import KIND_REPORT, accept_report
from ..backends.managed_folder import ManagedFolderBackend
from ..diff import DiffEngine
from ..dss.folders import resolve_folder as find_folder
from ..exceptions import DataikuIaCError, DSSError, PermissionDeniedError, StateLockedError, StateWriteError
from ..manager import DriftResult, StateManager
from ..models.diff import ChangeType
from ..models.state import parse_resource_id
from ..permissions import client_principal, require_write
from ..redaction_key import key_from_dss_user_secrets
from .config import (
    LABEL_FOLDER,
    SCOPE_ALL,
    CheckParams,
    DriftParams,
    FolderRef,
    SyncParams,
    parse_check_params,
    parse_drift_params,
    parse_sync_params,
)
from .messages import client_secrets, user_message
from .render import drift_report_html, error_html, sync_summary_html

logger = logging.getLogger("dataiku_iac.plugin")

#: ``progress(done, total)`` as the state manager reports it.
ProgressFn = Callable[[int, int], None]
#: DSS's macro ``progress_callback(current)``, against the target of ``get_progress_target``.
MacroProgress = Callable[[int], None]
#: The target :func:`macro_progress_target` declares: the macros report a percentage.
PROGRESS_TARGET: Tuple[int, str] = (100, "NONE")

DRIFT_COUNT_VARIABLE = "iac_drift_count"
DRIFT_SUMMARY_VARIABLE = "iac_drift_summary"


class PluginError(DataikuIaCError):
    """A macro or step could not do its work; the message is the readable one shown to the user."""


class DriftFoundError(DataikuIaCError):
    """The check-drift step found drift and is set to fail the scenario."""


# -- building blocks ---------------------------------------------------------------------------------------


def resolve_folder(client: Any, ref: FolderRef) -> Any:
    """The ``DSSManagedFolder`` a form's value names (an id, a name, or ``PROJECT.id``)."""
    return find_folder(client, ref.candidates(), label=LABEL_FOLDER, secrets=client_secrets(client))


def build_backend(client: Any, ref: FolderRef, environment: str, **options: Any) -> ManagedFolderBackend:
    """The state backend of ``environment`` in the chosen managed folder."""
    return ManagedFolderBackend(resolve_folder(client, ref), environment, **options)


def percent_progress(callback: Optional[MacroProgress]) -> Optional[ProgressFn]:
    """Adapt the manager's ``progress(done, total)`` to a macro's ``progress_callback(percent)``.

    The total grows as listings reveal more objects, so the raw ratio can step back; the bar never does.
    """
    if callback is None:
        return None
    shown = [-1]

    def report(done: int, total: int) -> None:
        percent = min(100, int(100 * done / total)) if total else 0
        if percent > shown[0]:
            shown[0] = percent
            callback(percent)

    return report


# -- sync ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncSummary:
    """What the sync macro recorded, and where."""

    environment: str
    saved: bool
    serial: int
    lineage: Optional[str]
    location: str
    counts: Dict[str, int]
    project_keys: List[str]
    changes: int
    created: bool = False

    def to_html(self) -> str:
        """The macro's HTML result."""
        return sync_summary_html(
            environment=self.environment, saved=self.saved, serial=self.serial, lineage=self.lineage,
            location=self.location, counts=self.counts, project_keys=self.project_keys, changes=self.changes,
            created=self.created,
        )


def dss_state_manager(backend: Any, client: Any, environment: str, progress: Optional[ProgressFn]) -> StateManager:
    """The manager of a macro or step: secrets are marked with the user's DSS secret when they have one
    (``dataiku-iac-redaction-key``), so states written from DSS and from the command line can share a key."""
    return StateManager(backend, client, environment, progress=progress,
                        redaction_key=key_from_dss_user_secrets(client))


def run_sync(client: Any, project_key: str, params: SyncParams, *, progress: Optional[ProgressFn] = None,
             backend_options: Optional[Mapping[str, Any]] = None) -> SyncSummary:
    """Sync this project (or every readable one) and store the result as the environment's new state."""
    folder = resolve_folder(client, params.folder)
    backend = ManagedFolderBackend(folder, params.environment, **dict(backend_options or {}))
    manager = dss_state_manager(backend, client, params.environment, progress)
    created = not backend.exists()
    authorize = macro_authorizer(client, folder, "record the state of")
    if params.scope == SCOPE_ALL:
        result = manager.refresh(all_projects=True, include_children=params.include_children, authorize=authorize,
                                 full=params.full_read)
    else:
        result = manager.refresh(project_keys=[project_key], include_children=params.include_children,
                                 authorize=authorize, full=params.full_read)
    state = result.state
    keys = sorted({parse_resource_id(rid).project_key for rid in state.resources})
    return SyncSummary(
        environment=params.environment, saved=result.saved, serial=state.serial, lineage=state.lineage,
        location=backend.location, counts=state.counts_by_type(), project_keys=keys,
        changes=len(result.changes()), created=created,
    )


# -- drift -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredReport:
    """A drift report (JSON form) and where it was saved (``report_name`` None: not saved, and
    ``report_location`` says why)."""

    report: Dict[str, Any]
    report_name: Optional[str]
    report_location: str


@dataclass(frozen=True)
class DriftOutcome(StoredReport):
    """A drift check: the report, where it was saved, and the new baseline if one was accepted."""

    has_drift: bool
    accepted_serial: Optional[int] = None
    accept_refused: Optional[str] = None  # why the live state was not accepted

    def to_html(self) -> str:
        """The detect-drift macro's HTML result."""
        notes = [_report_note(self.report_name, self.report_location)]
        if self.accepted_serial is not None:
            notes.append(f"The live state was accepted as the new baseline (serial {self.accepted_serial}).")
        if self.accept_refused is not None:
            notes.append(f"The live state was not accepted as the baseline: {self.accept_refused}")
        return drift_report_html(self.report, notes)


def run_detect_drift(client: Any, project_key: str, params: DriftParams, *, progress: Optional[ProgressFn] = None,
                     backend_options: Optional[Mapping[str, Any]] = None) -> DriftOutcome:
    """Diff live DSS against the saved state, save the report, and optionally accept the live state."""
    folder = resolve_folder(client, params.folder)
    backend = ManagedFolderBackend(folder, params.environment, **dict(backend_options or {}))
    manager = dss_state_manager(backend, client, params.environment, progress)
    result = manager.detect_drift(include_children=params.include_children, full=params.full_read)
    report = result.to_report()
    name, location = save_report_if_possible(backend, report)
    accepted, refused = None, None
    if params.accept_live_as_baseline and result.has_drift:
        # The report just shown is what is accepted (no second sync), if the macro user may write every
        # project it covers and the folder's project; a refusal still shows the drift.
        try:
            accepted = accept_report(
                backend, report, environment=params.environment, source=name, live=result.live,
                accepted_by=_login(client), authorize=macro_authorizer(client, folder, "accept the live state of"),
            ).serial
        except PermissionDeniedError as exc:
            refused = str(exc)
    return DriftOutcome(report, name, location, result.has_drift, accepted, refused)


def macro_authorizer(client: Any, folder: Any, action: str) -> Callable[[List[str]], None]:
    """``authorize(project_keys)`` for a macro: the user running it (``client`` acts as them) must be allowed
    to write every project whose baseline changes, and the project of the state folder."""

    def authorize(project_keys: List[str]) -> None:
        keys = sorted(set(project_keys) | {folder.project_key})
        require_write(client, keys, client_principal(client), f"{action} {', '.join(keys)}")

    return authorize


def _login(client: Any) -> Optional[str]:
    try:
        return client_principal(client).login
    except DataikuIaCError:
        return None


def save_report_if_possible(backend: ManagedFolderBackend, report: Dict[str, Any]) -> Tuple[Optional[str], str]:
    """Store the report in the folder; returns (name, location), or (None, why not) when it cannot be stored.

    A user who may read the state but not write the folder (a read-only key, a reader of the project) still
    gets the drift: only the stored copy for the webapp is missing, and the result says why.
    """
    try:
        name = backend.save_report(report, kind=KIND_REPORT)
    except (StateWriteError, StateLockedError, DSSError) as exc:
        logger.warning("Drift report not saved: %s", exc)
        return None, f"the report could not be saved in the folder: {exc}"
    return name, backend.report_location(name)


def _report_note(name: Optional[str], location: str) -> str:
    return f"Report saved to {location}." if name is not None else f"Note: {location[0].upper()}{location[1:]}"


@dataclass(frozen=True)
class CheckOutcome(StoredReport):
    """The check-drift step's verdict."""

    drift_count: int
    summary: str
    fail_on_drift: bool

    @property
    def has_drift(self) -> bool:
        return self.drift_count > 0

    @property
    def should_fail(self) -> bool:
        """True when the step must fail (drift found and failing is on)."""
        return self.has_drift and self.fail_on_drift

    @property
    def variables(self) -> Dict[str, Any]:
        """The scenario variables for reporters' messages."""
        return {DRIFT_COUNT_VARIABLE: self.drift_count, DRIFT_SUMMARY_VARIABLE: self.summary}


def run_check_drift(client: Any, project_key: str, params: CheckParams, *, progress: Optional[ProgressFn] = None,
                    backend_options: Optional[Mapping[str, Any]] = None) -> CheckOutcome:
    """Sync live, diff against the saved state (ignoring the chosen types), and save the report."""
    backend = build_backend(client, params.folder, params.environment, **dict(backend_options or {}))
    manager = dss_state_manager(backend, client, params.environment, progress)
    result = without_types(manager.detect_drift(include_children=params.include_children, full=params.full_read),
                           params.ignored_types)
    report = result.to_report()
    if params.ignored_types:
        report["context"]["ignored_types"] = list(params.ignored_types)
    name, location = save_report_if_possible(backend, report)
    changes = result.changes()
    return CheckOutcome(report, name, location, len(changes), drift_summary(result, location), params.fail_on_drift)


def without_types(result: DriftResult, ignored_types: Tuple[str, ...]) -> DriftResult:
    """The drift result with the diffs of ``ignored_types`` left out (counts and verdict recomputed)."""
    if not ignored_types:
        return result
    diffs = [d for d in result.diffs if d.resource_type not in ignored_types]
    has_drift = any(d.change_type is not ChangeType.UNCHANGED for d in diffs)
    return dataclasses.replace(result, diffs=diffs, has_drift=has_drift, summary=DiffEngine().summary(diffs))


def drift_summary(result: DriftResult, report_location: str) -> str:
    """One line for a scenario reporter: the verdict, the counts, the baseline and where the report is."""
    counts = result.summary
    where = f"environment '{result.environment}' (baseline serial {result.baseline.serial})"
    if not result.has_drift:
        return f"No drift in {where}: {counts.get('unchanged', 0)} resources checked."
    changed = [d.resource_id for d in result.changes()]
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return (
        f"Drift in {where}: {counts.get('added', 0)} added, {counts.get('modified', 0)} modified, "
        f"{counts.get('removed', 0)} removed ({shown}). Report: {report_location}"
    )


# -- entry points for the glue -----------------------------------------------------------------------------


def sync_macro(client: Any, project_key: str, config: Optional[Mapping[str, Any]],
               progress_callback: Optional[MacroProgress] = None) -> str:
    """The sync-state macro: its HTML result, or a short error message as HTML (never a traceback)."""
    return _macro("State sync failed", client, config, lambda: run_sync(
        client, project_key, parse_sync_params(config, project_key), progress=percent_progress(progress_callback),
    ).to_html())


def detect_drift_macro(client: Any, project_key: str, config: Optional[Mapping[str, Any]],
                       progress_callback: Optional[MacroProgress] = None) -> str:
    """The detect-drift macro: the HTML drift report, or a short error message as HTML."""
    return _macro("Drift detection failed", client, config, lambda: run_detect_drift(
        client, project_key, parse_drift_params(config, project_key), progress=percent_progress(progress_callback),
    ).to_html())


def check_drift_step(client: Any, project_key: str, config: Optional[Mapping[str, Any]],
                     set_variables: Callable[..., None]) -> CheckOutcome:
    """The check-drift step: sets the scenario variables, and raises to fail the step.

    Raises :class:`DriftFoundError` when drift is found and failing is on, :class:`PluginError` (a readable
    message) when the check cannot run; in that case ``iac_drift_count`` is -1 and the summary says why.
    """
    try:
        outcome = run_check_drift(client, project_key, parse_check_params(config, project_key))
    except DataikuIaCError as exc:
        message = _readable(exc, client, config)
        logger.warning("drift check could not run: %s", message)
        logger.debug("drift check error details", exc_info=True)
        set_variables(**{DRIFT_COUNT_VARIABLE: -1, DRIFT_SUMMARY_VARIABLE: f"Drift check could not run: {message}"})
        raise PluginError(message) from exc
    set_variables(**outcome.variables)
    logger.info("drift check: %s", outcome.summary)
    if outcome.should_fail:
        raise DriftFoundError(outcome.summary)
    return outcome


def _macro(title: str, client: Any, config: Optional[Mapping[str, Any]], action: Callable[[], str]) -> str:
    try:
        return action()
    except DataikuIaCError as exc:
        message = _readable(exc, client, config)
        logger.warning("%s: %s", title, message)
        logger.debug("%s: error details", title, exc_info=True)
        return error_html(title, message)


def _readable(exc: DataikuIaCError, client: Any, config: Optional[Mapping[str, Any]]) -> str:
    values = config if isinstance(config, Mapping) else {}
    environment = values.get("environment") if isinstance(values.get("environment"), str) else None
    folder = values.get("state_folder") if isinstance(values.get("state_folder"), str) else None
    return user_message(exc, environment=environment or "dev", folder=folder, secrets=client_secrets(client))
