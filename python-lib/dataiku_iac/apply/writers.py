"""The DSS write layer of apply: create, update and delete one object of each type, through dataikuapi.

One :class:`ObjectWriter` per type (see :func:`writer_for`), driven by the type's descriptor
(:mod:`dataiku_iac.types`): which call creates it, which endpoint each field goes back to, which fields are
identity or immutable. The promises:

- **Only the managed paths are written.** An update reads the live object's settings, changes the values at
  the managed paths, and saves that (a PUT replaces the whole object, so what the config does not manage is
  kept as DSS holds it). A state's attributes are never written back: they lack the fields the sync ignores
  and hold redaction markers. Secret values come from a separate mapping (path -> value); a redaction marker
  left at a managed path with no value for it is refused rather than sent.
- **Nothing unchecked.** After a save the object is read back (the sync's own read) and every managed path is
  compared, after the sync's normalisation, with what was written: DSS drops keys it does not know without
  an error, so a path that did not stick raises :class:`WriteNotAppliedError` naming it. A save whose values
  DSS already holds is skipped (no versionTag bump).
- **A create is never sent twice blindly** (:func:`create_checked`): the POST goes out under
  ``request_kind(CREATE)`` (the transport does not retry it); after a timeout, a dropped connection or a
  gateway error, the writer looks whether the object exists (idempotent GETs, retried by the one policy)
  before trying again.
- **Few requests per create**: the create call carries every field it can (a recipe's whole definition and
  payload, a scenario's definition); then one GET, which is the read-back when the creation holds every
  managed path; else one PUT of the missing paths and a last GET. So 2 requests, or 4 when DSS's create
  call cannot carry some field (a dataset's schema or tags, a folder's path).
- **Deletes keep data** unless ``drop_data``; a project is deleted only with ``allow_project_delete``.
"""

from __future__ import annotations

import copy
import logging
import secrets as secrets_module
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, TypeVar

import requests

from ..dss.client import CREATE, request_kind
from ..dss.credentials import client_secrets
from ..dss.errors import http_status, is_not_found, is_timeout, is_transport_error, to_library_error
from ..exceptions import ApplyError, DataikuIaCError, ReplaceRequiredError, WriteNotAppliedError
from ..models.paths import get_at
from ..models.state import make_resource_id
from ..redaction import MARKER
from ..redaction_key import key_from_text
from ..sync.rules import SyncRules
from ..types import DESCRIPTORS, IDENTITY_SERVER_ID, TypeDescriptor, url_name
from ..types.dataset import new_dataset_schema
from ..types.project import METADATA, METADATA_LABELS, PERMISSIONS, SETTINGS, VARIABLES
from ..types.recipe import payload_text
from ..types.scenario import STEP_BASED

logger = logging.getLogger("dataiku_iac.apply")

Path = Tuple[str, ...]
Raw = Dict[str, Any]
Values = Dict[Path, Any]
T = TypeVar("T")

#: A create is sent at most this many times, and again only once DSS says the object is not there.
CREATE_ATTEMPTS = 2
#: Answers after which a create may or may not have happened (a gateway, or DSS shedding load).
_UNKNOWN_OUTCOME_STATUSES = frozenset({429, 502, 503, 504})
_ABSENT = object()


# -- paths (pure) -------------------------------------------------------------------------------------------------

def dotted(path: Path) -> str:
    """``params.path`` for messages."""
    return ".".join(str(part) for part in path)


def get_path(node: Any, path: Iterable[Any]) -> Any:
    """The value at ``path`` (list items by index), or ``_ABSENT``."""
    found, value = get_at(node, path)
    return value if found else _ABSENT


def set_path(node: Dict[str, Any], path: Path, value: Any) -> None:
    """Put ``value`` at ``path`` in ``node``, making the mappings on the way (a non-mapping is replaced)."""
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _overlay_secret(value: Any, rest: Tuple[str, ...], secret: str) -> Any:
    """``value`` with ``secret`` put at ``rest`` below it (list items addressed by their index)."""
    if not rest:
        return secret
    head, tail = rest[0], rest[1:]
    if isinstance(value, list) and head.isdigit() and int(head) < len(value):
        value[int(head)] = _overlay_secret(value[int(head)], tail, secret)
    elif isinstance(value, dict):
        value[head] = _overlay_secret(value.get(head), tail, secret)
    return value


