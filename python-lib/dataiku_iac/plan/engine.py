"""The plan engine: desired + live + stored state -> ordered operations (pure, no DSS access).

- Only the managed paths are compared (:func:`dataiku_iac.config.restrict` on both sides), with the
  ``DiffEngine``'s rules (type-strict, lists by key, code as a unified diff).
- An object of the config that DSS lacks is created (``+``); one that differs is updated (``~``), or replaced
  (``-/+``) when an immutable field of its type differs (:mod:`.immutable`); one DSS holds that the
  state never recorded is adopted (``<=``, as ``terraform import``; with its changes if it differs).
- An object the state records as managed that the config no longer names is deleted (``-``), after every
  create and update, in the reverse order of the dependencies the state recorded. Objects DSS holds that
  neither the config nor the state names are unmanaged: listed, never touched.
- ``protect: true`` refuses a deletion or replacement (the operation stays in the plan, marked refused).
- A replaced folder or scenario (a type whose id DSS gives at creation) gets a new id: the objects of the
  config that refer to it (recipe inputs and outputs, ``folderSmartId``, scenario steps) refer to its
  placeholder ``new:KEY`` instead, so each differs from DSS and gets an update that waits for the replace;
  apply writes the new id there (:func:`plan_with_desired` gives the desired state with those placeholders).
- Drift: a planned change on a path where DSS differs from the stored state was made outside the config; the
  operation says by whom and when (the live object's attribution).
- Secrets: the desired state holds a marker for each ``${env:}`` value. The sync marks only part of some
  values (a URL's password), so ``secret_view`` (the sync's own redaction, given by the caller) turns each
  resolved secret into exactly what the sync would record, and that is compared. Plans never show either.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..config.desired import DesiredResource, DesiredState, restrict
from ..config.graph import topological_order
from ..diff import DiffEngine
from ..models.diff import AttributeChange, ListKey
from ..models.paths import get_at, set_at
from ..models.state import ManagedEntry, Resource, State, parse_resource_id
from ..timeutil import format_timestamp
from ..types import SERVER_ID_TYPES
from .immutable import immutable_fields
from .model import (
    ADOPT,
    CREATE,
    DELETE,
    KNOWN_AFTER_APPLY,
    MARKER_PREFIX,
    REPLACE,
    SENSITIVE,
    UPDATE,
    Operation,
    Plan,
    PlannedChange,
)

#: ``(resource type, attributes with secrets in clear) -> attributes as the sync records them``.
SecretView = Callable[[str, Dict[str, Any]], Dict[str, Any]]
AttributePath = Tuple[str, ...]


def make_plan(desired: DesiredState, live: State, stored: Optional[State] = None,
              managed: Optional[Mapping[str, ManagedEntry]] = None, *, secret_view: Optional[SecretView] = None,
              dss_url: str = "", config_digest: str = "", created_at: str = "") -> Plan:
    """The plan that brings ``live`` to ``desired``; ``stored``/``managed`` are the environment's state."""
    return plan_with_desired(desired, live, stored, managed, secret_view=secret_view, dss_url=dss_url,
                             config_digest=config_digest, created_at=created_at)[0]


def plan_with_desired(desired: DesiredState, live: State, stored: Optional[State] = None,
                      managed: Optional[Mapping[str, ManagedEntry]] = None, *,
                      secret_view: Optional[SecretView] = None, dss_url: str = "", config_digest: str = "",
                      created_at: str = "") -> Tuple[Plan, DesiredState]:
    """:func:`make_plan`, and the desired state apply must write: ``desired`` where objects referring to a
    replaced folder or scenario refer to its placeholder (``desired`` itself when the plan replaces none)."""
    planner = _Planner(desired, live, stored or State(environment=desired.environment), managed or {},
                       secret_view)
    plan = planner.plan(dss_url, config_digest, created_at)
    return plan, desired.with_resources(planner.redirected)


