"""The fast sync: list first, read only what lists lack, concurrently, and all or nothing.

For each project, the project itself (settings, permissions, variables) and one listing per child type are
read concurrently. A list item that carries every tracked attribute (checked per item, and the first one of
each listing checked once against a GET, ``verify_lists``) becomes a resource directly; the others (every
recipe, for its payload; every scenario, for its triggers and steps) are read by a bounded thread pool as soon
as their listing arrives. Requests therefore number about ``8 + recipes + scenarios + python scenarios`` per
project (plus one check per listing served whole), instead of one per object plus the listings.

All or nothing: an object that cannot be read (after the retries of the client's one retry policy, see
:mod:`dataiku_iac.dss.client`; the engine never retries on its own) is recorded, the other reads finish,
and :class:`SyncError` lists every failure; the caller writes nothing. Only DSS saying "does not exist" makes
an object absent. A refused API key stops the sync at once.

Incremental: given a ``baseline`` (resource id -> resource, see :mod:`dataiku_iac.sync.incremental` for when
one may serve), a listed object whose ``versionTag`` (number and time) equals the baseline's is the baseline's
resource, with no GET and no list-item check; the others are read as above. A listing without version tags
(or the project itself) is read as without a baseline.

``progress(done, total)`` is called from the calling thread; ``total`` grows while listings arrive (each
listing adds its objects) and is final once every listing is in.
"""

from __future__ import annotations

import logging
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..dss.credentials import client_secrets
from ..dss.errors import is_auth_error, is_not_found, to_library_error
from ..exceptions import ResourceNotFoundError, SyncError
from ..models.state import Resource, make_resource_id
from ..types import CHILD_TYPES as TYPE_CHILD_TYPES
from .base import ProjectObjectSync, Raw, version_metadata
from .dataset import DatasetSync
from .managed_folder import ManagedFolderSync
from .project import ProjectSync
from .recipe import RecipeSync
from .rules import SyncRules
from .saved_model import SavedModelSync
from .scenario import ScenarioSync

logger = logging.getLogger("dataiku_iac.sync")

DEFAULT_WORKERS = 8
#: Child types in the order they are listed (and reported).
CHILD_TYPES = TYPE_CHILD_TYPES
_CHILD_SYNCS = {
    "dataset": DatasetSync,
    "recipe": RecipeSync,
    "scenario": ScenarioSync,
    "managed_folder": ManagedFolderSync,
    "saved_model": SavedModelSync,
}

ProgressCallback = Callable[[int, int], None]


@dataclass
class SyncOutcome:
    """What a sync read: the resources (sorted by id) and the requested projects DSS says do not exist."""

    resources: List[Resource] = field(default_factory=list)
    missing_projects: List[str] = field(default_factory=list)
    #: How many resources were the baseline's (their version tag had not moved).
    reused: int = 0


@dataclass
class _Listing:
    """One child type of one project after round one: resources built from the list, names still to read."""

    project_key: str
    resource_type: str
    resources: List[Resource]
    to_read: List[str]
    reused: int = 0


