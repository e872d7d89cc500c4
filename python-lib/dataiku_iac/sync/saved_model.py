"""SavedModelSync: saved model settings (not their trained versions), read through their descriptor."""

from __future__ import annotations

from ..types import SAVED_MODEL
from .base import ProjectObjectSync


class SavedModelSync(ProjectObjectSync):
    """Sync saved models (see the descriptor for the calls and the identifier)."""

    descriptor = SAVED_MODEL
