"""ResourceSync (seed §5): read one type of DSS object into :class:`Resource` objects.

Each type implements a few small hooks that the seed-compatible ``fetch``/``list_all`` and the concurrent
:class:`~dataiku_iac.sync.engine.SyncEngine` share, so both paths build identical resources:

- ``list_items(project_key)``: one listing request, raw list items;
- ``item_name(item)``: the object's identifier in an item (dataset/recipe name, scenario/folder/model id);
- ``is_complete(item)``: the item carries every tracked attribute, so no GET is needed for it;
- ``read(project_key, name)``: the full raw object (definition plus payload/script...), one or more GETs;
- ``to_resource(project_key, raw)``: pure conversion through the :class:`SyncRules`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, FrozenSet, List, Optional

from ..dss.credentials import client_secrets
from ..dss.errors import to_library_error
from ..exceptions import ResourceNotFoundError
from ..models.state import Resource, ResourceMetadata, make_resource_id, parse_resource_id
from ..timeutil import from_epoch_millis, utc_now
from ..types import TypeDescriptor, url_name  # noqa: F401  (url_name: re-exported for callers)
from .rules import SyncRules

Raw = Dict[str, Any]


class ResourceSync(ABC):
    """Abstract interface for syncing one resource type from DSS (the seed's contract)."""

    def __init__(self, client: Any, rules: Optional[SyncRules] = None) -> None:
        """``client`` is a ``dataikuapi.DSSClient``; ``rules`` default to the built-in ones."""
        self.client = client
        self.rules = rules if rules is not None else SyncRules()

    @abstractmethod
    def fetch(self, resource_id: str) -> Resource:
        """Fetch one resource; raises :class:`ResourceNotFoundError` when DSS says it does not exist."""

    @abstractmethod
    def list_all(self, project_key: Optional[str] = None) -> List[Resource]:
        """Every resource of this type (in ``project_key`` for project-scoped types)."""

    @property
    @abstractmethod
    def resource_type(self) -> str:
        """The resource type identifier (``dataset``, ``recipe``...)."""


def version_metadata(definition: Any, internal_id: Optional[str]) -> ResourceMetadata:
    """Metadata of a synced object: who last changed it and when (its ``versionTag``), and its DSS id."""
    tag = definition.get("versionTag") if isinstance(definition, dict) else None
    tag = tag if isinstance(tag, dict) else {}
    by = tag.get("lastModifiedBy")
    login = by.get("login") if isinstance(by, dict) else by
    millis = tag.get("lastModifiedOn")
    number = tag.get("versionNumber")
    return ResourceMetadata(
        deployed_at=utc_now(),
        dataiku_internal_id=internal_id,
        last_modified_by=login if isinstance(login, str) and login else None,
        last_modified_at=from_epoch_millis(millis) if isinstance(millis, (int, float)) and millis > 0 else None,
        version_number=number if isinstance(number, int) and not isinstance(number, bool) and number >= 0 else None,
    )


class ProjectObjectSync(ResourceSync):
    """The shared implementation for objects inside a project (everything but the project itself).

    What a type is (its calls, identifier, complete list items) comes from its :attr:`descriptor`.
    """

    #: The type's descriptor (:mod:`dataiku_iac.types`).
    descriptor: TypeDescriptor

    @property
    def resource_type(self) -> str:
        """The descriptor's type name."""
        return self.descriptor.type_name

    @property
    def list_markers(self) -> FrozenSet[str]:
        """Fields a list item must hold to count as a full definition (checked per item)."""
        return self.descriptor.list_markers

    # -- hooks (the descriptor's) -----------------------------------------------------------------------

    def list_items(self, project_key: str) -> List[Raw]:
        """Raw list items of the project (one request)."""
        return self.descriptor.list_items(self.client, project_key)

    def read(self, project_key: str, name: str) -> Raw:
        """The full raw object (GETs); raises dataikuapi's exception on failure."""
        return self.descriptor.read(self.client, project_key, name)

    def item_name(self, item: Raw) -> str:
        """The identifier of a list item (``id``, or ``name`` for datasets and recipes)."""
        return self.descriptor.item_name(item)

    def is_complete(self, item: Raw) -> bool:
        """True when the list item can stand for the full definition (the descriptor's rule, unless a
        subclass gives its own ``list_markers``, as tests do to model listings of summaries)."""
        markers = self.list_markers
        if markers != self.descriptor.list_markers:
            return bool(markers) and markers.issubset(item)
        return self.descriptor.is_complete(item)

    def to_resource(self, project_key: str, raw: Raw) -> Resource:
        """Build the resource from a raw object (pure)."""
        name = self.item_name(raw)
        attributes = self.rules.attributes(self.resource_type, raw)
        return Resource(
            resource_type=self.resource_type,
            resource_id=make_resource_id(self.resource_type, project_key, name),
            attributes=attributes,
            metadata=version_metadata(raw, name),
        )

    # -- the seed's interface ---------------------------------------------------------------------------

    def _address(self, resource_id: str) -> tuple:
        address = parse_resource_id(resource_id)
        if address.resource_type != self.resource_type:
            raise ValueError(f"Invalid {self.resource_type} resource_id: {resource_id} "
                             f"(expected {self.resource_type}.PROJECT_KEY.name)")
        return address.project_key, address.name

    def fetch(self, resource_id: str) -> Resource:
        """Fetch one object; :class:`ResourceNotFoundError` when absent, :class:`DSSError` on other failures."""
        project_key, name = self._address(resource_id)
        try:
            raw = self.read(project_key, name)
        except Exception as exc:
            raise to_library_error(exc, f"reading {resource_id}", client_secrets(self.client)) from exc
        return self.to_resource(project_key, raw)

    def list_all(self, project_key: Optional[str] = None) -> List[Resource]:
        """Every object of the project: from the list items when complete, else one GET each (sequential)."""
        if not project_key:
            raise ValueError(f"project_key required for listing {self.resource_type}s")
        try:
            items = self.list_items(project_key)
        except Exception as exc:
            raise to_library_error(exc, f"listing {self.resource_type}s of {project_key}",
                                   client_secrets(self.client)) from exc
        resources = []
        for item in items:
            if self.is_complete(item):
                resources.append(self.to_resource(project_key, item))
                continue
            try:
                resources.append(self.fetch(make_resource_id(self.resource_type, project_key, self.item_name(item))))
            except ResourceNotFoundError:
                continue  # deleted between the listing and the read: DSS says it is gone
        return resources
