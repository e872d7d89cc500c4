"""Apply inside DSS: a stored plan (the apply macro, the drift viewer's Apply button) or a fresh plan of a config
kept in a managed folder (the apply-config scenario step), with the guards of ``dataiku-iac apply``.

One use case, :func:`apply_stored_plan`, serves the macro and the webapp: under the environment's state lock
it loads the plan (:mod:`.plans`), reads the config it was made from again (its ``config_source``: the
managed folder, or a directory outside DSS) so ``${env:...}`` values and the digest can be checked, lets
:func:`dataiku_iac.apply.executor.prepare` refuse a stale plan, a protected object or a missing permission
(nothing written), runs the operations, and records the outcome beside the plan (kind ``apply``), so the Plans
tab can say who applied it, when, and what became of each operation.

:func:`plan_and_apply` is the scenario step's: plan and apply in one run, deletions only when allowed.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from ..apply.executor import ApplyOptions, ApplyRefusedError, execute, prepare
from ..apply.result import APPLIED, FAILED, NOT_ATTEMPTED, ApplyResult, OperationOutcome
from ..backends.base import StoredStateBackend
from ..config import Config, read_config
from ..dss.credentials import client_secrets
from ..dss.folders import resolve_folder as find_folder
from ..exceptions import ConfigError
from ..plan.model import CREATE, DELETE, summary_line
from ..timeutil import format_timestamp, utc_now
from .config import LABEL_CONFIG_FOLDER, SOURCE_FOLDER, SOURCE_LIBRARY
from .config_folder import config_from_folder
from .config_library import config_from_library_source
from .plans import CONFIG_SOURCE, SOURCE_DIRECTORY, PlanStore

logger = logging.getLogger("dataiku_iac.plugin")

#: The kind of the apply records kept beside the plans (``plans/<env>/apply-<time>.json``).
APPLY_KIND = "apply"

#: ``open_config(plan_document)``: the config the plan was made from, valid while the block runs.
ConfigOpener = Callable[[Mapping[str, Any]], ContextManager[Config]]
#: ``authorize(project_keys)``: raises (PermissionDeniedError) unless these projects may be written.
Authorizer = Callable[[List[str]], None]
#: ``progress(done, total)`` as operations complete.
ProgressFn = Callable[[int, int], None]


def config_source_opener(client: Any = None, *, allow_directories: bool = False) -> ConfigOpener:
    """Reads a plan's config again from where the plan says it came from.

    Inside DSS only managed folders and project libraries are read (through ``client``, acting as the user):
    a stored plan must not make the DSS server read a path of its own disk. ``allow_directories`` is for
    ``serve --state-dir``, whose plans and config are the local user's own files.
    """

    @contextmanager
    def open_config(document: Mapping[str, Any]) -> Iterator[Config]:
        source = document.get(CONFIG_SOURCE)
        kind = source.get("kind") if isinstance(source, Mapping) else None
        if kind == SOURCE_FOLDER and client is not None:
            folder = find_folder(client, [(str(source.get("project_key")), str(source.get("folder_id")))],
                                 label=LABEL_CONFIG_FOLDER, secrets=client_secrets(client))
            with config_from_folder(folder, str(source.get("path") or "/")) as config:
                yield config
        elif kind == SOURCE_LIBRARY and client is not None:
            with config_from_library_source(client, source) as config:
                yield config
        elif kind == SOURCE_DIRECTORY and allow_directories:
            yield read_config(Path(str(source.get("path"))))
        else:
            raise ConfigError("The plan does not say where its config is (or names a place this host does not "
                              "read): make a new plan with the macro 'Dataiku IaC: plan from config'")

    return open_config


@dataclass
class AppliedPlan:
    """What an apply in DSS did: the plan, every operation's outcome, and where the record is stored."""

    environment: str
    plan_id: Optional[str]
    document: Dict[str, Any]
    result: ApplyResult
    applied_by: Optional[str] = None
    applied_at: str = field(default_factory=lambda: format_timestamp(utc_now()))
    #: The stored record's id (``apply-<time>``), None when it could not be stored (``note`` says why).
    record_id: Optional[str] = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.result.ok

    def summary_line(self) -> str:
        return self.result.summary_line()

    def counts(self) -> Dict[str, int]:
        """Operations by outcome: ``applied``, ``failed``, ``not attempted``."""
        return {status: len(self.result.with_status(status)) for status in (APPLIED, FAILED, NOT_ATTEMPTED)}

    def to_dict(self) -> Dict[str, Any]:
        """The JSON record stored beside the plan (and sent to the drift viewer)."""
        return {
            "environment": self.environment, "plan_id": self.plan_id, "applied_by": self.applied_by,
            "applied_at": self.applied_at, "plan_summary": summary_line(self.document.get("summary") or {}),
            "counts": self.counts(), **self.result.to_dict(),
        }


