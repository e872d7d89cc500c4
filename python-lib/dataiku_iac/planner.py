"""Use case: plan an environment (read the config, the state and live DSS; hand them to the pure plan engine).

Read-only by construction: it reads DSS through the all-or-nothing :class:`SyncEngine` (a read error raises,
so a plan never mistakes an unreadable object for a deleted one) and takes the stored state as given; it
writes nothing to DSS nor to the state. ``dataiku-iac plan`` calls it, and so will ``apply --config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .config import Config, DesiredState, build_desired_state, identities_from_state
from .dss.credentials import strip_userinfo
from .exceptions import MissingConnectionError
from .models.state import State, parse_resource_id, recorded_ids
from .plan import Plan, plan_with_desired
from .plan.model import DELETE
from .plan.plan_file import config_digest
from .sync.engine import DEFAULT_WORKERS, ProgressCallback, SyncEngine
from .sync.incremental import DEFAULT_MAX_AGE, SyncMode, baseline_index, usable_baseline
from .sync.rules import SyncRules
from .timeutil import format_timestamp, utc_now


@dataclass
class PlanResult:
    """A plan and what it was made from."""

    plan: Plan
    desired: DesiredState
    live: State
    #: How live DSS was read (incremental: the stored state's unchanged objects reused).
    sync_mode: Optional[SyncMode] = None


def projects_to_read(config: Config, stored: State) -> List[str]:
    """The projects a plan reads: those the config names, and those the state records managed objects in
    (so objects removed from the config are seen, and deleted)."""
    keys = set(config.projects) | {parse_resource_id(rid).project_key for rid in stored.managed}
    return sorted(keys)


def read_live(client: Any, project_keys: Sequence[str], *, workers: int = DEFAULT_WORKERS,
              rules: Optional[SyncRules] = None, progress: Optional[ProgressCallback] = None,
              baseline: Optional[State] = None) -> State:
    """What DSS holds in ``project_keys`` (a project DSS lacks is simply absent: the plan creates it); with a
    ``baseline`` (one :func:`~dataiku_iac.sync.incremental.usable_baseline` accepted), its objects whose
    version tag did not move are reused."""
    return _read_live(client, project_keys, workers, rules, progress, baseline)[0]


def _read_live(client: Any, project_keys: Sequence[str], workers: int, rules: Optional[SyncRules],
               progress: Optional[ProgressCallback], baseline: Optional[State]) -> tuple:
    engine = SyncEngine(client, workers=workers, rules=rules, progress=progress)
    reuse = baseline_index(baseline, project_keys) if baseline is not None else None
    outcome = engine.sync(list(project_keys), include_children=True, missing_ok=True, baseline=reuse)
    return State(resources={resource.resource_id: resource for resource in outcome.resources}), outcome.reused


def plan_environment(config: Config, environment: str, client: Any, stored: State,
                     environ: Mapping[str, str], *, dss_url: str = "", workers: int = DEFAULT_WORKERS,
                     rules: Optional[SyncRules] = None,
                     progress: Optional[ProgressCallback] = None, full: bool = False,
                     full_read_max_age: timedelta = DEFAULT_MAX_AGE) -> PlanResult:
    """The plan bringing DSS to the config for ``environment`` (``environ`` gives the ``${env:}`` values).

    Live DSS is read incrementally from ``stored`` where safe (see :mod:`dataiku_iac.sync.incremental`);
    ``full`` reads every object."""
    config.environment(environment)  # an unknown environment fails before any request
    rules = rules or SyncRules()
    mode = usable_baseline(stored, rules, full=full, max_age=full_read_max_age)
    live, reused = _read_live(client, projects_to_read(config, stored), workers, rules, progress,
                              stored if mode.incremental else None)
    if mode.incremental:
        mode = SyncMode(True, "", reused)
    live.environment = environment
    desired = build_desired_state(config, environment, environ=environ, identities=identities_from_state(live),
                                  recorded_ids=recorded_ids(stored.managed))
    # The digest is of the config's desired state; apply writes the one the plan gives (with the placeholders of
    # replaced objects in what refers to them).
    plan, desired = plan_with_desired(desired, live, stored, stored.managed, secret_view=rules.attributes,
                                      dss_url=strip_userinfo(dss_url), config_digest=config_digest(desired),
                                      created_at=format_timestamp(utc_now()))
    plan.config_dir = str(config.root)
    check_connections(plan, desired, client, config.environment(environment).connections, environment)
    return PlanResult(plan, desired, live, mode)


def connections_used(plan: Plan, desired: DesiredState) -> Dict[str, List[str]]:
    """Connection name -> the resource ids that the plan creates or updates on it (deletions need none)."""
    used: Dict[str, List[str]] = {}
    for operation in plan.operations:
        if operation.action == DELETE or operation.resource_id not in desired.resources:
            continue
        params = desired.resources[operation.resource_id].resource.attributes.get("params")
        connection = params.get("connection") if isinstance(params, dict) else None
        if isinstance(connection, str) and connection:
            used.setdefault(connection, []).append(operation.resource_id)
    return used


def check_connections(plan: Plan, desired: DesiredState, client: Any, mapping: Mapping[str, str],
                      environment: str) -> None:
    """Refuse a plan that puts an object on a connection the target instance lacks: apply would fail on it
    halfway (DSS refuses the object), so say it now, with the mapping that fixes it. One read-only request,
    made only when the plan writes something on a connection."""
    used = connections_used(plan, desired)
    if not used:
        return
    try:
        known = set(client.list_connections_names("all"))  # GET /connections/get-names?type=all
    except Exception as exc:  # any DSS failure becomes the library's error
        from .dss.errors import to_library_error  # the DSS layer (it imports requests)

        raise to_library_error(exc, "listing the DSS connections (to check those the config uses)") from None
    missing = {name: ids for name, ids in used.items() if name not in known}
    if missing:
        raise MissingConnectionError(environment, missing, dict(mapping), sorted(known))

