"""Run the emulator on a real loopback socket (moto's threaded server pattern)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, Union

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import API_PREFIXES, create_app
from .control import ControlPlane, Fault, SyntheticSpec
from .models import ApiKey, DSSBackend
from .models.common import system_clock
from .models.connections import parse_code_env_spec, parse_connection_spec
from .seed_types import ProjectSeed

HOST = "127.0.0.1"  # never bind anything else: the emulator has no real security


class KeepAliveRequestHandler(WSGIRequestHandler):
    """werkzeug's handler speaking HTTP/1.1, so clients keep their connections alive as they do with DSS.

    werkzeug defaults to HTTP/1.0 and closes the connection after every response; a real DSS keeps it
    open, and a sync issuing a thousand requests should not pay a TCP handshake (and server thread) each.
    """

    protocol_version = "HTTP/1.1"


class QuietRequestHandler(KeepAliveRequestHandler):
    """The keep-alive handler without the per-request access log line (tests make thousands)."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


def as_pair(value: Union[str, tuple[str, str]], parse: Callable[[str], tuple[str, str]]) -> tuple[str, str]:
    """A ``"A:B"`` string (parsed, ValueError when malformed) or an ``(a, b)`` pair."""
    if isinstance(value, str):
        return parse(value)
    first, second = value
    return str(first), str(second)


