"""ManagedFolderBackend against the DSS emulator: the backend contract, plus what only a folder has
(read-back verification, a lock record with an expiry, paths with spaces and doubled slashes, API errors)."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest

from dataiku_iac.backends.managed_folder import (
    LockExpiredError,
    ManagedFolderBackend,
    normalize_path,
    unreadable_lock_id,
)
from dataiku_iac.dss.client import harden_client
from dataiku_iac.exceptions import (
    ConfigError,
    DSSError,
    StateError,
    StateLockedError,
    StateNotFoundError,
    StateWriteError,
)
from dataiku_iac.timeutil import format_timestamp, utc_now
from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .contract import BackendContract, make_state

_names = itertools.count()


@pytest.fixture
def emulator(sample_emulator: DSSEmulator) -> DSSEmulator:
    """The session's emulator with the sample project, reset (tests/dss_support.py)."""
    return sample_emulator


@pytest.fixture
def client(emulator):
    return emulator.client()


@pytest.fixture
def folder(client):
    """A new, empty managed folder in the sample project."""
    return client.get_project(SAMPLE_PROJECT_KEY).create_managed_folder(f"iac_state_{next(_names)}")


def files_of(folder) -> list:
    return [item["path"] for item in folder.list_contents()["items"]]


def backend_of(folder, environment="dev", **options) -> ManagedFolderBackend:
    options.setdefault("lock_settle", 0.0)
    return ManagedFolderBackend(folder, environment, **options)


class TestManagedFolderContract(BackendContract):
    def corrupt_current(self, backend, data):
        backend.folder.put_file(backend.state_path, data)

    def stored_current(self, backend):
        return backend.folder.get_file(backend.state_path).content

    def stored_snapshots(self, backend):
        start = f"/history/{backend.environment}/"
        return {item["path"][len(start): -len(".json")]: backend.folder.get_file(item["path"]).content
                for item in backend.folder.list_contents()["items"] if item["path"].startswith(start)}

    @pytest.fixture
    def make_backend(self, client, folder):
        project = client.get_project(SAMPLE_PROJECT_KEY)

        def make(history_limit=20, lock_timeout=5.0, report_limit=50, fresh=False):
            if fresh:
                return backend_of(project.create_managed_folder(f"iac_fresh_{next(_names)}"))
            return backend_of(
                folder, history_limit=history_limit, lock_timeout=lock_timeout, report_limit=report_limit
            )

        return make


# -- layout --------------------------------------------------------------------------------------------


def test_folder_layout(folder):
    backend = backend_of(folder, "prod")
    state = make_state("a")
    backend.save(state)
    state = backend.load()
    state.add_resource(make_state("b").resources["dataset.P.b"])
    backend.save(state)
    report = backend.save_report({"summary": {"modified": 1}})
    assert files_of(folder) == [
        "/history/prod/serial-00000001.json",
        f"/history/prod/serial-{state.serial:08d}.json",
        f"/reports/prod/{report}.json",
        "/states/prod.state.json",
    ]
    assert backend.location == f"managed folder {SAMPLE_PROJECT_KEY}.{folder.id}:/states/prod.state.json"
    assert "/history/prod/serial-00000001.json" in backend.history()[0].location


def test_environments_share_a_folder_without_mixing(folder):
    dev, prod = backend_of(folder, "dev"), backend_of(folder, "prod")
    dev.save(make_state("a", environment="dev"))
    prod.save(make_state("x", "y", environment="prod"))
    assert sorted(dev.load().resources) == ["dataset.P.a"]
    assert sorted(prod.load().resources) == ["dataset.P.x", "dataset.P.y"]
    assert [e.serial for e in dev.history()] == [1]
    # "dev" is a prefix of "dev2": its history must not show up under dev.
    dev2 = backend_of(folder, "dev2")
    dev2.save(make_state("z", environment="dev2"))
    assert [e.serial for e in dev.history()] == [1]


def test_from_client_and_check_folder(client, folder):
    backend = ManagedFolderBackend.from_client(client, SAMPLE_PROJECT_KEY, folder.id, "dev", lock_settle=0.0)
    backend.check_folder()
    backend.save(make_state("a"))
    assert files_of(folder) == ["/history/dev/serial-00000001.json", "/states/dev.state.json"]


