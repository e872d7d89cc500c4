"""State, Resource and ResourceMetadata: the in-memory form of a state file (pure, no I/O).

The on-disk format is documented in ``docs/state-format.md``; ``to_dict``/``from_dict`` are its only
readers and writers, and ``from_dict`` raises :class:`StateFormatError` naming the bad field instead of a bare
``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ..canonical import sha256_hex
from ..exceptions import InvalidResourceIdError, StateFormatError
from ..timeutil import format_timestamp, parse_timestamp, utc_now

STATE_FORMAT_VERSION = 2
#: Versions this code reads: version 1 files (no ``managed`` section) are upgraded on read.
READABLE_VERSIONS = (1, 2)

#: The resource types a state may hold, in the order reports list them.
RESOURCE_TYPES = ("project", "dataset", "recipe", "scenario", "managed_folder", "saved_model")

# The type is lower-case letters and underscores, the project key upper-case letters, digits and
# underscores; the name is everything after the second dot, because real DSS names hold dots, spaces and
# leading digits ("recipe from notebook TwitterScraper", managed folder ids such as "O2ue6CX3").
_RESOURCE_ID = re.compile(r"(?P<type>[a-z_]+)\.(?P<project>[A-Z0-9_]+)(?:\.(?P<name>[\s\S]+))?")
RESOURCE_ID_FORMAT = "{type}.{PROJECT_KEY}[.{name}], e.g. dataset.SALES.orders or project.SALES"


class ResourceAddress(NamedTuple):
    """The three parts of a resource id."""

    resource_type: str
    project_key: str
    name: Optional[str]


def parse_resource_id(resource_id: str) -> ResourceAddress:
    """Split a resource id into (type, project key, name); the name may contain dots and spaces.

    Raises :class:`InvalidResourceIdError` (a ``ValueError``) with the expected format.
    """
    match = _RESOURCE_ID.fullmatch(resource_id) if isinstance(resource_id, str) else None
    if not match:
        raise InvalidResourceIdError(
            f"Invalid resource id {resource_id!r}: expected {RESOURCE_ID_FORMAT} "
            "(type in lower case, project key in upper-case letters, digits and underscores)"
        )
    address = ResourceAddress(match["type"], match["project"], match["name"])
    _check_address(resource_id, address)
    return address


def _check_address(resource_id: str, address: ResourceAddress) -> None:
    if address.resource_type not in RESOURCE_TYPES:
        raise InvalidResourceIdError(
            f"Invalid resource id {resource_id!r}: unknown type {address.resource_type!r}, "
            f"expected one of {', '.join(RESOURCE_TYPES)}"
        )
    if address.resource_type == "project" and address.name is not None:
        raise InvalidResourceIdError(
            f"Invalid resource id {resource_id!r}: a project id is project.PROJECT_KEY, with no name"
        )
    if address.resource_type != "project" and address.name is None:
        raise InvalidResourceIdError(
            f"Invalid resource id {resource_id!r}: a {address.resource_type} id needs a name, "
            f"expected {address.resource_type}.PROJECT_KEY.name"
        )


def make_resource_id(resource_type: str, project_key: str, resource_name: Optional[str] = None) -> str:
    """Build a resource id, e.g. ``make_resource_id("dataset", "SALES", "orders")`` -> ``dataset.SALES.orders``.

    The result is validated, so a bad type, key or empty name fails here rather than later.
    """
    resource_id = f"{resource_type}.{project_key}"
    if resource_name is not None:
        resource_id = f"{resource_id}.{resource_name}"
    parse_resource_id(resource_id)
    return resource_id


@dataclass
class ResourceMetadata:
    """Tracking data about a resource, kept outside its checksum.

    ``last_modified_by``/``last_modified_at`` come from DSS's ``versionTag`` so a drift report can say who
    changed an object and when; they are not part of what is compared.
    """

    deployed_at: datetime = field(default_factory=utc_now)
    deployed_by: str = "system"
    dataiku_internal_id: Optional[str] = None
    checksum: str = ""
    last_modified_by: Optional[str] = None
    last_modified_at: Optional[datetime] = None
    #: DSS's ``versionTag.versionNumber`` when the object was read (with ``last_modified_at``, the version tag an
    #: incremental sync compares with the listing's to reuse the attributes); None when DSS gave none.
    version_number: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form written to the state file (``version_number`` only when known: older readers and
        states stay as they were)."""
        data = {
            "deployed_at": format_timestamp(self.deployed_at),
            "deployed_by": self.deployed_by,
            "dataiku_internal_id": self.dataiku_internal_id,
            "checksum": self.checksum,
            "last_modified_by": self.last_modified_by,
            "last_modified_at": (
                format_timestamp(self.last_modified_at) if self.last_modified_at is not None else None
            ),
        }
        if self.version_number is not None:
            data["version_number"] = self.version_number
        return data

    @classmethod
    def from_dict(cls, data: Any, where: str = "metadata") -> ResourceMetadata:
        """Read the JSON form; raises :class:`StateFormatError` naming the missing or bad field."""
        data = _require_mapping(data, where)
        last_modified_at = _optional(data, "last_modified_at", str, where)
        return cls(
            deployed_at=_timestamp(_require(data, "deployed_at", str, where), f"{where}.deployed_at"),
            deployed_by=_require(data, "deployed_by", str, where),
            dataiku_internal_id=_optional(data, "dataiku_internal_id", str, where),
            checksum=_optional(data, "checksum", str, where) or "",
            last_modified_by=_optional(data, "last_modified_by", str, where),
            last_modified_at=(
                _timestamp(last_modified_at, f"{where}.last_modified_at") if last_modified_at else None
            ),
            version_number=_optional(data, "version_number", int, where),
        )


