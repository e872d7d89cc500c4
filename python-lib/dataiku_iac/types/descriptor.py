"""What one DSS object type is, in one place: its fields, where each is read and written, identity, immutables.

A :class:`TypeDescriptor` serves the three users of a type alike:

- the sync reads through it (:meth:`TypeDescriptor.list_items`, :meth:`TypeDescriptor.read`, the tracked
  fields and their defaults);
- the plan asks it which fields DSS cannot change in place (:attr:`TypeDescriptor.immutable_fields`: a change
  there is a replace) and how an object is identified;
- the apply writers (:mod:`dataiku_iac.apply.writers`) ask which endpoint each field goes back to.

The read hooks take a ``dataikuapi.DSSClient`` and call its public methods; nothing here imports dataikuapi,
so the pure layers (``config``, ``plan``) may read a descriptor's facts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple
from urllib.parse import quote

Raw = Dict[str, Any]

#: How objects of a type are told apart: by key (projects), by name (datasets, recipes), or by an id the
#: server generates at creation, next to a display name (scenarios, managed folders, saved models).
IDENTITY_KEY = "project_key"
IDENTITY_NAME = "name"
IDENTITY_SERVER_ID = "server_id"

#: Values a tracked field has when DSS leaves it out (or sends null): filled in, so that an object whose metadata
#: was saved once (DSS then writes the empty values out) does not differ from one never edited.
FIELD_DEFAULTS: Mapping[str, Any] = {
    "tags": [],
    "description": "",
    "shortDesc": "",
    "customFields": {},
    "customMeta": {"kv": {}},
    "checklists": {"checklists": []},
}


#: What the UI of the data table editor writes (prepare recipes, scripts embedded in ML tasks): ignored at any
#: depth of recipe payloads and saved model tasks.
DATA_TABLE_UI_KEYS = ("columnWidthsByName", "explorationSampling", "vizSampling", "exploreUIParams",
                      "explorationFilters", "globalSearchQuery", "analysisColumnData",
                      "columnUseScientificNotationByName", "previewMode", "coloring")
DATA_TABLE_UI_REASON = ("UI state of the data table editor (prepare recipes, scripts embedded in ML tasks), "
                        "not configuration")


def url_name(name: str) -> str:
    """``name`` as one URL path segment, for dataikuapi's handles (``project.get_dataset(url_name(name))``).

    dataikuapi puts names into URLs as they are: a name holding ``?`` or ``#`` would lose its end (and the
    object be taken for deleted), ``%2e`` would be decoded by DSS, and ``/`` or ``..`` would reach another
    URL, possibly another object recorded under this name. Encoded, the request names exactly this object.
    """
    return quote(str(name), safe="")


@dataclass(frozen=True)
class Endpoint:
    """One place of the DSS API a type's fields live in: ``read`` and ``write`` as ``VERB path`` (``K`` the
    project key, ``N`` the object's name or id). ``write`` is empty for what cannot be written back."""

    name: str
    read: str
    write: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """One tracked top-level field: the endpoint it is read from and the one it is written to.

    ``immutable``: DSS cannot change it in place (a change is a replace: delete, then create); ``note`` then
    says why.
    ``identity``: it names the object (never written by an update; a change means another object).
    ``at_creation``: the create call carries it, so a created object holds it without a settings save.
    """

    name: str
    read_from: str
    write_to: Optional[str]
    immutable: bool = False
    identity: bool = False
    at_creation: bool = False
    note: str = ""
    #: What DSS holds in the field when nothing is set, when that is not simply empty (project variables are
    #: ``{standard: {}, local: {}}``): an empty mapping in a config means this.
    empty: Any = None


@dataclass(frozen=True)
class Ignored:
    """A path inside the tracked fields that changes in DSS without a configuration edit (left out of synced
    attributes; see ``sync.rules`` for the pattern syntax). ``subtypes``: only for these DSS ``type`` values."""

    path: str
    reason: str
    subtypes: Tuple[str, ...] = ()


