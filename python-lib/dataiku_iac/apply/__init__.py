"""Apply: writing a plan to DSS. :mod:`.writers` is the DSS write layer (one writer per type)."""

from __future__ import annotations

from .writers import CREATE_ATTEMPTS, ObjectWriter, create_checked, values_to_write, writer_for

__all__ = ["CREATE_ATTEMPTS", "ObjectWriter", "create_checked", "values_to_write", "writer_for"]
