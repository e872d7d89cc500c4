"""MemoryBackend: the backend contract on the in-memory fake (Terraform's NewFullFake), for other layers' tests."""

from __future__ import annotations

import threading

import pytest

from dataiku_iac.backends import MemoryBackend, MemoryStorage
from dataiku_iac.exceptions import StateLockedError

from .contract import BackendContract, make_state


class TestMemoryContract(BackendContract):
    def corrupt_current(self, backend, data):
        backend.storage.put(backend.layout.current, data)

    def stored_current(self, backend):
        return backend.storage.get(backend.layout.current)

    def stored_snapshots(self, backend):
        prefix = backend.layout.history
        return {info.key[len(prefix): -len(".json")]: backend.storage.get(info.key)
                for info in backend.storage.list(prefix)}

    @pytest.fixture
    def make_backend(self):
        storage = MemoryStorage()

        def make(history_limit=20, lock_timeout=5.0, report_limit=50, fresh=False):
            if fresh:
                return MemoryBackend()
            return MemoryBackend(storage, history_limit=history_limit, report_limit=report_limit,
                                 lock_timeout=lock_timeout)

        return make


def test_environments_of_one_storage_do_not_mix():
    storage = MemoryStorage()
    dev, prod = MemoryBackend(storage, "dev"), MemoryBackend(storage, "prod")
    dev.save(make_state("a"))
    assert not prod.exists()
    with dev.lock("sync"):
        prod.save(make_state("b", environment="prod"))  # another environment's lock
    assert sorted(prod.load().resources) == ["dataset.P.b"]


def test_a_waiter_saves_once_the_lock_is_released():
    storage = MemoryStorage()
    holder, waiter = MemoryBackend(storage), MemoryBackend(storage, lock_timeout=30.0)
    held, saved = threading.Event(), threading.Event()
    with holder.lock("sync"):
        thread = threading.Thread(target=lambda: (held.set(), waiter.save(make_state("a")), saved.set()))
        thread.start()
        held.wait(5)
        assert not saved.is_set()
    thread.join(10)
    assert saved.is_set() and waiter.load().serial == 1


def test_without_a_timeout_a_held_lock_is_refused_at_once():
    storage = MemoryStorage()
    with MemoryBackend(storage).lock("sync"), pytest.raises(StateLockedError, match="'sync'"):
        MemoryBackend(storage).save(make_state("a"))


def test_the_interface_has_no_silent_defaults():
    """lock() was a silent no-op by default, and restore/force_unlock/lock_info were duck-typed by the CLI."""
    from dataiku_iac.backends import StateBackend

    required = {"load", "save", "exists", "delete", "backup", "history", "restore", "lock", "lock_info",
                "force_unlock"}
    assert required <= StateBackend.__abstractmethods__
