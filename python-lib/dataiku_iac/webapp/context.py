"""What the webapp routes need from their host (DSS, or ``dataiku-iac serve``), as plain callables.

The routes never build clients or backends themselves: the glue (``webapps/drift-viewer/backend.py`` inside
DSS, ``cli/serve.py`` outside) hands them a :class:`WebappContext`, so the same routes run and are tested
anywhere with fakes, a local state directory or the DSS emulator.
"""

from __future__ import annotations

import getpass
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from ..backends.base import StateBackend, validate_environment_name
from ..backends.local import LocalFileBackend
from ..exceptions import ConfigError, DataikuIaCError

logger = logging.getLogger("dataiku_iac.webapp")

#: ``progress(done, total)``, called as a live sync reads objects.
ProgressFn = Callable[[int, int], None]
#: ``make_manager(environment, backend, progress) -> StateManager``
ManagerFactory = Callable[[str, StateBackend, Optional[ProgressFn]], Any]

_STATE_FILE = re.compile(r"(?P<env>[^/\\]+)\.state\.json")


@dataclass(frozen=True)
class Viewer:
    """The browser user as the host identified them, and whether they may write the project.

    ``login`` is None when the host could not tell who is viewing; ``reason`` says why writing is refused.
    """

    login: Optional[str]
    may_write: bool = False
    display_name: Optional[str] = None
    reason: str = ""

    def to_dict(self) -> Dict[str, Any]:
        """JSON form for the page (never includes groups or secrets)."""
        return {
            "login": self.login,
            "display_name": self.display_name or self.login,
            "may_write": self.may_write,
            "reason": self.reason,
        }


@dataclass
class WebappContext:
    """Everything the routes ask of their host.

    - ``backend_for(environment)``: the state backend of an environment; the routes validate the name first.
    - ``list_environments()``: the environments that have a stored state.
    - ``identify(headers)``: the viewer (:class:`Viewer`) of a request, from its HTTP headers.
    - ``make_manager(environment, backend, progress)``: a ``StateManager`` for live checks and accepting the
      live state as the baseline; None when the host has no DSS connection (those routes then answer 503).
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
    _backends: Dict[str, StateBackend] = field(default_factory=dict, repr=False)

    def backend(self, environment: str) -> StateBackend:
        """The (cached) backend of a validated environment name."""
        validate_environment_name(environment)
        backend = self._backends.get(environment)
        if backend is None:
            backend = self._backends[environment] = self.backend_for(environment)
        return backend

    def environments(self) -> List[str]:
        """Sorted environment names with a state, plus the default one (so a fresh setup still shows)."""
        names = {self.default_environment}
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


def local_viewer(read_only: bool = False) -> Callable[[Mapping[str, str]], Viewer]:
    """The viewer outside DSS: whoever runs ``dataiku-iac serve`` (it binds the loopback interface)."""
    try:
        login = getpass.getuser()
    except Exception:  # no user database entry, e.g. in some containers
        login = "local user"
    reason = "the server was started with --read-only" if read_only else ""
    viewer = Viewer(login=login, may_write=not read_only, display_name=f"{login} (local)", reason=reason)
    return lambda headers: viewer


def local_context(
    state_dir: Union[str, Path],
    *,
    default_environment: str = "dev",
    make_manager: Optional[ManagerFactory] = None,
    read_only: bool = False,
    project_keys: Optional[List[str]] = None,
) -> WebappContext:
    """A context over a local state directory (``<state_dir>/<env>.state.json``), for ``serve`` and tests."""
    directory = Path(state_dir)
    validate_environment_name(default_environment)
    return WebappContext(
        backend_for=lambda env: LocalFileBackend.for_environment(env, directory),
        list_environments=lambda: environments_from_paths([p.name for p in directory.glob("*.state.json")]),
        identify=local_viewer(read_only),
        make_manager=make_manager,
        default_environment=default_environment,
        project_keys=project_keys,
        check_origin=True,
        location=str(directory),
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
