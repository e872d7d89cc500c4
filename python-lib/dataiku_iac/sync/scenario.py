"""ScenarioSync: scenario definitions and python scenarios' scripts, read through their descriptor."""

from __future__ import annotations

from ..types import SCENARIO
from .base import ProjectObjectSync


class ScenarioSync(ProjectObjectSync):
    """Sync scenarios (see the descriptor for the calls and the identifier)."""

    descriptor = SCENARIO
