"""Fixtures for tests that talk to DSS: the emulator by default, a real DSS instance on request.

Import the fixtures into a ``conftest.py`` (``from tests.dss_support import *``-style, by name).

Real DSS: set ``DKU_DSS_URL``, ``DKU_API_KEY`` (a key allowed to create and delete projects) and
``DATAIKU_IAC_REAL_DSS=1``. Tests that use :func:`dss_target` and :func:`scratch_project` then run against that
instance: each creates a scratch project ``DKUIAC_TEST_<random>`` through the public API, runs, and deletes it.
Tests that need the emulator (faults, latency, seeded projects) call ``target.require_emulator()`` and skip.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from dataiku_iac.dss.client import make_client
from dss_emulator import DSSEmulator

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PROJECTS = REPO_ROOT.parent / "shared" / "dss-projects"
REAL_DSS_ENV = "DATAIKU_IAC_REAL_DSS"
SAMPLE_KEY = "CUSTOMER_ANALYTICS"


def real_dss_requested() -> bool:
    """True when the suite must run against the real DSS named by ``DKU_DSS_URL``/``DKU_API_KEY``."""
    return os.environ.get(REAL_DSS_ENV, "") not in ("", "0")


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


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[DSSEmulator]:
    """One emulator for the session: the sample project, plus the shared real projects when present."""
    seeds = [SHARED_PROJECTS] if SHARED_PROJECTS.is_dir() else []
    with DSSEmulator(seeds, samples=True, random_seed=11) as dss:
        yield dss


@pytest.fixture
def emulator(emulator_session: DSSEmulator) -> DSSEmulator:
    """The session emulator, reset to its seeds (no faults, latency, counts or extra keys)."""
    emulator_session.reset()
    return emulator_session


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
