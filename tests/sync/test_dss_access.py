"""The DSS access layer: hardened clients (timeouts, retries, pool) and the classification of DSS errors."""

from __future__ import annotations

from typing import Any, List

import dataikuapi
import pytest
import requests
from dataikuapi.utils import DataikuException
from urllib3.exceptions import MaxRetryError, ReadTimeoutError

from dataiku_iac.dss import client as dss_client
from dataiku_iac.dss.client import (
    CREATE,
    DEFAULT_TIMEOUT,
    IDEMPOTENT,
    HardenedAdapter,
    RetryPolicy,
    client_from_env,
    client_settings,
    ensure_pool,
    harden_client,
    make_client,
    make_retry,
    request_kind,
)
from dataiku_iac.dss.credentials import client_secrets, safe_text, strip_userinfo
from dataiku_iac.dss.errors import error_type, is_auth_error, is_not_found, to_library_error
from dataiku_iac.exceptions import (
    ConfigError,
    DSSAuthError,
    DSSError,
    DSSPermissionError,
    DSSTimeoutError,
    DSSUnreachableError,
    ResourceNotFoundError,
    StateNotFoundError,
    SyncError,
)
from dataiku_iac.sync import SyncEngine
from dss_emulator import DSSEmulator

NOT_FOUND = "com.dataiku.dip.server.controllers.NotFoundException: dataset does not exist: P.x"
UNAUTHORIZED = "com.dataiku.dip.exceptions.UnauthorizedException: Invalid API key"
FORBIDDEN = "com.dataiku.dip.exceptions.UnauthorizedException: Action forbidden: API key of bob is read-only"


# -- error classification (pure) ---------------------------------------------------------------------------

def test_not_found_is_read_from_the_error_type_only() -> None:
    assert is_not_found(DataikuException(NOT_FOUND))
    assert is_not_found(ResourceNotFoundError("gone"))
    assert not is_not_found(DataikuException("dss_emulator.UnhandledRouteException: no route GET /x"))
    assert not is_not_found(DataikuException("java.lang.RuntimeException: dataset does not exist"))
    assert not is_not_found(KeyError("NotFoundException"))
    assert error_type(DataikuException(NOT_FOUND)) == "com.dataiku.dip.server.controllers.NotFoundException"
    assert error_type(DataikuException("no type here")) is None
    assert error_type(ValueError("x: y")) is None


def test_auth_errors() -> None:
    assert is_auth_error(DataikuException(UNAUTHORIZED)) and is_auth_error(DataikuException(FORBIDDEN))
    assert not is_auth_error(DataikuException(NOT_FOUND)) and not is_auth_error(requests.ConnectionError())
    # The type is read where DSS puts it (first), not found anywhere in the text.
    assert not is_not_found(DataikuException(f"java.lang.RuntimeException: wrapped {NOT_FOUND}"))


def test_to_library_error_messages_say_what_to_do() -> None:
    missing = to_library_error(DataikuException(NOT_FOUND), "reading dataset P.x")
    assert isinstance(missing, ResourceNotFoundError) and "reading dataset P.x" in str(missing)
    refused = to_library_error(DataikuException(UNAUTHORIZED), "listing projects")
    assert isinstance(refused, DSSAuthError) and "DKU_API_KEY" in str(refused)
    forbidden = to_library_error(DataikuException(FORBIDDEN), "saving dataset P.x")
    assert isinstance(forbidden, DSSPermissionError) and "lacks the right" in str(forbidden)
    server = to_library_error(DataikuException("java.lang.RuntimeException: boom"), "reading recipe P.r")
    assert isinstance(server, DSSError) and "boom" in str(server)
    odd = to_library_error(ValueError("bad"), "reading recipe P.r")
    assert isinstance(odd, DSSError) and "ValueError" in str(odd)
    library = StateNotFoundError("none")
    assert to_library_error(library, "x") is library


def test_transport_errors_name_the_host_and_never_the_key() -> None:
    request = requests.Request("GET", "http://dss.example:11200/dip/publicapi/projects/").prepare()
    refused = requests.ConnectionError("Connection refused by secret-key-123", request=request)
    error = to_library_error(refused, "listing projects", ["secret-key-123"])
    assert isinstance(error, DSSUnreachableError) and error.host == "http://dss.example:11200"
    assert "http://dss.example:11200" in str(error) and "DKU_DSS_URL" in str(error)
    assert "secret-key-123" not in str(error) and "***" in str(error)
    slow = to_library_error(requests.ReadTimeout("Read timed out.", request=request), "reading recipe P.r")
    assert isinstance(slow, DSSTimeoutError) and "did not answer in time" in str(slow) and "timeout" in str(slow)


