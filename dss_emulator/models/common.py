"""Pieces shared by every resource family: stored objects, version tags, tags, metadata views."""

from __future__ import annotations

import copy
import functools
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, Optional, TypeVar

from ..exceptions import AlreadyExists, BadRequest, NotFound

if TYPE_CHECKING:
    from .projects import Project

JSONDict = dict[str, Any]
Clock = Callable[[], int]

F = TypeVar("F", bound=Callable[..., Any])


def system_clock() -> int:
    """Milliseconds since the epoch, the unit of every DSS timestamp."""
    return int(time.time() * 1000)


def synchronized(method: F) -> F:
    """Run a backend method under the backend's re-entrant lock.

    The HTTP server is threaded, so two requests may touch the same project at once;
    one coarse lock is plenty for an emulator and keeps every operation atomic.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_lock() -> threading.RLock:
    """The lock type every backend uses (re-entrant: public methods call each other)."""
    return threading.RLock()


def version_tag(version_number: int, login: str, now_ms: int) -> JSONDict:
    """A ``versionTag`` / ``creationTag`` object as DSS writes it."""
    return {"versionNumber": version_number, "lastModifiedBy": {"login": login}, "lastModifiedOn": now_ms}


def bumped_tag(previous: Any, login: str, now_ms: int) -> JSONDict:
    """The tag after one more save: DSS bumps it on *every* save, changed or not."""
    number = previous.get("versionNumber", 0) if isinstance(previous, dict) else 0
    return version_tag(int(number) + 1, login, now_ms)


def normalise_tags(tags: Any) -> list[str]:
    """Tags as DSS stores them on write: unique and sorted (its read order is not the sent order)."""
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadRequest("tags must be a list of strings")
    return sorted(set(tags))


def require_object(body: Any, what: str) -> JSONDict:
    """Reject bodies that parsed as JSON but are not the JSON object an endpoint needs."""
    if not isinstance(body, dict):
        raise BadRequest(f"Expected a JSON object for {what}, got {type(body).__name__}")
    return body


def saved_definition(
    stored: JSONDict, incoming: JSONDict, identity: JSONDict, login: str, now_ms: int
) -> JSONDict:
    """Apply a full-object PUT the way DSS does.

    The body replaces the object (dropping a field deletes it), but identity fields come
    from the URL, ``versionTag`` is bumped from the *stored* tag whatever the client sent,
    ``creationTag`` is kept, and tags are normalised.
    """
    result = copy.deepcopy(incoming)
    result.update(identity)
    result["versionTag"] = bumped_tag(stored.get("versionTag"), login, now_ms)
    if "creationTag" in stored:
        result["creationTag"] = copy.deepcopy(stored["creationTag"])
    else:
        result.pop("creationTag", None)
    if "tags" in result:
        result["tags"] = normalise_tags(result["tags"])
    return result


def stamp_created(definition: JSONDict, login: str, now_ms: int) -> JSONDict:
    """Set ``versionTag`` and ``creationTag`` on a newly created object."""
    definition["versionTag"] = version_tag(0, login, now_ms)
    definition["creationTag"] = version_tag(0, login, now_ms)
    definition["tags"] = normalise_tags(definition.get("tags"))
    return definition


def metadata_view(definition: JSONDict, label: str) -> JSONDict:
    """The "taggable object metadata" view served by ``/metadata`` endpoints."""
    return {
        "label": label,
        "description": definition.get("description", ""),
        "shortDesc": definition.get("shortDesc", ""),
        "tags": list(definition.get("tags", [])),
        "checklists": copy.deepcopy(definition.get("checklists", {"checklists": []})),
        "custom": {"kv": copy.deepcopy(definition.get("customMeta", {}).get("kv", {}))},
        "customFields": copy.deepcopy(definition.get("customFields", {})),
    }


def apply_metadata(definition: JSONDict, metadata: JSONDict) -> None:
    """Write a metadata view back into a definition (only the keys the body carries)."""
    for key in ("description", "shortDesc", "checklists", "customFields"):
        if key in metadata:
            definition[key] = copy.deepcopy(metadata[key])
    if "tags" in metadata:
        definition["tags"] = normalise_tags(metadata["tags"])
    if "custom" in metadata:
        custom = metadata["custom"] or {}
        definition.setdefault("customMeta", {})["kv"] = copy.deepcopy(custom.get("kv", {}))


class StoredObject:
    """One DSS object of a project: its JSON definition, with the identity fields the API adds."""

    kind = "object"
    id_field = "id"
    #: Top-level keys a save keeps (DSS drops the others without an error); ``None`` keeps everything.
    known_keys: Optional[frozenset[str]] = None

    def __init__(self, project_key: str, object_id: str, definition: JSONDict) -> None:
        self.project_key = project_key
        self.object_id = object_id
        # Identity first, as the API prints it; the file on disk usually lacks these.
        identity = self.identity()
        self.definition = {**identity, **{k: v for k, v in definition.items() if k not in identity}}

    def identity(self) -> JSONDict:
        """The fields the URL decides, whatever a body says."""
        return {"projectKey": self.project_key, self.id_field: self.object_id}

    @property
    def ref(self) -> str:
        """``PROJECT.id``, the way DSS names the object in error messages."""
        return f"{self.project_key}.{self.object_id}"

    def to_json(self) -> JSONDict:
        """A deep copy of the definition, safe to serialise or hand to a caller."""
        return copy.deepcopy(self.definition)

    def save(self, incoming: JSONDict, login: str, now_ms: int) -> None:
        """Replace the definition with a PUT body (bumping ``versionTag``), dropping keys DSS does not know."""
        if self.known_keys is not None:
            incoming = {k: v for k, v in incoming.items() if k in self.known_keys}
        self.definition = saved_definition(self.definition, incoming, self.identity(), login, now_ms)

    def touch(self, login: str, now_ms: int) -> None:
        """Bump ``versionTag`` for a save that changed a side part (payload, schema, metadata)."""
        self.definition["versionTag"] = bumped_tag(self.definition.get("versionTag"), login, now_ms)


T = TypeVar("T", bound=StoredObject)


class ObjectStore(Generic[T]):
    """The objects of one kind in one project, keyed by id (or name)."""

    def __init__(self, project_key: str, kind: str) -> None:
        self.project_key = project_key
        self.kind = kind
        self._items: dict[str, T] = {}

    def __iter__(self) -> Iterator[T]:
        return iter([self._items[k] for k in sorted(self._items)])

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._items

    def ids(self) -> list[str]:
        """Identifiers, sorted."""
        return sorted(self._items)

    def get(self, object_id: str) -> T:
        """The object, or a DSS ``NotFoundException`` naming it."""
        try:
            return self._items[object_id]
        except KeyError:
            raise NotFound(self.kind, f"{self.project_key}.{object_id}") from None

    def add(self, obj: T, *, replace: bool = False) -> T:
        """Store a new object; refuses to overwrite unless ``replace`` (seed loading)."""
        if obj.object_id in self._items and not replace:
            raise AlreadyExists(self.kind, obj.ref)
        self._items[obj.object_id] = obj
        return obj

    def remove(self, object_id: str) -> T:
        """Delete and return the object (NotFound if absent)."""
        obj = self.get(object_id)
        del self._items[object_id]
        return obj


class BackendPart:
    """What every part (mixin) of the backend relies on: the backend's lock, its clock, and the project lookup.

    ``DSSBackend`` provides ``lock`` and ``now``, ``ProjectsMixin`` provides ``project``; declaring them once here
    lets each mixin be read (and type-checked) on its own.
    """

    lock: Any

    def project(self, key: str) -> Project:
        """The project ``key``, or NotFound naming it (``ProjectsMixin``)."""
        raise NotImplementedError

    def now(self) -> int:
        """Epoch milliseconds (``DSSBackend``'s clock)."""
        raise NotImplementedError

    def connection_type(self, name: Any, what: str) -> str:
        """The type of connection ``name``, or a 400 naming ``what`` needed it (``ConnectionsMixin``)."""
        raise NotImplementedError
