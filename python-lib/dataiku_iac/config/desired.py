"""config -> desired :class:`State`: what DSS *should* hold, in the attribute shapes the sync records.

For each resource the desired state gives:

- a :class:`Resource` whose id and attributes are those the sync would record for the object once DSS holds
  it as configured (so ``DiffEngine`` compares desired and live with no translation);
- its *managed paths*: the attribute paths the config sets. Plan diffs only those and apply writes only
  those; a field the config omits keeps whatever DSS holds. A path ends at a list (a list given is
  authoritative, compared by the diff's list keys) or at an empty mapping; ``payload`` and ``script`` are
  whole values;
- its dependencies (see :mod:`.graph`), and a topological order of the whole state;
- its sensitive paths: values that came from ``${env:...}``. The attributes hold their redaction marker;
  the values themselves are kept apart (:meth:`DesiredState.secret_values`) for the code that sends them.

Identity: datasets and recipes are named by their name, as in DSS. Scenarios and managed folders have a DSS
id besides their name; the config names them by key (``name:`` when the DSS name differs, which is how two
folders of one name are told apart) and the id comes, in order, from ``id:`` in the config, from
the id the state recorded for the config key (``recorded_ids``), from ``identities`` (the live objects by
name, see :func:`identities_from_state`; only for a name held by one object of the config), or is unknown yet:
the resource id is then ``{type}.{KEY}.new:{key}`` (never a DSS id, which holds no ``:``) until DSS assigns
one. References to folders (recipe inputs and outputs, ``folderSmartId``, scenario steps) are written by key
and resolved the same way; each resource lists where its attributes hold such an id (``id_references``), so
that a plan replacing the folder (a new id) can turn them into the folder's placeholder
(:meth:`DesiredResource.redirected`); apply then writes the id DSS gives the new folder at those paths
(:meth:`DesiredResource.attributes_with_ids`).

Pure code: no DSS access.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

from ..models.paths import get_at, set_at
from ..models.state import Resource, ResourceMetadata, State, make_resource_id
from ..redaction_key import KeyLike
from ..types import DESCRIPTORS
from ..types.recipe import CODE_RECIPE_TYPES, is_code_recipe  # noqa: F401  (CODE_RECIPE_TYPES: for generate)
from .errors import WARNING, ConfigValidationError, Location, Problem
from .graph import find_cycles, topological_order
from .model import CONFIG_ONLY_FIELDS, ID_TYPES, Config, Environment, ProjectConfig, ResourceConfig
from .variables import Resolver, references

AttributePath = Tuple[str, ...]
Identities = Mapping[Tuple[str, str, str], str]

#: Prefix of the name part of a resource id whose DSS id is not known yet (DSS ids never hold ``:``).
UNRESOLVED_PREFIX = "new:"
#: Attributes compared whole even when they are mappings (a visual recipe's payload is given in full).
WHOLE_ATTRIBUTES = frozenset({"payload", "script"})
#: Items of a scenario step's lists (``builds``, ``checks``, ``computes``...) that name flow objects: their
#: ``type`` -> the resource type their ``itemId`` names.
_STEP_ITEM_TYPES = {"DATASET": "dataset", "MANAGED_FOLDER": "managed_folder"}


def placeholder(key: str) -> str:
    """What stands for the DSS id of the object of config key ``key`` until DSS gives it (``new:KEY``)."""
    return f"{UNRESOLVED_PREFIX}{key}"


@dataclass(frozen=True)
class IdReference:
    """Where a resource's attributes hold the DSS id of an object DSS names by a server id (a folder)."""

    #: The path in the attributes (mapping keys, list indexes) of the string holding the id.
    path: Tuple[Any, ...]
    #: The resource id of the object referred to, and its config key.
    target: str
    key: str
    #: ``"PROJECT."`` for a reference to another project's object, else empty.
    prefix: str = ""