def _markers_in(value: Any, prefix: Path) -> List[Path]:
    if isinstance(value, str):
        return [prefix] if MARKER.search(value) else []
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _markers_in(item, (*prefix, str(key)))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _markers_in(item, (*prefix, str(index)))]
    return []


def values_to_write(attributes: Mapping[str, Any], managed_paths: Iterable[Path],
                    secret_values: Optional[Mapping[Path, str]] = None, resource_id: str = "") -> Values:
    """What to send at each managed path: the desired value, with the secret values put in (pure).

    Raises :class:`ApplyError` when a redaction marker would be sent (a secret with no value given).
    """
    secrets_by_path = {tuple(str(p) for p in path): value for path, value in (secret_values or {}).items()}
    result: Values = {}
    for path in sorted(tuple(str(p) for p in path) for path in managed_paths):
        value = get_path(attributes, path)
        if value is _ABSENT:
            continue
        value = copy.deepcopy(value)
        for secret_path, secret in secrets_by_path.items():
            if secret_path[:len(path)] == path:
                value = _overlay_secret(value, secret_path[len(path):], secret)
        left = _markers_in(value, path)
        if left:
            raise ApplyError(f"{resource_id}: {dotted(left[0])} holds a redaction marker and no secret value was "
                             "given for it: set the ${env:...} variable it comes from and plan again", resource_id)
        result[path] = value
    return result


def _without_identity(descriptor: TypeDescriptor, values: Values) -> Values:
    return {path: value for path, value in values.items() if path[0] not in descriptor.identity_fields}


# -- create without a blind retry -------------------------------------------------------------------------------

def outcome_unknown(exc: BaseException) -> bool:
    """True when a create got no usable answer: it may have happened (timeout, dropped connection, gateway)."""
    return is_transport_error(exc) or http_status(exc) in _UNKNOWN_OUTCOME_STATUSES


def may_still_run(exc: BaseException) -> bool:
    """True when DSS may still be working on the request: the client stopped waiting (a read timeout) or a
    gateway gave up on it (502, 504). A dropped or refused connection and a 429/503 answer are over."""
    if isinstance(exc, requests.ConnectTimeout):
        return False  # never connected: nothing was sent
    return is_timeout(exc) or http_status(exc) in (502, 504)


def create_checked(create: Callable[[], T], find: Callable[[], Optional[T]], what: str,
                   secrets: Iterable[Optional[str]] = (), attempts: int = CREATE_ATTEMPTS,
                   unique_names: bool = True) -> T:
    """Run ``create`` (one POST, never retried by the transport); when its outcome is unknown, ``find`` says
    whether the object exists (returning it) before ``create`` is tried again, at most ``attempts`` times.

    ``unique_names=False`` (scenarios, folders: DSS lets two objects share a name, so a second create makes a
    second object): after a request DSS may still be running, an object not found *yet* is not created again;
    :class:`ApplyError` says so, and the next plan finds the object if the create did happen.
    """
    last: Optional[BaseException] = None
    for attempt in range(attempts):
        try:
            with request_kind(CREATE):
                return create()
        except DataikuIaCError:
            raise
        except Exception as exc:
            if attempt > 0 or outcome_unknown(exc):
                found = _look(find, what, secrets)  # a retry refused as a duplicate: the first one did happen
                if found is not None:
                    logger.info("%s: the unanswered create did happen", what)
                    return found
            if not outcome_unknown(exc):
                raise to_library_error(exc, what, secrets) from exc
            last = exc
            logger.warning("%s: no answer (%s), and the object is not there", what, type(exc).__name__)
            if not unique_names and may_still_run(exc):
                raise ApplyError(f"{what}: DSS did not answer in time and the object is not there yet; it may "
                                 "still be created: run plan again before applying (it finds the object if it "
                                 "was created)") from exc
    assert last is not None
    raise to_library_error(last, what, secrets) from last


