"""DiffEngine: compare two states resource by resource, type-strictly, down to attribute paths.

Written by hand (see the style guide, B1): generic diff libraries are slow on thousands of resources or
treat ``1 == True == 1.0``, while a flag flipping from ``1`` to ``true`` is real drift. The engine

- trusts each resource's stored checksum as a shortcut (equal checksums: unchanged, no deep compare);
- compares JSON kinds before values, so ``1``, ``1.0``, ``true`` and ``"1"`` all differ;
- compares lists by position, except lists named in a *list-key policy* (``schema.columns`` by ``name``...),
  whose items are matched by a key field so that inserting one column is one addition, not a cascade;
- attaches a unified text diff to changed long or multi-line strings (recipe code).

Pure: no I/O, no ``dataiku``/``dataikuapi``.
"""

from __future__ import annotations

import difflib
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .canonical import canonical_json
from .models.diff import (
    AttributeChange,
    ChangeType,
    ListKey,
    PathElement,
    ResourceDiff,
    count_changes,
    format_path,
)
from .models.state import Resource, State

#: The default list-key policy: attribute path (dict keys joined by dots, list indexes left out, ``*``
#: matching any one key) -> the item field that identifies an item of that list. A list is matched by key
#: only when every item on both sides is an object holding a unique scalar key and the items common to both
#: sides keep their relative order; otherwise it is compared by position (a reordering is a real change).
DEFAULT_LIST_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "schema.columns": "name",  # dataset schema
        "partitioning.dimensions": "name",  # dataset partitioning
        "inputs.*.items": "ref",  # recipe inputs, per role ("main", "left"...)
        "outputs.*.items": "ref",  # recipe outputs, per role
        "triggers": "id",  # scenario triggers
        "reporters": "id",  # scenario reporters
        "params.steps": "id",  # step-based scenario steps
    }
)

#: Lists compared as sets of scalars (attribute paths as in :data:`DEFAULT_LIST_KEYS`): adding one tag is one
#: addition ``tags[value=x]``, not a shift of every tag after it. Order inside them is not a change.
DEFAULT_SET_PATHS: Tuple[str, ...] = ("tags", "labels", "metadata.tags")

#: Strings at least this long (or holding a line break) get a unified text diff when they change.
TEXT_DIFF_MIN_LENGTH = 120

Path = Tuple[PathElement, ...]
Pattern = Tuple[str, ...]

# JSON kind of each Python type a parsed JSON document holds; bool must not fall into int.
_KINDS = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    dict: "object",
    list: "array",
    tuple: "array",
}
_KEY_KINDS = ("str", "int", "float", "bool")


def json_kind(value: Any) -> str:
    """The JSON kind of a value: null, bool, int, float, str, object, array (or the Python type name)."""
    kind = _KINDS.get(type(value))
    if kind is not None:
        return kind
    # Subclasses (OrderedDict, IntEnum...) are rare: check them the slow way, bool before int.
    for base, name in _KINDS.items():
        if isinstance(value, base):
            return name
    return "object" if isinstance(value, Mapping) else type(value).__name__


def _same_leaf(kind: str, old: Any, new: Any) -> bool:
    # Callers have checked both kinds are equal. Floats compare by their JSON text so -0.0 and 0.0
    # differ, as they do in the checksum.
    if kind == "float":
        return repr(old) == repr(new)
    return bool(old == new)


def strict_equal(old: Any, new: Any) -> bool:
    """Fast type-strict equality of two JSON values (``1``, ``1.0`` and ``true`` all differ).

    Exact-type checks keep it quick; a dict subclass against a dict reports "not equal", which only sends
    the engine down its slower, kind-based walk, which then finds them equal.
    """
    if old is new:
        return True
    kind = type(old)
    if kind is not type(new):
        return False
    if kind is dict:
        return len(old) == len(new) and all(key in new and strict_equal(value, new[key])
                                            for key, value in old.items())
    if kind is list:
        return len(old) == len(new) and all(map(strict_equal, old, new))
    if kind is float:
        return repr(old) == repr(new)
    return bool(old == new)


