"""Fixtures for the DSS emulator tests: the session's sample emulator (tests/dss_support.py), reset before each
test."""

from __future__ import annotations

from pathlib import Path

import dataikuapi
import pytest

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator
from tests.dss_support import REPO_ROOT, shared_projects_dir

# The one skip-or-fail helper (tests/dss_support.py), under the name the emulator tests import.
require_shared_projects = shared_projects_dir

__all__ = ["REPO_ROOT", "require_shared_projects"]

NOT_FOUND = "com.dataiku.dip.server.controllers.NotFoundException"


@pytest.fixture
def dss(sample_emulator: DSSEmulator) -> DSSEmulator:
    """The session emulator, back to its seeded state (no faults, latency or counts)."""
    return sample_emulator


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
    """Path of ../shared/dss-projects (skips or fails when absent: tests/dss_support.py)."""
    return shared_projects_dir()
