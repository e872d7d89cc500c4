"""Property tests of the diff engine: no false changes, exactly the mutated paths, key-order invariance.

``b`` is derived from ``a`` by mutating it (swapping ``==``-equal leaves such as ``0``/``False``/``0.0``,
changing a leaf, inserting or deleting a key or a list item), because independent pairs almost never probe
the type-strictness an ``==`` shortcut would break.
"""

from __future__ import annotations

import copy
import random
from typing import Any, Iterator, List, Set, Tuple

from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import property_settings

from dataiku_iac.canonical import canonical_json, sha256_hex
from dataiku_iac.diff import DiffEngine
from dataiku_iac.models.diff import AttributeChange, ChangeType, ListKey
from dataiku_iac.models.state import Resource, ResourceMetadata, State

EQUAL_GROUPS = ([0, False, 0.0, -0.0], [1, True, 1.0])
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from([v for group in EQUAL_GROUPS for v in group]),
)
KEYS = st.text(max_size=5)
JSON_VALUES = st.recursive(
    LEAVES, lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)
OBJECTS = st.dictionaries(KEYS, JSON_VALUES, max_size=6)

POSITIONAL = DiffEngine(list_keys={})
Expected = Tuple[ChangeType, tuple, str, str]


def signature(change_type: ChangeType, path: tuple, old: Any, new: Any) -> Expected:
    """A change as comparable data: values by canonical JSON, since ``==`` would hide 1 -> true."""
    return change_type, path, canonical_json(old), canonical_json(new)


def signatures(changes: List[AttributeChange]) -> Set[Expected]:
    return {signature(c.change_type, c.path, c.old, c.new) for c in changes}


