"""Plan tests: pure ones build configs in tmp_path and live states by hand; the round trip uses the emulator."""

from __future__ import annotations

from tests.config.conftest import write_config
from tests.dss_support import emulator, emulator_session

__all__ = ["emulator", "emulator_session", "write_config"]
