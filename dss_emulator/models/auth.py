"""API keys and who is calling."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from ..exceptions import Forbidden, Unauthorized
from .common import JSONDict, synchronized

WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}
#: The cookie a browser session of the emulator carries (DSS's own cookie name is not emulated).
SESSION_COOKIE = "dss-emulator-session"


@dataclass(frozen=True)
class ApiKey:
    """A personal API key: its secret, the login it acts as, and whether it may write."""

    key: str
    login: str
    read_only: bool = False
    admin: bool = True
    groups: tuple = ()

    def check_method(self, method: str) -> None:
        """Read-only keys may only read."""
        if self.read_only and method.upper() in WRITE_METHODS:
            raise Forbidden(f"Action forbidden: API key of {self.login} is read-only")


class AuthMixin:
    """API key operations of the backend."""

    lock: Any
    api_keys: dict[str, ApiKey]
    browser_sessions: dict[str, ApiKey]

    @synchronized
    def create_api_key(self, login: str = "admin", *, read_only: bool = False, admin: bool = True,
                       key: Optional[str] = None, groups: Sequence[str] = ()) -> ApiKey:
        """Register a key (a random secret unless ``key`` is given) and return it."""
        secret = key or secrets.token_urlsafe(24)
        api_key = ApiKey(secret, login, read_only=read_only, admin=admin and not read_only, groups=tuple(groups))
        self.api_keys[secret] = api_key
        return api_key

    @synchronized
    def create_browser_session(self, login: str, *, groups: Sequence[str] = (), admin: bool = False) -> str:
        """A logged-in browser user: returns the ``Cookie`` header value their requests carry."""
        token = secrets.token_urlsafe(18)
        self.browser_sessions[token] = ApiKey(token, login, admin=admin, groups=tuple(groups))
        return f"{SESSION_COOKIE}={token}"

    @synchronized
    def auth_info_from_browser_headers(self, headers: Any) -> JSONDict:
        """``POST /auth/info-from-browser-headers``: the user whose session cookie the headers carry, or 401."""
        cookies = ""
        if isinstance(headers, dict):
            cookies = next((str(v) for k, v in headers.items() if str(k).lower() == "cookie"), "")
        for part in cookies.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value in self.browser_sessions:
                return self.auth_info(self.browser_sessions[value])
        raise Unauthorized("No DSS session in these browser headers: the user is not logged in")

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
            "groups": list(api_key.groups) or (["administrators"] if api_key.admin else ["readers"]),
            "admin": api_key.admin,
        }