@dataclass
class DesiredResource:
    """One resource of the desired state, with what plan and apply need beyond its attributes."""

    resource: Resource
    config: ResourceConfig
    managed_paths: FrozenSet[AttributePath]
    dependencies: FrozenSet[str] = frozenset()
    sensitive_paths: FrozenSet[AttributePath] = frozenset()
    #: False while a scenario's or folder's DSS id is unknown (the resource id holds ``new:``).
    id_known: bool = True
    #: Where its attributes hold the DSS id of a folder of the config.
    id_references: Tuple[IdReference, ...] = ()

    @property
    def resource_id(self) -> str:
        """The resource id (as the sync makes it)."""
        return self.resource.resource_id

    def references_to(self, targets: Collection[str]) -> List[IdReference]:
        """Its references to the objects ``targets`` (resource ids)."""
        return [ref for ref in self.id_references if ref.target in targets]

    def redirected(self, targets: Collection[str]) -> DesiredResource:
        """This resource with its references to ``targets`` (objects a plan replaces, so that DSS gives them a
        new id) turned into their placeholders, which apply resolves once DSS has given the new ids."""
        hits = self.references_to(targets)
        if not hits:
            return self
        attributes = copy.deepcopy(self.resource.attributes)
        for ref in hits:
            set_at(attributes, ref.path, ref.prefix + placeholder(ref.key))
        metadata = dataclasses.replace(self.resource.metadata, checksum="")  # computed again for the new values
        resource = Resource(self.resource.resource_type, self.resource_id, attributes, metadata)
        return dataclasses.replace(self, resource=resource)

    def attributes_with_ids(self, dss_id: Callable[[IdReference], Optional[str]]) -> Dict[str, Any]:
        """Its attributes where each reference holding its target's placeholder holds instead the id
        ``dss_id`` gives for it (None: not known, left as is). Only the recorded reference paths are touched."""
        found = []
        for ref in self.id_references:
            exists, value = get_at(self.resource.attributes, ref.path)
            new_id = dss_id(ref) if exists and value == ref.prefix + placeholder(ref.key) else None
            if new_id is not None:
                found.append((ref, new_id))
        if not found:
            return self.resource.attributes
        attributes = copy.deepcopy(self.resource.attributes)
        for ref, new_id in found:
            set_at(attributes, ref.path, ref.prefix + new_id)
        return attributes


@dataclass
class DesiredState:
    """The desired state of one environment."""

    environment: str
    state: State
    resources: Dict[str, DesiredResource]
    order: List[str]
    warnings: List[Problem] = field(default_factory=list)
    _secrets: Dict[str, Dict[AttributePath, str]] = field(default_factory=dict, repr=False)

    def managed_paths(self, resource_id: str) -> FrozenSet[AttributePath]:
        """The attribute paths the config manages for ``resource_id``."""
        return self.resources[resource_id].managed_paths

    def secret_values(self, resource_id: str) -> Dict[AttributePath, str]:
        """The resolved ``${env:}`` values of a resource, by attribute path: send them, never store them."""
        return dict(self._secrets.get(resource_id, {}))

    def managed_attributes(self, resource_id: str) -> Dict[str, Any]:
        """The desired attributes restricted to the managed paths."""
        desired = self.resources[resource_id]
        return restrict(desired.resource.attributes, desired.managed_paths)

    def with_resources(self, changed: Mapping[str, DesiredResource]) -> DesiredState:
        """A copy where the resources ``changed`` (by resource id, ids unchanged) take the place of their own."""
        if not changed:
            return self
        resources = {**self.resources, **changed}
        state = State(environment=self.state.environment)
        for resource_id in self.state.resources:
            state.add_resource(resources[resource_id].resource if resource_id in resources
                               else self.state.resources[resource_id])
        return DesiredState(self.environment, state, resources, list(self.order), list(self.warnings),
                            self._secrets)


def restrict(attributes: Mapping[str, Any], paths: Iterable[AttributePath]) -> Dict[str, Any]:
    """The part of ``attributes`` at ``paths`` (nested mappings rebuilt; absent paths left out).

    Applied to desired and live attributes alike, it lets ``DiffEngine`` compare only what the config manages.
    """
    result: Dict[str, Any] = {}
    for path in sorted(paths):
        node: Any = attributes
        for part in path:
            if not isinstance(node, dict) or part not in node:  # JSON objects (Mapping checks are slow)
                break
            node = node[part]
        else:
            target = result
            for part in path[:-1]:
                target = target.setdefault(part, {})
            if path:
                target[path[-1]] = node
    return result


def leaf_paths(value: Mapping[str, Any], prefix: AttributePath = ()) -> Set[AttributePath]:
    """Paths to the leaves of nested mappings; a list, a scalar or an empty mapping is a leaf."""
    paths: Set[AttributePath] = set()
    for key, item in value.items():
        path = (*prefix, key)
        if isinstance(item, Mapping) and item and not (not prefix and key in WHOLE_ATTRIBUTES):
            paths |= leaf_paths(item, path)
        else:
            paths.add(path)
    return paths


