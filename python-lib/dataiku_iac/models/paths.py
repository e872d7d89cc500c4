"""Paths into attribute trees: mapping keys and list indexes, as diffs, plans and references name them.

A list index may be an ``int`` (a path the config builder recorded) or a string of digits (a path read from a
diff or a plan document, where every part is a string). Pure code.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, MutableMapping, Optional, Sequence, Tuple


def list_index(node: Any, part: Any) -> Optional[int]:
    """The index ``part`` names in the list ``node``, or None (not a list, not an index, out of range)."""
    if not isinstance(node, list) or isinstance(part, bool):
        return None
    if isinstance(part, int):
        index = part
    elif isinstance(part, str) and part.isdigit():
        index = int(part)
    else:
        return None
    return index if 0 <= index < len(node) else None


def get_at(node: Any, path: Iterable[Any]) -> Tuple[bool, Any]:
    """``(True, value)`` at ``path``, ``(False, None)`` when a step is missing."""
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
            continue
        index = list_index(node, part)
        if index is None:
            return False, None
        node = node[index]
    return True, node


def set_at(node: Any, path: Sequence[Any], value: Any) -> None:
    """Put ``value`` at ``path`` when its parent exists: a key of a mapping (new or not) or an index in range of
    a list; nothing otherwise."""
    if not path:
        return
    found, parent = get_at(node, path[:-1])
    if not found:
        return
    last = path[-1]
    if isinstance(parent, MutableMapping):
        parent[last] = value
        return
    index = list_index(parent, last)
    if index is not None:
        parent[index] = value
