"""DSS fixtures for the integration tests (emulator by default; see tests/dss_support.py for a real DSS)."""

from __future__ import annotations

from tests.dss_support import dss_target, emulator, emulator_session, scratch_project

__all__ = ["dss_target", "emulator", "emulator_session", "scratch_project"]