def _look(find: Callable[[], Optional[T]], what: str, secrets: Iterable[Optional[str]]) -> Optional[T]:
    try:
        return find()
    except DataikuIaCError:
        raise
    except Exception as exc:
        raise to_library_error(exc, f"{what} (looking whether an unanswered create happened)", secrets) from exc


# -- the writers --------------------------------------------------------------------------------------------------

class ObjectWriter:
    """Create, update, delete objects of one type (subclassed per type)."""

    descriptor: TypeDescriptor

    def __init__(self, client: Any) -> None:
        self.client = client
        # The sync's normalisation and ignore rules, to compare what was written with what is read back. The
        # key is this writer's own: both sides of a comparison get the same markers, and no key file is made.
        self.rules = SyncRules(redaction_key=key_from_text(secrets_module.token_hex(32), "the writer"))
        #: ``(object_id, raw)`` of this writer's latest read of an object, made after its latest write (every
        #: write ends with a read-back): apply records it in the state instead of reading the object again.
        self.last_read: Optional[Tuple[str, Raw]] = None

    @property
    def type_name(self) -> str:
        """The resource type written."""
        return self.descriptor.type_name

    def resource_id(self, project_key: str, object_id: str) -> str:
        """``{type}.{KEY}.{id}``."""
        return make_resource_id(self.type_name, project_key, object_id)

    def _secrets(self) -> Tuple[str, ...]:
        return client_secrets(self.client)

    def _project(self, project_key: str) -> Any:
        return self.client.get_project(project_key)

    def _refuse_read_only(self, what: str) -> None:
        if not self.descriptor.creatable:
            raise ApplyError(f"{self.type_name.replace('_', ' ')}s are read-only: DSS has no public API to {what} "
                             "them; remove them from the config")

    # -- public -------------------------------------------------------------------------------------------------

    def create(self, project_key: str, attributes: Mapping[str, Any], managed_paths: Iterable[Path],
               secret_values: Optional[Mapping[Path, str]] = None) -> str:
        """Create the object as the attributes say at the managed paths; returns its DSS id (its name for
        datasets and recipes, the server's id for scenarios and folders)."""
        self._refuse_read_only("create")
        self.last_read = None
        label = f"{self.type_name} {attributes.get('name') or project_key!s}"
        values = self._prepare(values_to_write(attributes, managed_paths, secret_values, label))
        what = f"creating {label} in {project_key}"
        object_id = create_checked(lambda: self._create(project_key, values),
                                   lambda: self._find(project_key, values), what, self._secrets(),
                                   unique_names=self.descriptor.identity != IDENTITY_SERVER_ID)
        rid = self.resource_id(project_key, object_id)
        try:
            self._write(project_key, object_id, _without_identity(self.descriptor, values), creating=True)
        except DataikuIaCError:
            raise
        except Exception as exc:
            raise to_library_error(exc, f"configuring {rid} after its creation", self._secrets()) from exc
        return object_id

    def update(self, project_key: str, object_id: str, attributes: Mapping[str, Any], managed_paths: Iterable[Path],
               secret_values: Optional[Mapping[Path, str]] = None) -> bool:
        """Write the managed paths onto the live object; True when something was saved.

        Raises :class:`ReplaceRequiredError` when an immutable field differs, :class:`WriteNotAppliedError`
        when the read-back misses a written path.
        """
        self._refuse_read_only("change")
        self.last_read = None
        rid = self.resource_id(project_key, object_id)
        values = self._prepare(values_to_write(attributes, managed_paths, secret_values, rid))
        values = _without_identity(self.descriptor, values)
        try:
            return self._write(project_key, object_id, values, creating=False)
        except DataikuIaCError:
            raise
        except Exception as exc:
            raise to_library_error(exc, f"updating {rid}", self._secrets()) from exc

    def delete(self, project_key: str, object_id: str, *, drop_data: bool = False) -> bool:
        """Delete the object (its data kept unless ``drop_data``); False when DSS says it was already gone."""
        self._refuse_read_only("delete")
        rid = self.resource_id(project_key, object_id)
        try:
            self._delete(project_key, object_id, drop_data)
        except Exception as exc:
            if is_not_found(exc):
                logger.info("%s was already deleted", rid)
                return False
            raise to_library_error(exc, f"deleting {rid}", self._secrets()) from exc
        return True

    def find(self, project_key: str, name: str) -> Optional[str]:
        """The DSS id of the object named ``name``, or None when DSS holds none (datasets and recipes: the name
        itself; scenarios and folders: by listing, :class:`ApplyError` when two share the name)."""
        try:
            return self._find(project_key, {("name",): name})
        except DataikuIaCError:
            raise
        except Exception as exc:
            raise to_library_error(exc, f"looking for {self.type_name} {name!r} in {project_key}",
                                   self._secrets()) from exc

    def read(self, project_key: str, object_id: str) -> Raw:
        """The object as the sync reads it (raw, before the rules); kept as :attr:`last_read`."""
        raw = self.descriptor.read(self.client, project_key, object_id)
        self.last_read = (object_id, raw)
        return raw

    # -- comparison ---------------------------------------------------------------------------------------------

    def unmatched(self, raw: Raw, values: Values) -> List[Path]:
        """The written paths whose value ``raw`` does not hold, compared as the sync records both."""
        expected = copy.deepcopy(raw)
        for path, value in values.items():
            set_path(expected, path, value)
        want = self.rules.attributes(self.type_name, expected)
        have = self.rules.attributes(self.type_name, raw)
        return [path for path in values if get_path(want, path) != get_path(have, path)]

    def _verify(self, project_key: str, object_id: str, values: Values, raw: Optional[Raw] = None) -> None:
        raw = self.read(project_key, object_id) if raw is None else raw
        missing = self.unmatched(raw, values)
        if missing:
            raise WriteNotAppliedError(self.resource_id(project_key, object_id), [dotted(p) for p in missing])

    def _check_immutables(self, project_key: str, object_id: str, raw: Raw, values: Values) -> None:
        changed = sorted({path[0] for path in self.unmatched(raw, values)} & self.descriptor.immutable_fields)
        if changed:
            rid = self.resource_id(project_key, object_id)
            raise ReplaceRequiredError(f"{rid}: {', '.join(changed)} cannot be changed in place in DSS; the plan "
                                       "must replace the object (delete, then create)", rid)

    # -- per type -----------------------------------------------------------------------------------------------

    def _prepare(self, values: Values) -> Values:
        """The values in the shape DSS stores them (what the read-back is compared with)."""
        return values

    def _create(self, project_key: str, values: Values) -> str:
        raise NotImplementedError

    def _find(self, project_key: str, values: Values) -> Optional[str]:
        """The id of the object a create of ``values`` made, or None (after an unanswered create)."""
        name = str(values.get(("name",)) or "")
        try:
            self.read(project_key, name)
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise
        return name

    def _write(self, project_key: str, object_id: str, values: Values, *, creating: bool) -> bool:
        """Read the settings, put the values that differ, save, read back; True when something was saved."""
        settings, raw = self._load(project_key, object_id)
        if not creating:
            self._check_immutables(project_key, object_id, raw, values)
        pending = {path: values[path] for path in self.unmatched(raw, values)}
        if not pending:
            # DSS holds every value already: the GET just made is the read-back (each type's ``_load`` reads
            # what the sync reads, in the same shape)
            self.last_read = (object_id, raw)
            return False
        self._put(settings, raw, pending)
        self._save(settings)
        self._verify(project_key, object_id, values)
        return True

    def _load(self, project_key: str, object_id: str) -> Tuple[Any, Raw]:
        """The settings handle and its raw object (the sync's shape)."""
        settings = self._settings(project_key, object_id)
        raw = settings.get_raw()
        raw.setdefault(self.descriptor.id_field, object_id)
        return settings, raw

    def _settings(self, project_key: str, object_id: str) -> Any:
        raise NotImplementedError

    def _put(self, settings: Any, raw: Raw, values: Values) -> None:
        for path, value in values.items():
            set_path(raw, path, value)

    def _save(self, settings: Any) -> None:
        settings.save()

    def _delete(self, project_key: str, object_id: str, drop_data: bool) -> None:
        raise NotImplementedError


