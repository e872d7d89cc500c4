"""Make ``dataikuapi.DSSClient`` objects fit for unattended syncs: timeouts, retries, a pool sized to the workers.

dataikuapi talks to DSS through one ``requests.Session`` (``client._session``) with no timeout (a stalled DSS
hangs forever), no retries and a pool of 10 connections. Everything here rests on that private attribute, so
the risk sits in this one module (pinned by ``dataiku-api-client==15.2.0`` and by the emulator tests):

- an :class:`HTTPAdapter` subclass mounted for ``http://`` and ``https://`` gives every request a default
  timeout (dataikuapi never passes one) and carries urllib3's :class:`Retry`;
- retries cover connection errors and 429/502/503/504 answers, for idempotent methods only (never a POST,
  which may have reached DSS), with exponential backoff and ``Retry-After`` honoured;
- ``raise_on_status=False``: once retries are exhausted, the last answer goes back to dataikuapi, which raises
  its usual ``DataikuException`` rather than a ``requests`` ``RetryError``;
- the proxy and CA-bundle environment variables are resolved once for the DSS host instead of on every request
  (requests re-reads the whole environment per request, close to a millisecond of CPU each time).
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.util.retry import Retry

from ..exceptions import ConfigError

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 5
DEFAULT_POOL_SIZE = 8
BACKOFF_FACTOR = 0.5
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# urllib3's default set: the idempotent verbs. POST is left out on purpose (a create may have happened).
IDEMPOTENT_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PUT", "TRACE"})

ENV_URL = "DKU_DSS_URL"
ENV_API_KEY = "DKU_API_KEY"
ENV_NO_CHECK_CERTIFICATE = "DKU_NO_CHECK_CERTIFICATE"


def make_retry(retries: int) -> Retry:
    """The retry policy of every DSS request (see the module docstring)."""
    return Retry(
        total=retries,
        backoff_factor=BACKOFF_FACTOR,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


class HardenedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` with a default timeout, the retry policy and a pool of ``pool_size`` connections."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
                 pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.timeout = timeout
        self.retries = retries
        self.pool_size = pool_size
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=make_retry(retries))

    def send(self, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> Any:
        """Send with the default timeout when the caller (dataikuapi) gave none."""
        if timeout is None:
            timeout = self.timeout
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def _validate(timeout: float, retries: int, pool_size: int) -> None:
    if not timeout or timeout <= 0:
        raise ConfigError(f"Invalid DSS timeout {timeout!r}: use a number of seconds above 0")
    if retries < 0:
        raise ConfigError(f"Invalid retry count {retries!r}: use 0 or more")
    if pool_size < 1:
        raise ConfigError(f"Invalid connection pool size {pool_size!r}: use 1 or more")


def harden_client(client: Any, *, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
                  pool_size: int = DEFAULT_POOL_SIZE) -> Any:
    """Give an existing ``DSSClient`` (e.g. ``dataiku.api_client()`` inside DSS) timeouts, retries and a pool.

    Mounts a :class:`HardenedAdapter` on ``client._session`` for http and https; returns the same client.
    """
    _validate(timeout, retries, pool_size)
    adapter = HardenedAdapter(timeout=timeout, retries=retries, pool_size=pool_size)
    for prefix in ("http://", "https://"):
        client._session.mount(prefix, adapter)
    _pin_environment(client)
    return client


def _pin_environment(client: Any) -> None:
    """Resolve what requests would read from the environment on each request (proxies for the DSS host, a CA
    bundle), store it on the session, and stop the per-request lookups. Every request goes to one host, so
    the result is the same; only a change of those variables while the process runs is no longer seen."""
    session = client._session
    if not session.trust_env:
        return
    host = getattr(client, "host", None)
    if isinstance(host, str) and host:
        for scheme, proxy in get_environ_proxies(host).items():
            session.proxies.setdefault(scheme, proxy)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    # Also stops ~/.netrc lookups: dataikuapi sets its own credentials on the session.
    session.trust_env = False


def client_settings(client: Any) -> Optional[HardenedAdapter]:
    """The adapter :func:`harden_client` mounted on ``client`` (its timeout, retries, pool size), or None."""
    session = getattr(client, "_session", None)
    adapter = session.adapters.get("http://") if session is not None else None
    return adapter if isinstance(adapter, HardenedAdapter) else None


def ensure_pool(client: Any, workers: int) -> Any:
    """Make sure ``client`` is hardened and its pool holds ``workers`` connections (keeps its other settings).

    A plain ``DSSClient`` gets the defaults, so a manager never runs requests without a timeout.
    """
    current = client_settings(client)
    if current is None:
        return harden_client(client, pool_size=max(workers, DEFAULT_POOL_SIZE))
    if current.pool_size < workers:
        return harden_client(client, timeout=current.timeout, retries=current.retries, pool_size=workers)
    return client


def make_client(host: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
                pool_size: int = DEFAULT_POOL_SIZE, verify_tls: bool = True) -> Any:
    """A hardened ``dataikuapi.DSSClient`` for ``host`` (e.g. ``https://dss.example.com:11200``).

    Raises :class:`ConfigError` for an empty key or a host that is not an http(s) URL.
    """
    from dataikuapi import DSSClient

    if not isinstance(host, str) or not host.strip().lower().startswith(("http://", "https://")):
        raise ConfigError(f"Invalid DSS URL {host!r}: expected http(s)://host[:port], e.g. http://localhost:11200")
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigError("Empty DSS API key: set DKU_API_KEY (or pass --api-key-file) to a personal API key")
    _validate(timeout, retries, pool_size)
    client = DSSClient(host.strip().rstrip("/"), api_key.strip(), no_check_certificate=not verify_tls)
    return harden_client(client, timeout=timeout, retries=retries, pool_size=pool_size)


def client_from_env(environ: Optional[Mapping[str, str]] = None, **settings: Any) -> Any:
    """A hardened client from ``DKU_DSS_URL`` and ``DKU_API_KEY`` (the variables DSS's own client reads).

    ``DKU_NO_CHECK_CERTIFICATE`` (any non-empty value but ``0``/``false``) turns TLS verification off, as it
    does for ``dataiku.api_client()``. ``settings`` go to :func:`make_client`. Raises :class:`ConfigError`
    naming the missing variable.
    """
    env = os.environ if environ is None else environ
    host = (env.get(ENV_URL) or "").strip()
    api_key = (env.get(ENV_API_KEY) or "").strip()
    missing = [name for name, value in ((ENV_URL, host), (ENV_API_KEY, api_key)) if not value]
    if missing:
        raise ConfigError(
            f"Missing {' and '.join(missing)}: set {ENV_URL} to the DSS URL (e.g. http://localhost:11200) and "
            f"{ENV_API_KEY} to a personal API key"
        )
    no_check = (env.get(ENV_NO_CHECK_CERTIFICATE) or "").strip().lower() not in ("", "0", "false", "no")
    settings.setdefault("verify_tls", not no_check)
    return make_client(host, api_key, **settings)
