"""DSS access: hardened ``dataikuapi`` clients (one retry policy), credential masking, DSS error classification."""

from __future__ import annotations

from .client import (
    CREATE,
    IDEMPOTENT,
    RetryPolicy,
    client_from_env,
    ensure_pool,
    harden_client,
    make_client,
    request_kind,
)
from .credentials import client_secrets, safe_text, strip_userinfo
from .errors import is_auth_error, is_not_found, to_library_error

__all__ = [
    "CREATE",
    "IDEMPOTENT",
    "RetryPolicy",
    "client_from_env",
    "client_secrets",
    "ensure_pool",
    "harden_client",
    "is_auth_error",
    "is_not_found",
    "make_client",
    "request_kind",
    "safe_text",
    "strip_userinfo",
    "to_library_error",
]