class DatasetWriter(ObjectWriter):
    """Datasets: ``create_dataset`` (type, params, format), then the rest through the settings."""

    descriptor = DESCRIPTORS["dataset"]

    def _create(self, project_key: str, values: Values) -> str:
        name = str(values[("name",)])
        creation = _top_level(values)
        self._project(project_key).create_dataset(
            name, creation.get("type") or "Filesystem", params=creation.get("params"),
            formatType=creation.get("formatType"), formatParams=creation.get("formatParams"))
        return name

    def _write(self, project_key: str, object_id: str, values: Values, *, creating: bool) -> bool:
        """After a create whose only other managed field is the schema: ``PUT .../schema`` needs no read
        first (it replaces the schema alone), so create, schema, read back make 3 requests instead of 4."""
        rest = [path for path in values if path[0] not in self.descriptor.creation_fields]
        if creating and rest and all(path[0] == "schema" for path in rest):
            document: Raw = {"schema": new_dataset_schema()}
            for path in rest:
                set_path(document, path, values[path])
            self._project(project_key).get_dataset(url_name(object_id)).set_schema(document["schema"])
            if not self.unmatched(self.read(project_key, object_id), values):
                return True
            # Something else did not stick (DSS changed a creation value): the general way below.
        return super()._write(project_key, object_id, values, creating=creating)

    def _settings(self, project_key: str, object_id: str) -> Any:
        return self._project(project_key).get_dataset(url_name(object_id)).get_settings()

    def _delete(self, project_key: str, object_id: str, drop_data: bool) -> None:
        self._project(project_key).get_dataset(url_name(object_id)).delete(drop_data=drop_data)


