"""Shared test configuration: the DSS fixtures (tests/dss_support.py), hypothesis profiles, a throwaway
redaction key."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import hypothesis_profiles

# The emulator fixtures (sample_emulator, emulator, real_projects_emulator, bare_emulator, dss_target, ...) and
# shared_projects, for every test directory.
pytest_plugins = ["tests.dss_support"]

# The tests never read or create the user's redaction key: one throwaway key file per test session (inherited by
# the processes the tests start). Tests of the key's sources set their own.
if "DATAIKU_IAC_REDACTION_KEY_FILE" not in os.environ:
    _KEY_DIR = tempfile.mkdtemp(prefix="dataiku-iac-tests-")
    atexit.register(shutil.rmtree, _KEY_DIR, True)
    os.environ["DATAIKU_IAC_REDACTION_KEY_FILE"] = str(Path(_KEY_DIR) / "redaction.key")

hypothesis_profiles.load_chosen_profile()