def test_a_timeout_is_told_by_its_type_not_by_its_words() -> None:
    # What requests raises once urllib3's retries end on a read timeout: a ConnectionError around MaxRetryError.
    exhausted = MaxRetryError(None, "/x", ReadTimeoutError(None, "/x", "Read timed out. (read timeout=1)"))
    wrapped = to_library_error(requests.ConnectionError(exhausted), "reading recipe P.r")
    assert isinstance(wrapped, DSSTimeoutError) and "the configured DSS URL" in str(wrapped)
    worded = to_library_error(requests.ConnectionError("the peer said: timed out"), "reading recipe P.r")
    assert isinstance(worded, DSSUnreachableError) and not isinstance(worded, DSSTimeoutError)


def test_user_info_of_the_url_never_shows_in_a_message() -> None:
    request = requests.Request("GET", "http://svc:S3cretKey99@dss.example:11200/dip/publicapi/projects/").prepare()
    timeout = requests.ConnectTimeout(f"timed out connecting to {request.url}", request=request)
    message = str(to_library_error(timeout, "listing projects"))
    assert "S3cretKey99" not in message and "svc:" not in message and "http://dss.example:11200" in message


def test_a_secret_cut_by_shortening_is_masked_first() -> None:
    key = "K" * 40 + "-tail-of-the-key"
    text = "x" * 580 + key  # the key straddles the 600-character limit of a quoted DSS detail
    message = str(to_library_error(DataikuException(f"java.lang.RuntimeException: {text}"), "reading", [key]))
    assert "KKKK" not in message


# -- clients ------------------------------------------------------------------------------------------------

def test_make_client_hardens_the_session() -> None:
    client = make_client("http://127.0.0.1:1/", " key ", timeout=3.0, retries=2, pool_size=4)
    assert isinstance(client, dataikuapi.DSSClient)
    assert client.host == "http://127.0.0.1:1" and client.api_key == "key"
    adapter = client_settings(client)
    assert isinstance(adapter, HardenedAdapter) and client._session.get_adapter("https://x") is adapter
    assert (adapter.timeout, adapter.retries, adapter.pool_size) == (3.0, 2, 4)
    assert adapter._pool_maxsize == 4
    retry = adapter.max_retries
    assert retry.total == 2 and retry.backoff_factor == 0.5 and retry.raise_on_status is False
    assert set(retry.status_forcelist) == {429, 502, 503, 504} and "POST" not in retry.allowed_methods
    assert retry.respect_retry_after_header
    assert client._session.trust_env is False  # environment resolved once


def test_make_retry_is_idempotent_only() -> None:
    retry = make_retry(5)
    assert retry.is_retry("GET", 503) and retry.is_retry("PUT", 429)
    assert not retry.is_retry("POST", 503) and not retry.is_retry("GET", 500)
    # urllib3 alone would retry a 413 that carries Retry-After: a 4xx other than 429 is an answer.
    assert not retry.is_retry("GET", 413, has_retry_after=True) and not retry.is_retry("GET", 409)


@pytest.mark.parametrize("host, key", [("", "k"), ("dss.example.com", "k"), ("http://h", ""), ("http://h", "  ")])
def test_make_client_refuses_bad_settings(host: str, key: str) -> None:
    with pytest.raises(ConfigError):
        make_client(host, key)


@pytest.mark.parametrize("settings", [{"timeout": 0}, {"retries": -1}, {"pool_size": 0}])
def test_harden_client_refuses_bad_numbers(settings: dict) -> None:
    with pytest.raises(ConfigError):
        make_client("http://h", "k", **settings)


def test_client_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(ConfigError, match="DKU_DSS_URL and DKU_API_KEY"):
        client_from_env({})
    with pytest.raises(ConfigError, match="Missing DKU_API_KEY"):
        client_from_env({"DKU_DSS_URL": "http://h"})
    client = client_from_env({"DKU_DSS_URL": "https://h:11200", "DKU_API_KEY": "k", "DKU_NO_CHECK_CERTIFICATE": "1"},
                             timeout=5.0)
    assert client._session.verify is False and client_settings(client).timeout == 5.0
    assert client_from_env({"DKU_DSS_URL": "https://h", "DKU_API_KEY": "k"})._session.verify is True
    monkeypatch.setenv("DKU_DSS_URL", "http://from-env")
    monkeypatch.setenv("DKU_API_KEY", "k2")
    assert client_from_env().host == "http://from-env"


