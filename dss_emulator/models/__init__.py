"""Models: the emulated DSS state and its rules, usable without any HTTP (moto's ``models.py``)."""

from __future__ import annotations

from .auth import ApiKey
from .backend import DSSBackend

__all__ = ["ApiKey", "DSSBackend"]
