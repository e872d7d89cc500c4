"""DSS fixtures for the apply tests (the emulator over HTTP; see tests/dss_support.py)."""

from __future__ import annotations

from tests.dss_support import dss_target, emulator, emulator_session, scratch_project

__all__ = ["dss_target", "emulator", "emulator_session", "scratch_project"]