class ManagedFolderWriter(ObjectWriter):
    """Managed folders: ``create_managed_folder`` (name, type, connection) answers the server's id."""

    descriptor = DESCRIPTORS["managed_folder"]

    def _create(self, project_key: str, values: Values) -> str:
        creation = _top_level(values)
        params = creation.get("params") if isinstance(creation.get("params"), dict) else {}
        connection = params.get("connection") or "filesystem_folders"
        folder = self._project(project_key).create_managed_folder(str(creation["name"]), creation.get("type"),
                                                                  connection)
        return str(folder.id)

    def _find(self, project_key: str, values: Values) -> Optional[str]:
        return _one_by_name(self._project(project_key).list_managed_folders(), values, "managed folder")

    def _settings(self, project_key: str, object_id: str) -> Any:
        return self._project(project_key).get_managed_folder(url_name(object_id)).get_settings()

    def _delete(self, project_key: str, object_id: str, drop_data: bool) -> None:
        self._project(project_key).get_managed_folder(url_name(object_id)).delete(drop_data=drop_data)


class RecipeWriter(ObjectWriter):
    """Recipes: raw creation (the definition as declared, even with a dangling input; the payload with it)."""

    descriptor = DESCRIPTORS["recipe"]

    def _create(self, project_key: str, values: Values) -> str:
        creation = _top_level(values)
        recipe_type = str(creation.get("type") or "")
        prototype = {key: value for key, value in creation.items() if key != "payload"}
        settings: Raw = {"rawCreation": True}
        if "payload" in creation:
            settings["rawPayload"] = payload_text(recipe_type, creation["payload"])
        recipe = self._project(project_key).create_recipe(prototype, settings)
        return str(recipe.recipe_name)

    def _load(self, project_key: str, object_id: str) -> Tuple[Any, Raw]:
        settings = self._project(project_key).get_recipe(url_name(object_id)).get_settings()
        return settings, self.descriptor.from_envelope(settings.data, object_id)  # type: ignore[attr-defined]

    def _put(self, settings: Any, raw: Raw, values: Values) -> None:
        definition = settings.get_recipe_raw_definition()
        for path, value in values.items():
            if path[0] == "payload":
                set_path(raw, path, value)
                settings.set_payload(payload_text(str(raw.get("type") or ""), raw.get("payload")))
            else:
                set_path(definition, path, value)

    def _delete(self, project_key: str, object_id: str, drop_data: bool) -> None:
        self._project(project_key).get_recipe(url_name(object_id)).delete()


