"""DatasetSync (seed §7): datasets, read through their descriptor (:mod:`dataiku_iac.types.dataset`)."""

from __future__ import annotations

from ..types import DATASET
from .base import ProjectObjectSync


class DatasetSync(ProjectObjectSync):
    """Sync datasets (see the descriptor for the calls and the identifier)."""

    descriptor = DATASET