class DiffEngine:
    """Compare two states and list what was added, removed, modified or left unchanged.

    ``list_keys`` is the list-key policy (default :data:`DEFAULT_LIST_KEYS`; pass ``{}`` to compare every
    list by position); ``set_paths`` lists compared as sets of scalars (default :data:`DEFAULT_SET_PATHS`).
    ``text_diff_min_length``: changed strings at least this long, or multi-line, get a
    unified diff in :attr:`AttributeChange.text_diff`.
    """

    def __init__(
        self,
        list_keys: Optional[Mapping[str, str]] = None,
        text_diff_min_length: int = TEXT_DIFF_MIN_LENGTH,
        set_paths: Optional[Sequence[str]] = None,
    ) -> None:
        self.list_keys: Dict[str, str] = dict(DEFAULT_LIST_KEYS if list_keys is None else list_keys)
        self.text_diff_min_length = text_diff_min_length
        self._patterns = [(tuple(path.split(".")), key) for path, key in sorted(self.list_keys.items())]
        chosen_set_paths = DEFAULT_SET_PATHS if set_paths is None else set_paths
        self._set_patterns = {tuple(path.split(".")) for path in chosen_set_paths}

    # -- resources ---------------------------------------------------------------------------------

    def diff(self, old_state: State, new_state: State) -> List[ResourceDiff]:
        """One :class:`ResourceDiff` per resource id of either state (UNCHANGED included), sorted by id."""
        old, new = old_state.resources, new_state.resources
        return [self.diff_resource(old.get(rid), new.get(rid)) for rid in sorted(old.keys() | new.keys())]

    def diff_resource(self, old: Optional[Resource], new: Optional[Resource]) -> ResourceDiff:
        """The diff of one resource; ``old`` or ``new`` is None when it was added or removed."""
        if old is None and new is None:
            raise ValueError("diff_resource needs at least one resource")
        if old is None:
            return ResourceDiff(ChangeType.ADDED, new.resource_id, new.resource_type, new_resource=new)
        if new is None:
            return ResourceDiff(ChangeType.REMOVED, old.resource_id, old.resource_type, old_resource=old)
        if old.resource_id != new.resource_id:
            raise ValueError(f"Cannot compare different resources: {old.resource_id} and {new.resource_id}")
        # The stored checksum is a hash of the canonical JSON: equal hashes mean equal attributes.
        same_checksum = bool(old.metadata.checksum) and old.metadata.checksum == new.metadata.checksum
        try:
            changes = [] if same_checksum else self.compare(old.attributes, new.attributes)
        except RecursionError:
            # Nested deeper than the walk can go (DSS accepts about 1000 levels): whole attributes compared.
            changes = _whole_attribute_changes(old.attributes, new.attributes)
        if not changes:
            # Also reached when checksums differ but values do not (e.g. a checksum left stale).
            return ResourceDiff(ChangeType.UNCHANGED, new.resource_id, new.resource_type, old, new)
        return ResourceDiff(
            ChangeType.MODIFIED,
            new.resource_id,
            new.resource_type,
            old,
            new,
            attribute_diffs=_top_level_diffs(changes, old.attributes, new.attributes),
            changes=changes,
        )

    # -- values ------------------------------------------------------------------------------------

    def compare(self, old: Any, new: Any) -> List[AttributeChange]:
        """Type-strict deep comparison of two JSON values: the changed paths, in a deterministic order.

        An empty path means the values differ as a whole (e.g. a dict replaced by a list).
        """
        changes: List[AttributeChange] = []
        self._walk(old, new, (), (), changes)
        return changes

    def _walk(self, old: Any, new: Any, path: Path, pattern: Pattern, out: List[AttributeChange]) -> None:
        # The fast check first: most subtrees of a modified resource are equal and need no paths built.
        if strict_equal(old, new):
            return
        kind = json_kind(old)
        if kind != json_kind(new):
            out.append(self._modified(path, old, new))
        elif kind == "object":
            self._walk_object(old, new, path, pattern, out)
        elif kind == "array":
            self._walk_array(old, new, path, pattern, out)
        elif not _same_leaf(kind, old, new):
            out.append(self._modified(path, old, new))

    def _walk_object(self, old: Mapping, new: Mapping, path: Path, pattern: Pattern, out: list) -> None:
        # str() as sort key keeps the order total even if a caller passes non-string keys.
        for key in sorted(old.keys() | new.keys(), key=str):
            if key not in new:
                out.append(AttributeChange(ChangeType.REMOVED, (*path, key), old=old[key]))
            elif key not in old:
                out.append(AttributeChange(ChangeType.ADDED, (*path, key), new=new[key]))
            else:
                self._walk(old[key], new[key], (*path, key), (*pattern, str(key)), out)

    def _walk_array(self, old: list, new: list, path: Path, pattern: Pattern, out: list) -> None:
        if pattern in self._set_patterns and _scalar_set(old) is not None and _scalar_set(new) is not None:
            self._walk_set(old, new, path, out)
            return
        field = self.list_key_for(pattern)
        if field is not None:
            old_items, new_items = _index_by_key(old, field), _index_by_key(new, field)
            if old_items is not None and new_items is not None and _same_relative_order(old_items, new_items):
                self._walk_keyed(old_items, new_items, field, path, pattern, out)
                return
        self._walk_positional(old, new, path, pattern, out)

    def _walk_keyed(self, old_items: dict, new_items: dict, field: str, path: Path, pattern: Pattern,
                    out: list) -> None:
        for key, item in old_items.items():
            if key not in new_items:
                out.append(AttributeChange(ChangeType.REMOVED, (*path, ListKey(field, key[1])), old=item))
        for key, item in new_items.items():
            item_path = (*path, ListKey(field, key[1]))
            if key in old_items:
                self._walk(old_items[key], item, item_path, pattern, out)
            else:
                out.append(AttributeChange(ChangeType.ADDED, item_path, new=item))

    def _walk_set(self, old: list, new: list, path: Path, out: list) -> None:
        old_set, new_set = _scalar_set(old), _scalar_set(new)
        for _, value in sorted(old_set - new_set, key=str):
            out.append(AttributeChange(ChangeType.REMOVED, (*path, ListKey("value", value)), old=value))
        for _, value in sorted(new_set - old_set, key=str):
            out.append(AttributeChange(ChangeType.ADDED, (*path, ListKey("value", value)), new=value))

    def _walk_positional(self, old: list, new: list, path: Path, pattern: Pattern, out: list) -> None:
        common = min(len(old), len(new))
        for index in range(common):
            self._walk(old[index], new[index], (*path, index), pattern, out)
        for index in range(common, len(old)):
            out.append(AttributeChange(ChangeType.REMOVED, (*path, index), old=old[index]))
        for index in range(common, len(new)):
            out.append(AttributeChange(ChangeType.ADDED, (*path, index), new=new[index]))

    def list_key_for(self, pattern: Pattern) -> Optional[str]:
        """The key field the policy gives the list at this path (dict keys only), or None."""
        for policy_path, field in self._patterns:
            if len(policy_path) == len(pattern) and all(
                want in ("*", got) for want, got in zip(policy_path, pattern)
            ):
                return field
        return None

    def _modified(self, path: Path, old: Any, new: Any) -> AttributeChange:
        text_diff = None
        if isinstance(old, str) and isinstance(new, str) and self._is_long_text(old, new):
            text_diff = unified_text_diff(old, new, _label(path))
        return AttributeChange(ChangeType.MODIFIED, path, old=old, new=new, text_diff=text_diff)

    def _is_long_text(self, old: str, new: str) -> bool:
        limit = self.text_diff_min_length
        return "\n" in old or "\n" in new or len(old) >= limit or len(new) >= limit

    # -- reporting ---------------------------------------------------------------------------------

    def summary(self, diffs: List[ResourceDiff]) -> Dict[str, int]:
        """Counts by kind: ``{"added": N, "removed": N, "modified": N, "unchanged": N}``."""
        return count_changes(resource_diff.change_type for resource_diff in diffs)

    def format_output(self, diffs: List[ResourceDiff], include_unchanged: bool = False) -> str:
        """The diffs as the text report of ``dataiku-iac diff``: one ``+``/``~``/``-`` block per resource, with
        its attribute changes (and code diffs) indented under it, then the summary line.

        Rendered by ``report.text``, the one text renderer, so control characters and terminal escapes in
        DSS names and values are shown escaped (``\\x1b``), never sent to the terminal.
        """
        # Imported here: the pure core does not depend on the renderers; this method is the seed's API face.
        from .report.json_report import diffs_to_json
        from .report.text import render_text

        report = diffs_to_json(diffs, include_unchanged=include_unchanged)
        return render_text(report, include_unchanged=include_unchanged)


