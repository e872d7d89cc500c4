"""ChangeType, AttributeChange and ResourceDiff: what the diff engine produces (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

from .state import Resource


class ListKey(NamedTuple):
    """A path element naming a list item by a key field, e.g. the schema column whose ``name`` is ``id``."""

    field: str
    value: Any

    def __str__(self) -> str:
        return f"[{self.field}={self.value}]"


#: A path into a resource's attributes: dict keys, list indexes, or a :class:`ListKey` for keyed lists.
PathElement = Union[str, int, ListKey]


class ChangeType(Enum):
    """Kind of change of a resource, or of one attribute."""

    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    UNCHANGED = "unchanged"

    @property
    def symbol(self) -> str:
        """The one-character marker used in text output (``+``, ``-``, ``~``, space)."""
        return _SYMBOLS[self]


_SYMBOLS = {
    ChangeType.ADDED: "+",
    ChangeType.REMOVED: "-",
    ChangeType.MODIFIED: "~",
    ChangeType.UNCHANGED: " ",
}


@dataclass(frozen=True)
class AttributeChange:
    """One changed leaf (or added/removed subtree) of a resource's attributes.

    ``path`` is a tuple of path elements; :attr:`path_str` renders it as ``schema.columns[name=id].type``.
    ``text_diff`` holds a unified diff when both sides are long or multi-line strings (recipe code).
    """

    change_type: ChangeType
    path: Tuple[PathElement, ...]
    old: Any = None
    new: Any = None
    text_diff: Optional[str] = None

    @property
    def path_str(self) -> str:
        """Dotted, human-readable form of the path."""
        return format_path(self.path)

    def to_dict(self) -> dict:
        """JSON form of the change."""
        data = {
            "action": self.change_type.value,
            "path": self.path_str,
            "path_elements": [_element_json(e) for e in self.path],
            "before": self.old,
            "after": self.new,
        }
        if self.text_diff is not None:
            data["text_diff"] = self.text_diff
        return data


@dataclass
class ResourceDiff:
    """The change of one resource between two states.

    ``attribute_diffs`` keeps the seed's shape (``{"added": {...}, "removed": {...}, "modified": {key:
    {"old", "new"}}}`` on top-level keys) and ``changes`` holds the deep, path-level changes.
    """

    change_type: ChangeType
    resource_id: str
    resource_type: str
    old_resource: Optional[Resource] = None
    new_resource: Optional[Resource] = None
    attribute_diffs: Optional[dict] = None
    changes: List[AttributeChange] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.change_type.symbol} {self.resource_id}"


#: The kinds a summary counts, in the seed's order (``DiffEngine.summary``, the JSON report's ``summary``).
CHANGE_KINDS = ("added", "removed", "modified", "unchanged")


def count_changes(kinds: Iterable[Any]) -> Dict[str, int]:
    """How many resources changed in each way, from their change kinds (:class:`ChangeType` members or their
    values): ``{"added": N, "removed": N, "modified": N, "unchanged": N}``. Kinds outside those four (a report
    from a newer format) are not counted. The one place change counts are computed."""
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    for kind in kinds:
        name = kind.value if isinstance(kind, ChangeType) else kind
        if name in counts:
            counts[name] += 1
    return counts


def format_path(path: Tuple[PathElement, ...]) -> str:
    """Render a path: keys joined by dots, ``[3]`` for list indexes, ``[name=x]`` for keyed list items."""
    text = ""
    for element in path:
        if isinstance(element, (int, ListKey)):
            text += f"[{element}]" if isinstance(element, int) else str(element)
        else:
            text += f".{element}" if text else str(element)
    return text


def _element_json(element: PathElement) -> Any:
    """JSON form of a path element: a key, an index, or ``{"field": ..., "value": ...}``."""
    if isinstance(element, ListKey):
        return {"field": element.field, "value": element.value}
    return element
