"""RecipeSync (seed §8): recipe definitions with their payload, read through their descriptor."""

from __future__ import annotations

from ..types import RECIPE
from ..types.recipe import CODE_RECIPE_TYPES, payload_value
from .base import ProjectObjectSync

__all__ = ["CODE_RECIPE_TYPES", "RecipeSync", "payload_value"]


class RecipeSync(ProjectObjectSync):
    """Sync recipes: type, inputs and outputs of every role, params, and the payload (one GET each)."""

    descriptor = RECIPE