def apply_stored_plan(client: Any, backend: StoredStateBackend, *, plan_id: Optional[str] = None,
                      environ: Mapping[str, str], open_config: ConfigOpener, authorize: Authorizer,
                      options: Optional[ApplyOptions] = None, applied_by: Optional[str] = None,
                      progress: Optional[ProgressFn] = None,
                      on_outcome: Optional[Callable[[OperationOutcome], None]] = None,
                      stop: Optional[threading.Event] = None,
                      read_progress: Optional[ProgressFn] = None) -> AppliedPlan:
    """Apply the stored plan ``plan_id`` (the newest when None) of ``backend``'s environment exactly.

    Before anything is written: ``authorize`` is called with every project the plan touches (the host adds
    the state folder's project), the plan is checked against the state, the config and DSS (a stale plan is
    refused with :class:`~dataiku_iac.apply.executor.StalePlanError`, every reason at once), and the write
    guards of :func:`~dataiku_iac.apply.executor.prepare` hold. The state lock is held throughout.
    ``progress(done, total)`` follows the operations, ``read_progress(done, total)`` the reads of DSS that
    check the plan before them.
    """
    options = options or ApplyOptions()
    store = PlanStore(backend)
    with backend.lock("apply"):
        chosen = store.resolve(plan_id)
        document = store.load(chosen)
        environment = str(document.get("environment") or "")
        authorize(plan_projects(document))
        with open_config(document) as config:
            prepared = prepare(config, environment, client, backend, environ, saved=document,
                               dss_url=_host(client), options=options, progress=read_progress)
        result = _execute(prepared, client, backend, options, progress, on_outcome, stop)
        applied = AppliedPlan(environment, chosen, document, result, applied_by)
        _record(store, applied)
    return applied


def plan_and_apply(client: Any, backend: StoredStateBackend, config: Config, environment: str, *,
                   environ: Mapping[str, str], authorize: Authorizer, allow_deletions: bool = False,
                   options: Optional[ApplyOptions] = None, applied_by: Optional[str] = None,
                   progress: Optional[ProgressFn] = None, source: Optional[Mapping[str, Any]] = None,
                   read_progress: Optional[ProgressFn] = None, config_dir: Optional[str] = None) -> AppliedPlan:
    """Plan ``config`` against DSS and apply it in the same run (the apply-config step of an automation node).

    Deletions are refused (nothing written) unless ``allow_deletions``; ``protect: true`` and project
    deletions are refused by :func:`prepare` as on the command line. The plan and its outcome are stored
    beside the state, so the drift viewer shows what the scenario did.
    """
    options = options or ApplyOptions()
    store = PlanStore(backend)
    with backend.lock("apply"):
        prepared = prepare(config, environment, client, backend, environ, dss_url=_host(client), options=options,
                           progress=read_progress)
        document = prepared.document
        authorize(plan_projects(document))
        deletions = [op["resource_id"] for op in document["operations"] if op["action"] == DELETE]
        if deletions and not allow_deletions:
            shown = ", ".join(deletions[:10]) + (f" and {len(deletions) - 10} more" if len(deletions) > 10 else "")
            raise ApplyRefusedError(f"Apply refused, nothing was written: the plan deletes {shown}, and this step "
                                    "does not allow deletions (tick 'Allow deletions' to let it delete)")
        plan_id = None
        if document["operations"]:
            if source is not None:
                document[CONFIG_SOURCE] = dict(source)
            if config_dir is not None:
                document["config_dir"] = config_dir
            plan_id = store.save(document, applied_by)
        result = _execute(prepared, client, backend, options, progress, None, None)
        applied = AppliedPlan(environment, plan_id, document, result, applied_by)
        if plan_id is not None:
            _record(store, applied)
    return applied


