"""Make ``dataikuapi.DSSClient`` objects fit for unattended syncs: timeouts, one retry policy, a sized pool.

dataikuapi talks to DSS through one ``requests.Session`` (``client._session``) with no timeout (a stalled DSS
hangs forever), no retries and a pool of 10 connections. Everything here rests on that private attribute, so
the risk sits in this one module (pinned by ``dataiku-api-client==15.2.0`` and by the emulator tests):

- an :class:`HTTPAdapter` subclass mounted for ``http://`` and ``https://`` gives every request a default
  timeout (dataikuapi never passes one) and carries the retry policy;
- the retry policy (:class:`RetryPolicy`) is the only one in the library: nothing above the transport retries.
  It covers connection errors, timeouts and 429/502/503/504 answers, for idempotent requests only (never a
  POST, which may have created something), with exponential backoff, ``Retry-After`` honoured, and a bound on
  both the attempts and the time spent retrying. A DSS 500 is an answer (DSS reports real failures, and in
  some versions missing objects, as 500), and other 4xx are answers too: neither is asked again;
- a caller may say what a request is, whatever its HTTP verb: ``with request_kind(CREATE)`` sends it once
  (a POST or PUT that creates), ``with request_kind(IDEMPOTENT)`` lets it be retried (a POST that only reads);
- ``raise_on_status=False``: once retries are exhausted, the last answer goes back to dataikuapi, which raises
  its usual ``DataikuException`` rather than a ``requests`` ``RetryError``;
- the proxy and CA-bundle environment variables are resolved once for the DSS host instead of on every request
  (requests re-reads the whole environment per request, close to a millisecond of CPU each time).
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator, Mapping, Optional

from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.util.retry import Retry

from ..exceptions import ConfigError

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 5
DEFAULT_POOL_SIZE = 8
#: First wait between two attempts (seconds); it doubles at each retry, up to DEFAULT_MAX_WAIT.
DEFAULT_BACKOFF = 0.5
DEFAULT_MAX_WAIT = 4.0
#: No retry starts once this many seconds have passed since the first failure of a request.
DEFAULT_MAX_ELAPSED = 12.0
BACKOFF_FACTOR = DEFAULT_BACKOFF  # kept for callers that computed bounds from it
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# urllib3's default set: the idempotent verbs. POST is left out on purpose (a create may have happened).
IDEMPOTENT_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PUT", "TRACE"})

#: What a caller may declare a request to be (see :func:`request_kind`).
IDEMPOTENT = "idempotent"
CREATE = "create"
_REQUEST_KINDS = (IDEMPOTENT, CREATE)
_declared = threading.local()
#: The clock and the sleep of the retries (tests replace both to run retries without waiting).
_now = time.monotonic
_sleep = time.sleep
#: The HTTP status of the last answer this thread received, so errors can carry it (see _record_statuses).
_last_status = threading.local()

ENV_URL = "DKU_DSS_URL"
ENV_API_KEY = "DKU_API_KEY"
ENV_NO_CHECK_CERTIFICATE = "DKU_NO_CHECK_CERTIFICATE"


@contextmanager
def request_kind(kind: str) -> Iterator[None]:
    """Declare what the DSS requests made in this block (by this thread) are, whatever their HTTP verb.

    ``CREATE``: sent once, never retried (a create that reached DSS must not run twice; the caller reads back
    to learn whether it happened). ``IDEMPOTENT``: retried like a GET (a POST that only reads, a PUT of a whole
    definition). Outside any block, the verb decides: POST is never retried, the others are.
    """
    if kind not in _REQUEST_KINDS:
        raise ValueError(f"Unknown request kind {kind!r}: use {IDEMPOTENT!r} or {CREATE!r}")
    previous = getattr(_declared, "kind", None)
    _declared.kind = kind
    try:
        yield
    finally:
        _declared.kind = previous


def declared_kind() -> Optional[str]:
    """The kind declared by the innermost :func:`request_kind` block of this thread, if any."""
    return getattr(_declared, "kind", None)


@dataclass(frozen=True)
class RetryPolicy:
    """The one retry policy of DSS requests: how often, how long, and which answers are asked again.

    A request is sent at most ``retries + 1`` times. Between attempts it waits ``backoff``, then twice that,
    and so on, each wait capped at ``max_wait`` (a ``Retry-After`` answer is honoured, within the same cap).
    No new attempt starts once ``max_elapsed`` seconds have passed since the first failure, so a request lasts
    at most ``timeout`` (the first attempt) + ``max_elapsed`` + ``timeout`` (the last one).
    """

    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_wait: float = DEFAULT_MAX_WAIT
    max_elapsed: float = DEFAULT_MAX_ELAPSED

    def validate(self) -> None:
        """Raise :class:`ConfigError` for a policy that cannot run (negative counts or durations)."""
        if not isinstance(self.retries, int) or self.retries < 0:
            raise ConfigError(f"Invalid retry count {self.retries!r}: use 0 or more")
        for name in ("backoff", "max_wait", "max_elapsed"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                label = name.replace("_", " ")
                raise ConfigError(f"Invalid retry {label} {value!r}: use a number of seconds, 0 or more")

    def wait_before(self, retry_number: int) -> float:
        """The backoff before retry ``retry_number`` (1 for the first retry)."""
        return min(self.max_wait, self.backoff * (2 ** (retry_number - 1)))

    def worst_case_waits(self) -> float:
        """The most a request can spend waiting between attempts (not counting the attempts themselves)."""
        waits = sum(self.wait_before(n) for n in range(1, self.retries + 1))
        return min(waits, self.max_elapsed + self.max_wait)

    def to_urllib3(self) -> PolicyRetry:
        """The urllib3 ``Retry`` that applies this policy."""
        return PolicyRetry(
            total=self.retries,
            backoff_factor=self.backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=IDEMPOTENT_METHODS,
            respect_retry_after_header=True,
            raise_on_status=False,
            policy=self,
        )


class PolicyRetry(Retry):
    """urllib3's ``Retry`` bound to a :class:`RetryPolicy`: capped waits, a time budget, declared kinds.

    urllib3 copies the object at every attempt (``new``); the policy and the deadline (set at the first
    failure) travel with the copies.
    """

    def __init__(self, *args: Any, policy: RetryPolicy = RetryPolicy(), deadline: Optional[float] = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.deadline = deadline

    def new(self, **kwargs: Any) -> PolicyRetry:
        kwargs.setdefault("policy", self.policy)
        deadline = self.deadline if self.deadline is not None else _now() + self.policy.max_elapsed
        kwargs.setdefault("deadline", deadline)
        return super().new(**kwargs)

    def _is_method_retryable(self, method: str) -> bool:
        kind = declared_kind()
        if kind == CREATE:
            return False
        if kind == IDEMPOTENT:
            return True
        return super()._is_method_retryable(method)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # Only the policy's statuses: urllib3 would also retry a 413 that carries Retry-After.
        return self._is_method_retryable(method) and status_code in RETRY_STATUSES

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or (self.deadline is not None and _now() >= self.deadline)

    def _remaining(self) -> float:
        if self.deadline is None:
            return self.policy.max_elapsed
        return max(0.0, self.deadline - _now())

    def get_backoff_time(self) -> float:
        failures = len(self.history)
        if failures < 1:
            return 0.0
        return min(self.policy.wait_before(failures), self._remaining())

    def get_retry_after(self, response: Any) -> Optional[float]:
        seconds = super().get_retry_after(response)
        if seconds is None:
            return None
        return min(seconds, self.policy.max_wait, self._remaining())

    def sleep(self, response: Any = None) -> None:
        """Wait before the next attempt: the answer's ``Retry-After`` if any, else the backoff (both capped)."""
        wait = self.get_retry_after(response) if (self.respect_retry_after_header and response is not None) else None
        if not wait:
            wait = self.get_backoff_time()
        if wait > 0:
            _sleep(wait)


class HardenedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` with a default timeout, the retry policy and a pool of ``pool_size`` connections."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, policy: RetryPolicy = RetryPolicy(),
                 pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.timeout = timeout
        self.policy = policy
        self.pool_size = pool_size
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=policy.to_urllib3())

    @property
    def retries(self) -> int:
        """The policy's retry count (a request is sent at most ``retries + 1`` times)."""
        return self.policy.retries

    def send(self, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> Any:
        """Send with the default timeout when the caller (dataikuapi) gave none."""
        if timeout is None:
            timeout = self.timeout
        response = super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        _last_status.value = response.status_code
        return response


def _record_statuses(client: Any) -> None:
    """Make the errors of ``client`` carry the HTTP status DSS answered (``exc.http_status``).

    dataikuapi's ``DataikuException`` holds only ``"<errorType>: <message>"``, and DSS gives 401 (refused key)
    and 403 (missing right) the same errorType: the status tells them apart without reading the message's words.
    The request and the error happen in the calling thread, so a thread-local carries the status across.
    """
    original = getattr(client, "_perform_http", None)
    if original is None or getattr(original, "records_status", False):
        return

    def perform_http(*args: Any, **kwargs: Any) -> Any:
        _last_status.value = None
        try:
            return original(*args, **kwargs)
        except Exception as exc:
            status = getattr(_last_status, "value", None)
            if isinstance(status, int) and status >= 400 and getattr(exc, "http_status", None) is None:
                exc.http_status = status
            raise

    perform_http.records_status = True  # type: ignore[attr-defined]
    client._perform_http = perform_http


def make_retry(retries: int, backoff: float = DEFAULT_BACKOFF) -> Retry:
    """The urllib3 ``Retry`` of the default policy with ``retries`` retries (see :class:`RetryPolicy`)."""
    return RetryPolicy(retries=retries, backoff=backoff).to_urllib3()


def _policy(retries: int, backoff: Optional[float], max_wait: Optional[float],
            max_elapsed: Optional[float], base: Optional[RetryPolicy] = None) -> RetryPolicy:
    policy = replace(base or RetryPolicy(), retries=retries)
    for name, value in (("backoff", backoff), ("max_wait", max_wait), ("max_elapsed", max_elapsed)):
        if value is not None:
            policy = replace(policy, **{name: value})
    policy.validate()
    return policy


def _validate(timeout: float, pool_size: int) -> None:
    if not timeout or timeout <= 0:
        raise ConfigError(f"Invalid DSS timeout {timeout!r}: use a number of seconds above 0")
    if pool_size < 1:
        raise ConfigError(f"Invalid connection pool size {pool_size!r}: use 1 or more")


def harden_client(client: Any, *, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
                  pool_size: int = DEFAULT_POOL_SIZE, backoff: Optional[float] = None,
                  max_wait: Optional[float] = None, max_elapsed: Optional[float] = None) -> Any:
    """Give an existing ``DSSClient`` (e.g. ``dataiku.api_client()`` inside DSS) timeouts, retries and a pool.

    ``retries``, ``backoff``, ``max_wait`` and ``max_elapsed`` set the :class:`RetryPolicy` (None: the
    default). Mounts a :class:`HardenedAdapter` on ``client._session`` for http and https; returns the same
    client.
    """
    policy = _policy(retries, backoff, max_wait, max_elapsed)
    _validate(timeout, pool_size)
    _mount(client, HardenedAdapter(timeout=timeout, policy=policy, pool_size=pool_size))
    return client


def _mount(client: Any, adapter: HardenedAdapter) -> None:
    for prefix in ("http://", "https://"):
        client._session.mount(prefix, adapter)
    _pin_environment(client)
    _record_statuses(client)


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
    """The adapter :func:`harden_client` mounted on ``client`` (timeout, policy, pool size), or None."""
    session = getattr(client, "_session", None)
    adapter = session.adapters.get("http://") if session is not None else None
    return adapter if isinstance(adapter, HardenedAdapter) else None


def ensure_pool(client: Any, workers: int, *, backoff: Optional[float] = None) -> Any:
    """Make sure ``client`` is hardened and its pool holds ``workers`` connections (keeps its other settings).

    A plain ``DSSClient`` gets the defaults, so a manager never runs requests without a timeout. ``backoff``
    (seconds), when given, replaces the first wait of the client's retry policy (tests set it low).
    """
    current = client_settings(client)
    if current is None:
        policy = _policy(DEFAULT_RETRIES, backoff, None, None)
        _mount(client, HardenedAdapter(policy=policy, pool_size=max(workers, DEFAULT_POOL_SIZE)))
        return client
    policy = current.policy if backoff is None else _policy(current.policy.retries, backoff, None, None,
                                                            base=current.policy)
    if current.pool_size < workers or policy != current.policy:
        _mount(client, HardenedAdapter(timeout=current.timeout, policy=policy,
                                       pool_size=max(workers, current.pool_size)))
    return client


def make_client(host: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
                pool_size: int = DEFAULT_POOL_SIZE, verify_tls: bool = True, backoff: Optional[float] = None,
                max_wait: Optional[float] = None, max_elapsed: Optional[float] = None) -> Any:
    """A hardened ``dataikuapi.DSSClient`` for ``host`` (e.g. ``https://dss.example.com:11200``).

    User-info in the URL (``https://user:KEY@host``) is dropped: the API key authenticates, and the client's
    host then never carries a credential into a message. Raises :class:`ConfigError` for an empty key or a
    host that is not an http(s) URL (the message shows the URL without its user-info).
    """
    from dataikuapi import DSSClient

    from .credentials import strip_userinfo

    if not isinstance(host, str) or not host.strip().lower().startswith(("http://", "https://")):
        shown = strip_userinfo(host) if isinstance(host, str) else host
        raise ConfigError(f"Invalid DSS URL {shown!r}: expected http(s)://host[:port], e.g. http://localhost:11200")
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigError("Empty DSS API key: set DKU_API_KEY (or pass --api-key-file) to a personal API key")
    policy = _policy(retries, backoff, max_wait, max_elapsed)
    _validate(timeout, pool_size)
    client = DSSClient(strip_userinfo(host.strip()).rstrip("/"), api_key.strip(), no_check_certificate=not verify_tls)
    _mount(client, HardenedAdapter(timeout=timeout, policy=policy, pool_size=pool_size))
    return client


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
