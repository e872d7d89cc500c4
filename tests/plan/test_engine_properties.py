"""Properties of the plan engine over random edits of live DSS (pure, on the sample config's desired state).

- exactly the objects edited on a managed path are planned, and edits elsewhere never show;
- once DSS holds what the plan says (the managed paths set to the config's values), a new plan is empty.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Tuple

from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import property_settings

from dataiku_iac.canonical import canonical_json
from dataiku_iac.config import build_desired_state, read_config
from dataiku_iac.config.desired import restrict
from dataiku_iac.models.state import ManagedEntry, Resource, State
from dataiku_iac.plan import make_plan
from tests.config.conftest import EXAMPLE_CONFIG

_CONFIG = read_config(EXAMPLE_CONFIG)
# Scenarios and folders as DSS would know them: each with an id (here made up), matched by name.
_IDS = {(res.resource.resource_type, res.resource.project_key, res.config.name): f"ID{index}"
        for index, res in enumerate(build_desired_state(_CONFIG, "dev", environ={}).resources.values())
        if not res.id_known}
DESIRED = build_desired_state(_CONFIG, "dev", environ={}, identities=_IDS)
IDS = sorted(DESIRED.resources)
assert all(res.id_known for res in DESIRED.resources.values())
MANAGED = {rid: ManagedEntry(res.config.key, "adopted", tuple(sorted(res.dependencies)))
           for rid, res in DESIRED.resources.items()}
SCALARS = st.one_of(st.integers(-3, 3), st.booleans(), st.text(max_size=5), st.none())


def live_as_configured() -> Dict[str, Resource]:
    """What DSS holds once it matches the config: the desired attributes plus fields the config omits."""
    live = {}
    for rid, res in DESIRED.resources.items():
        attributes = copy.deepcopy(res.resource.attributes)
        attributes["creationTag"] = {"lastModifiedBy": {"login": "admin"}}  # unmanaged: DSS's own
        live[rid] = Resource(res.resource.resource_type, rid, attributes)
    return live


def leaves(value: Any, path: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    if isinstance(value, list) and value:
        return [leaf for index, item in enumerate(value) for leaf in leaves(item, (*path, index))]
    return [path]


def set_at(node: Any, path: Tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def differs(resource: Resource, rid: str) -> bool:
    wanted = DESIRED.resources[rid]
    return canonical_json(restrict(resource.attributes, wanted.managed_paths)) != \
        canonical_json(restrict(wanted.resource.attributes, wanted.managed_paths))


edits = st.lists(st.tuples(st.sampled_from(IDS), st.integers(0, 10_000), SCALARS, st.booleans()), max_size=6)


@property_settings(60)
@given(edits)
def test_exactly_the_objects_edited_on_managed_paths_are_planned_and_applying_converges(changes) -> None:
    live = live_as_configured()
    edited = set()
    for rid, pick, value, managed in changes:
        resource = live[rid]
        if managed:
            paths = leaves(restrict(resource.attributes, DESIRED.resources[rid].managed_paths))
            path = paths[pick % len(paths)]
            set_at(resource.attributes, path, value)
            edited.add(rid)
        else:
            resource.attributes.setdefault("customMeta", {})["noise"] = value  # the config omits it
        resource.refresh_checksum()
    state = State(environment="dev", resources=live)
    plan = make_plan(DESIRED, state, state, MANAGED)
    planned = {op.resource_id for op in plan.operations}
    # Several edits of one object may restore its configured values: compared type-strictly (canonical JSON).
    assert planned == {rid for rid in edited if differs(live[rid], rid)}
    assert all(op.action in ("update", "replace") for op in plan.operations)
    # "Apply": DSS takes the config's values on the managed paths (and keeps everything else).
    for rid in planned:
        wanted = DESIRED.resources[rid]
        live[rid].attributes.update(copy.deepcopy(restrict(wanted.resource.attributes, wanted.managed_paths)))
        live[rid].refresh_checksum()
    again = State(environment="dev", resources=live)
    assert make_plan(DESIRED, again, again, MANAGED).operations == []