def plan_projects(document: Mapping[str, Any]) -> List[str]:
    """The existing projects a plan writes, sorted: those it creates have no permissions to check yet (DSS
    refuses their creation to a user without the right to create projects)."""
    operations = document.get("operations") or []
    keys = {str(op.get("project_key")) for op in operations if op.get("project_key")}
    return sorted(keys - set(created_projects(document)))


def created_projects(document: Mapping[str, Any]) -> List[str]:
    """The projects a plan creates, sorted."""
    return sorted({str(op.get("project_key")) for op in document.get("operations") or []
                   if op.get("resource_type") == "project" and op.get("action") == CREATE})


def latest_records(backend: StoredStateBackend, names: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, Any]]:
    """The newest apply record of each stored plan, by plan id (the Plans tab shows them). ``names``: the
    records' listing when the caller already made it (oldest first, as the store lists them)."""
    found: Dict[str, Dict[str, Any]] = {}
    for plan_id, record in _records_newest_first(PlanStore(backend), names):
        found.setdefault(plan_id, record)
    return found


def latest_record(backend: StoredStateBackend, plan_id: str) -> Optional[Dict[str, Any]]:
    """The newest apply record of plan ``plan_id`` (None: never applied), reading no older record than it."""
    for recorded_plan, record in _records_newest_first(PlanStore(backend)):
        if recorded_plan == plan_id:
            return record
    return None


def _records_newest_first(store: PlanStore, names: Optional[Sequence[str]] = None
                          ) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """(plan id, record with its ``id``) of the stored apply records, newest first, read as they are needed."""
    listed = store.records.list(APPLY_KIND) if names is None else list(names)
    for record_id in reversed(listed):
        record = store.records.load(record_id)
        plan_id = record.get("plan_id")
        if isinstance(plan_id, str):
            yield plan_id, dict(record, id=record_id)


def _execute(prepared: Any, client: Any, backend: Any, options: ApplyOptions, progress: Optional[ProgressFn],
             on_outcome: Optional[Callable[[OperationOutcome], None]], stop: Optional[threading.Event]
             ) -> ApplyResult:
    total = len(prepared.document["operations"])
    done = [0]
    if progress is not None:
        progress(0, total)

    def completed(outcome: OperationOutcome) -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)
        if on_outcome is not None:
            on_outcome(outcome)

    return execute(prepared, client, backend, options, on_outcome=completed, stop=stop)


def _record(store: PlanStore, applied: AppliedPlan) -> None:
    """Keep the outcome beside the plan; DSS was written already, so a failure to record is a note, not an
    error (the state, saved as the operations completed, is the record that matters)."""
    try:
        applied.record_id = store.records.save(applied.to_dict(), kind=APPLY_KIND)
    except Exception as exc:  # the writes happened: never turn a done apply into an error
        logger.warning("The apply record was not stored: %s", exc)
        applied.note = f"The apply's record was not stored beside the plan: {exc}"


def _host(client: Any) -> str:
    return str(getattr(client, "host", "") or "")


__all__ = [
    "APPLY_KIND",
    "AppliedPlan",
    "apply_stored_plan",
    "config_source_opener",
    "created_projects",
    "latest_record",
    "latest_records",
    "plan_and_apply",
    "plan_projects",
]