class _Planner:
    def __init__(self, desired: DesiredState, live: State, stored: State, managed: Mapping[str, ManagedEntry],
                 secret_view: Optional[SecretView]) -> None:
        self.desired = desired
        self.live = live
        self.stored = stored
        self.managed = managed
        self.secret_view = secret_view
        self.diff = DiffEngine()
        #: Resource id -> config key of the objects replaced with a new DSS id (server-id types).
        self.replaced: Dict[str, str] = {}
        #: The desired resources whose references to those objects now hold their placeholders.
        self.redirected: Dict[str, DesiredResource] = {}

    def plan(self, dss_url: str, config_digest: str, created_at: str) -> Plan:
        operations: List[Operation] = []
        unchanged = 0
        for resource_id in self.desired.order:  # dependencies first: a replaced object before its referrers
            wanted = self._redirect(self.desired.resources[resource_id])
            operation = self._desired_operation(wanted)
            if operation is None:
                unchanged += 1
            else:
                self._note_replaced(operation, wanted)
                operations.append(operation)
        operations += self._deletions()
        projects = sorted({res.resource.project_key for res in self.desired.resources.values()}
                          | {parse_resource_id(rid).project_key for rid in self.managed})
        return Plan(
            environment=self.desired.environment, dss_url=dss_url, state_lineage=self.stored.lineage,
            state_serial=self.stored.serial if self.stored.lineage is not None else None,
            config_digest=config_digest, project_keys=projects, operations=operations,
            unmanaged=self._unmanaged(), unchanged=unchanged,
            warnings=[str(problem) for problem in self.desired.warnings], created_at=created_at)

    # -- objects of the config ------------------------------------------------------------------------------

    def _redirect(self, wanted: DesiredResource) -> DesiredResource:
        """``wanted`` referring to the placeholders of the replaced objects it names (see the docstring)."""
        redirected = wanted.redirected(self.replaced)
        if redirected is not wanted:
            self.redirected[wanted.resource_id] = redirected
        return redirected

    def _note_replaced(self, operation: Operation, wanted: DesiredResource) -> None:
        """Remember a replace that gives a new DSS id; say why an object referring to one is written."""
        if operation.action == REPLACE and operation.refused is None \
                and wanted.resource.resource_type in SERVER_ID_TYPES:
            self.replaced[wanted.resource_id] = wanted.config.key
        for target in sorted({ref.target for ref in wanted.references_to(self.replaced)}):
            kind = parse_resource_id(target).resource_type.replace("_", " ")
            operation.notes.append(f"refers to {kind} {self.replaced[target]}, which is replaced: the new id is "
                                   "written once DSS gives it")

    def _desired_operation(self, wanted: DesiredResource) -> Optional[Operation]:
        """The operation an object of the config needs (None when DSS already holds it as configured)."""
        found = self.live.get_resource(wanted.resource_id) if wanted.id_known else None
        entry = self.managed.get(wanted.resource_id)
        operation = Operation(CREATE, wanted.resource_id, wanted.resource.resource_type,
                              wanted.resource.project_key, wanted.config.key, wanted.id_known,
                              dependencies=sorted(wanted.dependencies), protected=wanted.config.protected)
        desired_managed = restrict(self._comparable(wanted), wanted.managed_paths)
        if found is None:
            return self._create(operation, wanted, desired_managed, recorded=entry is not None)
        live_managed = restrict(found.attributes, wanted.managed_paths)
        changes = self.diff.compare(live_managed, desired_managed)
        if not changes and entry is not None:
            return None
        operation.expect = _expect_present(found)
        operation.changes = self._planned_changes(changes, wanted, found)
        if any(change.outside for change in operation.changes):
            modified_at = found.metadata.last_modified_at
            operation.outside = {"by": found.metadata.last_modified_by,
                                 "at": format_timestamp(modified_at) if modified_at else None}
        immutable = _immutable_changes(wanted.resource.resource_type, changes, live_managed)
        if immutable:
            self._replace(operation, wanted, desired_managed, immutable, recorded=entry is not None)
        else:
            operation.action = UPDATE if entry is not None else ADOPT
        return operation

    @staticmethod
    def _create(operation: Operation, wanted: DesiredResource, desired_managed: Dict[str, Any],
                recorded: bool) -> Operation:
        operation.after = _masked(desired_managed)
        operation.expect = _expect_absent(wanted)
        if wanted.resource.resource_type in SERVER_ID_TYPES:
            operation.id_known = False  # DSS assigns the id of a new object: never predicted
            operation.notes.append(f"id: {KNOWN_AFTER_APPLY}")
        if recorded:
            operation.notes.append("the state records it as managed, but DSS no longer has it "
                                   "(deleted outside the config): it is created again")
        return operation

    @staticmethod
    def _replace(operation: Operation, wanted: DesiredResource, desired_managed: Dict[str, Any],
                 immutable: Dict[str, str], recorded: bool) -> None:
        operation.action = REPLACE
        operation.replace_fields = immutable
        operation.after = _masked(desired_managed)
        if not recorded:
            operation.notes.append("DSS has it and the state does not record it yet")
        if wanted.config.protected:
            operation.refused = "protect: true forbids replacing it (remove protect to allow it)"

    def _comparable(self, wanted: DesiredResource) -> Dict[str, Any]:
        """The desired attributes, each secret as the sync would record it (see the module docstring)."""
        attributes = wanted.resource.attributes
        secrets = self.desired.secret_values(wanted.resource_id)
        if not secrets or self.secret_view is None:
            return attributes
        clear = copy.deepcopy(attributes)
        for path, value in secrets.items():
            set_at(clear, path, value)
        viewed = self.secret_view(wanted.resource.resource_type, clear)
        result = copy.deepcopy(attributes)
        for path in secrets:
            found, value = get_at(viewed, path)
            if found:
                set_at(result, path, value)
        return result

    def _planned_changes(self, changes: Sequence[AttributeChange], wanted: DesiredResource,
                         found: Resource) -> List[PlannedChange]:
        outside_paths = self._outside_paths(wanted, found)
        planned = []
        for change in changes:
            sensitive = _touches(change.path, wanted.sensitive_paths) or _holds_marker(change.old) \
                or _holds_marker(change.new)
            planned.append(PlannedChange(
                action=change.change_type.value, path=change.path_str or "(root)",
                path_elements=[_element(e) for e in change.path],
                before=SENSITIVE if sensitive and change.old is not None else change.old,
                after=SENSITIVE if sensitive and change.new is not None else change.new,
                text_diff=None if sensitive else change.text_diff, sensitive=sensitive,
                outside=any(_overlaps(change.path, other) for other in outside_paths)))
        return planned

    def _outside_paths(self, wanted: DesiredResource, found: Resource) -> List[Tuple[Any, ...]]:
        """Managed paths where DSS differs from what the state recorded: changed outside the config."""
        recorded = self.stored.get_resource(wanted.resource_id)
        if recorded is None or wanted.resource_id not in self.managed:
            return []
        if recorded.metadata.checksum and recorded.metadata.checksum == found.metadata.checksum:
            return []
        changes = self.diff.compare(restrict(recorded.attributes, wanted.managed_paths),
                                    restrict(found.attributes, wanted.managed_paths))
        return [change.path for change in changes]

    # -- objects the config no longer names -----------------------------------------------------------------

    def _deletions(self) -> List[Operation]:
        gone = {rid: entry for rid, entry in self.managed.items() if rid not in self.desired.resources}
        order = topological_order({rid: [d for d in entry.dependencies if d in gone] for rid, entry in gone.items()})
        operations = []
        for resource_id in reversed(order):
            entry = gone[resource_id]
            found = self.live.get_resource(resource_id)
            if found is None:
                continue  # already gone from DSS: nothing to do (apply drops the record)
            address = parse_resource_id(resource_id)
            operation = Operation(DELETE, resource_id, address.resource_type, address.project_key, entry.config_key,
                                  dependencies=list(entry.dependencies), protected=entry.protect,
                                  expect=_expect_present(found))
            operation.notes.append("the state records it as managed and the config no longer names it")
            if entry.protect:
                operation.refused = "protect: true (recorded in the state) forbids deleting it"
            if address.resource_type == "project":
                operation.notes.append("deleting a project needs apply's explicit project-deletion flag")
            operations.append(operation)
        return operations

    def _unmanaged(self) -> List[str]:
        return sorted(rid for rid in self.live.resources
                      if rid not in self.desired.resources and rid not in self.managed)


