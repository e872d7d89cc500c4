"""Fixtures for tests that talk to DSS: the emulator by default, a real DSS instance on request.

Import the fixtures into a ``conftest.py`` (``from tests.dss_support import *``-style, by name).

Real DSS: set ``DKU_DSS_URL``, ``DKU_API_KEY`` (a key allowed to create and delete projects) and
``DATAIKU_IAC_REAL_DSS=1``. Tests that use :func:`dss_target` and :func:`scratch_project` then run against that
instance: each creates a scratch project ``DKUIAC_TEST_<random>`` through the public API, runs, and deletes it.
Tests that need the emulator (faults, latency, seeded projects) call ``target.require_emulator()`` and skip.

Registered for the whole suite by ``tests/conftest.py`` (``pytest_plugins``): no test module imports these
fixtures. The emulators are started once per session, lazily, one per kind of seed, and reset before each
test that asks for one:

- ``sample_emulator``: the shipped sample project only;
- ``emulator``: the sample project plus the shared real projects when they are present (``emulator_session``
  is the same server, not reset);
- ``real_projects_emulator``: the shared real projects only (skips, or fails, when they are absent: see
  :func:`shared_projects_dir`);
- ``bare_emulator``: no project at all (tests load their own with ``load_project``; a reset drops them).

A reset puts back the seeds and clears faults, latency, counters and the not-found status; it keeps extra API
keys and browser sessions, and the managed-folder id generator runs on (no test may rely on a folder id).

Environment switches are read in one way (:func:`switch_is_on`): unset, empty or ``0`` is off, anything else
is on. ``DATAIKU_IAC_REQUIRE_SHARED`` and ``DATAIKU_IAC_REQUIRE_BROWSER`` turn the skips of tests that need the
shared real projects or Chromium into failures (:func:`skip_unless_required`); ``.ci/run`` sets both.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, NoReturn, Optional, Tuple

import pytest

from dataiku_iac.dss.client import make_client
from dss_emulator import DSSEmulator

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PROJECTS = REPO_ROOT.parent / "shared" / "dss-projects"
REAL_PROJECT_KEYS = ("GIT_INTEGRATION_DEMO", "RAMENMEITEN")
REAL_DSS_ENV = "DATAIKU_IAC_REAL_DSS"
REQUIRE_SHARED_ENV = "DATAIKU_IAC_REQUIRE_SHARED"
REQUIRE_BROWSER_ENV = "DATAIKU_IAC_REQUIRE_BROWSER"
SAMPLE_KEY = "CUSTOMER_ANALYTICS"
# Managed folder ids of the session's emulators are reproducible for one order of the tests.
EMULATOR_RANDOM_SEED = 11


def switch_is_on(name: str) -> bool:
    """The one reading of the suite's on/off environment variables: unset, empty or ``0`` is off."""
    return os.environ.get(name, "").strip() not in ("", "0")


def skip_unless_required(reason: str, required_by: str, hint: str = "") -> NoReturn:
    """Skip the test for ``reason``; fail it instead when the variable ``required_by`` is on (CI: it must run)."""
    if switch_is_on(required_by):
        pytest.fail(f"{reason}, and {required_by} is set: these tests must run here")
    pytest.skip(f"{reason}{f' ({hint})' if hint else ''}")


def shared_projects_dir(path: Path = SHARED_PROJECTS) -> Path:
    """The shared real DSS project trees at ``path``; skips when absent, or fails when
    ``DATAIKU_IAC_REQUIRE_SHARED`` is on."""
    if path.is_dir():
        return path
    skip_unless_required(f"the shared real DSS projects are not at {path}", REQUIRE_SHARED_ENV)


def real_dss_requested() -> bool:
    """True when the suite must run against the real DSS named by ``DKU_DSS_URL``/``DKU_API_KEY``."""
    return switch_is_on(REAL_DSS_ENV)


@dataclass
class DSSTarget:
    """Where the tests send requests: ``emulator`` is None for a real DSS."""

    url: str
    api_key: str
    emulator: Optional[DSSEmulator] = None

    @property
    def is_real(self) -> bool:
        """True against a real DSS instance."""
        return self.emulator is None

    def client(self, api_key: Optional[str] = None, **settings: Any) -> Any:
        """A hardened dataikuapi client (short timeouts suit tests)."""
        settings.setdefault("timeout", 20.0)
        return make_client(self.url, api_key or self.api_key, **settings)

    def require_emulator(self) -> DSSEmulator:
        """The emulator, or skip the test against a real DSS (faults and seeds are emulator features)."""
        if self.emulator is None:
            pytest.skip("needs the DSS emulator (fault injection, seeded projects)")
        return self.emulator