def identities_from_state(state: State) -> Dict[Tuple[str, str, str], str]:
    """``(type, project key, name) -> DSS id`` of the scenarios and folders of a state (live or stored).

    A name held by two objects of one project is left out: it cannot identify either (give ``id:``).
    """
    found: Dict[Tuple[str, str, str], str] = {}
    ambiguous: Set[Tuple[str, str, str]] = set()
    for resource in state.resources.values():
        name = resource.attributes.get("name")
        if resource.resource_type in ID_TYPES and isinstance(name, str):
            key = (resource.resource_type, resource.project_key, name)
            if key in found:
                ambiguous.add(key)
            found[key] = resource.resource_name
    return {key: value for key, value in found.items() if key not in ambiguous}


def variable_references(config: Config) -> List[Tuple[Location, str]]:
    """Where the config uses ``${var:NAME}``, and ``NAME`` (to check other environments cheaply)."""
    found = []
    for res in config.resources().values():
        for path, _, name in references(res.body, ("var",)):
            found.append((res.location(*path), name))
    return found


def build_desired_state(config: Config, environment: str, environ: Optional[Mapping[str, str]] = None,
                        identities: Optional[Identities] = None,
                        recorded_ids: Optional[Identities] = None,
                        redaction_key: Optional[KeyLike] = None) -> DesiredState:
    """The desired state of ``environment``; :class:`ConfigValidationError` when the config has errors.

    ``environ`` gives ``${env:}`` values (``os.environ`` at plan time). The DSS ids of scenarios and folders
    come from ``recorded_ids`` (``(type, project key, config key) -> id``, what the state recorded for the
    config's objects) and else ``identities`` (``(type, project key, DSS name) -> id``, e.g. from the live
    objects through :func:`identities_from_state`; used only for a name one object of the config holds).
    ``redaction_key`` marks ``${env:}`` secrets as the sync marks live ones (the same key must serve both).
    """
    builder = DesiredStateBuilder(config, config.environment(environment), environ if environ is not None else {},
                                  identities or {}, recorded_ids=recorded_ids, redaction_key=redaction_key)
    desired = builder.build()
    if any(problem.is_error for problem in builder.problems):
        raise ConfigValidationError(builder.problems)
    return desired


