"""Keeping credentials out of messages: what a client holds, and one way to mask it in any text.

Every message builder (DSS errors, the plugin's messages, the managed folder's errors, the sync's failure list)
goes through :func:`safe_text`: it masks every credential the client holds (an API key outside DSS, the
internal ticket ``dataiku.api_client()`` authenticates with inside DSS, a bearer token, basic-auth parts,
credential headers), removes the user-info of every URL (``https://user:KEY@host`` -> ``https://host``),
masks ``api_key=...``-style pairs, and only then shortens: a secret cut in half by the shortening would
otherwise leak its first characters.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional, Tuple

MASK = "***"
#: Shorter strings are not masked as secrets: they would mask ordinary words (no real credential is this short).
MIN_SECRET_LENGTH = 4
# Session headers that carry a credential (dataikuapi sets the first two inside DSS and for JWT clients).
_CREDENTIAL_HEADERS = frozenset({"x-dku-apiticket", "authorization", "cookie", "proxy-authorization",
                                 "x-dku-api-key"})
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#@'\"<>]*@")
# ``name=value`` pairs of query strings and connection strings, and ``apikey:VALUE`` (no space: not prose).
_KEY_PAIR = re.compile(r"(?P<head>\b(?:(?:api[_-]?key|apiticket|access[_-]?token|password|secret)=|api[_-]?key:))"
                       r"(?P<value>[^&\s,;'\"]+)", re.IGNORECASE)


def client_secrets(client: Any) -> Tuple[str, ...]:
    """Every credential a dataikuapi client (or an object with a ``client``, e.g. a managed folder) holds."""
    if client is not None and not hasattr(client, "_session") and hasattr(client, "client"):
        client = client.client
    found = [getattr(client, name, None) for name in ("api_key", "internal_ticket", "jwt_bearer_token")]
    session = getattr(client, "_session", None)
    auth = getattr(session, "auth", None)
    if isinstance(auth, (tuple, list)):
        found.extend(auth)
    else:
        found.extend((getattr(auth, "username", None), getattr(auth, "password", None)))
    headers = getattr(session, "headers", None) or {}
    for name, value in getattr(headers, "items", lambda: ())():
        if isinstance(name, str) and name.lower() in _CREDENTIAL_HEADERS and isinstance(value, str):
            found.append(value)
            found.append(value.split(" ", 1)[-1])  # "Bearer TOKEN": the token alone too
    return tuple(dict.fromkeys(s for s in found if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH))


def strip_userinfo(text: str) -> str:
    """``text`` with the user-info of every URL removed (``https://user:KEY@host/x`` -> ``https://host/x``)."""
    return _URL_USERINFO.sub(lambda match: match["scheme"], text) if "@" in text else text


def mask(text: str, secrets: Iterable[Optional[str]] = ()) -> str:
    """``text`` without the ``secrets``, URL user-info, or ``api_key=``-style values (all shown as ``***``)."""
    # Longest first: a secret that contains another must not be left half-masked.
    for secret in sorted({s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH},
                         key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = strip_userinfo(text)
    return _KEY_PAIR.sub(lambda match: match["head"] + MASK, text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (the last one an ellipsis) when longer."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def safe_text(text: str, secrets: Iterable[Optional[str]] = (), limit: Optional[int] = None, *,
              one_line: bool = True) -> str:
    """``text`` for a message: whitespace collapsed (``one_line``), masked (:func:`mask`), then shortened."""
    text = " ".join(str(text).split()) if one_line else str(text)
    masked = mask(text, secrets)
    return masked if limit is None else shorten(masked, limit)