class EmulatorPool:
    """The session's emulators, one per kind of seed, each started on first use and stopped at the end."""

    def __init__(self) -> None:
        self._running: Dict[str, DSSEmulator] = {}
        self._seeds: Dict[str, Tuple[list, list]] = {}

    def get(self, kind: str) -> DSSEmulator:
        """The running emulator of ``kind`` (``samples``, ``samples+shared``, ``shared`` or ``bare``), as left
        by the last test."""
        if kind not in self._running:
            dss = self._start(kind)
            self._running[kind] = dss
            self._seeds[kind] = (list(dss.control.seed_dirs), list(dss.control.synthetic_specs))
        return self._running[kind]

    def reset(self, kind: str) -> DSSEmulator:
        """The emulator of ``kind``, back to the seeds it started with."""
        dss = self.get(kind)
        # load_seed and add_synthetic_project make the emulator reload a seed on every reset: what one test
        # added must not be in the next test's emulator.
        seed_dirs, synthetic_specs = self._seeds[kind]
        dss.control.seed_dirs[:] = seed_dirs
        dss.control.synthetic_specs[:] = synthetic_specs
        dss.reset()
        return dss

    @staticmethod
    def _start(kind: str) -> DSSEmulator:
        if kind == "samples+shared":
            seeds = [SHARED_PROJECTS] if SHARED_PROJECTS.is_dir() else []
            return DSSEmulator(seeds, samples=True, random_seed=EMULATOR_RANDOM_SEED).start()
        if kind == "shared":
            return DSSEmulator([shared_projects_dir()], random_seed=EMULATOR_RANDOM_SEED).start()
        if kind in ("samples", "bare"):
            return DSSEmulator(samples=kind == "samples", random_seed=EMULATOR_RANDOM_SEED).start()
        raise ValueError(f"unknown emulator kind {kind!r}")

    def stop_all(self) -> None:
        """Stop every emulator started (at the end of the session)."""
        for dss in self._running.values():
            dss.stop()
        self._running.clear()


@pytest.fixture(scope="session")
def emulator_pool() -> Iterator[EmulatorPool]:
    """The session's emulators (see the module docstring); tests ask for one of the fixtures below."""
    pool = EmulatorPool()
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def emulator_session(emulator_pool: EmulatorPool) -> DSSEmulator:
    """The emulator with the sample project and, when present, the shared real projects; not reset."""
    return emulator_pool.get("samples+shared")


@pytest.fixture
def emulator(emulator_pool: EmulatorPool) -> DSSEmulator:
    """:func:`emulator_session`, reset to its seeds."""
    return emulator_pool.reset("samples+shared")


@pytest.fixture
def sample_emulator(emulator_pool: EmulatorPool) -> DSSEmulator:
    """An emulator holding the sample project only, reset."""
    return emulator_pool.reset("samples")


@pytest.fixture
def real_projects_emulator(emulator_pool: EmulatorPool) -> DSSEmulator:
    """An emulator holding the shared real projects only, reset (skips or fails when they are absent)."""
    return emulator_pool.reset("shared")


@pytest.fixture
def bare_emulator(emulator_pool: EmulatorPool) -> DSSEmulator:
    """An emulator with no project, reset (what a test loads with ``load_project`` is gone at the next reset)."""
    return emulator_pool.reset("bare")


@pytest.fixture
def shared_projects() -> Path:
    """Path of ../shared/dss-projects (see :func:`shared_projects_dir`)."""
    return shared_projects_dir()