def test_invalid_environment_is_refused(folder):
    with pytest.raises(ConfigError, match="environment name"):
        ManagedFolderBackend(folder, "../etc")


# -- paths ------------------------------------------------------------------------------------------------


def test_path_normalisation():
    assert normalize_path("a/b") == "/a/b"
    assert normalize_path("//a//b") == "/a/b"


def test_listing_paths_without_leading_slash_are_understood(folder):
    backend = backend_of(folder)
    backend.save(make_state("a"))
    real_list = folder.list_contents

    def listing_as_some_dss_versions_answer():
        listing = real_list()
        return {"items": [dict(item, path=item["path"].lstrip("/")) for item in listing["items"]]}

    folder.list_contents = listing_as_some_dss_versions_answer
    assert [e.serial for e in backend.history()] == [1]


# -- read-back verification ---------------------------------------------------------------------------


class _AlteringFolder:
    """A folder handle whose uploads of one path are silently truncated (a storage that lies)."""

    def __init__(self, folder, damaged_suffix: str) -> None:
        self._folder = folder
        self._damaged_suffix = damaged_suffix
        self.project_key, self.odb_id, self.client = folder.project_key, folder.odb_id, folder.client

    def put_file(self, path, data):
        if path.endswith(self._damaged_suffix):
            data = data[: len(data) // 2]
        return self._folder.put_file(path, data)

    def __getattr__(self, name):
        return getattr(self._folder, name)


def test_write_is_read_back_and_a_damaged_current_state_is_reported(folder):
    backend_of(folder).save(make_state("a"))
    damaged = backend_of(_AlteringFolder(folder, "/states/dev.state.json"))
    state = damaged.load()
    state.add_resource(make_state("b").resources["dataset.P.b"])
    with pytest.raises(StateWriteError, match="not stored intact"):
        damaged.save(state)
    # The snapshot of the new serial was written (and verified) before the current file was replaced.
    assert [e.serial for e in backend_of(folder).history()] == [1, 2]


def test_a_damaged_snapshot_stops_the_save_before_the_current_state_is_touched(folder):
    backend_of(folder).save(make_state("a"))
    before = folder.get_file("/states/dev.state.json").content
    damaged = backend_of(_AlteringFolder(folder, "serial-00000002.json"))
    state = damaged.load()
    state.add_resource(make_state("b").resources["dataset.P.b"])
    with pytest.raises(StateWriteError, match=r"serial-00000002\.json"):
        damaged.save(state)
    assert folder.get_file("/states/dev.state.json").content == before


# -- locks --------------------------------------------------------------------------------------------


def test_lock_record_while_held_and_deleted_on_release(folder):
    backend = backend_of(folder, owner="alice@laptop", lock_ttl=60)
    with backend.lock("sync"):
        record = json.loads(folder.get_file("/locks/dev.lock").content)
        assert record["who"] == "alice@laptop" and record["operation"] == "sync"
        assert set(record) >= {"id", "who", "operation", "created", "expires"}
        assert record["expires"] > record["created"]
        assert backend.lock_info().to_dict() == record
    assert "/locks/dev.lock" not in files_of(folder)
    assert backend.lock_info() is None


def test_default_owner_names_the_dss_login(folder):
    backend = backend_of(folder)
    with backend.lock("sync"):
        assert backend.lock_info().who.startswith("admin@")


def test_fresh_foreign_lock_names_its_holder(folder):
    holder = backend_of(folder, owner="bob@ci")
    other = backend_of(folder, lock_timeout=0.3)
    with holder.lock("detect-drift"), pytest.raises(StateLockedError) as caught:
        other.save(make_state("a"))
    assert not isinstance(caught.value, LockExpiredError)
    assert "bob@ci" in str(caught.value) and "detect-drift" in str(caught.value)
    assert caught.value.info["id"] in str(caught.value)


def _plant_lock(folder, *, expired: bool, lock_id="dead-1") -> dict:
    created = utc_now() - timedelta(hours=3)
    expires = created + (timedelta(hours=1) if expired else timedelta(hours=10))
    record = {"id": lock_id, "owner": "ghost@old-host (pid 1)", "operation": "sync",
              "created": format_timestamp(created), "expires": format_timestamp(expires)}
    folder.put_file("/locks/dev.lock", json.dumps(record))
    return record


def test_expired_lock_is_reported_not_broken(folder):
    _plant_lock(folder, expired=True)
    backend = backend_of(folder, lock_timeout=5)
    with pytest.raises(LockExpiredError) as caught:  # immediately: waiting will not release it
        backend.save(make_state("a"))
    message = str(caught.value)
    assert "expired" in message and "ghost@old-host" in message and "force_unlock('dead-1')" in message
    assert isinstance(caught.value, StateLockedError)
    assert not backend.exists()
    assert backend.lock_info()["id"] == "dead-1"


def test_force_unlock_needs_the_right_id(folder):
    planted = _plant_lock(folder, expired=True)
    backend = backend_of(folder)
    with pytest.raises(StateError, match=r"not .*nothing was removed"):
        backend.force_unlock("other-id")
    broken = backend.force_unlock("dead-1")
    assert (broken.id, broken.who, broken.created, broken.expires) == (
        "dead-1", "ghost@old-host (pid 1)", planted["created"], planted["expires"])  # an earlier "owner" record
    with pytest.raises(StateError, match="nothing to unlock"):
        backend.force_unlock("dead-1")
    backend.save(make_state("a"))
    assert backend.load().serial == 1


def test_force_unlock_of_a_fresh_lock_is_allowed_and_logged(folder, caplog):
    _plant_lock(folder, expired=False, lock_id="live-1")
    with caplog.at_level("WARNING"):
        backend_of(folder).force_unlock("live-1")
    assert "before its expiry" in caplog.text


def test_unreadable_lock_gets_an_id_and_can_be_removed(folder):
    folder.put_file("/locks/dev.lock", b"{garbage")
    backend = backend_of(folder)
    lock_id = unreadable_lock_id(b"{garbage")
    with pytest.raises(StateLockedError, match=lock_id):
        backend.save(make_state("a"))
    backend.force_unlock(lock_id)
    backend.save(make_state("a"))


def test_waiting_writer_gets_the_lock_once_released(folder):
    holder = backend_of(folder)
    with holder.lock("sync"):
        pass
    waiter = backend_of(folder, lock_timeout=1.0)
    waiter.save(make_state("a"))
    assert waiter.load().serial == 1


def test_waiter_polls_until_the_holder_releases(folder, monkeypatch):
    """The holder releases once the waiter is seen polling (its first pause): no timer races the two."""
    import threading

    holder = backend_of(folder)
    held, release = threading.Event(), threading.Event()
    real_sleep = __import__("time").sleep
    polls = []

    def hold():
        with holder.lock("sync"):
            held.set()
            release.wait(30)

    def waiter_pauses(seconds):
        polls.append(seconds)
        release.set()  # the waiter found the lock held and waits for it: now let the holder go
        real_sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    monkeypatch.setattr("dataiku_iac.backends.folder_lock.time.sleep", waiter_pauses)
    waiter = backend_of(folder, lock_timeout=30.0)
    waiter.save(make_state("a"))  # blocked until the holder released, then proceeds
    thread.join(30)
    assert polls and waiter.load().serial == 1


def test_racing_writer_that_wrote_last_wins_the_lock(folder, monkeypatch):
    """No compare-and-set: after the settle time the record read back decides who holds the lock."""
    backend = backend_of(folder, lock_settle=0.01, lock_timeout=0.0)
    real_sleep = __import__("time").sleep

    def someone_writes_meanwhile(seconds):
        _plant_lock(folder, expired=False, lock_id="racer")
        real_sleep(seconds)

    monkeypatch.setattr("dataiku_iac.backends.folder_lock.time.sleep", someone_writes_meanwhile)
    with pytest.raises(StateLockedError, match="racer"):
        backend.save(make_state("a"))
    assert backend.lock_info()["id"] == "racer"  # their lock stays


def test_release_leaves_a_lock_that_replaced_ours(folder, caplog):
    backend = backend_of(folder)
    with caplog.at_level("WARNING"), backend.lock("sync"):
        mine = backend.lock_info()["id"]
        backend.force_unlock(mine)
        _plant_lock(folder, expired=False, lock_id="newcomer")
    assert backend.lock_info()["id"] == "newcomer"


def test_lock_settings_are_checked(folder):
    with pytest.raises(ValueError, match="lock_ttl"):
        backend_of(folder, lock_ttl=0)


# -- errors -------------------------------------------------------------------------------------------


def test_missing_folder_is_a_config_error(client):
    missing = client.get_project(SAMPLE_PROJECT_KEY).get_managed_folder("NoSuchId")
    backend = backend_of(missing)
    with pytest.raises(ConfigError, match="does not exist"):
        backend.check_folder()
    with pytest.raises(ConfigError, match="does not exist"):
        backend.load()


def test_read_only_key_cannot_write(emulator, folder):
    reader = emulator.client(emulator.create_api_key(login="auditor", read_only=True))
    read_only_folder = reader.get_project(SAMPLE_PROJECT_KEY).get_managed_folder(folder.id)
    backend = backend_of(read_only_folder)
    with pytest.raises(StateNotFoundError):
        backend.load()
    with pytest.raises(StateWriteError, match="not writable") as caught:
        backend.save(make_state("a"))
    assert reader._session.auth.username not in str(caught.value)


def test_unreachable_dss_is_a_dss_error_without_the_key():
    import dataikuapi

    client = dataikuapi.DSSClient("http://127.0.0.1:9", "secret-api-key-123456")
    backend = ManagedFolderBackend.from_client(client, "P", "F", "dev")
    with pytest.raises(DSSError, match="unreachable") as caught:
        backend.load()
    assert "secret-api-key-123456" not in str(caught.value)


def test_server_error_on_write_is_a_write_error(emulator, folder):
    backend = backend_of(folder)
    emulator.inject_fault("POST", r"/contents//history/", status=500, count=1)
    with pytest.raises(StateWriteError, match="Cannot write"):
        backend.save(make_state("a"))
    assert not backend.exists()
    backend.save(make_state("a"))  # nothing was left half done: the next save works


def test_server_error_on_read_is_asked_again_then_reported(emulator, folder):
    harden_client(folder.client, backoff=0.01)  # retries are the client's one policy
    backend = backend_of(folder)
    backend.save(make_state("a"))
    emulator.inject_fault("GET", r"/contents/", status=503, count=1)
    assert backend.load().serial == 1  # DSS unavailable for a moment: the read is idempotent, asked again
    emulator.inject_fault("GET", r"/contents/", status=500, count=1)
    with pytest.raises(DSSError, match="Cannot read"):  # a 500 is DSS's answer: reported, not asked again
        backend.load()


def test_upload_is_never_repeated(emulator, folder):
    backend = backend_of(folder)
    emulator.clear_request_counts()
    emulator.inject_fault("POST", r"/contents//history/", status=500, count=1)
    with pytest.raises(StateWriteError):
        backend.save(make_state("a"))
    posts = sum(n for route, n in emulator.request_counts().items() if route.startswith("POST"))
    assert posts == 2  # the lock record, then the one failed upload of the snapshot: no second attempt


def test_unknown_route_is_not_mistaken_for_a_missing_state(emulator, folder):
    backend = backend_of(folder)
    backend.save(make_state("a"))
    emulator.inject_fault("GET", r"/contents//states/", status=404, count=3, message="not found")
    with pytest.raises(DSSError):
        backend.load()


def test_force_unlock_leaves_a_lock_taken_between_its_check_and_its_removal(folder):
    """Issue 11: the holder released and someone else locked between force_unlock's check and its delete."""
    _plant_lock(folder, expired=True, lock_id="dead-1")
    reads = []

    class _LockTakenAfterFirstRead:
        def __init__(self, inner):
            self._inner = inner
            self.project_key, self.odb_id, self.client = inner.project_key, inner.odb_id, inner.client

        def get_file(self, path):
            response = self._inner.get_file(path)
            if path == "/locks/dev.lock":
                reads.append(path)
                if len(reads) == 1:
                    _plant_lock(folder, expired=False, lock_id="newcomer")
            return response

        def __getattr__(self, name):
            return getattr(self._inner, name)

    breaker = backend_of(_LockTakenAfterFirstRead(folder))
    with pytest.raises(StateError, match=r"not .*nothing was removed"):
        breaker.force_unlock("dead-1")
    assert backend_of(folder).lock_info().id == "newcomer"
