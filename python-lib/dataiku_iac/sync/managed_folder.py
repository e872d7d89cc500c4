"""ManagedFolderSync: managed folder definitions, read through their descriptor (ids are DSS's random 8 characters)."""

from __future__ import annotations

from ..types import MANAGED_FOLDER
from .base import ProjectObjectSync


class ManagedFolderSync(ProjectObjectSync):
    """Sync managed folders (see the descriptor for the calls and the identifier)."""

    descriptor = MANAGED_FOLDER
