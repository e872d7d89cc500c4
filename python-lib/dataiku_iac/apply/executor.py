"""Apply: run a plan's operations against DSS, under the state lock, recording each one as it completes.

The order of events (``docs/apply.md`` says why):

1. The state lock is taken (``backend.lock("apply")``) and held to the end: a second apply or a sync on the
   same environment is refused with :class:`StateLockedError` naming the holder.
2. The plan is made again from the config, the stored state and live DSS (read-only). A saved plan is
   refused (:class:`StalePlanError`, every reason at once) when the state moved (lineage or serial), the
   config changed (digest), or DSS changed under any object it touches: the fresh plan's expectation of an
   object (checksum and versionTag, or "absent") differs from the saved one, or the operations differ.
3. Guards, all before the first write: refused operations (``protect: true``), project deletions without
   ``allow_project_delete``, and the acting user's write permission on every existing project touched.
4. Operations run in a bounded pool (``parallelism``): each starts once the operations it depends on have
   completed; deletions wait for every create and update, and run in the reverse order of dependencies.
5. After each write the object is read back as the sync reads it and put into the state with its
   ``managed`` record; the state is saved (conditional on the serial, under the held lock) after each batch
   of completed operations, so a crash loses at most the record of operations DSS finished but the state
   did not see; the next plan finds those objects in DSS (adopts them), never creates them twice.
6. On a failure no new operation starts; running ones finish and are recorded; the result says
   ``N applied, failed X (why), not attempted Y``.

Saves happen on the calling thread only: the backend's lock is re-entrant for the thread holding it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from ..config.desired import UNRESOLVED_PREFIX, DesiredResource, DesiredState, IdReference, placeholder
from ..dss.credentials import client_secrets, strip_userinfo
from ..dss.errors import to_library_error
from ..exceptions import ApplyError, DataikuIaCError, StateNotFoundError
from ..models.state import ManagedEntry, Resource, State, make_resource_id, parse_resource_id
from ..permissions import client_principal, require_write
from ..plan.model import ADOPT, CREATE, DELETE, REPLACE, UPDATE
from ..sync.engine import SyncEngine
from ..sync.rules import SyncRules
from ..types import SERVER_ID_TYPES
from .result import APPLIED, FAILED, ApplyResult, OperationOutcome
from .writers import writer_for

logger = logging.getLogger("dataiku_iac.apply")

DEFAULT_PARALLELISM = 8
Document = Mapping[str, Any]


class StalePlanError(ApplyError):
    """A saved plan no longer describes what apply would do: the state, the config or DSS moved since."""

    def __init__(self, reasons: List[str]) -> None:
        self.reasons = list(reasons)
        shown = "; ".join(self.reasons[:10]) + (f" (and {len(self.reasons) - 10} more)"
                                                if len(self.reasons) > 10 else "")
        super().__init__(f"The plan is stale, nothing was written: {shown}. Make a new plan and review it.")


class ApplyRefusedError(ApplyError):
    """The plan asks for something apply refuses (a protected object, a project deletion without its flag)."""


@dataclass
class ApplyOptions:
    """How apply writes: concurrency and what deletions may do."""

    parallelism: int = DEFAULT_PARALLELISM
    #: Delete the data of deleted datasets and folders too (kept by default).
    drop_data: bool = False
    #: Allow deleting whole projects (refused by default, even when the plan has it).
    allow_project_delete: bool = False


@dataclass
class PreparedApply:
    """A plan checked against the state, the config and DSS, ready to run (see :func:`prepare`)."""

    document: Dict[str, Any]
    desired: DesiredState
    live: State
    stored: State
    #: The serial the state is stored at (0: nothing stored), for the conditional saves.
    stored_serial: int
    #: The sync's rules the plan read DSS with: objects are read back with them (the same redaction markers).
    rules: SyncRules


# -- checks (pure) ------------------------------------------------------------------------------------------

def stale_reasons(saved: Document, fresh: Document, stored: State, environment: str, dss_url: str) -> List[str]:
    """Why ``saved`` (a plan file) may not be applied now; ``fresh`` is the plan made now. Empty: current."""
    reasons: List[str] = []
    if saved.get("environment") != environment:
        reasons.append(f"it was made for environment {saved.get('environment')!r}, not {environment!r}")
    planned_url = saved.get("dss_url") or ""
    if planned_url and dss_url and planned_url.rstrip("/") != strip_userinfo(dss_url).rstrip("/"):
        reasons.append(f"it was made against {planned_url}, not {strip_userinfo(dss_url)}")
    state = saved.get("state") or {}
    lineage = stored.lineage
    serial = stored.serial if lineage is not None else None
    if (state.get("lineage"), state.get("serial")) != (lineage, serial):
        reasons.append(f"the state moved (planned at lineage {state.get('lineage')} serial {state.get('serial')}, "
                       f"now lineage {lineage} serial {serial})")
    if saved.get("config_digest") != fresh.get("config_digest"):
        reasons.append("the config changed since the plan")
    fresh_ops = {op["resource_id"]: op for op in fresh.get("operations", [])}
    saved_ids = set()
    for op in saved.get("operations", []):
        rid = op["resource_id"]
        saved_ids.add(rid)
        now = fresh_ops.get(rid)
        expect = op.get("expect") or {}
        if now is None:
            if expect.get("exists") is False and expect.get("name"):
                reasons.append(f"{rid}: an object named {expect['name']!r} was created in DSS since the plan")
            else:
                reasons.append(f"{rid}: DSS changed since the plan, which no longer needs this {op['action']}")
            continue
        reason = _expectation_moved(rid, expect, now.get("expect") or {})
        if reason:
            reasons.append(reason)
        elif now["action"] != op["action"]:
            reasons.append(f"{rid}: it now needs {now['action']} instead of {op['action']}")
    for rid, op in fresh_ops.items():
        if rid not in saved_ids:
            reasons.append(f"{rid}: DSS changed since the plan, which now needs {op['action']}")
    return reasons


def _expectation_moved(rid: str, saved: Mapping[str, Any], now: Mapping[str, Any]) -> Optional[str]:
    if saved.get("exists") is False and now.get("exists") is True:
        return f"{rid} was created in DSS since the plan"
    if saved.get("exists") is True and now.get("exists") is False:
        return f"{rid} was deleted in DSS since the plan"
    if saved.get("checksum") != now.get("checksum"):
        who = now.get("last_modified_by") or "someone"
        when = f" at {now['last_modified_at']}" if now.get("last_modified_at") else ""
        return f"{rid} was changed in DSS since the plan (by {who}{when})"
    return None


def refusals(document: Document, stored: State, desired: DesiredState, options: ApplyOptions) -> List[str]:
    """Operations apply refuses (the plan's own refusals, protect, project deletion without its flag)."""
    found = []
    for op in document.get("operations", []):
        rid, action = op["resource_id"], op["action"]
        if op.get("refused"):
            found.append(f"{rid}: {op['refused']}")
            continue
        if action in (DELETE, REPLACE):
            entry = stored.managed.get(rid)
            wanted = desired.resources.get(rid)
            if op.get("protected") or (entry is not None and entry.protect) \
                    or (wanted is not None and wanted.config.protected):
                found.append(f"{rid}: protect: true forbids {'deleting' if action == DELETE else 'replacing'} it")
                continue
        if action in (DELETE, REPLACE) and op.get("resource_type") == "project" and not options.allow_project_delete:
            found.append(f"{rid}: deleting a project needs its own flag (--allow-project-delete)")
    return found


def schedule(operations: List[Document]) -> List[Set[int]]:
    """For each operation (by index), the indexes of the operations it must wait for.

    Creates, updates, adoptions and replacements wait for the operations on what they depend on; every
    deletion waits for all of those, and for the deletions of the objects that depended on it (reverse order).
    """
    index_of = {op["resource_id"]: index for index, op in enumerate(operations)}
    writes = [index for index, op in enumerate(operations) if op["action"] != DELETE]
    waits: List[Set[int]] = []
    for index, op in enumerate(operations):
        if op["action"] != DELETE:
            waits.append({index_of[dep] for dep in op.get("dependencies", [])
                          if dep in index_of and operations[index_of[dep]]["action"] != DELETE} - {index})
        else:
            dependents = {other for other, candidate in enumerate(operations)
                          if candidate["action"] == DELETE and op["resource_id"] in candidate.get("dependencies", [])}
            waits.append((set(writes) | dependents) - {index})
    return waits


# -- references to objects DSS gives an id at creation ----------------------------------------------------

class IdMap:
    """``new:KEY`` placeholders of the desired state -> the ids DSS gave the created (or replaced) objects.

    Keyed by type too: a folder and a scenario of one project may share a config key (and so a placeholder).
    """

    def __init__(self) -> None:
        self._ids: Dict[Tuple[str, str, str], str] = {}  # (type, project, "new:KEY") -> id
        self._moved: Dict[str, str] = {}  # resource id of a replaced object -> its new resource id
        self._lock = threading.Lock()

    def add(self, planned_id: str, dss_id: str) -> None:
        """The object planned as ``planned_id`` (``{type}.{PROJECT}.new:KEY``) got the id ``dss_id``."""
        address = parse_resource_id(planned_id)
        with self._lock:  # pool threads add; others read only after (their operation starts later)
            self._ids = {**self._ids, (address.resource_type, address.project_key, address.name or ""): dss_id}

    def replaced(self, resource_id: str, config_key: str, dss_id: str) -> None:
        """A replace gave the object of ``resource_id`` the new id ``dss_id``: the plan wrote references to it
        as its placeholder (``new:KEY``), and dependencies as its old resource id."""
        address = parse_resource_id(resource_id)
        with self._lock:
            self._moved = {**self._moved,
                           resource_id: make_resource_id(address.resource_type, address.project_key, dss_id)}
        self.add(make_resource_id(address.resource_type, address.project_key, placeholder(config_key)), dss_id)

    def resolve_id(self, resource_id: str) -> str:
        """The resource id with its placeholder replaced (or a replaced object's new id), when known."""
        if resource_id in self._moved:
            return self._moved[resource_id]
        address = parse_resource_id(resource_id)
        found = self._ids.get((address.resource_type, address.project_key, address.name or ""))
        if found is None or not (address.name or "").startswith(UNRESOLVED_PREFIX):
            return resource_id
        return make_resource_id(address.resource_type, address.project_key, found)

    def resolve(self, wanted: DesiredResource) -> Dict[str, Any]:
        """The attributes of ``wanted`` where each reference to a placeholder holds the id DSS gave instead."""
        if not self._ids:
            return wanted.resource.attributes
        return wanted.attributes_with_ids(self._id_for)

    def _id_for(self, reference: IdReference) -> Optional[str]:
        target = parse_resource_id(reference.target)
        return self._ids.get((target.resource_type, target.project_key, placeholder(reference.key)))


# -- reading one object back as the sync does ---------------------------------------------------------------

class ObjectReader:
    """Read one object with the sync's own reads and rules (so the state gets what a sync would record)."""

    def __init__(self, client: Any, rules: SyncRules) -> None:
        self.engine = SyncEngine(client, workers=1, rules=rules)

    def read(self, resource_type: str, project_key: str, object_id: Optional[str],
             known: Optional[Tuple[str, Dict[str, Any]]] = None) -> Resource:
        """``known`` is the writer's own read-back of the object (``(object_id, raw)``, the sync's read made
        after the write): used instead of reading it again, which saves one request per written object."""
        if resource_type == "project":
            sync = self.engine.project_sync
            return sync.to_resource(project_key, sync.read(project_key))
        child = self.engine.child_syncs[resource_type]
        if known is not None and known[0] == str(object_id):
            return child.to_resource(project_key, known[1])
        return child.to_resource(project_key, child.read(project_key, str(object_id)))


# -- running ------------------------------------------------------------------------------------------------

class _Scheduler:
    """Starts each operation once those it waits for are done in DSS, from the pool's own threads, so writes
    do not wait for the state saves the calling thread makes; hands completed operations over in batches.
    At most ``parallelism`` completed operations wait for a save: past that, nothing new starts until the
    next save (a crash then leaves at most that many, plus those running, for the next plan to adopt).

    After a failure or once ``stop`` is set, nothing new starts; what runs finishes and is handed over.
    """

    def __init__(self, operations: List[Document], waits: List[Set[int]], pool: ThreadPoolExecutor,
                 parallelism: int, run_one: Callable[[Document], Any], stop: threading.Event) -> None:
        self.operations = operations
        self.waits = waits
        self.pool = pool
        self.parallelism = max(1, parallelism)
        self.run_one = run_one
        self.stop = stop
        self.pending = list(range(len(operations)))  # not started, in plan order
        self.done: Set[int] = set()
        self.running = 0
        #: Completed in DSS, not yet in a saved state: what a crash now would leave for the next plan to adopt.
        #: Bounded (no new start past ``parallelism``), so the crash window stays small when saves are slow.
        self.unsaved = 0
        self.failed = False
        self.completed: List[Tuple[int, Future]] = []
        self.changed = threading.Condition(threading.RLock())  # re-entrant: a done callback may run inline

    def start(self) -> None:
        with self.changed:
            self._start_ready()

    def next_batch(self) -> List[Tuple[int, Future]]:
        """Every operation completed since the last call (waiting for one); empty when all is over."""
        with self.changed:
            self.changed.wait_for(lambda: self.completed or self.running == 0)
            batch, self.completed = self.completed, []
            return batch

    def recorded(self, count: int) -> None:
        """``count`` handed-over operations are in a saved state now: more may start."""
        with self.changed:
            self.unsaved -= count
            self._start_ready()

    def _may_start(self) -> bool:
        return not self.failed and not self.stop.is_set() and self.unsaved < self.parallelism \
            and self.running < self.parallelism

    def _start_ready(self) -> None:  # holding the condition's lock
        for index in list(self.pending):
            if not self._may_start():  # checked each time: a callback run inline may have changed it
                break
            # (a callback run inline by add_done_callback may have started it already)
            if index in self.pending and self.waits[index] <= self.done:
                self.pending.remove(index)
                self.running += 1
                future = self.pool.submit(self.run_one, self.operations[index])
                future.add_done_callback(lambda finished, index=index: self._finished(index, finished))

    def _finished(self, index: int, future: Future) -> None:
        with self.changed:
            if future.exception() is None:
                self.done.add(index)
            else:
                self.failed = True
            self.completed.append((index, future))  # handed over before it stops counting as running
            self.unsaved += 1
            self.running -= 1
            self._start_ready()
            self.changed.notify_all()


@dataclass
class _Done:
    """What one operation did: the object's final resource id and its fresh read (None once deleted)."""

    final_id: str
    resource: Optional[Resource]


class Executor:
    """Runs the operations of a prepared apply; see the module docstring."""

    def __init__(self, prepared: PreparedApply, client: Any, backend: Any, options: ApplyOptions,
                 on_outcome: Optional[Callable[[OperationOutcome], None]] = None,
                 stop: Optional[threading.Event] = None) -> None:
        self.prepared = prepared
        self.client = client
        self.backend = backend
        self.options = options
        self.reader = ObjectReader(client, prepared.rules)
        self.on_outcome = on_outcome
        #: Set (e.g. on Ctrl-C): start nothing new; what runs finishes and is recorded.
        self.stop = stop or threading.Event()
        self.ids = IdMap()
        self.state = prepared.stored
        self.serial = prepared.stored_serial

    def run(self) -> ApplyResult:
        operations = list(self.prepared.document.get("operations", []))
        result = ApplyResult([OperationOutcome(op["action"], op["resource_id"]) for op in operations])
        self._forget_vanished()
        self._refresh_records()
        self._save()
        with ThreadPoolExecutor(max_workers=max(1, self.options.parallelism),
                                thread_name_prefix="dataiku-iac-apply") as pool:
            scheduler = _Scheduler(operations, schedule(operations), pool, self.options.parallelism,
                                   self._run_one, self.stop)
            scheduler.start()
            while True:
                batch = scheduler.next_batch()
                if not batch:
                    break
                reported = [self._collect(future, index, operations, result) for index, future in batch]
                self._save()  # every operation completed since the last save recorded at once
                scheduler.recorded(len(batch))
                for outcome in reported:  # reported once recorded: what is shown as applied is in the state
                    if self.on_outcome is not None:
                        self.on_outcome(outcome)
        result.state_serial = self.state.serial
        return result

    def _collect(self, future: Future, index: int, operations: List[Document], result: ApplyResult) -> OperationOutcome:
        """Record what a completed operation did (or why it failed) in the state and its outcome."""
        outcome = result.outcomes[index]
        try:
            completed = future.result()
        except Exception as exc:  # the operation failed (the scheduler starts nothing new)
            outcome.status, outcome.error = FAILED, self._why(exc, operations[index])
            return outcome
        self._record(operations[index], completed)
        outcome.status, outcome.final_id = APPLIED, completed.final_id
        return outcome

    # -- one operation (in the pool) --------------------------------------------------------------------

    def _run_one(self, op: Document) -> _Done:
        action, rtype, project_key = op["action"], op["resource_type"], op["project_key"]
        rid = self.ids.resolve_id(op["resource_id"])
        object_id = parse_resource_id(rid).name
        writer = writer_for(self.client, rtype)
        if action == DELETE:
            self._delete(writer, rtype, project_key, object_id)
            return _Done(rid, None)
        wanted = self.prepared.desired.resources[op["resource_id"]]
        attributes = self.ids.resolve(wanted)
        secrets = self.prepared.desired.secret_values(op["resource_id"])
        if action == REPLACE:
            self._delete(writer, rtype, project_key, object_id)
            object_id = writer.create(project_key, attributes, wanted.managed_paths, secrets)
        elif action == CREATE:
            object_id = writer.create(project_key, attributes, wanted.managed_paths, secrets)
        elif action in (UPDATE, ADOPT) and (action == UPDATE or op.get("changes")):
            writer.update(project_key, str(object_id or project_key), attributes, wanted.managed_paths, secrets)
        final_id = make_resource_id(rtype, project_key, None if rtype == "project" else object_id)
        # Before the operations referring to it may start. The objects referring to a replaced folder were
        # planned with its placeholder: mapped even if DSS happened to give the old id again.
        if action == REPLACE and rtype in SERVER_ID_TYPES:
            self.ids.replaced(op["resource_id"], wanted.config.key, str(object_id))
        elif final_id != op["resource_id"]:
            self.ids.add(op["resource_id"], str(object_id))
        try:
            resource = self.reader.read(rtype, project_key, object_id, writer.last_read)
        except Exception as exc:
            raise to_library_error(exc, f"reading {final_id} back after writing it",
                                   client_secrets(self.client)) from exc
        return _Done(final_id, resource)

    def _delete(self, writer: Any, rtype: str, project_key: str, object_id: Optional[str]) -> None:
        if rtype == "project":
            writer.delete(project_key, drop_data=self.options.drop_data,
                          allow_project_delete=self.options.allow_project_delete)
        else:
            writer.delete(project_key, str(object_id), drop_data=self.options.drop_data)

    # -- the state (calling thread only) -----------------------------------------------------------------

    def _record(self, op: Document, done: _Done) -> None:
        planned = op["resource_id"]
        previous = self.state.managed.pop(planned, None)
        if op["action"] == REPLACE and done.final_id != planned:
            self.state.resources.pop(planned, None)
        if done.resource is None:  # deleted
            self.state.resources.pop(planned, None)
            if op["resource_type"] == "project":  # its objects went with it, unmanaged ones too
                project_key = op["project_key"]
                for rid in [rid for rid in self.state.resources if parse_resource_id(rid).project_key == project_key]:
                    del self.state.resources[rid]
                for rid in [rid for rid in self.state.managed if parse_resource_id(rid).project_key == project_key]:
                    del self.state.managed[rid]
            return
        wanted: DesiredResource = self.prepared.desired.resources[planned]
        origin = {CREATE: "created", ADOPT: "adopted"}.get(op["action"]) \
            or (previous.origin if previous is not None else "adopted" if op["action"] == UPDATE else "created")
        dependencies = tuple(sorted(self.ids.resolve_id(dep) for dep in wanted.dependencies))
        self.state.resources[done.final_id] = done.resource
        self.state.managed[done.final_id] = ManagedEntry(wanted.config.key, origin, dependencies,
                                                         wanted.config.protected)

    def _forget_vanished(self) -> None:
        """Drop the records of managed objects the config no longer names and DSS no longer has (a deletion
        done outside the config, or by an apply that crashed before recording it): nothing left to do."""
        for rid in list(self.state.managed):
            if rid not in self.prepared.desired.resources and self.prepared.live.get_resource(rid) is None:
                del self.state.managed[rid]
                self.state.resources.pop(rid, None)

    def _refresh_records(self) -> None:
        """Bring the managed records of objects the plan leaves alone up to the config (its key, its
        dependencies, ``protect``): a ``protect: true`` added to the config must guard the next deletion even
        when the object itself needed no change."""
        for rid, entry in list(self.state.managed.items()):
            wanted = self.prepared.desired.resources.get(rid)
            if wanted is None:
                continue
            fresh = ManagedEntry(wanted.config.key, entry.origin, tuple(sorted(wanted.dependencies)),
                                 wanted.config.protected)
            if fresh != entry:
                self.state.managed[rid] = fresh

    def _save(self) -> None:
        self.state.resources = dict(sorted(self.state.resources.items()))
        self.state.managed = dict(sorted(self.state.managed.items()))
        self.backend.save(self.state, expected_serial=self.serial)
        self.serial = self.state.serial

    def _why(self, exc: BaseException, op: Document) -> str:
        if not isinstance(exc, DataikuIaCError):
            exc = to_library_error(exc, f"{op['action']} of {op['resource_id']}", client_secrets(self.client))
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- the use case -------------------------------------------------------------------------------------------

def load_stored(backend: Any, environment: str) -> Tuple[State, int]:
    """The stored state and its serial (an empty state and 0 when none is stored)."""
    try:
        state = backend.load()
    except StateNotFoundError:
        return State(environment=environment), 0
    return state, state.serial


def prepare(config: Any, environment: str, client: Any, backend: Any, environ: Mapping[str, str], *,
            saved: Optional[Dict[str, Any]] = None, dss_url: str = "", options: Optional[ApplyOptions] = None,
            rules: Optional[SyncRules] = None,
            progress: Optional[Callable[[int, int], None]] = None) -> PreparedApply:
    """Plan now (read-only) and check: a saved plan must still be current; guards and permissions hold.

    Call it holding ``backend.lock("apply")``. Raises :class:`StalePlanError`, :class:`ApplyRefusedError`
    or :class:`PermissionDeniedError`; nothing is written to DSS before it returns. ``progress(done, total)``
    follows the reads of the fresh plan (as ``plan_environment`` reports them).
    """
    from ..planner import plan_environment

    options = options or ApplyOptions()
    rules = rules or SyncRules()
    stored, serial = load_stored(backend, environment)
    stored.environment = stored.environment or environment
    fresh = plan_environment(config, environment, client, stored, environ, dss_url=dss_url,
                             workers=max(1, options.parallelism), rules=rules, progress=progress)
    fresh_document = fresh.plan.to_dict()
    if saved is not None:
        reasons = stale_reasons(saved, fresh_document, stored, environment, dss_url)
        if reasons:
            raise StalePlanError(reasons)
        document = saved
    else:
        document = fresh_document
    refused = refusals(document, stored, fresh.desired, options)
    if refused:
        raise ApplyRefusedError("Apply refused, nothing was written: " + "; ".join(refused))
    existing = sorted({op["project_key"] for op in document["operations"]
                       if fresh.live.get_resource(make_resource_id("project", op["project_key"])) is not None})
    if existing:
        require_write(client, existing, client_principal(client), "apply this plan")
    return PreparedApply(document, fresh.desired, fresh.live, stored, serial, rules)


def execute(prepared: PreparedApply, client: Any, backend: Any, options: Optional[ApplyOptions] = None, *,
            on_outcome: Optional[Callable[[OperationOutcome], None]] = None,
            stop: Optional[threading.Event] = None) -> ApplyResult:
    """Run the operations of a prepared apply (holding the lock ``prepare`` was called under).

    ``stop`` set while it runs (the command sets it on Ctrl-C): no operation starts any more; those running
    finish and are recorded, and the rest are reported as not attempted."""
    return Executor(prepared, client, backend, options or ApplyOptions(), on_outcome, stop).run()