class DesiredStateBuilder:
    """Builds a :class:`DesiredState` and collects every problem met on the way (``problems``).

    ``environ=None`` checks ``${var:}`` references only (validation without an environment's secrets);
    ``check_variables=False`` leaves ``${var:}`` references unresolved and unreported (no environment).
    """

    def __init__(self, config: Config, environment: Environment, environ: Optional[Mapping[str, str]],
                 identities: Identities, check_variables: bool = True,
                 recorded_ids: Optional[Identities] = None, redaction_key: Optional[KeyLike] = None) -> None:
        self.config = config
        self.recorded_ids = recorded_ids or {}
        self.environment = environment
        variables = {**config.variables, **environment.variables}
        self.resolver = Resolver(variables if check_variables else None, environ, environment.name, redaction_key)
        self.identities = identities
        self.problems: List[Problem] = []
        self._ids: Dict[Tuple[str, str, str], Tuple[str, bool]] = {}
        #: The id references of the resource being built (see :class:`IdReference`).
        self._id_references: List[IdReference] = []

    # -- the whole state ------------------------------------------------------------------------------------

    def build(self) -> DesiredState:
        state = State(environment=self.environment.name)
        resources: Dict[str, DesiredResource] = {}
        secrets: Dict[str, Dict[AttributePath, str]] = {}
        for project in self.config.projects.values():
            self._assign_ids(project)
        for project in self.config.projects.values():
            for resource_config in self._ordered(project):
                if resource_config.broken:
                    continue
                built = self._build_one(project, resource_config, secrets)
                if built is None:
                    continue
                if built.resource_id in resources:
                    self._error(resource_config.location(key=True),
                                f"{resource_config.label} is the same DSS object as "
                                f"{resources[built.resource_id].config.label} ({built.resource_id})")
                    continue
                resources[built.resource_id] = built
                state.add_resource(built.resource)
            self._check_flow(project)
        order = topological_order({rid: res.dependencies for rid, res in resources.items()})
        warnings = [problem for problem in self.problems if not problem.is_error]
        return DesiredState(self.environment.name, state, resources, order, warnings, secrets)

    @staticmethod
    def _ordered(project: ProjectConfig) -> List[ResourceConfig]:
        found = [project.project] if project.project is not None else []
        return found + list(project.resources.values())

    def _error(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))

    def _warn(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message, WARNING))

    # -- identity -------------------------------------------------------------------------------------------

    def _assign_ids(self, project: ProjectConfig) -> None:
        by_name: Dict[Tuple[str, str], List[ResourceConfig]] = {}
        for (kind, _), res in project.resources.items():
            if kind in ID_TYPES:
                by_name.setdefault((kind, res.name), []).append(res)
        for (kind, name), same in by_name.items():
            unpinned = [res for res in same if res.pinned_id is None
                        and (kind, project.key, res.key) not in self.recorded_ids]
            if len(same) > 1 and unpinned:
                keys = ", ".join(repr(res.key) for res in same)
                for res in unpinned:
                    self._warn(res.location(key=True),
                               f"{res.label}: {len(same)} {kind.replace('_', ' ')}s of this project are named "
                               f"{name!r} ({keys}); DSS cannot tell them apart by name, so each needs its "
                               "DSS id ('id:', which generate writes) or an id recorded in the state")
            for res in same:
                dss_id = res.pinned_id or self.recorded_ids.get((kind, project.key, res.key))
                if dss_id is None and len(same) == 1:
                    dss_id = self.identities.get((kind, project.key, name))
                known = dss_id is not None
                self._ids[(kind, project.key, res.key)] = (dss_id or placeholder(res.key), known)

    def _object_id(self, kind: str, project_key: str, key: str) -> str:
        """The DSS identifier a reference to ``key`` stands for (a folder's id; a dataset's name)."""
        if kind in ID_TYPES:
            return self._ids.get((kind, project_key, key), (placeholder(key), False))[0]
        return key

    # -- one resource ---------------------------------------------------------------------------------------

    def _build_one(self, project: ProjectConfig, res: ResourceConfig,
                   secrets: Dict[str, Dict[AttributePath, str]]) -> Optional[DesiredResource]:
        body = {key: value for key, value in res.body.items() if key not in CONFIG_ONLY_FIELDS}
        body.update(res.side_texts)
        resolution = self.resolver.resolve(body)
        for path, message in resolution.problems:
            self._error(res.location(*path), message)
        attributes: Dict[str, Any] = DESCRIPTORS[res.resource_type].with_empty_forms(resolution.value)
        dependencies: Set[str] = set()
        project_id = make_resource_id("project", project.key)
        id_known = True
        if res.resource_type == "project":
            attributes = {"projectKey": project.key, **attributes}
            resource_id = project_id
        else:
            dependencies.add(project_id)
            if res.resource_type in ID_TYPES:
                dss_id, id_known = self._ids[(res.resource_type, project.key, res.key)]
            else:
                dss_id = res.key
            attributes = {"name": res.name, **attributes}
            resource_id = make_resource_id(res.resource_type, project.key, dss_id)
            shaper = getattr(self, f"_shape_{res.resource_type}")
            self._id_references = []
            shaper(project, res, attributes, dependencies)
        paths = leaf_paths(attributes)
        secret_paths = {tuple(str(p) for p in path): value for path, value in resolution.secrets.items()}
        if secret_paths:
            secrets[resource_id] = secret_paths
        resource = Resource(resource_type=res.resource_type, resource_id=resource_id, attributes=attributes,
                            metadata=ResourceMetadata(deployed_by="config",
                                                      dataiku_internal_id=dss_id if res.resource_type != "project"
                                                      and id_known else None))
        id_references, self._id_references = tuple(self._id_references), []
        return DesiredResource(resource, res, frozenset(paths), frozenset(dependencies - {resource_id}),
                               frozenset(secret_paths), id_known, id_references)

    def _remap_connection(self, attributes: Dict[str, Any]) -> None:
        params = attributes.get("params")
        if isinstance(params, dict) and isinstance(params.get("connection"), str):
            params["connection"] = self.environment.connections.get(params["connection"], params["connection"])

    def _shape_dataset(self, project: ProjectConfig, res: ResourceConfig, attributes: Dict[str, Any],
                       dependencies: Set[str]) -> None:
        self._remap_connection(attributes)
        params = attributes.get("params")
        folder = params.get("folderSmartId") if isinstance(params, dict) else None
        if isinstance(folder, str) and folder:
            target = self._reference(project, res, "managed_folder", folder, ("params", "folderSmartId"),
                                     at=("params", "folderSmartId"))
            if target is not None:
                params["folderSmartId"] = target[1]
                dependencies.add(target[0])

    def _shape_managed_folder(self, project: ProjectConfig, res: ResourceConfig, attributes: Dict[str, Any],
                              dependencies: Set[str]) -> None:
        self._remap_connection(attributes)

    def _shape_recipe(self, project: ProjectConfig, res: ResourceConfig, attributes: Dict[str, Any],
                      dependencies: Set[str]) -> None:
        recipe_type = attributes.get("type") if isinstance(attributes.get("type"), str) else ""
        for side in ("inputs", "outputs"):
            if side in attributes:
                attributes[side] = self._roles(project, res, side, attributes[side], dependencies)
        payload = attributes.get("payload")
        if "payload" in res.side_texts and isinstance(payload, str) and not _is_code(recipe_type):
            try:
                attributes["payload"] = json.loads(payload)
            except ValueError as exc:
                self._error(res.location("payload_file"), f"payload_file of {res.label} (a {recipe_type} recipe) "
                                                          f"must hold the recipe's JSON settings: {exc}")
        elif isinstance(payload, (dict, list)) and _is_code(recipe_type):
            self._error(res.location("payload"), f"{res.label} is a {recipe_type} recipe: its payload is code "
                                                 "(text, or payload_file), not a mapping")

    def _roles(self, project: ProjectConfig, res: ResourceConfig, side: str, value: Any,
               dependencies: Set[str]) -> Any:
        """``inputs``/``outputs`` in DSS's shape: ``{role: {"items": [{"ref": ..., ...}]}}``."""
        roles = {"main": value} if isinstance(value, list) else value
        if not isinstance(roles, dict):
            return value
        shaped: Dict[str, Any] = {}
        for role, items in roles.items():
            if isinstance(items, dict):
                extra = {k: v for k, v in items.items() if k != "items"}
                items = items.get("items", [])
            else:
                extra = {}
            shaped_items = []
            for index, item in enumerate(items if isinstance(items, list) else []):
                where = (side,) if isinstance(value, list) else (side, role)
                shaped_items.append(self._ref_item(project, res, side, item, (*where, index), dependencies,
                                                   at=(side, role, "items", index, "ref")))
            shaped[role] = {"items": shaped_items, **extra}
        return shaped

    def _ref_item(self, project: ProjectConfig, res: ResourceConfig, side: str, item: Any, where: tuple,
                  dependencies: Set[str], at: Tuple[Any, ...]) -> Any:
        default = {"deps": []} if side == "inputs" else {"appendMode": False}
        if isinstance(item, str):
            item = {"ref": item}
        if not isinstance(item, dict):
            return item
        item = dict(item)
        if "folder" in item:
            target = self._reference(project, res, "managed_folder", item.pop("folder"), where, at=at)
            item["ref"] = target[1] if target else item.get("ref")
        else:
            target = self._reference(project, res, None, item.get("ref"), where, at=at)
            if target is not None:
                item["ref"] = target[1]
        if target is not None:
            dependencies.add(target[0])
        return {"ref": item.pop("ref"), **default, **item}

    def _reference(self, project: ProjectConfig, res: ResourceConfig, kind: Optional[str], name: Any,
                   where: tuple, at: Tuple[Any, ...]) -> Optional[Tuple[str, str]]:
        """``(resource id, DSS ref)`` of the object ``name`` refers to; a warning when the config lacks it.

        ``kind`` None: a dataset, else a folder of that key. ``PROJECT.name`` refers to another project.
        ``at`` is where the attributes hold the ref: recorded as an :class:`IdReference` for a folder.
        """
        if not isinstance(name, str) or not name:
            return None
        project_key, local = project.key, name
        if "." in name and kind is None:
            project_key, local = name.split(".", 1)
            if project_key not in self.config.projects:
                return None  # another project the config does not hold: DSS resolves it
        target_project = self.config.projects.get(project_key, project)
        if kind is None and target_project.get("dataset", local) is not None:
            return make_resource_id("dataset", project_key, local), name
        folder_kind = "managed_folder"
        if target_project.get(folder_kind, local) is not None:
            dss_id = self._object_id(folder_kind, project_key, local)
            prefix = "" if project_key == project.key else f"{project_key}."
            target_id = make_resource_id(folder_kind, project_key, dss_id)
            self._id_references.append(IdReference(at, target_id, local, prefix))
            return target_id, prefix + dss_id
        what = "managed folder" if kind else "dataset or managed folder"
        self._warn(res.location(*where), f"{res.label} refers to {name!r}, which is no {what} of the config: "
                                         "it must exist in DSS (--strict makes this an error)")
        return None

    def _shape_scenario(self, project: ProjectConfig, res: ResourceConfig, attributes: Dict[str, Any],
                        dependencies: Set[str]) -> None:
        params = attributes.get("params")
        steps = params.get("steps") if isinstance(params, dict) else None
        for step_index, step in enumerate(steps if isinstance(steps, list) else []):
            step_params = step.get("params") if isinstance(step, dict) else None
            if not isinstance(step_params, dict):
                continue
            for list_name, items in step_params.items():  # builds, checks, computes...: any list of items
                for item_index, item in enumerate(items if isinstance(items, list) else []):
                    item_type = item.get("type") if isinstance(item, dict) else None
                    kind = _STEP_ITEM_TYPES.get(item_type) if isinstance(item_type, str) else None
                    if kind is None or not isinstance(item.get("itemId"), str):
                        continue
                    where = ("params", "steps", step_index, "params", list_name, item_index, "itemId")
                    target = self._reference(project, res, None if kind == "dataset" else kind, item["itemId"],
                                             where, at=where)
                    if target is not None:
                        dependencies.add(target[0])
                        item["itemId"] = target[1]
        if attributes.get("type") == "custom_python" and "script" not in attributes:
            self._warn(res.location(key=True), f"{res.label} is a custom_python scenario without its script "
                                               "(script or script_file): the script stays as DSS holds it")

    # -- the flow -------------------------------------------------------------------------------------------

    def _check_flow(self, project: ProjectConfig) -> None:
        """One writer per output, and no cycle among recipes (DSS refuses both)."""
        recipes = project.of_type("recipe")
        writers: Dict[str, List[str]] = {}
        reads: Dict[str, Set[str]] = {}
        def normal(ref: str) -> str:  # a plain name of a folder (no such dataset) is that folder
            if not ref.startswith("folder:") and project.get("dataset", ref) is None \
                    and project.get("managed_folder", ref) is not None:
                return "folder:" + ref
            return ref

        for key, res in recipes.items():
            for ref in _refs(res.body.get("outputs")):
                writers.setdefault(normal(ref), []).append(key)
            reads[key] = {normal(ref) for ref in _refs(res.body.get("inputs"))}
        for ref, keys in writers.items():
            if len(keys) > 1:
                for key in keys[1:]:
                    self._error(recipes[key].location("outputs"),
                                f"{recipes[key].label} writes {ref!r}, which recipe {keys[0]!r} writes too: "
                                "DSS allows one recipe per output")
        # Edges in the direction data flows: a writer -> the recipes that read what it writes.
        edges: Dict[str, Set[str]] = {key: set() for key in recipes}
        for reader, refs in reads.items():
            for ref in refs:
                for writer in writers.get(ref, ()):
                    edges[writer].add(reader)
        for cycle in find_cycles(edges):
            shown = " -> ".join(cycle)
            self._error(recipes[cycle[0]].location("inputs"),
                        f"recipes form a cycle ({shown}, each reading what the previous one writes): DSS's "
                        "flow cannot loop; break it with a new dataset")


def _refs(value: Any) -> List[str]:
    """The names a recipe's inputs or outputs refer to, as written in the config (any role, any form)."""
    roles = {"main": value} if isinstance(value, list) else value if isinstance(value, dict) else {}
    names = []
    for items in roles.values():
        if isinstance(items, dict):
            items = items.get("items", [])
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                names.append(item)
            elif isinstance(item, dict):
                ref = item.get("folder", item.get("ref"))
                if isinstance(ref, str):
                    names.append(("folder:" + ref) if "folder" in item else ref)
    return names


def _is_code(recipe_type: str) -> bool:
    return is_code_recipe(recipe_type)