@dataclass
class Resource:
    """One DSS object in a state: its id, the attributes a user configures, and tracking metadata.

    Resource ids follow ``{type}.{PROJECT_KEY}[.{name}]``. Treat ``attributes`` as a value: after editing
    them in place, call :meth:`refresh_checksum` (the diff engine trusts the stored checksum as a shortcut).
    """

    resource_type: str
    resource_id: str
    attributes: Dict[str, Any] = field(default_factory=dict)
    metadata: ResourceMetadata = field(default_factory=ResourceMetadata)

    def __post_init__(self) -> None:
        self._validate_resource_id()
        if not isinstance(self.attributes, dict):
            raise StateFormatError(
                f"attributes of {self.resource_id} must be a JSON object, not {type(self.attributes).__name__}",
                field="attributes",
            )
        if not self.metadata.checksum:
            self.metadata.checksum = self.compute_checksum()

    def _validate_resource_id(self) -> None:
        address = parse_resource_id(self.resource_id)
        if address.resource_type != self.resource_type:
            raise InvalidResourceIdError(
                f"resource id {self.resource_id!r} starts with {address.resource_type!r} but the resource "
                f"type is {self.resource_type!r}: expected {self.resource_type}.PROJECT_KEY[.name]"
            )

    def compute_checksum(self) -> str:
        """SHA-256 of the canonical JSON of the attributes (type-strict, key-order independent)."""
        return sha256_hex(self.attributes)

    def refresh_checksum(self) -> None:
        """Recompute the stored checksum after the attributes were edited in place."""
        self.metadata.checksum = self.compute_checksum()

    def has_changed(self, other: Resource) -> bool:
        """True when ``other`` (the same resource) has different attributes."""
        if self.resource_id != other.resource_id:
            raise ValueError(f"Cannot compare different resources: {self.resource_id} and {other.resource_id}")
        return self.compute_checksum() != other.compute_checksum()

    @property
    def project_key(self) -> str:
        """The project key part of the id."""
        return parse_resource_id(self.resource_id).project_key

    @property
    def resource_name(self) -> str:
        """The name part of the id (empty for a project); may contain dots and spaces."""
        return parse_resource_id(self.resource_id).name or ""

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form written to the state file."""
        return {
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "attributes": self.attributes,
            "metadata": self.metadata.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "resource") -> Resource:
        """Read the JSON form; raises :class:`StateFormatError` naming the missing or bad field."""
        data = _require_mapping(data, where)
        resource_type = _require(data, "resource_type", str, where)
        resource_id = _require(data, "resource_id", str, where)
        attributes = _require(data, "attributes", dict, where)
        metadata = ResourceMetadata.from_dict(_require(data, "metadata", dict, where), f"{where}.metadata")
        try:
            return cls(resource_type, resource_id, attributes, metadata)
        except InvalidResourceIdError as exc:
            raise StateFormatError(f"{where}.resource_id: {exc}", field=f"{where}.resource_id") from exc


@dataclass
class State:
    """The complete recorded state of the tracked DSS resources of one environment.

    ``serial`` only grows and ``lineage`` identifies one line of states (Terraform's meaning). In memory,
    adding or removing a resource bumps ``serial`` (the seed's API); that counter is never trusted by a save:
    the backend alone decides the stored serial. ``base_serial`` is the serial this state was loaded (or last
    saved) at: what a save claims to extend, so a backend refuses it when a newer serial is stored. It is set
    by ``from_dict`` and by each save, never by ``add_resource``, and is not written to the file.
    """

    version: int = STATE_FORMAT_VERSION
    serial: int = 0
    lineage: Optional[str] = None
    environment: str = ""
    updated_at: datetime = field(default_factory=utc_now)
    resources: Dict[str, Resource] = field(default_factory=dict)
    base_serial: Optional[int] = field(default=None, compare=False, repr=False)
    #: Which objects the config manages (format v2): resource id -> :class:`ManagedEntry`.
    managed: Dict[str, ManagedEntry] = field(default_factory=dict)
    #: How the resources were read (format v2's optional ``sync`` section, see :mod:`dataiku_iac.sync.incremental`):
    #: tool version, ignore-rules digest, redaction key id, time of the last full read. Empty: unknown (a state
    #: written before incremental syncs, or by hand): the next sync reads everything.
    sync_stamp: Dict[str, Any] = field(default_factory=dict)

    def get_resource(self, resource_id: str) -> Optional[Resource]:
        """The resource with this id, or None."""
        return self.resources.get(resource_id)

    def add_resource(self, resource: Resource) -> None:
        """Add or replace a resource; bumps ``serial``."""
        self.resources[resource.resource_id] = resource
        self._touch()

    def remove_resource(self, resource_id: str) -> Optional[Resource]:
        """Remove a resource and return it (None if absent; the serial then stays)."""
        resource = self.resources.pop(resource_id, None)
        if resource is not None:
            self._touch()
        return resource

    def has_resource(self, resource_id: str) -> bool:
        """True when the state holds this resource id."""
        return resource_id in self.resources

    def list_resources(self, resource_type: Optional[str] = None) -> List[Resource]:
        """All resources sorted by id, optionally only those of one type."""
        return [
            self.resources[rid]
            for rid in sorted(self.resources)
            if resource_type is None or self.resources[rid].resource_type == resource_type
        ]

    def counts_by_type(self) -> Dict[str, int]:
        """Number of resources of each type (types with none are left out)."""
        counts: Dict[str, int] = {}
        for resource in self.resources.values():
            counts[resource.resource_type] = counts.get(resource.resource_type, 0) + 1
        return {rtype: counts[rtype] for rtype in RESOURCE_TYPES if rtype in counts}

    def content_fingerprint(self) -> str:
        """Hash of what a save would change (see :func:`content_fingerprint_of`)."""
        entries = {}
        for rid, resource in self.resources.items():
            metadata = resource.metadata
            modified_at = metadata.last_modified_at
            entries[rid] = [metadata.checksum, metadata.dataiku_internal_id, metadata.last_modified_by,
                            format_timestamp(modified_at) if modified_at is not None else None]
        return _fingerprint(self.environment, entries, self._managed_dict(), self.sync_stamp)

    def _managed_dict(self) -> Dict[str, Any]:
        return {rid: self.managed[rid].to_dict() for rid in sorted(self.managed)}

    def _touch(self) -> None:
        self.serial += 1
        self.updated_at = utc_now()

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form written to the state file."""
        return {
            "version": self.version,
            "serial": self.serial,
            "lineage": self.lineage,
            "environment": self.environment,
            "updated_at": format_timestamp(self.updated_at),
            "resources": {rid: self.resources[rid].to_dict() for rid in sorted(self.resources)},
            "managed": self._managed_dict(),
            **({"sync": dict(self.sync_stamp)} if self.sync_stamp else {}),
        }

    @classmethod
    def from_dict(cls, data: Any) -> State:
        """Read the JSON form; raises :class:`StateFormatError` naming the missing or bad field."""
        data = _require_mapping(data, "state")
        version = _require(data, "version", int, "state")
        serial = _require(data, "serial", int, "state")
        if serial < 0:
            raise StateFormatError(f"state.serial must be >= 0, got {serial}", field="serial")
        raw_resources = _require(data, "resources", dict, "state")
        resources = {}
        for rid, rdata in raw_resources.items():
            where = f"resources[{rid!r}]"
            resource = Resource.from_dict(rdata, where)
            if resource.resource_id != rid:
                raise StateFormatError(
                    f"{where} is keyed by {rid!r} but its resource_id is {resource.resource_id!r}",
                    field=where,
                )
            resources[rid] = resource
        return cls(
            version=STATE_FORMAT_VERSION,  # a version 1 document is upgraded: it has no managed objects
            serial=serial,
            lineage=_optional(data, "lineage", str, "state"),
            environment=_optional(data, "environment", str, "state") or "",
            updated_at=_timestamp(_require(data, "updated_at", str, "state"), "state.updated_at"),
            resources=resources,
            base_serial=serial,
            managed=_managed_from(data, version),
            sync_stamp=dict(_optional(data, "sync", dict, "state") or {}),
        )


def _managed_from(data: Mapping[str, Any], version: int) -> Dict[str, ManagedEntry]:
    """The ``managed`` section of a version 2 document (a version 1 document has none: nothing managed)."""
    if version < 2:
        return {}
    raw = _require(data, "managed", dict, "state")
    managed = {}
    for rid, entry in raw.items():
        where = f"managed[{rid!r}]"
        try:
            parse_resource_id(rid)
        except InvalidResourceIdError as exc:
            raise StateFormatError(f"{where}: {exc}", field=where) from exc
        managed[rid] = ManagedEntry.from_dict(entry, where)
    return managed


def content_fingerprint_of(document: Mapping[str, Any]) -> str:
    """Hash of a state document's content: environment, ids, attribute checksums and DSS attribution.

    Sync times (``deployed_at``/``deployed_by``), serial, lineage and ``updated_at`` are left out, so
    re-saving an unchanged refresh is a no-op. Works on the JSON form so a stored state can be fingerprinted
    without building its resources.
    """
    return _fingerprint(
        document["environment"],
        {rid: _fingerprint_entry(resource["metadata"]) for rid, resource in document["resources"].items()},
        dict(sorted((document.get("managed") or {}).items())),
        document.get("sync") or {},
    )


def _fingerprint_entry(metadata: Mapping[str, Any]) -> List[Any]:
    # The same four fields as State.content_fingerprint, read from the JSON form.
    return [
        metadata["checksum"],
        metadata.get("dataiku_internal_id"),
        metadata.get("last_modified_by"),
        metadata.get("last_modified_at"),
    ]


def _fingerprint(environment: Any, entries: Dict[str, List[Any]], managed: Optional[Mapping[str, Any]] = None,
                 sync_stamp: Optional[Mapping[str, Any]] = None) -> str:
    body: Dict[str, Any] = {"environment": environment, "resources": entries}
    if managed:  # left out when empty, so a version 1 state keeps its fingerprint once upgraded
        body["managed"] = managed
    if sync_stamp:  # a new full read (a new stamp) is worth a save: it restarts the incremental age
        body["sync"] = dict(sync_stamp)
    return sha256_hex(body)


_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "an array"}


def _require_mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise StateFormatError(f"{where} must be an object, not {type(data).__name__}", field=where)
    return data


def _check_type(value: Any, expected: type, where: str, key: str) -> Any:
    # bool is an int in Python but not in JSON: refuse it where an integer is expected.
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise StateFormatError(
            f"{where}.{key} must be {_TYPE_NAMES.get(expected, expected.__name__)}, "
            f"not {type(value).__name__}",
            field=f"{where}.{key}",
        )
    return value


_MISSING = object()


# Both check the exact type first: it is what a parsed document holds (and bool is not int), 100,000 times on
# a 10,000-resource load; subclasses and wrong types take the full check.
def _require(data: Mapping[str, Any], key: str, expected: type, where: str) -> Any:
    value = data.get(key, _MISSING)
    if type(value) is expected:
        return value
    if value is _MISSING:
        raise StateFormatError(f"{where}.{key} is missing", field=f"{where}.{key}")
    return _check_type(value, expected, where, key)


def _optional(data: Mapping[str, Any], key: str, expected: type, where: str) -> Any:
    value = data.get(key)
    if value is None or type(value) is expected:
        return value
    return _check_type(value, expected, where, key)


_OWN_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z")


def _timestamp(text: str, where: str) -> datetime:
    if _OWN_TIMESTAMP.fullmatch(text):
        # The form this tool writes (2025-01-15T10:30:00.123456Z, or without the fraction): the C parser reads
        # it 20 times faster, 0.07 s of a 10,000-resource load. Anything else goes through the full parser.
        try:
            return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise StateFormatError(f"{where}: {exc}", field=where) from exc


#: How an object came under the config: created by an apply, or adopted (it existed; generate or apply took it).
MANAGED_ORIGINS = ("created", "adopted")


@dataclass(frozen=True)
class ManagedEntry:
    """The state's record that the config manages one object (state format v2's ``managed`` section).

    ``config_key`` is the object's key in the config (a folder's or scenario's DSS id is the resource id's
    name, so the state maps config keys to ids); ``dependencies`` are the resource ids it needed when it was
    last planned (deletions run in their reverse order once the config no longer names them); ``protect``
    is the config's ``protect: true``, kept so a deletion stays refused after the object left the config.
    """

    config_key: str
    origin: str = "adopted"
    dependencies: Tuple[str, ...] = ()
    protect: bool = False

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form written to the state file."""
        return {"config_key": self.config_key, "origin": self.origin,
                "dependencies": sorted(self.dependencies), "protect": self.protect}

    @classmethod
    def from_dict(cls, data: Any, where: str = "managed") -> ManagedEntry:
        """Read the JSON form; raises :class:`StateFormatError` naming the bad field."""
        data = _require_mapping(data, where)
        origin = _require(data, "origin", str, where)
        if origin not in MANAGED_ORIGINS:
            raise StateFormatError(f"{where}.origin must be one of {', '.join(MANAGED_ORIGINS)}, got {origin!r}",
                                   field=f"{where}.origin")
        dependencies = _optional(data, "dependencies", list, where) or []
        if not all(isinstance(dep, str) for dep in dependencies):
            raise StateFormatError(f"{where}.dependencies must hold resource ids", field=f"{where}.dependencies")
        protect = data.get("protect", False)
        if not isinstance(protect, bool):
            raise StateFormatError(f"{where}.protect must be true or false", field=f"{where}.protect")
        return cls(_require(data, "config_key", str, where), origin, tuple(sorted(dependencies)), protect)


def recorded_ids(managed: Mapping[str, ManagedEntry]) -> Dict[Tuple[str, str, str], str]:
    """``(type, project key, config key) -> DSS id`` of the scenarios and folders the state records as managed
    (what :func:`dataiku_iac.config.build_desired_state` takes as ``recorded_ids``)."""
    found: Dict[Tuple[str, str, str], str] = {}
    for resource_id, entry in managed.items():
        address = parse_resource_id(resource_id)
        if address.resource_type in ("scenario", "managed_folder") and address.name:
            found[(address.resource_type, address.project_key, entry.config_key)] = address.name
    return found
