"""The control plane: what tests change or observe from outside the emulated API.

Latency, fault injection, request counters and the not-found status switch are kept
here, apart from the DSS state (:class:`~dss_emulator.models.DSSBackend`), and so are the
seeds that :meth:`ControlPlane.reset` reloads. Both the Python API
(:class:`~dss_emulator.server.DSSEmulator`) and the ``/__emulator__/`` routes call this.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from .exceptions import BadRequest
from .models import DSSBackend
from .seed import load_trees
from .seed_types import ProjectSeed

# The request log is for debugging tests; cap it so a benchmark cannot eat the memory.
MAX_LOG = 10_000
FAULT_STATUSES = {400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504}


@dataclass
class Fault:
    """A fault for the next ``remaining`` requests whose method and path match.

    ``path_pattern`` is a regular expression searched in the request path (with its
    ``/dip/publicapi`` or ``/public/api`` prefix), so ``"/datasets/"`` matches any dataset
    call. ``method`` is an HTTP verb or ``"*"``. The request waits ``delay`` seconds, then
    the connection is dropped (``drop_connection``) or answered with ``status``; with
    neither, the request proceeds normally after the delay (a slow DSS). With
    ``after_handling`` the request is handled first and only its answer is replaced (dropped
    connection or ``status``): the write happened, the client cannot know it.
    """

    method: str
    path_pattern: str
    status: Optional[int] = 500
    remaining: int = 1
    retry_after: Optional[float] = None
    delay: float = 0.0
    drop_connection: bool = False
    message: str = "Injected fault"
    #: Apply the fault once the request was handled (the object created, the save stored): the answer is lost
    #: on its way back, as when a proxy or the network fails after DSS did the work.
    after_handling: bool = False
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        try:
            self._regex = re.compile(self.path_pattern)
        except re.error as e:
            raise BadRequest(f"Invalid path_pattern {self.path_pattern!r}: {e}") from None
        if self.status is not None and self.status not in FAULT_STATUSES:
            raise BadRequest(f"Unsupported fault status {self.status}; use one of {sorted(FAULT_STATUSES)}")
        if self.remaining < 1:
            raise BadRequest("count must be at least 1")
        if self.delay < 0:
            raise BadRequest("delay must not be negative")
        if self.after_handling and self.status is None and not self.drop_connection:
            raise BadRequest("a fault after handling needs a status or drop_connection")

    def matches(self, method: str, path: str) -> bool:
        """Does this fault apply to a request?"""
        return self.method in ("*", method.upper()) and self._regex.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        """The fault as the control plane lists it."""
        return {"method": self.method, "pathPattern": self.path_pattern, "status": self.status,
                "remaining": self.remaining, "retryAfter": self.retry_after, "delay": self.delay,
                "dropConnection": self.drop_connection, "message": self.message,
                "afterHandling": self.after_handling}


@dataclass(frozen=True)
class SyntheticSpec:
    """A synthetic project to (re)generate on reset."""

    key: str
    datasets: int
    recipes: int
    scenarios: int
    folders: int
    seed: int


class ControlPlane:
    """Latency, faults, counters and seeds of one emulator instance."""

    def __init__(self, backend: DSSBackend) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self.latency = 0.0
        self.not_found_status = 404
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.log: list[dict[str, Any]] = []
        self.seed_dirs: list[Path] = []
        self.synthetic_specs: list[SyntheticSpec] = []
        # API requests being handled (a delayed fault keeps its request here after the client gave up on it).
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)

    # --- seeds -----------------------------------------------------------------------

    def load_seed(self, path: Union[str, Path], *, remember: bool = True) -> list[str]:
        """Load every project tree under ``path``; with ``remember``, reset reloads it."""
        seeds = load_trees(path)
        for seed in seeds:
            self.backend.load_project(seed)
        if remember and Path(path) not in self.seed_dirs:
            self.seed_dirs.append(Path(path))
        return [s.key for s in seeds]

    def load_project(self, seed: ProjectSeed) -> str:
        """Load an in-memory project (not remembered across resets)."""
        return self.backend.load_project(seed).key

    def add_synthetic(self, spec: SyntheticSpec, *, remember: bool = True) -> str:
        """Generate and load a synthetic project."""
        from .synthetic import generate_project

        seed = generate_project(spec.key, datasets=spec.datasets, recipes=spec.recipes,
                                scenarios=spec.scenarios, folders=spec.folders, seed=spec.seed)
        self.backend.load_project(seed)
        if remember and spec not in self.synthetic_specs:
            self.synthetic_specs.append(spec)
        return spec.key

    def reset(self, *, reload_seeds: bool = True) -> list[str]:
        """Back to the starting state: projects reloaded from the seeds, no latency, faults or counts."""
        with self._lock:
            self.latency = 0.0
            self.not_found_status = 404
            self.faults.clear()
            self.counts.clear()
            self.log.clear()
        with self.backend.lock:
            self.backend.clear_projects()
            if reload_seeds:
                for path in self.seed_dirs:
                    self.load_seed(path, remember=False)
                for spec in self.synthetic_specs:
                    self.add_synthetic(spec, remember=False)
            return self.backend.project_keys()

    # --- behaviour switches ------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        """Add ``seconds`` before every API request (a remote DSS)."""
        if seconds < 0:
            raise BadRequest("latency must not be negative")
        with self._lock:
            self.latency = float(seconds)

    def set_not_found_status(self, status: int) -> None:
        """Answer missing objects with 404 (default) or 500, as some DSS versions do."""
        if status not in (404, 500):
            raise BadRequest("not-found status must be 404 or 500")
        with self._lock:
            self.not_found_status = status

    def inject_fault(self, fault: Fault) -> Fault:
        """Queue a fault; the first matching queued fault wins."""
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self.faults.clear()

    def list_faults(self) -> list[dict[str, Any]]:
        """Pending faults."""
        with self._lock:
            return [f.to_json() for f in self.faults]

    def take_fault(self, method: str, path: str) -> Optional[Fault]:
        """The fault to apply to this request (consuming one of its uses), if any."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # --- counters ----------------------------------------------------------------------

    def record(self, method: str, route: str, path: str) -> None:
        """Count one API request under ``"METHOD route"`` (route = the URL rule, without prefix)."""
        with self._lock:
            self.counts[f"{method} {route}"] += 1
            if len(self.log) < MAX_LOG:
                self.log.append({"method": method, "route": route, "path": path})

    def begin_request(self) -> None:
        """An API request started (its handling ends with :meth:`end_request`)."""
        with self._lock:
            self._in_flight += 1

    def end_request(self) -> None:
        """An API request was handled (answered, failed, or its connection dropped)."""
        with self._lock:
            self._in_flight -= 1
            if self._in_flight <= 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no API request is being handled; False if ``timeout`` seconds passed first.

        A request the client stopped waiting for (a timeout on a delayed fault) is still handled once its delay
        is over, an upload then stored: tests wait for that here instead of sleeping.
        """
        with self._lock:
            return self._idle.wait_for(lambda: self._in_flight <= 0, timeout)

    def request_counts(self) -> dict[str, int]:
        """Counts per ``"METHOD route"``, e.g. ``{"GET /projects/<project_key>/datasets/": 2}``."""
        with self._lock:
            return dict(self.counts)

    def request_log(self) -> list[dict[str, Any]]:
        """Every recorded request in order (``method``, ``route``, ``path``)."""
        with self._lock:
            return [dict(entry) for entry in self.log]

    def clear_counts(self) -> None:
        """Zero the counters and the log."""
        with self._lock:
            self.counts.clear()
            self.log.clear()
