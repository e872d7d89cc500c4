"""State model: the seed's testing requirements, plus strict parsing and serial/lineage fields."""

from __future__ import annotations

import json
from datetime import timezone
from pathlib import Path

import pytest

from dataiku_iac.exceptions import StateFormatError
from dataiku_iac.models.state import Resource, ResourceMetadata, State

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _dataset(name: str, **attributes: object) -> Resource:
    return Resource("dataset", f"dataset.TEST.{name}", dict(attributes))


class TestState:
    def test_create_empty_state(self):
        state = State(environment="dev")
        assert (state.version, state.serial, state.lineage, state.environment) == (2, 0, None, "dev")
        assert state.resources == {}
        assert state.updated_at.tzinfo is not None

    def test_add_get_remove_resource(self):
        state = State()
        resource = _dataset("orders", type="Filesystem")
        state.add_resource(resource)
        assert state.get_resource("dataset.TEST.orders") is resource
        assert state.has_resource("dataset.TEST.orders")
        assert state.remove_resource("dataset.TEST.orders") is resource
        assert not state.has_resource("dataset.TEST.orders")
        assert state.get_resource("dataset.TEST.orders") is None

    def test_serial_increments_on_changes_only(self):
        state = State()
        state.add_resource(_dataset("a"))
        state.add_resource(_dataset("b"))
        assert state.serial == 2
        state.remove_resource("dataset.TEST.a")
        assert state.serial == 3
        assert state.remove_resource("dataset.TEST.missing") is None
        assert state.serial == 3

    def test_updated_at_moves_forward_on_change(self):
        state = State()
        before = state.updated_at
        state.add_resource(_dataset("a"))
        assert state.updated_at >= before

    def test_list_resources_filters_by_type_and_sorts(self):
        state = State()
        state.add_resource(_dataset("zeta"))
        state.add_resource(Resource("project", "project.TEST", {"name": "T"}))
        state.add_resource(_dataset("alpha"))
        assert [r.resource_id for r in state.list_resources("dataset")] == [
            "dataset.TEST.alpha",
            "dataset.TEST.zeta",
        ]
        assert state.list_resources()[0].resource_id == "dataset.TEST.alpha"
        assert state.list_resources("recipe") == []
        assert state.counts_by_type() == {"project": 1, "dataset": 2}

    def test_to_dict_from_dict_round_trip(self):
        original = State(environment="prod", serial=5, lineage="abc")
        original.add_resource(_dataset("x", params={"connection": "fs"}, n=[1, 2.0, True]))
        restored = State.from_dict(json.loads(json.dumps(original.to_dict())))
        assert restored == original
        assert restored.to_dict() == original.to_dict()
        assert restored.base_serial == original.serial

    def test_from_dict_reads_seed_fixture_with_z_and_offset_timestamps(self):
        state = State.from_dict(json.loads((FIXTURES / "sample_state.json").read_text()))
        resource = state.get_resource("project.TEST_PROJECT")
        assert resource.attributes["name"] == "Test Project"
        assert state.updated_at.tzinfo == timezone.utc
        assert resource.metadata.deployed_at.hour == 8  # 10:30+02:00 normalised to UTC

    @pytest.mark.parametrize(
        ("mutate", "field"),
        [
            (lambda d: d.pop("updated_at"), "state.updated_at"),
            (lambda d: d.update(serial="1"), "state.serial"),
            (lambda d: d.update(serial=True), "state.serial"),
            (lambda d: d.update(resources=[]), "state.resources"),
            (lambda d: d.update(updated_at="2025-01-15T10:30:00"), "state.updated_at"),
            (lambda d: d["resources"]["project.TEST_PROJECT"].pop("metadata"), "metadata"),
            (lambda d: d["resources"]["project.TEST_PROJECT"]["metadata"].pop("deployed_by"), "deployed_by"),
            (lambda d: d["resources"]["project.TEST_PROJECT"].update(attributes="x"), "attributes"),
            (lambda d: d["resources"]["project.TEST_PROJECT"].update(resource_id="project.OTHER"), "resources"),
            (lambda d: d["resources"]["project.TEST_PROJECT"].update(resource_id="bad id"), "resource_id"),
        ],
    )
    def test_from_dict_names_the_bad_field(self, mutate, field):
        data = json.loads((FIXTURES / "sample_state.json").read_text())
        mutate(data)
        with pytest.raises(StateFormatError) as caught:
            State.from_dict(data)
        assert field in caught.value.field
        assert field.split(".")[-1] in str(caught.value)

    def test_from_dict_refuses_non_object(self):
        with pytest.raises(StateFormatError, match="must be an object"):
            State.from_dict(["not", "a", "state"])

    def test_negative_serial_refused(self):
        data = State().to_dict()
        data["serial"] = -1
        with pytest.raises(StateFormatError, match="serial"):
            State.from_dict(data)

    def test_content_fingerprint_ignores_sync_time_but_not_attributes(self):
        a = State(environment="dev")
        a.add_resource(_dataset("x", v=1))
        b = State(environment="dev", serial=9, lineage="other")
        b.add_resource(_dataset("x", v=1))
        assert a.content_fingerprint() == b.content_fingerprint()
        b.add_resource(_dataset("x", v=True))
        assert a.content_fingerprint() != b.content_fingerprint()


@pytest.mark.parametrize("text", [
    "2025-01-15T10:30:00.123456Z", "2024-02-29T23:59:59.999999Z", "2025-01-15T10:30:00Z",
    "2025-01-15T12:30:00.123456+02:00", "2025-13-15T10:30:00.123456Z", "2025-01-15X10:30:00.123456Z",
    "2025-01-15T10:30:00.12345xZ", "2025-01-15T10:30:00.1234Z6Z", "2025-01-15T24:30:00.123456Z",
])
def test_timestamps_read_as_the_full_parser_reads_them(text):
    """The fast path for the tool's own timestamp form agrees with timeutil.parse_timestamp, errors included."""
    from dataiku_iac.timeutil import parse_timestamp

    try:
        expected = parse_timestamp(text)
    except ValueError:
        with pytest.raises(StateFormatError):
            ResourceMetadata.from_dict({"deployed_at": text, "deployed_by": "x"})
        return
    assert ResourceMetadata.from_dict({"deployed_at": text, "deployed_by": "x"}).deployed_at == expected


def test_the_seed_names_import_from_the_models_package():
    """Issue 10: the seed's tests import these from dataikuapi.iac.models, i.e. dataiku_iac.models here."""
    from dataiku_iac.models import ChangeType, Resource, ResourceDiff, ResourceMetadata, State, make_resource_id

    state = State(environment="dev")
    state.add_resource(Resource("dataset", make_resource_id("dataset", "P", "x"), {}, ResourceMetadata()))
    assert ResourceDiff.__name__ == "ResourceDiff" and ChangeType.ADDED.value