# -- helpers ------------------------------------------------------------------------------------------------

def _expect_absent(wanted: DesiredResource) -> Dict[str, Any]:
    expect: Dict[str, Any] = {"exists": False}
    if wanted.resource.resource_type in SERVER_ID_TYPES:
        expect["name"] = wanted.config.name  # found by name, since its id is not known before it exists
    return expect


def _expect_present(found: Resource) -> Dict[str, Any]:
    """What apply checks before touching an existing object: unchanged since the plan read it."""
    metadata = found.metadata
    return {
        "exists": True,
        "checksum": metadata.checksum or found.compute_checksum(),
        "last_modified_by": metadata.last_modified_by,
        "last_modified_at": format_timestamp(metadata.last_modified_at) if metadata.last_modified_at else None,
    }


def _immutable_changes(resource_type: str, changes: Iterable[AttributeChange],
                       live_managed: Mapping[str, Any]) -> Dict[str, str]:
    immutable = immutable_fields(resource_type)
    found = {}
    for change in changes:
        name = change.path[0] if change.path else None
        if isinstance(name, str) and name in immutable and name in live_managed:
            found[name] = immutable[name]
    return found


def _element(element: Any) -> Any:
    if isinstance(element, ListKey):
        return {"field": element.field, "value": element.value}
    return element


def _plain(path: Sequence[Any]) -> Tuple[str, ...]:
    return tuple(str(element.value if isinstance(element, ListKey) else element) for element in path)


def _touches(path: Sequence[Any], sensitive: Iterable[AttributePath]) -> bool:
    """True when a change at ``path`` shows a sensitive value (the path is the secret's, or holds it).

    Keyed list items (``[name=x]``) are not indexes: such a path is compared up to its first key element.
    """
    prefix: List[str] = []
    for element in path:
        if isinstance(element, ListKey):
            break
        prefix.append(str(element))
    keyed = len(prefix) < len(path)
    for secret in sensitive:
        common = min(len(prefix), len(secret))
        if tuple(prefix[:common]) == tuple(secret[:common]) and (len(prefix) <= len(secret) or not keyed):
            return True
    return False


def _overlaps(path: Sequence[Any], other: Sequence[Any]) -> bool:
    common = min(len(path), len(other))
    return _plain(path[:common]) == _plain(other[:common])


def _holds_marker(value: Any) -> bool:
    if isinstance(value, str):
        return MARKER_PREFIX in value
    if isinstance(value, dict):
        return any(_holds_marker(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_marker(item) for item in value)
    return False


def _masked(value: Any) -> Any:
    """``value`` with every string holding a redaction marker replaced by :data:`SENSITIVE`."""
    if isinstance(value, str):
        return SENSITIVE if MARKER_PREFIX in value else value
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value