class DSSEmulator:
    """A stateful DSS public API on ``http://127.0.0.1:<port>``, for the real ``dataikuapi`` client.

    Use it as a context manager (``with DSSEmulator(seed_dirs=[...]) as dss:``) or call
    :meth:`start` / :meth:`stop`. ``dss.url`` and ``dss.api_key`` (an admin key acting as
    ``admin_login``) are what ``dataikuapi.DSSClient`` needs. ``port=0`` picks a free port.
    ``samples=True`` also loads the shipped sample project(s). ``random_seed`` makes managed
    folder ids reproducible; ``clock`` (epoch ms) makes timestamps reproducible;
    ``log_requests`` prints werkzeug's access log. The instance has the connections of a fresh DSS install
    (``filesystem_managed``, ``filesystem_folders``, ``filesystem_root``), those the seeds' objects use, and
    ``connections`` (``"NAME:TYPE"`` strings or ``(name, type)`` pairs, e.g. ``"warehouse:PostgreSQL"``);
    ``code_envs`` are ``"python:NAME"`` / ``(lang, name)``.
    """

    def __init__(
        self,
        seed_dirs: Iterable[Union[str, Path]] = (),
        *,
        port: int = 0,
        api_key: Optional[str] = None,
        admin_login: str = "admin",
        samples: bool = False,
        projects: Iterable[ProjectSeed] = (),
        not_found_status: int = 404,
        random_seed: Optional[int] = None,
        clock: Callable[[], int] = system_clock,
        log_requests: bool = False,
        connections: Iterable[Union[str, tuple[str, str]]] = (),
        code_envs: Iterable[Union[str, tuple[str, str]]] = (),
    ) -> None:
        self.backend = DSSBackend(clock=clock, random_seed=random_seed,
                                  connections=[as_pair(c, parse_connection_spec) for c in connections],
                                  code_envs=[as_pair(e, parse_code_env_spec) for e in code_envs])
        self.control = ControlPlane(self.backend)
        self._admin = self.backend.create_api_key(admin_login, key=api_key)
        self._port = port
        self._log_requests = log_requests
        self._server: Optional[BaseWSGIServer] = None
        self._thread: Optional[threading.Thread] = None
        if samples:
            from .samples import SAMPLES_DIR

            self.control.load_seed(SAMPLES_DIR)
        for path in seed_dirs:
            self.control.load_seed(path)
        for seed in projects:
            self.control.load_project(seed)
        self.control.set_not_found_status(not_found_status)
        self._initial_not_found_status = not_found_status
        self.app = create_app(self.backend, self.control)

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> DSSEmulator:
        """Bind 127.0.0.1 and serve in a daemon thread; returns once the socket accepts requests."""
        if self._server is not None:
            return self
        handler = KeepAliveRequestHandler if self._log_requests else QuietRequestHandler
        server = make_server(HOST, self._port, self.app, threaded=True, request_handler=handler)
        ready = threading.Event()

        def serve() -> None:
            ready.set()
            server.serve_forever(poll_interval=0.05)

        thread = threading.Thread(target=serve, name=f"dss-emulator-{server.port}", daemon=True)
        thread.start()
        # The socket is already listening after make_server; the event only guarantees the
        # serving loop has started, so the first request is not queued behind thread start-up.
        if not ready.wait(timeout=10):
            server.server_close()
            raise RuntimeError("DSS emulator thread did not start")
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> DSSEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- connection facts --------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (only while running)."""
        if self._server is None:
            raise RuntimeError("DSS emulator is not running")
        return int(self._server.port)

    @property
    def url(self) -> str:
        """Base URL to give ``dataikuapi.DSSClient`` (no API prefix)."""
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        """``url`` plus the ``/dip/publicapi`` prefix dataikuapi uses."""
        return self.url + API_PREFIXES[0]

    @property
    def api_key(self) -> str:
        """The admin API key."""
        return self._admin.key

    @property
    def admin_login(self) -> str:
        """The login the admin key acts as (``versionTag.lastModifiedBy.login`` of its writes)."""
        return self._admin.login

    def create_api_key(self, login: str = "admin", *, read_only: bool = False, admin: bool = True,
                       key: Optional[str] = None, groups: Sequence[str] = ()) -> str:
        """Register another key; a ``read_only`` key gets 403 on every write; ``groups`` as ``/auth/info``
        names them."""
        api_key: ApiKey = self.backend.create_api_key(login, read_only=read_only, admin=admin, key=key,
                                                      groups=groups)
        return api_key.key

    def create_browser_session(self, login: str, *, groups: Sequence[str] = (), admin: bool = False) -> str:
        """A logged-in DSS user's browser: the ``Cookie`` header value that
        ``get_auth_info_from_browser_headers`` recognises (a webapp backend identifies its viewer so)."""
        return self.backend.create_browser_session(login, groups=groups, admin=admin)

    def client(self, api_key: Optional[str] = None) -> Any:
        """A ``dataikuapi.DSSClient`` for this emulator (the admin key unless another is given)."""
        import dataikuapi

        return dataikuapi.DSSClient(self.url, api_key or self.api_key)

    # --- control plane -----------------------------------------------------------------

    def reset(self, *, reload_seeds: bool = True) -> list[str]:
        """Back to the start: projects reloaded from the seeds, counters, latency and faults cleared."""
        keys = self.control.reset(reload_seeds=reload_seeds)
        self.control.set_not_found_status(self._initial_not_found_status)
        return keys

    def load_seed(self, path: Union[str, Path]) -> list[str]:
        """Load every project tree under ``path`` (kept across :meth:`reset`); returns their keys."""
        return self.control.load_seed(path)

    def load_project(self, seed: ProjectSeed) -> str:
        """Load an in-memory project (e.g. from :func:`dss_emulator.synthetic.generate_project`)."""
        return self.control.load_project(seed)

    def add_synthetic_project(self, key: str, *, datasets: int = 10, recipes: int = 8, scenarios: int = 2,
                              folders: int = 1, seed: int = 0) -> str:
        """Generate and load a synthetic project (regenerated identically on :meth:`reset`)."""
        spec = SyntheticSpec(key, datasets, recipes, scenarios, folders, seed)
        return self.control.add_synthetic(spec)

    def request_counts(self) -> dict[str, int]:
        """API requests seen per ``"METHOD route"``, e.g. ``"GET /projects/<project_key>/datasets/"``."""
        return self.control.request_counts()

    def request_log(self) -> list[dict[str, Any]]:
        """Every API request seen, in order: ``{"method", "route", "path"}``."""
        return self.control.request_log()

    def clear_request_counts(self) -> None:
        """Zero the counters and the log."""
        self.control.clear_counts()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until the emulator handles no API request (e.g. a delayed upload the client gave up on has
        been stored); False when ``timeout`` seconds passed first."""
        return self.control.wait_idle(timeout)

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by ``seconds`` (0 to disable)."""
        self.control.set_latency(seconds)

    def inject_fault(
        self,
        method: str,
        path_pattern: str,
        *,
        status: Optional[int] = 500,
        count: int = 1,
        retry_after: Optional[float] = None,
        delay: float = 0.0,
        drop_connection: bool = False,
        message: str = "Injected fault",
        after_handling: bool = False,
    ) -> Fault:
        """Make the next ``count`` requests matching ``method`` (or ``"*"``) and the regex
        ``path_pattern`` fail: wait ``delay`` seconds, then drop the connection or answer
        ``status`` (with ``Retry-After`` if given). ``status=None`` with a delay = slow success.
        ``after_handling=True``: the request is handled (a create creates) and then its answer is lost
        (dropped connection, or ``status``), the case a client must not retry blindly.
        """
        fault = Fault(method=method, path_pattern=path_pattern, status=None if drop_connection else status,
                      remaining=count, retry_after=retry_after, delay=delay, drop_connection=drop_connection,
                      message=message, after_handling=after_handling)
        return self.control.inject_fault(fault)

    def clear_faults(self) -> None:
        """Cancel every pending fault."""
        self.control.clear_faults()

    def add_connection(self, name: str, connection_type: str) -> None:
        """Give the instance a connection (kept across :meth:`reset`), as an administrator would."""
        self.backend.add_connection(name, connection_type)

    def connections(self) -> dict[str, str]:
        """Connection name -> type, as the instance has them now."""
        with self.backend.lock:
            return dict(self.backend.connections)

    def set_not_found_status(self, status: int) -> None:
        """404 (default) or 500 for missing objects, as some DSS versions answer."""
        self.control.set_not_found_status(status)