def point_environment_at(dss: DSSEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """``DKU_DSS_URL`` and ``DKU_API_KEY`` name ``dss`` (what the CLI and the ``dataiku`` stub read)."""
    monkeypatch.setenv("DKU_DSS_URL", dss.url)
    monkeypatch.setenv("DKU_API_KEY", dss.api_key)


@pytest.fixture
def dss_target(request: pytest.FixtureRequest) -> DSSTarget:
    """The emulator, or the real DSS when ``DATAIKU_IAC_REAL_DSS=1`` (see the module docstring)."""
    if real_dss_requested():
        url, key = os.environ.get("DKU_DSS_URL", ""), os.environ.get("DKU_API_KEY", "")
        if not url or not key:
            pytest.fail(f"{REAL_DSS_ENV} is set: DKU_DSS_URL and DKU_API_KEY must name the DSS to test against")
        return DSSTarget(url, key)
    dss = request.getfixturevalue("emulator")
    return DSSTarget(dss.url, dss.api_key, dss)


PYTHON_CODE = (
    "import dataiku\n\n"
    "orders = dataiku.Dataset('orders').get_dataframe()\n"
    "orders['amount_eur'] = orders['amount'] * 0.92\n"
    "dataiku.Dataset('orders_enriched').write_with_schema(orders)\n"
)
SCHEMA = [{"name": "id", "type": "bigint"}, {"name": "amount", "type": "double"}, {"name": "country", "type": "string"}]
CSV_FORMAT = {"style": "excel", "charset": "utf8", "separator": ",", "quoteChar": "\"", "escapeChar": "\\",
              "parseHeaderRow": True, "compress": ""}


def _filesystem_dataset(project: Any, name: str) -> None:
    dataset = project.create_dataset(name, "Filesystem",
                                     params={"connection": "filesystem_managed", "path": "${projectKey}/" + name},
                                     formatType="csv", formatParams=dict(CSV_FORMAT))
    dataset.set_schema({"columns": [dict(c) for c in SCHEMA], "userModified": True})


def build_scratch_project(client: Any, key: str) -> None:
    """A small project made through the public API, as a user would: two source datasets, a python recipe
    writing a third, a step-based scenario with a temporal trigger, project variables."""
    owner = client.get_auth_info().get("authIdentifier") or "admin"
    project = client.create_project(key, f"dataiku-iac scratch {key}", owner,
                                    description="Scratch project of the dataiku-iac integration tests")
    _filesystem_dataset(project, "orders")
    _filesystem_dataset(project, "customers")
    _filesystem_dataset(project, "orders_enriched")
    builder = project.new_recipe("python", "compute_orders_enriched")
    builder.with_input("orders")
    builder.with_output("orders_enriched")
    builder.with_script(PYTHON_CODE)
    builder.create()
    project.create_scenario("Nightly build", "step_based", definition={
        "active": True,
        "triggers": [{"id": "nightly0", "type": "temporal", "name": "Nightly", "active": True, "delay": 5,
                      "params": {"frequency": "Daily", "hour": 2, "minute": 0, "daysOfWeek": ["Monday"]}}],
        "reporters": [],
        "params": {"steps": [{"id": "build_0", "type": "build_flowitem", "name": "Build",
                              "params": {"builds": [{"type": "DATASET", "itemId": "orders_enriched",
                                                     "partitionsSpec": ""}],
                                         "jobType": "RECURSIVE_BUILD"}}]},
    })
    project.set_variables({"standard": {"env": "test", "lookback_days": 30}, "local": {}})


@pytest.fixture
def scratch_project(dss_target: DSSTarget) -> Iterator[str]:
    """The key of a fresh scratch project (see :func:`build_scratch_project`), deleted afterwards."""
    key = f"DKUIAC_TEST_{secrets.token_hex(4).upper()}"
    client = dss_target.client()
    try:
        build_scratch_project(client, key)
        yield key
    finally:
        if key in client.list_project_keys():
            client.get_project(key).delete(clear_managed_datasets=True)


# -- the command line in a child process --------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
_CLI = "import sys; from dataiku_iac.cli.main import main; sys.exit(main(sys.argv[1:]))"


def child_environment() -> Dict[str, str]:
    """This process's environment, with the library importable from any working directory."""
    env = dict(os.environ)
    paths = [str(REPO / "python-lib"), str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths)
    return env


def start_cli(*args: str, **popen: Any) -> subprocess.Popen[str]:
    """``dataiku-iac ARGS...`` in a child process (unbuffered text output; ``env`` defaults to
    :func:`child_environment`), for tests that kill it or race it."""
    popen.setdefault("env", child_environment())
    return subprocess.Popen([sys.executable, "-u", "-c", _CLI, *args], text=True, **popen)
