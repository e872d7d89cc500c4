"""The DSS access layer: hardened clients (timeouts, retries, pool) and the classification of DSS errors."""

from __future__ import annotations

import time
from typing import List

import dataikuapi
import pytest
import requests
from dataikuapi.utils import DataikuException

from dataiku_iac.dss.client import (
    DEFAULT_TIMEOUT,
    HardenedAdapter,
    client_from_env,
    client_settings,
    ensure_pool,
    make_client,
    make_retry,
)
from dataiku_iac.dss.errors import (
    call_with_retries,
    error_type,
    is_auth_error,
    is_not_found,
    is_retryable,
    to_library_error,
)
from dataiku_iac.exceptions import ConfigError, DSSError, ResourceNotFoundError, StateNotFoundError
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


def test_auth_errors_and_retryable_errors() -> None:
    assert is_auth_error(DataikuException(UNAUTHORIZED)) and is_auth_error(DataikuException(FORBIDDEN))
    assert not is_auth_error(DataikuException(NOT_FOUND)) and not is_auth_error(requests.ConnectionError())
    assert is_retryable(DataikuException("java.lang.RuntimeException: boom"))
    assert not is_retryable(DataikuException(NOT_FOUND)) and not is_retryable(DataikuException(UNAUTHORIZED))
    assert not is_retryable(requests.ConnectionError("refused"))


def test_to_library_error_messages_say_what_to_do() -> None:
    missing = to_library_error(DataikuException(NOT_FOUND), "reading dataset P.x")
    assert isinstance(missing, ResourceNotFoundError) and "reading dataset P.x" in str(missing)
    refused = to_library_error(DataikuException(UNAUTHORIZED), "listing projects")
    assert isinstance(refused, DSSError) and "DKU_API_KEY" in str(refused)
    forbidden = to_library_error(DataikuException(FORBIDDEN), "saving dataset P.x")
    assert isinstance(forbidden, DSSError) and "lacks the right" in str(forbidden)
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
    assert "http://dss.example:11200" in str(error) and "DKU_DSS_URL" in str(error)
    assert "secret-key-123" not in str(error) and "<api key>" in str(error)
    slow = to_library_error(requests.ReadTimeout("Read timed out.", request=request), "reading recipe P.r")
    assert "did not answer in time" in str(slow) and "timeout" in str(slow)
    wrapped = to_library_error(requests.ConnectionError("HTTPConnectionPool: Read timed out. (read timeout=1)"),
                               "reading recipe P.r")
    assert "did not answer in time" in str(wrapped) and "the configured DSS URL" in str(wrapped)


def test_call_with_retries() -> None:
    calls: List[int] = []
    sleeps: List[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise DataikuException("java.lang.RuntimeException: transient")
        return "ok"

    assert call_with_retries(flaky, attempts=3, backoff=0.1, sleep=sleeps.append) == "ok"
    assert len(calls) == 3 and len(sleeps) == 2 and 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2

    def missing() -> None:
        calls.append(1)
        raise DataikuException(NOT_FOUND)

    calls.clear()
    with pytest.raises(DataikuException):
        call_with_retries(missing, attempts=5, sleep=sleeps.append)
    assert len(calls) == 1  # not found is an answer, not a failure: never retried

    def broken() -> None:
        calls.append(1)
        raise DataikuException("java.lang.RuntimeException: down")

    calls.clear()
    with pytest.raises(DataikuException, match="down"):
        call_with_retries(broken, attempts=2, sleep=sleeps.append)
    assert len(calls) == 2


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


def test_503s_and_429_with_retry_after_are_retried(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=3)
    emulator.inject_fault("GET", SETTINGS_PATH, status=503, count=2)
    assert client.get_project("CUSTOMER_ANALYTICS").get_settings().get_raw()["name"] == "Customer analytics"
    emulator.inject_fault("GET", SETTINGS_PATH, status=429, count=1, retry_after=1)
    start = time.monotonic()
    client.get_project("CUSTOMER_ANALYTICS").get_settings()
    assert time.monotonic() - start >= 1.0  # Retry-After honoured
    assert emulator.request_counts()["GET /projects/<project_key>/settings"] == 5


def test_exhausted_retries_surface_as_the_dss_error(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=1)
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
    client = make_client(emulator.url, emulator.api_key, timeout=0.3, retries=1)
    emulator.inject_fault("GET", SETTINGS_PATH, status=None, delay=1.0, count=1)
    assert client.get_project("CUSTOMER_ANALYTICS").get_settings().get_raw()["name"]  # second try answers
    emulator.inject_fault("GET", SETTINGS_PATH, status=None, delay=1.0, count=2)
    start = time.monotonic()
    with pytest.raises(requests.ConnectionError) as caught:
        client.get_project("CUSTOMER_ANALYTICS").get_settings()
    assert time.monotonic() - start < 1.5
    assert "did not answer in time" in str(to_library_error(caught.value, "reading project"))


def test_dropped_connections_are_retried_for_reads(emulator: DSSEmulator) -> None:
    client = make_client(emulator.url, emulator.api_key, retries=2)
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