class ScenarioWriter(ObjectWriter):
    """Scenarios: ``create_scenario`` with the whole definition; a python scenario's script through its
    payload (the settings' ``save`` writes both)."""

    descriptor = DESCRIPTORS["scenario"]

    def _create(self, project_key: str, values: Values) -> str:
        creation = _top_level(values)
        definition = {key: value for key, value in creation.items() if key not in ("name", "type", "script")}
        scenario = self._project(project_key).create_scenario(str(creation["name"]),
                                                              creation.get("type") or STEP_BASED, definition)
        return str(scenario.id)

    def _find(self, project_key: str, values: Values) -> Optional[str]:
        return _one_by_name(self._project(project_key).list_scenarios(as_type="listitems"), values, "scenario")

    def _load(self, project_key: str, object_id: str) -> Tuple[Any, Raw]:
        settings = self._project(project_key).get_scenario(url_name(object_id)).get_settings()
        raw = dict(settings.get_raw())
        raw.setdefault("id", object_id)
        if raw.get("type") != STEP_BASED:
            raw["script"] = getattr(settings, "script", None)
        return settings, raw

    def _put(self, settings: Any, raw: Raw, values: Values) -> None:
        definition = settings.get_raw()
        for path, value in values.items():
            if path[0] == "script":
                if not hasattr(settings, "script"):
                    raise ApplyError(f"scenario {raw.get('id')}: only custom python scenarios have a script")
                settings.script = value
            else:
                set_path(definition, path, value)

    def _delete(self, project_key: str, object_id: str, drop_data: bool) -> None:
        self._project(project_key).get_scenario(url_name(object_id)).delete()


class SavedModelWriter(ObjectWriter):
    """Saved models are read-only: every write is refused."""

    descriptor = DESCRIPTORS["saved_model"]