def test_environment_proxies_and_ca_bundle_are_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    client = make_client("https://dss.corp", "k")
    assert client._session.proxies.get("https") == "http://proxy.corp:3128"
    assert client._session.verify == "/etc/corp-ca.pem"
    insecure = make_client("https://dss.corp", "k", verify_tls=False)
    assert insecure._session.verify is False


def test_ensure_pool_hardens_plain_clients_and_grows_pools() -> None:
    plain = dataikuapi.DSSClient("http://h", "k")
    assert client_settings(plain) is None
    ensure_pool(plain, 4)
    assert client_settings(plain).pool_size == 8 and client_settings(plain).timeout == DEFAULT_TIMEOUT
    hardened = make_client("http://h", "k", timeout=2.0, retries=1, pool_size=2)
    ensure_pool(hardened, 16)
    settings = client_settings(hardened)
    assert (settings.pool_size, settings.timeout, settings.retries) == (16, 2.0, 1)
    same = client_settings(hardened)
    ensure_pool(hardened, 4)
    assert client_settings(hardened) is same


# -- against the emulator: retries, timeouts, dropped connections -------------------------------------------

SETTINGS_PATH = r"/projects/CUSTOMER_ANALYTICS/settings$"


class FakeTime:
    """The retries' clock and sleep: waits are recorded and advance the clock, nothing really sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: List[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(dss_client, "_now", lambda: fake.now)
    monkeypatch.setattr(dss_client, "_sleep", fake.sleep)
    return fake


def settings_requests(emulator: DSSEmulator) -> int:
    return emulator.request_counts().get("GET /projects/<project_key>/settings", 0)


def read_settings(client: Any) -> Any:
    return client.get_project("CUSTOMER_ANALYTICS").get_settings().get_raw()


def test_a_persistent_503_costs_at_most_6_requests_and_under_15_s_by_default(emulator: DSSEmulator,
                                                                              fake_time: FakeTime) -> None:
    client = make_client(emulator.url, emulator.api_key)  # the default policy
    emulator.inject_fault("GET", SETTINGS_PATH, status=503, count=100)
    with pytest.raises(DataikuException, match="InjectedFault"):
        read_settings(client)
    print(f"\npersistent 503 on a GET, default policy: {settings_requests(emulator)} requests, waits "
          f"{fake_time.waits} = {sum(fake_time.waits):.1f} s")
    assert settings_requests(emulator) == 6
    assert fake_time.waits == [0.5, 1.0, 2.0, 4.0, 4.0] and sum(fake_time.waits) < 15
    assert RetryPolicy().worst_case_waits() < 15


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500])
def test_answers_other_than_429_502_503_504_are_sent_once(emulator: DSSEmulator, fake_time: FakeTime,
                                                         status: int) -> None:
    client = make_client(emulator.url, emulator.api_key)
    emulator.inject_fault("GET", SETTINGS_PATH, status=status, count=10)
    with pytest.raises(DataikuException):
        read_settings(client)
    assert settings_requests(emulator) == 1 and fake_time.waits == []


def test_bursts_of_503_502_504_and_429_are_retried(emulator: DSSEmulator, fake_time: FakeTime) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=3)
    for status in (502, 503, 504, 429):
        emulator.inject_fault("GET", SETTINGS_PATH, status=status, count=2)
        assert read_settings(client)["name"] == "Customer analytics"
    assert settings_requests(emulator) == 12 and len(fake_time.waits) == 8


def test_retry_after_is_honoured_within_the_cap_of_one_wait(emulator: DSSEmulator, fake_time: FakeTime) -> None:
    client = make_client(emulator.url, emulator.api_key, max_wait=4.0)
    emulator.inject_fault("GET", SETTINGS_PATH, status=429, count=1, retry_after=2)
    read_settings(client)
    emulator.inject_fault("GET", SETTINGS_PATH, status=503, count=1, retry_after=600)
    read_settings(client)
    assert fake_time.waits == [2.0, 4.0]  # a Retry-After of 10 minutes does not hold a sync for 10 minutes
    assert settings_requests(emulator) == 4


def test_retrying_stops_once_the_time_budget_is_spent(emulator: DSSEmulator, fake_time: FakeTime) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=10, backoff=1.0, max_wait=100.0, max_elapsed=3.0)
    emulator.inject_fault("GET", SETTINGS_PATH, status=503, count=100)
    with pytest.raises(DataikuException, match="InjectedFault"):
        read_settings(client)
    assert fake_time.waits == [1.0, 2.0] and settings_requests(emulator) == 3  # not 11 requests


def test_a_caller_declares_a_create_or_an_idempotent_request(emulator: DSSEmulator, fake_time: FakeTime) -> None:
    client = make_client(emulator.url, emulator.api_key)
    emulator.inject_fault("GET", SETTINGS_PATH, status=503, count=1)
    with request_kind(CREATE), pytest.raises(DataikuException):
        read_settings(client)
    assert settings_requests(emulator) == 1
    emulator.inject_fault("POST", r"/projects/$", status=503, count=1)
    with request_kind(IDEMPOTENT):  # e.g. a POST that only reads: safe to send again
        client.create_project("RETRIED", "Retried", "admin")
    assert emulator.request_counts()["POST /projects/"] == 2 and "RETRIED" in client.list_project_keys()
    emulator.inject_fault("POST", r"/projects/$", status=503, count=1)
    with pytest.raises(DataikuException):  # undeclared, a POST is never sent twice
        client.create_project("ONCE", "Once", "admin")
    assert emulator.request_counts()["POST /projects/"] == 3
    with pytest.raises(ValueError, match="request kind"), request_kind("maybe"):
        pass


def test_retry_settings_are_validated() -> None:
    for settings in ({"retries": -1}, {"backoff": -0.1}, {"max_elapsed": -1}, {"max_wait": "x"}):
        with pytest.raises(ConfigError, match="Invalid retry"):
            make_client("http://h", "k", **settings)


def test_exhausted_retries_surface_as_the_dss_error(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=1, backoff=0.01)
    emulator.inject_fault("GET", SETTINGS_PATH, status=503, count=5)
    with pytest.raises(DataikuException, match="InjectedFault"):
        client.get_project("CUSTOMER_ANALYTICS").get_settings()


def test_posts_are_never_retried(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=3)
    emulator.inject_fault("POST", r"/projects/$", status=503, count=1)
    with pytest.raises(DataikuException):
        client.create_project("NEWP", "New", "admin")
    assert emulator.request_counts()["POST /projects/"] == 1


def test_every_request_has_a_timeout_and_timeouts_are_retried(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, timeout=0.3, retries=1, backoff=0.01)
    emulator.inject_fault("GET", SETTINGS_PATH, status=None, delay=1.0, count=1)
    assert client.get_project("CUSTOMER_ANALYTICS").get_settings().get_raw()["name"]  # second try answers
    emulator.inject_fault("GET", SETTINGS_PATH, status=None, delay=1.0, count=2)
    emulator.clear_request_counts()
    with pytest.raises(requests.ConnectionError) as caught:
        client.get_project("CUSTOMER_ANALYTICS").get_settings()
    assert settings_requests(emulator) == 2  # one retry, then the timeout is reported
    assert isinstance(to_library_error(caught.value, "reading project"), DSSTimeoutError)


def test_dropped_connections_are_retried_for_reads(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=2, backoff=0.01)
    emulator.inject_fault("GET", SETTINGS_PATH, drop_connection=True, count=1)
    assert client.get_project("CUSTOMER_ANALYTICS").get_settings().get_raw()["name"]


def test_unreachable_dss_is_an_actionable_error() -> None:
    client = make_client("http://127.0.0.1:9", "key-never-shown", timeout=1.0, retries=0)
    with pytest.raises(requests.ConnectionError) as caught:
        client.list_project_keys()
    message = str(to_library_error(caught.value, "listing projects", [client.api_key]))
    assert "Cannot reach DSS at http://127.0.0.1:9" in message and "key-never-shown" not in message


def test_401_and_403_from_the_emulator(emulator: DSSEmulator) -> None:
    with pytest.raises(DataikuException) as bad_key:
        make_client(emulator.url, "wrong-key").list_project_keys()
    error = to_library_error(bad_key.value, "listing projects", ["wrong-key"])
    assert isinstance(error, DSSError) and "DKU_API_KEY" in str(error) and "wrong-key" not in str(error)
    reader = emulator.create_api_key(login="auditor", read_only=True)
    reader_client = make_client(emulator.url, reader)
    assert "CUSTOMER_ANALYTICS" in reader_client.list_project_keys()  # reading is allowed
    with pytest.raises(DataikuException) as forbidden:
        reader_client.get_project("CUSTOMER_ANALYTICS").set_variables({"standard": {}, "local": {}})
    error = to_library_error(forbidden.value, "saving variables of CUSTOMER_ANALYTICS")
    assert isinstance(error, DSSError) and "lacks the right" in str(error)


# -- credentials: every one the client holds is masked ---------------------------------------------------------

def test_client_secrets_covers_api_keys_tickets_bearer_tokens_and_basic_auth() -> None:
    key = make_client("http://h", "key-abcdef-0123")
    ticket = dataikuapi.DSSClient("http://h", internal_ticket="tkt-0123456789abcdef")  # inside DSS
    bearer = dataikuapi.DSSClient("http://h", jwt_bearer_token="jwt-aaaa.bbbb.cccc")
    basic = dataikuapi.DSSClient("http://h", internal_ticket="t-1")
    basic._session.auth = ("svc-user", "basic-Pa55word")
    cases = [(key, ["key-abcdef-0123"]), (ticket, ["tkt-0123456789abcdef"]), (bearer, ["jwt-aaaa.bbbb.cccc"]),
             (basic, ["svc-user", "basic-Pa55word"])]
    for client, secrets in cases:
        found = client_secrets(client)
        text = safe_text(" and ".join(f"token {secret} refused" for secret in secrets), found)
        assert all(secret in found and secret not in text for secret in secrets), (found, text)
    folder_like = type("Folder", (), {"client": ticket})()
    assert "tkt-0123456789abcdef" in client_secrets(folder_like)


def test_a_sync_inside_dss_masks_the_internal_ticket(emulator: DSSEmulator) -> None:
    ticket = emulator.create_api_key(login="dss-internal")
    client = harden_client(dataikuapi.DSSClient(emulator.url, internal_ticket=ticket), retries=0)
    emulator.inject_fault("GET", r"/recipes/compute_customers_prepared$", status=500, count=1,
                          message=f"session of ticket {ticket} is broken")
    with pytest.raises(SyncError) as caught:
        SyncEngine(client).sync(["CUSTOMER_ANALYTICS"])
    assert ticket not in str(caught.value) and "session of ticket *** is broken" in str(caught.value)


@pytest.mark.parametrize("text, hidden", [
    ("GET http://user:S3cret-Key@dss:11200/x failed", "S3cret-Key"),
    ("GET https://tok3n-abcdef@dss/x failed", "tok3n-abcdef"),
    ("proxy socks5://u:pw-xyz@proxy:1080 refused", "pw-xyz"),
    ("?api_key=abcd1234&x=1", "abcd1234"),
])
def test_masking_strips_url_user_info_and_key_pairs(text: str, hidden: str) -> None:
    masked = safe_text(text)
    assert hidden not in masked and ("dss" in masked or "proxy" in masked or "x=1" in masked)
    assert strip_userinfo("http://user:pw@h:1/p") == "http://h:1/p"


def test_make_client_drops_the_user_info_of_its_url() -> None:
    client = make_client("http://svc:UrlKey-123@dss.example:11200/", "the-key")
    assert client.host == "http://dss.example:11200" and "UrlKey-123" not in str(client.host)
    with pytest.raises(ConfigError) as caught:
        make_client("ftp://svc:UrlKey-123@dss.example", "the-key")
    assert "UrlKey-123" not in str(caught.value)


def test_401_and_403_are_told_apart_by_the_status_not_the_words(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=0)
    emulator.inject_fault("GET", SETTINGS_PATH, status=403, count=1, message="nope")
    with pytest.raises(DataikuException) as forbidden:
        read_settings(client)
    assert forbidden.value.http_status == 403
    assert isinstance(to_library_error(forbidden.value, "reading"), DSSPermissionError)
    emulator.inject_fault("GET", SETTINGS_PATH, status=401, count=1, message="Access forbidden: expired key")
    with pytest.raises(DataikuException) as refused:
        read_settings(client)
    error = to_library_error(refused.value, "reading")
    assert isinstance(error, DSSAuthError) and not isinstance(error, DSSPermissionError)
    emulator.inject_fault("GET", SETTINGS_PATH, status=404, count=1)
    with pytest.raises(DataikuException) as other:
        read_settings(client)
    assert other.value.http_status == 404 and not is_auth_error(other.value)
