"""The state backend contract: one suite that every backend runs (as Terraform's statemgr.TestFull does).

A backend test module subclasses :class:`BackendContract` and provides a ``make_backend`` fixture: a
factory ``make_backend(**options)`` that returns a *new* backend instance on the *same* storage each time,
so two instances behave like two independent writers. Options: ``history_limit``, ``lock_timeout``,
``report_limit``, and ``fresh=True`` for an instance on new, empty storage.

The suite drives the public :class:`StateBackend` interface only. To damage or inspect what is stored it uses
two hooks each module implements through the storage itself (files, the folder API, the memory storage):
:meth:`BackendContract.corrupt_current` and :meth:`BackendContract.stored_snapshots`.
"""

from __future__ import annotations

import json
import uuid

import pytest

from dataiku_iac.backends.locks import LockInfo
from dataiku_iac.exceptions import (
    ConfigError,
    LineageMismatchError,
    StaleStateError,
    StateCorruptedError,
    StateError,
    StateFormatError,
    StateLockedError,
    StateNotFoundError,
)
from dataiku_iac.models.state import Resource, State


def make_state(*names: str, environment: str = "dev", value: object = 1) -> State:
    """A state with one dataset per name, each with attribute ``v = value``."""
    state = State(environment=environment)
    for name in names:
        state.add_resource(Resource("dataset", f"dataset.P.{name}", {"v": value, "params": {"path": name}}))
    return state