def unified_text_diff(old: str, new: str, label: str = "value") -> Optional[str]:
    """Unified diff (3 lines of context) of two texts, or None when they differ only in line endings."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=f"a/{label}", tofile=f"b/{label}", lineterm=""
    )
    text = "\n".join(lines)
    return text or None


def _label(path: Path) -> str:
    return format_path(path) or "value"


def _index_by_key(items: list, field: str) -> Optional[Dict[Tuple[str, Any], Any]]:
    """Items by (kind, key value), in list order; None unless every item has a unique scalar key."""
    index: Dict[Tuple[str, Any], Any] = {}
    for item in items:
        if not isinstance(item, Mapping) or field not in item:
            return None
        kind = json_kind(item[field])
        # The kind is part of the identity so that keys 1, 1.0 and true stay distinct.
        key = (kind, item[field])
        if kind not in _KEY_KINDS or key in index:
            return None
        index[key] = item
    return index


def _scalar_set(items: list) -> Optional[set]:
    """The items as a set of (kind, value) when they are unique strings, integers or booleans, else None."""
    members = set()
    for item in items:
        kind = json_kind(item)
        if kind not in ("str", "int", "bool"):
            return None
        members.add((kind, item))
    return members if len(members) == len(items) else None


def _same_relative_order(old_items: dict, new_items: dict) -> bool:
    """True when the keys present on both sides appear in the same order on both sides."""
    old_common = [key for key in old_items if key in new_items]
    new_common = [key for key in new_items if key in old_items]
    return old_common == new_common


def _whole_attribute_changes(old: Mapping, new: Mapping) -> List[AttributeChange]:
    """Top-level attributes added, removed or modified, each compared as a whole (by canonical JSON)."""
    changes = []
    for key in sorted(old.keys() | new.keys(), key=str):
        if key not in new:
            changes.append(AttributeChange(ChangeType.REMOVED, (key,), old=old[key]))
        elif key not in old:
            changes.append(AttributeChange(ChangeType.ADDED, (key,), new=new[key]))
        elif canonical_json(old[key]) != canonical_json(new[key]):
            changes.append(AttributeChange(ChangeType.MODIFIED, (key,), old=old[key], new=new[key]))
    return changes


def _top_level_diffs(changes: List[AttributeChange], old: Mapping, new: Mapping) -> dict:
    """The seed's ``attribute_diffs``: top-level keys added, removed, or modified ``{"old", "new"}``."""
    result: Dict[str, dict] = {"added": {}, "removed": {}, "modified": {}}
    for change in changes:
        key = change.path[0]
        if len(change.path) == 1 and change.change_type is ChangeType.ADDED:
            result["added"][key] = change.new
        elif len(change.path) == 1 and change.change_type is ChangeType.REMOVED:
            result["removed"][key] = change.old
        else:
            result["modified"][key] = {"old": old[key], "new": new[key]}
    return result
