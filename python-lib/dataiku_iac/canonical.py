"""Canonical JSON and hashing: one definition of "the same value" for the whole library.

The canonical form is ``json.dumps`` with sorted keys, no insignificant whitespace, UTF-8 and NaN refused.
It is type-strict: ``1``, ``1.0`` and ``true`` serialise differently, so they hash differently, which is what
drift detection needs (a flag flipping from ``1`` to ``true`` is a real change). orjson could replace the
stdlib here later behind the same functions; the reference measurements show the stdlib is fast enough.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .exceptions import StateFormatError


def _refuse_unknown(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def canonical_json(value: Any) -> str:
    """Return the canonical (compact, sorted, type-strict) JSON text of ``value``.

    Raises :class:`StateFormatError` for NaN/Infinity and for values that are not JSON.
    """
    try:
        return json.dumps(
            value,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_refuse_unknown,
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise StateFormatError(f"value cannot be stored as JSON: {exc}") from exc


def sha256_hex(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def pretty_json(value: Any) -> str:
    """Sorted, indented JSON with a final newline: the on-disk form, so equal states are equal bytes."""
    try:
        text = json.dumps(
            value,
            sort_keys=True,
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
            default=_refuse_unknown,
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise StateFormatError(f"value cannot be stored as JSON: {exc}") from exc
    return text + "\n"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str | bytes) -> Any:
    """Parse strict JSON (NaN and Infinity refused). Raises ``ValueError`` on invalid input."""
    return json.loads(text, parse_constant=_refuse_constant)
