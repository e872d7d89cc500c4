"""DSS access: hardened ``dataikuapi`` clients and the classification of DSS errors."""

from __future__ import annotations

from .client import client_from_env, ensure_pool, harden_client, make_client
from .errors import call_with_retries, is_auth_error, is_not_found, to_library_error

__all__ = [
    "call_with_retries",
    "client_from_env",
    "ensure_pool",
    "harden_client",
    "is_auth_error",
    "is_not_found",
    "make_client",
    "to_library_error",
]