class ProjectWriter(ObjectWriter):
    """Projects: ``create_project``; then settings, metadata, permissions and variables, each endpoint read
    and saved only when a managed field lives there."""

    descriptor = DESCRIPTORS["project"]

    def resource_id(self, project_key: str, object_id: str = "") -> str:
        return make_resource_id("project", project_key)

    def read(self, project_key: str, object_id: str = "") -> Raw:
        return self.descriptor.read(self.client, project_key)

    def create(self, project_key: str, attributes: Mapping[str, Any], managed_paths: Iterable[Path],
               secret_values: Optional[Mapping[Path, str]] = None) -> str:
        """Create the project ``project_key`` (its key in ``attributes`` is ignored); returns the key."""
        values = self._prepare(values_to_write(attributes, managed_paths, secret_values, self.resource_id(project_key)))
        values[("projectKey",)] = project_key
        what = f"creating project {project_key}"
        create_checked(lambda: self._create(project_key, values), lambda: self._find(project_key, values), what,
                       self._secrets())
        try:
            self._write(project_key, project_key, _without_identity(self.descriptor, values), creating=True)
        except DataikuIaCError:
            raise
        except Exception as exc:
            raise to_library_error(exc, f"configuring project {project_key} after its creation",
                                   self._secrets()) from exc
        return project_key

    def delete(self, project_key: str, object_id: str = "", *, drop_data: bool = False,
               allow_project_delete: bool = False) -> bool:
        """Delete the project: refused unless ``allow_project_delete``; managed data kept unless ``drop_data``."""
        if not allow_project_delete:
            raise ApplyError(f"Refusing to delete project {project_key}: deleting a project needs its own explicit "
                             "flag (allow_project_delete)", self.resource_id(project_key))
        return super().delete(project_key, project_key, drop_data=drop_data)

    def _prepare(self, values: Values) -> Values:
        """Variables given whole are both their parts: DSS stores ``standard`` and ``local``, a part left out is
        empty (dataikuapi refuses a PUT without both)."""
        whole = values.get(("variables",))
        if isinstance(whole, Mapping):
            values = dict(values)
            values[("variables",)] = {part: whole.get(part) or {} for part in ("standard", "local")}
        return values

    def _create(self, project_key: str, values: Values) -> str:
        creation = _top_level(values)
        owner = creation.get("owner") or self.client.get_auth_info().get("authIdentifier")
        self.client.create_project(project_key, creation.get("name") or project_key, owner,
                                   description=creation.get("description"), permissions=creation.get("permissions"),
                                   tags=list(creation.get("tags") or []))
        return project_key

    def _find(self, project_key: str, values: Values) -> Optional[str]:
        return project_key if project_key in self.client.list_project_keys() else None

    def _write(self, project_key: str, object_id: str, values: Values, *, creating: bool) -> bool:
        project = self._project(project_key)
        by_endpoint: Dict[str, Values] = {}
        for path, value in values.items():
            by_endpoint.setdefault(self.descriptor.field(path[0]).write_to or "", {})[path] = value
        saved = False
        for endpoint in self.descriptor.write_endpoints({path[0] for path in values}):
            saved = self._write_endpoint(project, endpoint, by_endpoint[endpoint]) or saved
        if saved or creating:
            self._verify(project_key, project_key, values)
        return saved

    def _write_endpoint(self, project: Any, endpoint: str, values: Values) -> bool:
        """Read one endpoint's document, put the values that differ, save it; True when saved."""
        if endpoint == SETTINGS:
            settings = project.get_settings()
            return self._edit(settings.get_raw(), values, lambda _doc: settings.save())
        if endpoint == METADATA:
            renamed = {(METADATA_LABELS.get(path[0], path[0]), *path[1:]): value for path, value in values.items()}
            return self._edit(project.get_metadata(), renamed, project.set_metadata)
        if endpoint == PERMISSIONS:
            return self._edit(project.get_permissions(), values, project.set_permissions)
        if endpoint == VARIABLES:
            inner = {path[1:]: value for path, value in values.items() if len(path) > 1}
            if ("variables",) in values:  # the whole mapping (both parts, see _prepare)
                inner.update({(part,): value for part, value in values[("variables",)].items()})

            def save(document: Raw) -> None:
                document.setdefault("standard", {})
                document.setdefault("local", {})  # dataikuapi refuses a PUT without both
                project.set_variables(document)
            return self._edit(project.get_variables(), inner, save)
        raise ApplyError(f"project field at {endpoint!r} cannot be written")

    @staticmethod
    def _edit(document: Raw, values: Values, save: Callable[[Raw], None]) -> bool:
        changed = False
        for path, value in values.items():
            current = get_path(document, path)
            if path[-1] == "tags" and isinstance(current, list) and isinstance(value, list):
                same = sorted(map(str, current)) == sorted(map(str, value))
            else:
                same = current == value
            if not same:
                set_path(document, path, value)
                changed = True
        if changed:
            save(document)
        return changed

    def _delete(self, project_key: str, object_id: str, drop_data: bool) -> None:
        self._project(project_key).delete(clear_managed_datasets=drop_data, clear_output_managed_folders=drop_data)


def _top_level(values: Values) -> Raw:
    """The values as one nested document (what a create call carries)."""
    document: Raw = {}
    for path, value in sorted(values.items()):
        set_path(document, path, copy.deepcopy(value))
    return document


def _one_by_name(items: Iterable[Any], values: Values, kind: str) -> Optional[str]:
    """The id of the one listed object named as ``values`` say; None when there is none."""
    name = values.get(("name",))
    ids = [str(item["id"]) for item in items if item.get("name") == name]
    if len(ids) > 1:
        raise ApplyError(f"An unanswered create of {kind} {name!r} may have happened, but {len(ids)} {kind}s have "
                         f"that name ({', '.join(sorted(ids))}): check in DSS which one to keep, then plan again")
    return ids[0] if ids else None


_WRITERS = {cls.descriptor.type_name: cls for cls in (ProjectWriter, DatasetWriter, RecipeWriter, ScenarioWriter,
                                                      ManagedFolderWriter, SavedModelWriter)}


def writer_for(client: Any, resource_type: str) -> ObjectWriter:
    """The writer of a resource type, on ``client`` (a hardened ``dataikuapi.DSSClient``)."""
    try:
        return _WRITERS[resource_type](client)
    except KeyError:
        raise ApplyError(f"Unknown resource type {resource_type!r}: expected one of {', '.join(_WRITERS)}") from None
