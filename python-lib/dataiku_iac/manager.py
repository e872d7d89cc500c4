"""StateManager (seed §9): sync DSS into states, store them, and detect drift against the stored state.

The seed's methods are kept (``load_state``, ``save_state``, ``sync_resource``, ``sync_project``,
``sync_all``) and joined by ``sync_projects``, ``detect_drift`` (read-only) and ``refresh`` (sync and save
under the backend's lock). See ``docs/interfaces.md`` for the contract the CLI, macros and webapp use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .accept import accept_report, drift_context
from .backends.base import StateBackend
from .diff import DiffEngine
from .dss.client import ensure_pool
from .exceptions import ConfigError, ResourceNotFoundError, StateNotFoundError
from .models.diff import ChangeType, ResourceDiff
from .models.state import Resource, State, parse_resource_id
from .redaction import align_redaction_keys
from .redaction_key import KeyLike
from .report.json_report import diffs_to_json
from .sync.base import ResourceSync
from .sync.engine import DEFAULT_WORKERS, ProgressCallback, SyncEngine
from .sync.incremental import DEFAULT_MAX_AGE, SyncMode, baseline_index, stamp_after, usable_baseline
from .sync.rules import RuleLike, SyncRules
from .timeutil import utc_now

logger = logging.getLogger("dataiku_iac.manager")


@dataclass
class DriftResult:
    """The outcome of a drift check: the stored baseline (limited to what was checked), the live state, and
    one diff per resource (UNCHANGED included)."""

    baseline: State
    live: State
    diffs: List[ResourceDiff]
    has_drift: bool
    summary: Dict[str, int]
    checked_at: datetime
    environment: str = ""
    project_keys: List[str] = field(default_factory=list)
    include_children: bool = True
    #: Set when the baseline's secrets were redacted with another key (their changes could not be compared).
    redaction_notice: Optional[str] = None
    #: Whether the check reused the baseline's unchanged objects (incremental) or read everything (full).
    sync_mode: Optional[SyncMode] = None

    def changes(self) -> List[ResourceDiff]:
        """The diffs that are not UNCHANGED."""
        return [d for d in self.diffs if d.change_type is not ChangeType.UNCHANGED]

    def to_report(self) -> Dict[str, Any]:
        """The drift report JSON (``diffs_to_json`` with the drift context), ready for every renderer."""
        context = drift_context(self.baseline, environment=self.environment, checked_at=self.checked_at,
                                project_keys=self.project_keys, has_drift=self.has_drift)
        if self.redaction_notice:
            context["redaction_notice"] = self.redaction_notice
        if self.sync_mode is not None:
            context["sync_mode"] = self.sync_mode.describe()
        return diffs_to_json(self.diffs, context=context)


@dataclass
class RefreshResult:
    """The outcome of a refresh: the stored state, the diffs against the previous one, whether it was written
    (False when the content was unchanged: no new serial)."""

    state: State
    diffs: List[ResourceDiff]
    saved: bool
    sync_mode: Optional[SyncMode] = None

    def changes(self) -> List[ResourceDiff]:
        """The diffs that are not UNCHANGED."""
        return [d for d in self.diffs if d.change_type is not ChangeType.UNCHANGED]


class StateManager:
    """Main orchestrator: syncs DSS through a :class:`SyncEngine`, stores states through a backend.

    ``client`` is a ``dataikuapi.DSSClient``; it gets a timeout, retries and a pool of ``workers`` connections
    if it has none (:func:`dataiku_iac.dss.client.ensure_pool`; ``retry_backoff`` sets the first wait of its
    retry policy). ``redaction_key`` marks secrets (default: :func:`dataiku_iac.redaction_key.resolve_key`;
    inside DSS, :func:`~dataiku_iac.redaction_key.key_from_dss_user_secrets`). ``ignore_rules`` are added to
    the built-in rules (:class:`IgnoreRule` or ``{"resource_type", "path", "reason"}``). ``progress(done,
    total)`` is called as objects are read. ``full_read_max_age``: drift checks and refreshes reuse the stored
    state's unchanged objects (incremental) only while its last full read is younger than this.
    """

    def __init__(self, backend: StateBackend, client: Any, environment: str, *, workers: int = DEFAULT_WORKERS,
                 ignore_rules: Iterable[RuleLike] = (), progress: Optional[ProgressCallback] = None,
                 retry_backoff: Optional[float] = None, redaction_key: Optional[KeyLike] = None,
                 full_read_max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        self.backend = backend
        self.full_read_max_age = full_read_max_age
        self.client = ensure_pool(client, workers, backoff=retry_backoff)
        self.environment = environment
        self.rules = SyncRules(ignore_rules, redaction_key=redaction_key)
        self.engine = SyncEngine(client, workers=workers, rules=self.rules, progress=progress)
        self._sync_registry: Dict[str, ResourceSync] = {"project": self.engine.project_sync,
                                                        **self.engine.child_syncs}
        # (serial, lineage) of the last state this manager loaded or saved ((0, None): it found none). A fresh
        # synced state is saved with that serial as the backend's expected_serial, so a save by someone else in
        # between is refused instead of overwritten; the backend alone numbers what it stores.
        self._bound: Optional[Tuple[int, Optional[str]]] = None

    @property
    def progress(self) -> Optional[ProgressCallback]:
        """The progress callback ``(done, total)``; settable."""
        return self.engine.progress

    @progress.setter
    def progress(self, callback: Optional[ProgressCallback]) -> None:
        self.engine.progress = callback

    # -- storage ----------------------------------------------------------------------------------------

    def load_state(self) -> State:
        """The stored state, or an empty ``State(environment=...)`` when nothing is stored yet."""
        try:
            state = self.backend.load()
        except StateNotFoundError:
            self._bound = (0, None)
            return State(environment=self.environment)
        self._bound = (state.serial, state.lineage)
        return state

    def save_state(self, state: State, force: bool = False) -> None:
        """Store ``state`` (its environment set to this manager's).

        A state not bound to any stored state (fresh from a sync) is saved as the successor of the last state
        this manager loaded or saved; the backend then refuses it if someone saved in between
        (:class:`StaleStateError`) unless ``force``. A loaded state extends the serial it was loaded at.
        """
        state.environment = self.environment
        fresh = state.lineage is None and state.base_serial is None
        expected = self._bound[0] if fresh and self._bound is not None else None
        self.backend.save(state, force=force, expected_serial=expected)
        self._bound = (state.serial, state.lineage)

    # -- sync -------------------------------------------------------------------------------------------

    def sync_resource(self, resource_id: str) -> Resource:
        """Fetch one resource from DSS (:class:`ResourceNotFoundError` when absent)."""
        resource_type = parse_resource_id(resource_id).resource_type
        return self._sync_registry[resource_type].fetch(resource_id)

    def sync_project(self, project_key: str, include_children: bool = True) -> State:
        """A fresh state of one project and, by default, its datasets, recipes, scenarios, folders and models."""
        return self.sync_projects([project_key], include_children)

    def sync_projects(self, project_keys: Sequence[str], include_children: bool = True) -> State:
        """A fresh state of several projects (:class:`ResourceNotFoundError` if one does not exist)."""
        if isinstance(project_keys, str):
            project_keys = [project_keys]
        # No sync stamp: the seed's flow (sync, then save_state) stores it unchanged; refresh() stamps.
        return self._state_of(self.engine.sync(list(project_keys), include_children).resources)

    def sync_all(self, include_children: bool = True) -> State:
        """A fresh state of every project the API key can read."""
        return self.sync_projects(self.engine.list_project_keys(), include_children)

    # -- drift ------------------------------------------------------------------------------------------

    def detect_drift(self, project_keys: Optional[Sequence[str]] = None, include_children: bool = True,
                     all_projects: bool = False, full: bool = False) -> DriftResult:
        """Sync live and diff against the stored state; writes nothing.

        ``project_keys=None`` checks the projects of the stored state; ``all_projects`` every project the key
        can read (and those of the stored state). Raises :class:`StateNotFoundError` without a stored state.
        Objects whose DSS version tag did not move are the stored ones (incremental) unless ``full`` or the
        stored state cannot serve (:func:`dataiku_iac.sync.incremental.usable_baseline`).
        """
        baseline = self.backend.load()
        keys = self._scope(baseline, project_keys, all_projects)
        live, mode = self._sync_live(baseline, keys, include_children, full)
        scoped = _scoped_state(baseline, keys, include_children)
        compared, notice = self._comparable(scoped, live)
        diffs = DiffEngine().diff(compared, live)
        summary = DiffEngine().summary(diffs)
        has_drift = any(d.change_type is not ChangeType.UNCHANGED for d in diffs)
        return DriftResult(scoped, live, diffs, has_drift, summary, utc_now(), self.environment, keys, include_children,
                           redaction_notice=notice, sync_mode=mode)

    def refresh(self, project_keys: Optional[Sequence[str]] = None, include_children: bool = True,
                all_projects: bool = False, force: bool = False,
                authorize: Optional[Callable[[List[str]], None]] = None, full: bool = False) -> RefreshResult:
        """Sync and store, under the backend's lock, as the successor of the stored state.

        Resources of projects outside the scope are kept as stored. ``saved`` is False when nothing changed.
        Without a stored state, ``project_keys`` or ``all_projects`` is required. ``authorize(keys)`` is
        called with the projects whose baseline the refresh replaces, before DSS is read (it raises to refuse:
        see :mod:`dataiku_iac.permissions`). ``full``: read every object (see :meth:`detect_drift`).
        """
        with self.backend.lock("refresh"):
            try:
                stored: Optional[State] = self.backend.load()
            except StateNotFoundError:
                stored = None
            if stored is None and project_keys is None and not all_projects:
                raise ConfigError(f"No state at {self.backend.location} yet: name the projects to sync "
                                  "(or sync all projects) to create it")
            baseline = stored if stored is not None else State(environment=self.environment)
            keys = self._scope(baseline, project_keys, all_projects)
            if authorize is not None:
                authorize(list(keys))
            live, mode = self._sync_live(baseline, keys, include_children, full)
            diffs = DiffEngine().diff(self._comparable(_scoped_state(baseline, keys, include_children), live)[0], live)
            state = _merged(baseline, live, keys, include_children, self.environment)
            if include_children:
                state.sync_stamp = stamp_after(stored, self.rules, mode, keys, self.full_read_max_age)
            previous_serial = stored.serial if stored is not None else None
            self.backend.save(state, force=force)
            self._bound = (state.serial, state.lineage)
        return RefreshResult(state, diffs, saved=previous_serial is None or state.serial != previous_serial,
                             sync_mode=mode)

    def accept_live(self, result: DriftResult) -> State:
        """Store the live state a drift check reported as the new baseline; returns the stored state.

        Exactly what the user reviewed (the check's report) is stored, applied to the stored state, so
        projects and children the check did not cover are kept; no second sync (:mod:`dataiku_iac.accept`).
        If the stored state moved since the check (another save), :class:`StaleStateError`: review the new
        drift, then accept again.
        """
        outcome = accept_report(self.backend, result.to_report(), environment=self.environment, live=result.live)
        self._bound = (outcome.state.serial, outcome.state.lineage)
        return outcome.state

    # -- helpers ----------------------------------------------------------------------------------------

    def _comparable(self, baseline: State, live: State) -> Tuple[State, Optional[str]]:
        """``baseline`` as compared with ``live``: markers of another redaction key count as unchanged, with a
        notice (:func:`dataiku_iac.redaction.align_redaction_keys`); the stored state is never altered."""
        # A resource an incremental sync reused is the baseline's own object: nothing to align there.
        read = {rid: r.attributes for rid, r in baseline.resources.items() if live.resources.get(rid) is not r}
        aligned, notice = align_redaction_keys(read, {rid: live.resources[rid].attributes
                                                      for rid in read if rid in live.resources},
                                               self.rules.redaction_key.key_id)
        if notice is None:
            return baseline, None
        logger.warning("%s", notice.message())
        resources = {rid: Resource(r.resource_type, rid, aligned[rid], replace(r.metadata, checksum=""))
                     if aligned.get(rid, r.attributes) is not r.attributes else r
                     for rid, r in baseline.resources.items()}
        return _with_resources(baseline, resources), notice.message()

    def _state_of(self, resources: Iterable[Resource]) -> State:
        # Built directly (not add_resource): a fresh state starts at serial 0, the backend numbers saves.
        return State(environment=self.environment, resources={r.resource_id: r for r in resources})

    def _scope(self, baseline: State, project_keys: Optional[Sequence[str]], all_projects: bool) -> List[str]:
        if isinstance(project_keys, str):
            project_keys = [project_keys]
        if all_projects:
            return sorted(set(self.engine.list_project_keys()) | _project_keys(baseline))
        if project_keys is not None:
            return list(dict.fromkeys(project_keys))
        return sorted(_project_keys(baseline))

    def _sync_live(self, baseline: State, keys: List[str], include_children: bool,
                   full: bool = False) -> Tuple[State, SyncMode]:
        """The live state of ``keys`` and how it was read; a project gone from DSS is absent (drift) only if the
        baseline had it."""
        mode = usable_baseline(baseline, self.rules, full=full, max_age=self.full_read_max_age)
        reuse = baseline_index(baseline, keys) if mode.incremental and include_children else None
        outcome = self.engine.sync(keys, include_children, missing_ok=True, baseline=reuse)
        if mode.incremental:
            mode = SyncMode(True, "", outcome.reused)
        known = _project_keys(baseline)
        unknown = [key for key in outcome.missing_projects if key not in known]
        if unknown:
            raise ResourceNotFoundError(
                f"Project {', '.join(unknown)} does not exist in DSS (or this API key cannot see it), and the "
                "stored state does not know it: check the project key, which is case-sensitive")
        for key in outcome.missing_projects:
            logger.info("project %s is in the stored state but no longer in DSS: its resources are removed", key)
        return self._state_of(outcome.resources), mode


def _project_keys(state: State) -> set:
    return {parse_resource_id(rid).project_key for rid in state.resources}


def _in_scope(resource: Resource, keys: set, include_children: bool) -> bool:
    return resource.project_key in keys and (include_children or resource.resource_type == "project")


def _scoped_state(state: State, keys: Sequence[str], include_children: bool) -> State:
    """A copy of ``state`` (same serial, lineage, time) holding only the resources a sync of ``keys`` covers."""
    wanted = set(keys)
    resources = {rid: r for rid, r in state.resources.items() if _in_scope(r, wanted, include_children)}
    return _with_resources(state, resources)


def _with_resources(state: State, resources: Dict[str, Resource]) -> State:
    """A copy of ``state`` (same serial, lineage, time) holding ``resources``."""
    return State(version=state.version, serial=state.serial, lineage=state.lineage, environment=state.environment,
                 updated_at=state.updated_at, resources=resources, base_serial=state.base_serial,
                 sync_stamp=dict(state.sync_stamp))


def _merged(baseline: State, live: State, keys: Sequence[str], include_children: bool, environment: str) -> State:
    """The state to store: the baseline outside the synced scope, the live resources inside it; which objects
    the config manages is the config's business (generate, apply), so a sync keeps it as it was."""
    wanted = set(keys)
    resources = {rid: r for rid, r in baseline.resources.items() if not _in_scope(r, wanted, include_children)}
    resources.update(live.resources)
    return State(serial=baseline.serial, lineage=baseline.lineage, environment=environment,
                 resources=dict(sorted(resources.items())), base_serial=baseline.base_serial,
                 managed=dict(baseline.managed), sync_stamp=dict(baseline.sync_stamp))
