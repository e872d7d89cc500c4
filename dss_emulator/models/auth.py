"""API keys and who is calling."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Optional

from ..exceptions import Forbidden, Unauthorized
from .common import JSONDict, synchronized

WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}


@dataclass(frozen=True)
class ApiKey:
    """A personal API key: its secret, the login it acts as, and whether it may write."""

    key: str
    login: str
    read_only: bool = False
    admin: bool = True

    def check_method(self, method: str) -> None:
        """Read-only keys may only read."""
        if self.read_only and method.upper() in WRITE_METHODS:
            raise Forbidden(f"Action forbidden: API key of {self.login} is read-only")


class AuthMixin:
    """API key operations of the backend."""

    lock: Any
    api_keys: dict[str, ApiKey]

    @synchronized
    def create_api_key(self, login: str = "admin", *, read_only: bool = False, admin: bool = True,
                       key: Optional[str] = None) -> ApiKey:
        """Register a key (a random secret unless ``key`` is given) and return it."""
        secret = key or secrets.token_urlsafe(24)
        api_key = ApiKey(secret, login, read_only=read_only, admin=admin and not read_only)
        self.api_keys[secret] = api_key
        return api_key

    @synchronized
    def authenticate(self, secret: Optional[str]) -> ApiKey:
        """The key for a secret, or 401."""
        if not secret:
            raise Unauthorized("No credentials provided: send an API key")
        try:
            return self.api_keys[secret]
        except KeyError:
            raise Unauthorized("Invalid API key") from None

    @staticmethod
    def auth_info(api_key: ApiKey) -> JSONDict:
        """``GET /auth/info``."""
        return {
            "authSource": "PERSONAL_API_KEY",
            "authIdentifier": api_key.login,
            "associatedDSSUser": api_key.login,
            "userForImpersonation": api_key.login,
            "groups": ["administrators"] if api_key.admin else ["readers"],
            "admin": api_key.admin,
        }
