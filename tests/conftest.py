"""Shared test configuration: hypothesis profiles, the shared real DSS projects, loopback-only guard."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
# The tests never read or create the user's redaction key: one throwaway key file per test session (inherited by
# the processes the tests start). Tests of the key's sources set their own.
if "DATAIKU_IAC_REDACTION_KEY_FILE" not in os.environ:
    _KEY_DIR = tempfile.mkdtemp(prefix="dataiku-iac-tests-")
    atexit.register(shutil.rmtree, _KEY_DIR, True)
    os.environ["DATAIKU_IAC_REDACTION_KEY_FILE"] = str(Path(_KEY_DIR) / "redaction.key")
SHARED_PROJECTS = REPO_ROOT.parent / "shared" / "dss-projects"
REAL_PROJECT_KEYS = ("GIT_INTEGRATION_DEMO", "RAMENMEITEN")

# CI runs derandomized so a red build is reproducible; locally hypothesis explores more.
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def shared_projects_dir() -> Path:
    """The shared real DSS project trees; skips (or fails in CI, where they must run) when absent."""
    if SHARED_PROJECTS.is_dir():
        return SHARED_PROJECTS
    reason = f"the shared real DSS projects are not at {SHARED_PROJECTS}"
    if os.environ.get("DATAIKU_IAC_REQUIRE_SHARED"):
        pytest.fail(f"{reason}, and DATAIKU_IAC_REQUIRE_SHARED is set: they must run here")
    pytest.skip(reason)


@pytest.fixture
def shared_projects() -> Path:
    """Path of ../shared/dss-projects (see :func:`shared_projects_dir`)."""
    return shared_projects_dir()
