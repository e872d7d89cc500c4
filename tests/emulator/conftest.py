"""Fixtures for the DSS emulator tests: one server per session, reset before each test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import dataikuapi
import pytest

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DSS_PROJECTS = REPO_ROOT.parent / "shared" / "dss-projects"
NOT_FOUND = "com.dataiku.dip.server.controllers.NotFoundException"


def require_shared_projects() -> Path:
    """The shared real project trees; skip when absent, but fail when CI says they must run."""
    if SHARED_DSS_PROJECTS.is_dir():
        return SHARED_DSS_PROJECTS
    reason = f"shared real DSS projects not found at {SHARED_DSS_PROJECTS}"
    if os.environ.get("DATAIKU_IAC_REQUIRE_SHARED", "") not in ("", "0"):
        pytest.fail(f"{reason}; DATAIKU_IAC_REQUIRE_SHARED is set, so these tests must run")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[DSSEmulator]:
    """One running emulator (sample project loaded) for the whole session."""
    with DSSEmulator(samples=True, random_seed=7) as dss:
        yield dss


@pytest.fixture
def dss(emulator_server: DSSEmulator) -> DSSEmulator:
    """The session emulator, back to its seeded state (no faults, latency or counts)."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def client(dss: DSSEmulator) -> dataikuapi.DSSClient:
    """A real dataikuapi client with the admin key."""
    return dataikuapi.DSSClient(dss.url, dss.api_key)


@pytest.fixture
def project(client: dataikuapi.DSSClient) -> dataikuapi.dss.project.DSSProject:
    """The shipped sample project."""
    return client.get_project(SAMPLE_PROJECT_KEY)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Path of ../shared/dss-projects (skips or fails when absent, see above)."""
    return require_shared_projects()