class TypeDescriptor:
    """The descriptor of one resource type (subclassed once per type, one instance in the registry)."""

    #: The resource type (``dataset``...), as in resource ids ``{type}.{PROJECT_KEY}.{name}``.
    type_name: str = ""
    #: One of :data:`IDENTITY_KEY`, :data:`IDENTITY_NAME`, :data:`IDENTITY_SERVER_ID`.
    identity: str = IDENTITY_NAME
    #: The field of a DSS object (and of its list item) that holds its identifier.
    id_field: str = "name"
    #: False for types the config cannot create (saved models: DSS has no public create outside ML tasks).
    creatable: bool = True
    #: The endpoints, by name.
    endpoints: Tuple[Endpoint, ...] = ()
    #: The tracked fields, in display order.
    fields: Tuple[FieldSpec, ...] = ()
    #: Fields a list item must hold to count as a full definition (checked per item); empty: never.
    list_markers: FrozenSet[str] = frozenset()
    #: Paths the sync leaves out (server stamps, UI state), each with why.
    ignored: Tuple[Ignored, ...] = ()
    #: The listing, the create and the delete calls (``VERB path``; empty when the type has none).
    list_call: str = ""
    create_call: str = ""
    delete_call: str = ""

    # -- facts -------------------------------------------------------------------------------------------------

    @property
    def tracked_fields(self) -> Tuple[str, ...]:
        """The top-level fields a synced resource keeps, in display order."""
        return tuple(spec.name for spec in self.fields)

    @property
    def immutable_fields(self) -> FrozenSet[str]:
        """Fields whose change needs a replace (identity fields included)."""
        return frozenset(spec.name for spec in self.fields if spec.immutable or spec.identity)

    @property
    def replace_reasons(self) -> Dict[str, str]:
        """``field -> why DSS cannot change it in place`` for the immutable fields (what a plan shows for a
        replacement). Identity fields that are not immutable are left out: a new name is another object."""
        return {spec.name: spec.note for spec in self.fields if spec.immutable}

    @property
    def creation_fields(self) -> FrozenSet[str]:
        """Fields the create call carries."""
        return frozenset(spec.name for spec in self.fields if spec.at_creation)

    @property
    def identity_fields(self) -> FrozenSet[str]:
        """Fields that name the object."""
        return frozenset(spec.name for spec in self.fields if spec.identity)

    @property
    def field_defaults(self) -> Dict[str, Any]:
        """The empty values of this type's metadata fields (see :data:`FIELD_DEFAULTS`)."""
        return {name: FIELD_DEFAULTS[name] for name in self.tracked_fields if name in FIELD_DEFAULTS}

    def empty_value(self, name: str) -> Any:
        """What DSS holds in field ``name`` when nothing is set (None when the type does not say)."""
        for spec in self.fields:
            if spec.name == name and spec.empty is not None:
                return copy.deepcopy(spec.empty)
        return copy.deepcopy(FIELD_DEFAULTS.get(name)) if name in self.tracked_fields else None

    def with_empty_forms(self, attributes: Mapping[str, Any]) -> Dict[str, Any]:
        """``attributes`` where a field given as an empty mapping takes DSS's empty form of it.

        ``variables: {}`` in a config means "no project variables", which DSS stores (and reads back) as
        ``{standard: {}, local: {}}``: compared leaf by leaf, the literal ``{}`` would differ from it forever.
        """
        shaped = dict(attributes)
        for name, value in attributes.items():
            if isinstance(value, Mapping) and not value:
                empty = self.empty_value(name)
                if isinstance(empty, Mapping) and empty:
                    shaped[name] = empty
        return shaped

    def field(self, name: str) -> FieldSpec:
        """The spec of one tracked field (KeyError for an untracked one)."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.type_name} has no tracked field {name!r}")

    def endpoint(self, name: str) -> Endpoint:
        """An endpoint by name."""
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        raise KeyError(f"{self.type_name} has no endpoint {name!r}")

    def write_endpoints(self, field_names: Any) -> List[str]:
        """The endpoints that writing these fields touches, in the descriptor's endpoint order."""
        wanted = {self.field(name).write_to for name in field_names if name in self.tracked_fields}
        return [endpoint.name for endpoint in self.endpoints if endpoint.name in wanted]

    # -- reading (the sync's hooks) ----------------------------------------------------------------------------

    def item_name(self, item: Raw) -> str:
        """The identifier of a list item or raw object."""
        return str(item[self.id_field])

    def is_complete(self, item: Raw) -> bool:
        """True when the list item can stand for the full definition (it holds every marker field)."""
        return bool(self.list_markers) and self.list_markers.issubset(item)

    def list_items(self, client: Any, project_key: str) -> List[Raw]:
        """Raw list items of the project (one request)."""
        raise NotImplementedError

    def read(self, client: Any, project_key: str, name: str) -> Raw:
        """The full raw object (definition plus the parts other endpoints serve); dataikuapi's exception on
        failure."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type_name}>"
