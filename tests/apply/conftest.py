"""Fixtures of the apply tests: a hardened client on the suite's emulator, and a scratch project per test."""

from __future__ import annotations

import secrets
from typing import Any, Iterator

import pytest

from dss_emulator import DSSEmulator


@pytest.fixture
def client(emulator: DSSEmulator) -> Any:
    """A hardened client on the emulator; a short backoff, so retries of idempotent requests do not slow tests."""
    from dataiku_iac.dss.client import make_client

    return make_client(emulator.url, emulator.api_key, timeout=10.0, backoff=0.01)


@pytest.fixture
def project_key(client: Any) -> Iterator[str]:
    """A new empty project, deleted after the test."""
    key = f"APPLY_{secrets.token_hex(3).upper()}"
    client.create_project(key, key, "admin")
    yield key
    if key in client.list_project_keys():
        client.get_project(key).delete()