class BackendContract:
    """Behaviour every StateBackend must have."""

    def corrupt_current(self, backend, data: bytes) -> None:
        """Overwrite the stored current state with raw bytes, through the storage itself."""
        raise NotImplementedError

    def stored_snapshots(self, backend) -> dict:
        """Every snapshot kept in the history (``serial-*``, ``corrupt-*``, ``backup-*``...): name -> bytes."""
        raise NotImplementedError

    def stored_current(self, backend) -> bytes:
        """The bytes of the current state, through the storage itself."""
        raise NotImplementedError

    def kept(self, backend, prefix: str) -> dict:
        return {name: data for name, data in self.stored_snapshots(backend).items() if name.startswith(prefix)}

    def test_missing_state(self, make_backend):
        backend = make_backend()
        assert not backend.exists()
        with pytest.raises(StateNotFoundError, match="run a sync first"):
            backend.load()
        assert backend.history() == []

    def test_save_then_load_round_trip(self, make_backend):
        backend = make_backend()
        state = make_state("a", "b")
        backend.save(state)
        assert backend.exists()
        loaded = make_backend().load()
        assert loaded.to_dict() == state.to_dict()
        assert loaded.base_serial == loaded.serial == state.serial

    def test_first_save_assigns_lineage_and_keeps_a_given_one(self, make_backend):
        state = make_state("a")
        make_backend().save(state)
        assert uuid.UUID(state.lineage)
        given = make_state("a")
        given.lineage = "git:abc123"
        fresh = make_backend(fresh=True)
        fresh.save(given)
        assert fresh.load().lineage == "git:abc123"

    def test_identical_content_is_a_no_op(self, make_backend):
        backend = make_backend()
        state = make_state("a")
        backend.save(state)
        serial = state.serial
        again = make_state("a")  # a new sync of the same content: other sync time, no lineage
        backend.save(again)
        assert again.serial == serial and again.lineage == state.lineage
        assert [entry.serial for entry in backend.history()] == [serial]

    def test_changed_content_gets_a_higher_serial_and_history(self, make_backend):
        backend = make_backend()
        first = make_state("a")
        backend.save(first)
        second = backend.load()
        second.add_resource(Resource("dataset", "dataset.P.b", {"v": 2}))
        backend.save(second)
        assert second.serial > first.serial
        assert [entry.serial for entry in backend.history()] == [first.serial, second.serial]
        old = backend.load(serial=first.serial)
        assert sorted(old.resources) == ["dataset.P.a"]
        assert backend.load().serial == second.serial

    def test_serial_grows_even_when_in_memory_serial_is_lower(self, make_backend):
        backend = make_backend()
        big = make_state(*[f"d{i}" for i in range(5)])  # in-memory serial 5
        backend.save(big)
        small = make_state("only")  # in-memory serial 1, unbound: extends what is stored
        backend.save(small)
        assert small.serial == big.serial + 1

    def test_other_lineage_is_refused_unless_forced(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        foreign = make_state("b")
        foreign.lineage = "someone-else"
        with pytest.raises(LineageMismatchError, match="lineage"):
            backend.save(foreign)
        assert sorted(backend.load().resources) == ["dataset.P.a"]
        backend.save(foreign, force=True)
        assert backend.load().lineage == "someone-else"

    def test_stale_writer_is_refused_no_lost_update(self, make_backend):
        make_backend().save(make_state("a"))
        writer_a, writer_b = make_backend(), make_backend()
        state_a, state_b = writer_a.load(), writer_b.load()
        state_a.add_resource(Resource("dataset", "dataset.P.from_a", {}))
        writer_a.save(state_a)
        state_b.add_resource(Resource("dataset", "dataset.P.from_b", {}))
        with pytest.raises(StaleStateError) as caught:
            writer_b.save(state_b)
        assert caught.value.stored_serial == state_a.serial
        assert "dataset.P.from_a" in make_backend().load().resources
        writer_b.save(state_b, force=True)
        assert state_b.serial > state_a.serial

    def test_hand_built_state_with_old_serial_is_stale(self, make_backend):
        backend = make_backend()
        stored = make_state("a", "b", "c")
        backend.save(stored)
        old = make_state("x")
        old.lineage = stored.lineage
        with pytest.raises(StaleStateError):
            backend.save(old)

    def test_history_is_bounded(self, make_backend):
        backend = make_backend(history_limit=3)
        for value in range(5):
            state = backend.load() if backend.exists() else make_state("a")
            state.add_resource(Resource("dataset", "dataset.P.a", {"v": value}))
            backend.save(state)
        serials = [entry.serial for entry in backend.history()]
        assert len(serials) == 3
        assert serials[-1] == backend.load().serial
        with pytest.raises(StateNotFoundError, match="kept serials"):
            backend.load(serial=serials[0] - 1)

    def test_history_entries_describe_snapshots(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        (entry,) = backend.history()
        assert entry.size > 0 and entry.to_dict()["serial"] == entry.serial

    def test_invalid_state_writes_nothing(self, make_backend):
        backend = make_backend()
        good = make_state("a")
        backend.save(good)
        bad = backend.load()
        bad.add_resource(Resource("dataset", "dataset.P.b", {}))
        bad.environment = 42  # type: ignore[assignment]
        with pytest.raises(StateFormatError, match=r"state being saved is invalid.*\$\.environment") as caught:
            backend.save(bad)
        assert caught.value.field == "$.environment" and "restore" not in str(caught.value)
        assert backend.load().to_dict() == good.to_dict()
        assert len(backend.history()) == 1

    def test_corrupted_state_blocks_save_unless_forced_and_is_kept(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        self.corrupt_current(backend, b'{"version": 1, "serial": "oops"')
        with pytest.raises(StateCorruptedError) as caught:
            backend.load()
        assert backend.location in str(caught.value)
        with pytest.raises(StateCorruptedError):
            backend.save(make_state("b"))
        replacement = make_state("b")
        backend.save(replacement, force=True)
        assert sorted(backend.load().resources) == ["dataset.P.b"]
        assert list(self.kept(backend, "corrupt-").values()) == [b'{"version": 1, "serial": "oops"']

    def test_restore_makes_an_old_serial_current_as_a_new_serial(self, make_backend):
        backend = make_backend()
        first = make_state("a")
        backend.save(first)
        second = backend.load()
        second.add_resource(Resource("dataset", "dataset.P.b", {}))
        backend.save(second)
        restored = backend.restore(first.serial)
        current = backend.load()
        assert sorted(current.resources) == ["dataset.P.a"]
        assert current.serial == restored.serial > second.serial
        assert current.lineage == first.lineage

    @pytest.mark.parametrize("damage", ["garbage", "hand edit"])
    def test_restore_over_an_unusable_state_keeps_its_bytes(self, make_backend, damage):
        backend = make_backend()
        backend.save(make_state("a"))
        second = backend.load()
        second.add_resource(Resource("dataset", "dataset.P.b", {}))
        backend.save(second)
        snapshots = self.kept(backend, "serial-")
        assert sorted(snapshots) == ["serial-00000001", "serial-00000002"]
        if damage == "garbage":
            data = b"\x00garbage"
        else:  # an attribute changed, its checksum not: the file parses and its summary looks fine
            document = json.loads(self.stored_current(backend))
            document["resources"]["dataset.P.a"]["attributes"]["v"] = 99
            data = json.dumps(document).encode()
        self.corrupt_current(backend, data)
        restored = backend.restore(2)
        current = make_backend().load()
        assert current.serial == restored.serial == 3
        assert current.resources["dataset.P.a"].attributes["v"] == 1
        assert current.lineage == second.lineage
        assert list(self.kept(backend, "corrupt-").values()) == [data]
        assert {name: self.stored_snapshots(backend)[name] for name in snapshots} == snapshots

    def test_a_save_over_a_hand_edited_serial_keeps_both_versions(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        saved = self.stored_snapshots(backend)["serial-00000001"]
        edited = make_backend().load()
        edited.resources["dataset.P.a"].attributes["v"] = 2
        edited.resources["dataset.P.a"].refresh_checksum()
        document = json.loads(self.stored_current(backend))
        document["resources"]["dataset.P.a"] = edited.resources["dataset.P.a"].to_dict()
        edited_bytes = json.dumps(document).encode()
        self.corrupt_current(backend, edited_bytes)  # a valid hand edit: same serial, new content
        newer = make_backend().load()
        newer.add_resource(Resource("dataset", "dataset.P.b", {}))
        backend.save(newer)
        assert self.stored_snapshots(backend)["serial-00000001"] == saved
        assert list(self.kept(backend, "edited-").values()) == [edited_bytes]

    def test_delete_keeps_a_snapshot(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        backend.delete()
        assert not backend.exists()
        assert list(self.kept(backend, "deleted-").values()) == [self.stored_snapshots(backend)["serial-00000001"]]
        backend.delete()  # deleting nothing is fine

    def test_backup(self, make_backend):
        backend = make_backend()
        with pytest.raises(StateNotFoundError):
            backend.backup()
        backend.save(make_state("a"))
        location = backend.backup("before-upgrade")
        assert "before-upgrade" in str(location)
        assert self.stored_snapshots(backend)["backup-before-upgrade"] == self.stored_current(backend)
        with pytest.raises(ValueError, match="suffix"):
            backend.backup("../escape")

    def test_lock_is_reentrant_and_blocks_other_writers(self, make_backend):
        holder = make_backend()
        other = make_backend(lock_timeout=0.2)
        with holder.lock("sync"):
            with holder.lock("save"):
                holder.save(make_state("a"))
            with pytest.raises(StateLockedError) as caught:
                other.save(make_state("b"))
            assert caught.value.info.get("operation") == "sync"
            assert "unlock" in str(caught.value)
        other.save(make_state("b"))
        assert sorted(other.load().resources) == ["dataset.P.b"]

    def test_written_document_is_schema_valid_json(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        document = json.loads(self.stored_current(backend))
        assert document["version"] == 2 and document["environment"] == "dev"

    def test_reports_are_stored_listed_and_bounded(self, make_backend):
        backend = make_backend(report_limit=2)
        with pytest.raises(StateNotFoundError, match="drift check"):
            backend.load_report()
        names = [backend.save_report({"summary": {"modified": i}}) for i in range(3)]
        assert backend.list_reports() == names[1:]
        assert backend.load_report() == {"summary": {"modified": 2}}
        assert backend.load_report(names[1]) == {"summary": {"modified": 1}}
        with pytest.raises(StateNotFoundError):
            backend.load_report(names[0])
        with pytest.raises(StateNotFoundError, match="report names"):
            backend.load_report("../../etc/passwd")

    # -- one serial authority (issue 10 #1) -------------------------------------------------------------

    def test_many_in_memory_changes_do_not_hide_newer_saves(self, make_backend):
        """Loaded at serial 1, 6 add_resource calls (in-memory serial 7) while others saved up to serial 4:
        the save extends serial 1, so it is refused, whatever the in-memory counter says."""
        make_backend().save(make_state("a"))
        slow = make_backend().load()
        assert slow.serial == 1
        other = make_backend()
        for value in range(3):
            state = other.load()
            state.add_resource(Resource("dataset", "dataset.P.other", {"v": value}))
            other.save(state)
        assert other.load().serial == 4
        for index in range(6):
            slow.add_resource(Resource("dataset", f"dataset.P.slow{index}", {}))
        assert slow.serial == 7
        with pytest.raises(StaleStateError) as caught:
            make_backend().save(slow)
        assert (caught.value.loaded_serial, caught.value.stored_serial) == (1, 4)
        assert "dataset.P.other" in make_backend().load().resources

    def test_a_state_built_with_the_stored_lineage_extends_nothing(self, make_backend):
        backend = make_backend()
        stored = make_state("a")
        backend.save(stored)
        for _ in range(3):
            state = backend.load()
            state.add_resource(Resource("dataset", "dataset.P.x", {"v": state.serial}))
            backend.save(state)
        built = State(environment="dev", serial=1, lineage=stored.lineage)
        for index in range(6):
            built.add_resource(Resource("dataset", f"dataset.P.b{index}", {}))
        with pytest.raises(StaleStateError):
            backend.save(built)

    def test_the_backend_numbers_saves_not_the_in_memory_counter(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        state = backend.load()
        for index in range(6):
            state.add_resource(Resource("dataset", f"dataset.P.n{index}", {}))
        backend.save(state)
        assert state.serial == state.base_serial == 2
        assert [entry.serial for entry in backend.history()] == [1, 2]

    def test_expected_serial_makes_a_conditional_save(self, make_backend):
        backend = make_backend()
        first = make_state("a")
        backend.save(first, expected_serial=0)  # "only if nothing is stored"
        with pytest.raises(StaleStateError):
            backend.save(make_state("again"), expected_serial=0)
        reviewed = make_state("b")  # fresh, no base: only the expected serial says what it extends
        with pytest.raises(StaleStateError) as caught:
            backend.save(reviewed, expected_serial=7)
        assert (caught.value.loaded_serial, caught.value.stored_serial) == (7, 1)
        backend.save(reviewed, expected_serial=1)
        assert backend.load().serial == 2
        with backend.lock("accept"):  # under a caller's lock: the check and the write are one step
            backend.save(make_state("c"), expected_serial=2)
        assert sorted(backend.load().resources) == ["dataset.P.c"]

    def test_a_save_after_a_delete_never_reuses_a_kept_serial(self, make_backend):
        backend = make_backend()
        backend.save(make_state("a"))
        state = backend.load()
        state.add_resource(Resource("dataset", "dataset.P.b", {}))
        backend.save(state)
        backend.delete()
        again = make_state("c")
        backend.save(again)
        assert again.serial == 3
        assert sorted(backend.load(serial=1).resources) == ["dataset.P.a"]

    # -- locks -------------------------------------------------------------------------------------------

    def test_lock_record_has_one_shape(self, make_backend):
        backend = make_backend()
        assert backend.lock_info() is None
        with backend.lock("refresh") as held:
            assert isinstance(held, LockInfo)
            assert held.operation == "refresh" and "pid" in held.who and held.id and held.created
            assert make_backend().lock_info() == held
            assert held["id"] == held.id and held.to_dict()["who"] == held.who  # read as the dict records were
        assert backend.lock_info() is None

    def test_force_unlock_needs_the_id_of_the_recorded_lock(self, make_backend):
        holder, breaker = make_backend(), make_backend(lock_timeout=0.1)
        with pytest.raises(StateError, match="nothing to unlock"):
            breaker.force_unlock("any")
        with holder.lock("stuck apply") as held:
            with pytest.raises(StateError):
                breaker.force_unlock("wrong-" + held.id)
            assert breaker.lock_info() == held
            assert breaker.force_unlock(held.id) == held
            assert breaker.lock_info() is None
            breaker.save(make_state("b"))  # the broken lock no longer blocks
        assert sorted(make_backend().load().resources) == ["dataset.P.b"]

    # -- reports (issue 11 #5) ---------------------------------------------------------------------------

    def test_reports_have_kinds_with_their_own_quotas(self, make_backend):
        backend = make_backend(report_limit=3)
        accepted = backend.reports.save({"accepted": True}, kind="accepted")
        checks = [backend.reports.save({"check": i}, kind="check") for i in range(5)]
        report = backend.save_report({"plain": 1})
        assert accepted.startswith("accepted-") and report.startswith("report-")
        assert backend.reports.list("check") == checks[2:]
        assert backend.reports.list("accepted") == [accepted]  # 5 checks pruned checks only
        assert backend.list_reports() == [accepted, *checks[2:], report]  # all kinds, oldest first
        assert backend.load_report() == {"plain": 1}  # the newest of any kind
        assert backend.reports.load(accepted) == {"accepted": True}
        assert backend.reports.limit_of("accepted") > backend.reports.limit_of("check") == 3
        with pytest.raises(ConfigError, match="report kind"):
            backend.reports.save({}, kind="../x")
        assert accepted in backend.report_location(accepted)