class _Fatal(Exception):
    """Internal: stop the whole sync (refused key, unknown project) with this library error."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class SyncEngine:
    """Concurrent, all-or-nothing reader of DSS projects into resources.

    ``workers`` bounds the concurrent requests (size the client's pool to it, see
    :func:`dataiku_iac.dss.client.ensure_pool`); ``progress(done, total)`` is called from the calling thread
    as objects are read. Retries are the client's (:func:`dataiku_iac.dss.client.harden_client`).
    """

    def __init__(self, client: Any, *, workers: int = DEFAULT_WORKERS, rules: Optional[SyncRules] = None,
                 progress: Optional[ProgressCallback] = None, verify_lists: bool = True) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.client = client
        self.workers = workers
        self.rules = rules if rules is not None else SyncRules()
        self.progress = progress
        self.verify_lists = verify_lists
        self.project_sync = ProjectSync(client, self.rules)
        self.child_syncs: Dict[str, ProjectObjectSync] = {
            rtype: cls(client, self.rules) for rtype, cls in _CHILD_SYNCS.items()
        }

    # -- public -------------------------------------------------------------------------------------

    def list_project_keys(self) -> List[str]:
        """Keys of every project the API key can read."""
        try:
            return sorted(self.project_sync.list_keys())
        except Exception as exc:
            raise to_library_error(exc, "listing projects", self._secrets()) from exc

    def sync(self, project_keys: Sequence[str], include_children: bool = True,
             missing_ok: bool = False, baseline: Optional[Mapping[str, Resource]] = None) -> SyncOutcome:
        """Read the projects (and their objects); see the module docstring (``baseline``: incremental).

        Raises :class:`ResourceNotFoundError` for a project DSS does not have (unless ``missing_ok``: it is
        then listed in ``missing_projects``), :class:`DSSError` for a refused key, :class:`SyncError` when
        any object could not be read.
        """
        keys = list(dict.fromkeys(project_keys))
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="dataiku-iac-sync") as pool:
            run = _SyncRun(self, pool, missing_ok)
            reuse = baseline or {}
            try:
                for key in keys:
                    run.submit(("project", key, None), self._read_project, key)
                    for rtype in CHILD_TYPES if include_children else ():
                        run.submit(("listing", key, rtype), self._list_children, key, rtype, reuse)
                run.drain()
            except _Fatal as fatal:
                pool.shutdown(wait=False, cancel_futures=True)
                raise fatal.error from fatal.error.__cause__  # the library error, chained to DSS's
            except BaseException:
                # Ctrl-C or a failing progress callback: drop the queued reads rather than wait for them all.
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        return run.outcome()

    # -- tasks (run in the pool) ----------------------------------------------------------------------

    def _read_project(self, key: str) -> Resource:
        raw = self.project_sync.read(key)
        return self.project_sync.to_resource(key, raw)

    def _list_children(self, key: str, rtype: str, baseline: Mapping[str, Resource]) -> _Listing:
        sync = self.child_syncs[rtype]
        listed = sync.list_items(key)
        reused: List[Resource] = []
        items: List[Raw] = []
        for item in listed:
            known = baseline.get(make_resource_id(rtype, key, sync.item_name(item))) if baseline else None
            if known is not None and _same_version(known, item):
                reused.append(known)
            else:
                items.append(item)
        complete = [item for item in items if sync.is_complete(item)]
        if complete and self.verify_lists and not self._list_matches_get(sync, key, complete[0]):
            logger.info("%s list items of %s differ from their definitions: reading each", rtype, key)
            complete = []
        complete_names = {sync.item_name(item) for item in complete}
        return _Listing(
            project_key=key,
            resource_type=rtype,
            resources=reused + [sync.to_resource(key, item) for item in complete],
            to_read=[sync.item_name(item) for item in items if sync.item_name(item) not in complete_names],
            reused=len(reused),
        )

    def _list_matches_get(self, sync: ProjectObjectSync, key: str, item: Raw) -> bool:
        """Check once per listing that a list item builds the same resource as its GET."""
        try:
            raw = sync.read(key, sync.item_name(item))
        except Exception as exc:
            if is_not_found(exc):
                return True  # deleted meanwhile: nothing to compare, and round two will not ask again
            raise
        listed, read = sync.to_resource(key, item), sync.to_resource(key, raw)
        # The attribution (versionTag) must be in the list items too, or reports lose "changed by X at T".
        return _fingerprint(listed) == _fingerprint(read)

    def _read_object(self, sync: ProjectObjectSync, key: str, name: str) -> Resource:
        raw = sync.read(key, name)
        return sync.to_resource(key, raw)

    # -- helpers --------------------------------------------------------------------------------------

    def _secrets(self) -> Tuple[str, ...]:
        return client_secrets(self.client)


def _same_version(known: Resource, item: Raw) -> bool:
    """True when the list item shows the version tag (number and time) the baseline recorded; False when the
    item has none (that type is read as without a baseline)."""
    listed = version_metadata(item, None)
    return (listed.version_number is not None and listed.version_number == known.metadata.version_number
            and listed.last_modified_at == known.metadata.last_modified_at)


def _fingerprint(resource: Resource) -> Tuple[Any, ...]:
    metadata = resource.metadata
    return metadata.checksum, metadata.dataiku_internal_id, metadata.last_modified_by, metadata.last_modified_at


Label = Tuple[str, str, Optional[str]]  # (kind, project key, resource type or resource id)


class _SyncRun:
    """One sync in progress: tasks complete in any order, and reads start as soon as their listing arrives
    (a slow listing of thousands of datasets does not hold back the recipe reads)."""

    def __init__(self, engine: SyncEngine, pool: ThreadPoolExecutor, missing_ok: bool) -> None:
        self.engine = engine
        self.pool = pool
        self.missing_ok = missing_ok
        self.completions: queue.Queue[Tuple[Label, Future]] = queue.Queue()
        self.outstanding = 0
        self.resources: List[Resource] = []
        self.errors: List[Tuple[str, str, BaseException]] = []  # (project key, what, error)
        self.missing: List[str] = []
        self.reused = 0
        self.done = 0
        self.total = 0

    def submit(self, label: Label, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` in the pool; its completion is queued under ``label``."""
        future = self.pool.submit(function, *args)
        self.outstanding += 1
        if label[0] != "listing":
            self.total += 1
        future.add_done_callback(lambda done: self.completions.put((label, done)))

    def drain(self) -> None:
        """Handle completions until no task is left (new reads are submitted along the way)."""
        while self.outstanding:
            label, future = self.completions.get()
            self.outstanding -= 1
            error = future.exception()
            if error is not None and is_auth_error(error):
                library_error = to_library_error(error, f"reading {label[2] or label[1]}", self.engine._secrets())
                library_error.__cause__ = error
                raise _Fatal(library_error)
            getattr(self, f"_on_{label[0]}")(label, future, error)
            if self.engine.progress is not None:
                self.engine.progress(self.done, self.total)

    def _on_project(self, label: Label, future: Future, error: Optional[BaseException]) -> None:
        key = label[1]
        self.done += 1
        if error is None:
            self.resources.append(future.result())
        elif is_not_found(error):
            if not self.missing_ok:
                raise _Fatal(ResourceNotFoundError(
                    f"Project {key} does not exist in DSS (or this API key cannot see it): check the project key, "
                    "which is case-sensitive"))
            self.missing.append(key)
        else:
            self.errors.append((key, f"project.{key}", error))

    def _on_listing(self, label: Label, future: Future, error: Optional[BaseException]) -> None:
        key, rtype = label[1], str(label[2])
        if error is not None:
            self.errors.append((key, f"{rtype}s of {key} (listing)", error))
            return
        listing: _Listing = future.result()
        self.resources.extend(listing.resources)
        self.reused += listing.reused
        self.done += len(listing.resources)
        self.total += len(listing.resources)
        sync = self.engine.child_syncs[rtype]
        for name in listing.to_read:
            rid = make_resource_id(rtype, key, name)
            self.submit(("read", key, rid), self.engine._read_object, sync, key, name)

    def _on_read(self, label: Label, future: Future, error: Optional[BaseException]) -> None:
        key, rid = label[1], str(label[2])
        self.done += 1
        if error is None:
            self.resources.append(future.result())
        elif is_not_found(error):
            logger.info("%s was deleted while the sync ran; it is left out", rid)
        else:
            self.errors.append((key, rid, error))

    def outcome(self) -> SyncOutcome:
        """The resources read, or :class:`SyncError` listing every failure (projects DSS says are gone, and
        everything under them, are left out rather than failed)."""
        gone = set(self.missing)
        failures: Dict[str, str] = {}
        for key, what, error in self.errors:
            if key not in gone:
                failures[what] = str(to_library_error(error, f"reading {what}", self.engine._secrets()))
                logger.warning("could not read %s: %s", what, failures[what])
        if failures:
            raise SyncError(failures)
        kept = [r for r in self.resources if r.project_key not in gone]
        return SyncOutcome(sorted(kept, key=lambda r: r.resource_id), sorted(gone), self.reused)
