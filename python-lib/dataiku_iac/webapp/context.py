"""What the webapp routes need from their host (DSS, or ``dataiku-iac serve``), as plain callables.

The routes never build clients or backends themselves: the glue (``webapps/drift-viewer/backend.py`` inside
DSS, ``cli/serve.py`` outside) hands them a :class:`WebappContext`, so the same routes run and are tested
anywhere with fakes, a local state directory or the DSS emulator.
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Union

from ..backends.base import StateBackend, validate_environment_name
from ..backends.local import LocalFileBackend
from ..exceptions import ConfigError, DataikuIaCError, PermissionDeniedError

logger = logging.getLogger("dataiku_iac.webapp")

#: ``progress(done, total)``, called as a live sync reads objects.
ProgressFn = Callable[[int, int], None]
#: ``make_manager(environment, backend, progress) -> StateManager``
ManagerFactory = Callable[[str, StateBackend, Optional[ProgressFn]], Any]

#: ``authorize(viewer, project_keys, action)`` raises unless the viewer may change those projects' baselines
#: (``action`` completes "<login> may not ...").
Authorize = Callable[["Viewer", List[str], str], None]
#: ``apply_plan(backend, plan_id, authorize=, applied_by=, progress=) -> AppliedPlan``: apply a stored plan of
#: ``backend``'s environment (``dataiku_iac.plugin.applying.apply_stored_plan`` with the host's client and config
#: reader); ``authorize(project_keys)`` is called again under the state lock, before anything is written.
PlanApplier = Callable[..., Any]
#: Why a host without an applier cannot apply (the 503's message).
NO_APPLY_REASON = ("this viewer has no DSS connection: start 'dataiku-iac serve' with DKU_DSS_URL and DKU_API_KEY "
                   "set (or --dss-url and --api-key-file)")
#: Backends kept for environments that exist: a request naming a new environment costs one lookup, not memory.
MAX_CACHED_BACKENDS = 32

_STATE_FILE = re.compile(r"(?P<env>[^/\\]+)\.state\.json")


@dataclass(frozen=True)
class Viewer:
    """The browser user as the host identified them, and whether they may write the state's project.

    ``login`` is None when the host could not tell who is viewing; ``reason`` says why writing is refused.
    ``groups`` and ``dss_admin`` (as DSS named them) let :data:`Authorize` decide per project.
    """

    login: Optional[str]
    may_write: bool = False
    display_name: Optional[str] = None
    reason: str = ""
    groups: FrozenSet[str] = frozenset()
    dss_admin: bool = False

    def to_dict(self) -> Dict[str, Any]:
        """JSON form for the page (never includes groups or secrets)."""
        return {
            "login": self.login,
            "display_name": self.display_name or self.login,
            "may_write": self.may_write,
            "reason": self.reason,
        }


def plan_applier(client: Any, *, allow_directories: bool = False,
                 environ: Optional[Mapping[str, str]] = None) -> PlanApplier:
    """The :data:`PlanApplier` of a host: plans are applied through ``client`` (inside DSS the webapp's run-as
    user), their config read again from where the plan says it is (managed folders only, unless
    ``allow_directories``: ``serve``, whose plans are the local user's own files)."""

    def apply_plan(backend: StateBackend, plan_id: str, *, authorize: Callable[[List[str]], None],
                   applied_by: Optional[str], progress: Optional[ProgressFn] = None) -> Any:
        # Imported here: the apply engine pulls in the planner and the sync layer, which read-only pages never need.
        from ..plugin.applying import apply_stored_plan, config_source_opener

        opener = config_source_opener(client, allow_directories=allow_directories)
        return apply_stored_plan(client, backend, plan_id=plan_id, environ=os.environ if environ is None else environ,
                                 open_config=opener, authorize=authorize, applied_by=applied_by, progress=progress)

    return apply_plan


def writers_only(viewer: Viewer, project_keys: List[str], action: str) -> None:
    """The :data:`Authorize` of a host without per-project permissions (``serve``): the viewer's own flag."""
    if not viewer.may_write:
        because = f" ({viewer.reason})" if viewer.reason else ""
        raise PermissionDeniedError(f"{viewer.login or 'This viewer'} may not {action}{because}")


@dataclass
class WebappContext:
    """Everything the routes ask of their host.

    - ``backend_for(environment)``: the state backend of an environment; the routes validate the name first.
    - ``list_environments()``: the environments that have a stored state.
    - ``identify(headers)``: the viewer (:class:`Viewer`) of a request, from its HTTP headers.
    - ``authorize(viewer, project_keys, action)``: refuses (raises) a change of those projects' baselines by
      the viewer; inside DSS, write permission on each of them and on the state folder's project.
    - ``make_manager(environment, backend, progress)``: a ``StateManager`` for live checks; None when the
      host has no DSS connection (those routes then answer 503).
    - ``apply_plan``: applies a stored plan (:data:`PlanApplier`); None when the host cannot (``POST
      /api/plan/apply`` then answers 503 with ``apply_unavailable``, the reason).
    - ``authorize_creation(viewer, project_keys, action)``: refuses an apply that creates these projects (they
      have no permissions to check yet); inside DSS only DSS administrators may, ``serve`` lets any writer.
    - ``project_keys``: the projects a live check covers (None: those in the baseline).
    - ``check_origin``: refuse mutating requests whose ``Origin`` is another site (outside DSS; inside DSS
      the backend sits behind DSS's own proxy and authentication).
    """

    backend_for: Callable[[str], StateBackend]
    list_environments: Callable[[], List[str]]
    identify: Callable[[Mapping[str, str]], Viewer]
    make_manager: Optional[ManagerFactory] = None
    default_environment: str = "dev"
    project_keys: Optional[List[str]] = None
    check_origin: bool = False
    title: str = "DSS drift"
    location: str = ""
    authorize: Authorize = writers_only
    apply_plan: Optional[PlanApplier] = None
    apply_unavailable: str = NO_APPLY_REASON
    authorize_creation: Authorize = writers_only
    max_cached_backends: int = MAX_CACHED_BACKENDS
    _backends: OrderedDict[str, StateBackend] = field(default_factory=OrderedDict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def backend(self, environment: str) -> StateBackend:
        """The backend of a validated environment name; kept (LRU, bounded) only once its state exists."""
        validate_environment_name(environment)
        with self._guard:
            backend = self._backends.get(environment)
            if backend is not None:
                self._backends.move_to_end(environment)
                return backend
        backend = self.backend_for(environment)
        if backend.exists():
            with self._guard:
                self._backends[environment] = backend
                while len(self._backends) > self.max_cached_backends:
                    self._backends.popitem(last=False)
        return backend

    def environments(self) -> List[str]:
        """Sorted environment names with a state, plus the default one (so a fresh setup still shows)."""
        return sorted(set(self._stored_environments()) | {self.default_environment})

    def opening_environment(self) -> str:
        """The environment the page opens on: the default one if it has a state, else the first that has."""
        stored = self._stored_environments()
        return self.default_environment if self.default_environment in stored or not stored else stored[0]

    def _stored_environments(self) -> List[str]:
        names = set()
        for name in self.list_environments():
            try:
                names.add(validate_environment_name(name))
            except ConfigError:
                logger.warning("Ignoring a state whose name is not a valid environment: %r", name)
        return sorted(names)


ContextProvider = Union[WebappContext, Callable[[], WebappContext]]


def environments_from_paths(paths: Sequence[str]) -> List[str]:
    """Environment names of the ``<env>.state.json`` files among ``paths`` (any directory)."""
    names = []
    for path in paths:
        match = _STATE_FILE.fullmatch(path.replace("\\", "/").rsplit("/", 1)[-1])
        if match:
            names.append(match["env"])
    return sorted(names)


def local_viewer(read_only: bool = False, reason: str = "the server was started with --read-only"
                 ) -> Callable[[Mapping[str, str]], Viewer]:
    """The viewer outside DSS: whoever runs ``dataiku-iac serve`` (it binds the loopback interface)."""
    try:
        login = getpass.getuser()
    except Exception:  # no user database entry, e.g. in some containers
        login = "local user"
    viewer = Viewer(login=login, may_write=not read_only, display_name=f"{login} (local)",
                    reason=reason if read_only else "")
    return lambda headers: viewer


def local_context(
    state_dir: Union[str, Path],
    *,
    default_environment: str = "dev",
    make_manager: Optional[ManagerFactory] = None,
    read_only: bool = False,
    read_only_reason: str = "the server was started with --read-only",
    project_keys: Optional[List[str]] = None,
    apply_plan: Optional[PlanApplier] = None,
) -> WebappContext:
    """A context over a local state directory (``<state_dir>/<env>.state.json``), for ``serve`` and tests."""
    directory = Path(state_dir)
    validate_environment_name(default_environment)
    return WebappContext(
        backend_for=lambda env: LocalFileBackend.for_environment(env, directory),
        list_environments=lambda: environments_from_paths([p.name for p in directory.glob("*.state.json")]),
        identify=local_viewer(read_only, read_only_reason),
        make_manager=make_manager,
        default_environment=default_environment,
        project_keys=project_keys,
        check_origin=True,
        location=str(directory),
        apply_plan=apply_plan,
    )


def manager_factory_for(client: Any, **options: Any) -> ManagerFactory:
    """A :data:`ManagerFactory` building ``StateManager(backend, client, environment, progress=...)``."""

    def make_manager(environment: str, backend: StateBackend, progress: Optional[ProgressFn]) -> Any:
        # Imported here: the manager pulls in the sync layer (dataikuapi), which read-only pages never need.
        from ..manager import StateManager

        return StateManager(backend, client, environment, progress=progress, **options)

    return make_manager


def lazy_context(build: Callable[[], WebappContext]) -> Callable[[], WebappContext]:
    """A provider that builds the context on first use and keeps it; a failed build is retried next time.

    Inside DSS the context needs the webapp's config and a client: building it on the first request turns a
    missing parameter into a readable JSON error on the page instead of a backend that fails to start.
    """
    built: List[WebappContext] = []
    guard = threading.Lock()

    def provide() -> WebappContext:
        with guard:
            if not built:
                try:
                    built.append(build())
                except DataikuIaCError:
                    raise
                except Exception as exc:
                    logger.exception("Could not set up the drift viewer")
                    raise ConfigError(f"The drift viewer could not start: {exc}") from exc
            return built[0]

    return provide