def nodes(value: Any, path: tuple = ()) -> Iterator[Tuple[tuple, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from nodes(child, (*path, index))


def related(p: tuple, q: tuple) -> bool:
    """True when one path is a prefix of (or equal to) the other."""
    shorter = min(len(p), len(q))
    return p[:shorter] == q[:shorter]


def equal_twins(leaf: Any) -> List[Any]:
    """Values ``==`` to ``leaf`` but of another JSON kind (or sign): what an ``==`` shortcut would miss."""
    if type(leaf) not in (bool, int, float):
        return []
    return [v for group in EQUAL_GROUPS for v in group if v == leaf and repr(v) != repr(leaf)]


def changed_leaf(leaf: Any) -> Any:
    if isinstance(leaf, bool):
        return not leaf
    if isinstance(leaf, int):
        return leaf + 1
    if isinstance(leaf, str):
        return leaf + "!"
    return "changed"  # None and floats: a value of another kind


def locate(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


def mutate_at(data: st.DataObject, b: Any, path: tuple) -> Expected:
    """Mutate ``b`` at ``path`` in place and return the change the engine must report."""
    target = locate(b, path)
    if isinstance(target, dict):
        if target and data.draw(st.booleans()):
            key = data.draw(st.sampled_from(sorted(target)))
            return signature(ChangeType.REMOVED, (*path, key), target.pop(key), None)
        key = data.draw(KEYS.filter(lambda k: k not in target))
        target[key] = data.draw(JSON_VALUES)
        return signature(ChangeType.ADDED, (*path, key), None, target[key])
    if isinstance(target, list):
        if target and data.draw(st.booleans()):
            return signature(ChangeType.REMOVED, (*path, len(target) - 1), target.pop(), None)
        target.append(data.draw(JSON_VALUES))
        return signature(ChangeType.ADDED, (*path, len(target) - 1), None, target[-1])
    twins = equal_twins(target)
    new = data.draw(st.sampled_from(twins)) if twins and data.draw(st.booleans()) else changed_leaf(target)
    locate(b, path[:-1])[path[-1]] = new
    return signature(ChangeType.MODIFIED, path, target, new)


def resource(attributes: dict, **metadata: Any) -> Resource:
    return Resource("dataset", "dataset.P.x", attributes, ResourceMetadata(**metadata))


def holding(one: Resource) -> State:
    return State(resources={one.resource_id: one})


@property_settings(max_examples=150)
@given(OBJECTS)
def test_diff_of_a_value_with_itself_is_empty(a: dict) -> None:
    assert DiffEngine().compare(a, copy.deepcopy(a)) == []
    assert POSITIONAL.compare(a, a) == []
    # Forced past the checksum shortcut, the deep compare still finds nothing.
    old, new = resource(a), resource(copy.deepcopy(a), checksum="f" * 64)
    [d] = DiffEngine().diff(holding(old), holding(new))
    assert d.change_type is ChangeType.UNCHANGED and d.changes == []


@property_settings(max_examples=200)
@given(OBJECTS, st.data())
def test_near_equal_values_report_exactly_the_mutated_paths(a: dict, data: st.DataObject) -> None:
    b = copy.deepcopy(a)
    all_nodes = [path for path, _ in nodes(a)]
    chosen: List[tuple] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        free = [p for p in all_nodes if not any(related(p, q) for q in chosen)]
        if not free:
            break
        chosen.append(data.draw(st.sampled_from(free)))
    expected = {mutate_at(data, b, path) for path in chosen}

    changes = POSITIONAL.compare(a, b)
    assert signatures(changes) == expected and len(changes) == len(expected)
    # The stored checksum is type-strict too, so the resource-level diff goes deep and agrees.
    [d] = POSITIONAL.diff(holding(resource(a)), holding(resource(b)))
    assert d.change_type is ChangeType.MODIFIED and signatures(d.changes) == expected


@property_settings(max_examples=150)
@given(OBJECTS, OBJECTS, st.booleans())
def test_no_changes_exactly_when_canonical_json_is_equal(a: dict, other: dict, same: bool) -> None:
    b = copy.deepcopy(a) if same else other
    assert (DiffEngine().compare(a, b) == []) == (canonical_json(a) == canonical_json(b))


def reordered(value: Any, rng: random.Random) -> Any:
    """The same value with the keys of every object in another insertion order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: reordered(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [reordered(item, rng) for item in value]
    return value


@property_settings(max_examples=150)
@given(OBJECTS, st.randoms(use_true_random=False))
def test_checksum_is_invariant_to_key_order(a: dict, rng: random.Random) -> None:
    b = reordered(a, rng)
    assert sha256_hex(a) == sha256_hex(b)
    assert resource(a).metadata.checksum == resource(b).metadata.checksum
    assert DiffEngine().compare(a, b) == []


COLUMN_TYPES = ["string", "bigint", "double", "boolean", "date"]


@property_settings(max_examples=150)
@given(st.lists(st.text(min_size=1, max_size=6), unique=True, min_size=1, max_size=15), st.data())
def test_one_column_edit_is_one_keyed_change(names: List[str], data: st.DataObject) -> None:
    old = [{"name": name, "type": data.draw(st.sampled_from(COLUMN_TYPES))} for name in names]
    new = copy.deepcopy(old)
    index = data.draw(st.integers(min_value=0, max_value=len(new) - 1))
    action = data.draw(st.sampled_from(["insert", "delete", "retype"]))
    if action == "insert":
        name = data.draw(st.text(min_size=1, max_size=6).filter(lambda n: n not in names))
        new.insert(index, {"name": name, "type": "string"})
        want = signature(ChangeType.ADDED, ("schema", "columns", ListKey("name", name)), None, new[index])
    elif action == "delete":
        gone = new.pop(index)
        want = signature(ChangeType.REMOVED, ("schema", "columns", ListKey("name", gone["name"])), gone, None)
    else:
        column = new[index]
        before = column["type"]
        column["type"] = data.draw(st.sampled_from([t for t in COLUMN_TYPES if t != before]))
        path = ("schema", "columns", ListKey("name", column["name"]), "type")
        want = signature(ChangeType.MODIFIED, path, before, column["type"])
    changes = DiffEngine().compare({"schema": {"columns": old}}, {"schema": {"columns": new}})
    assert [signature(c.change_type, c.path, c.old, c.new) for c in changes] == [want]
