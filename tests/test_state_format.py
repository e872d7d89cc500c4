"""State file format: schema, version sniff, checksum verification, stable bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataiku_iac.exceptions import StateCorruptedError, StateFormatError
from dataiku_iac.models.state import Resource, State
from dataiku_iac.state_format import (
    decode_state,
    decode_state_and_summary,
    encode_state,
    schema_problems,
    state_schema,
    summarize_state,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL_IDS = [
    "recipe.GIT_INTEGRATION_DEMO.compute_Orders_enriched",
    "managed_folder.RAMENMEITEN.FXMfF0DU",
    "recipe.P.recipe from notebook TwitterScraper",
]


def _state(*resources: Resource) -> State:
    state = State(environment="dev", lineage="L")
    for resource in resources:
        state.add_resource(resource)
    return state


def _document(state: State) -> dict:
    return json.loads(encode_state(state))


def test_seed_fixture_is_valid():
    state = decode_state((FIXTURES / "sample_state.json").read_bytes(), "sample")
    assert state.serial == 1 and state.lineage == "git:abc123"


@pytest.mark.parametrize("resource_id", REAL_IDS)
def test_real_dss_names_validate_against_the_schema(resource_id):
    resource_type = resource_id.split(".", 1)[0]
    document = _document(_state(Resource(resource_type, resource_id, {"x": 1})))
    assert schema_problems(document) == []


def test_schema_rejects_what_the_seed_schema_let_through_or_rejected_wrongly():
    document = _document(_state(Resource("dataset", "dataset.P.x", {})))
    document["resources"]["dataset.P.x"]["metadata"]["checksum"] = "abc"
    document["resources"]["dataset.P.x"]["resource_type"] = "model"
    problems = schema_problems(document)
    assert any("checksum" in p for p in problems)
    assert any("resource_type" in p for p in problems)


def test_encode_is_sorted_indented_with_final_newline_and_byte_stable():
    a = _state(Resource("dataset", "dataset.P.b", {"z": 1, "a": 2}), Resource("dataset", "dataset.P.a", {}))
    b = State.from_dict(json.loads(encode_state(a)))
    assert encode_state(a).endswith(b"}\n")
    assert encode_state(a).startswith(b'{\n  "environment"')
    text = encode_state(a).decode()
    assert text.index('"dataset.P.a"') < text.index('"dataset.P.b"')
    assert encode_state(b) == encode_state(a)  # equal states are equal bytes
    assert json.loads(encode_state(a))["tool_version"]


def test_encode_refuses_invalid_state():
    state = _state(Resource("dataset", "dataset.P.x", {}))
    state.serial = -3
    with pytest.raises(StateFormatError, match=r"state being saved is invalid.*\$\.serial") as caught:
        encode_state(state)
    assert caught.value.field == "$.serial"
    assert "snapshot" not in str(caught.value)  # the in-memory state is at fault, not a stored file


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "invalid JSON"),
        (b"{trunc", "invalid JSON"),
        (b"\xff\xfe\x00binary", "invalid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"version": NaN}', "invalid JSON"),
        (b'{"version": 3, "serial": 1}', "newer dataiku-iac"),
        (b'{"version": 1}', "'serial' is a required property"),
    ],
)
def test_decode_reports_problem_and_location(data, expected):
    with pytest.raises(StateCorruptedError) as caught:
        decode_state(data, "/some/where.json")
    assert "/some/where.json" in str(caught.value)
    assert expected in str(caught.value)
    assert caught.value.location == "/some/where.json"


def test_decode_detects_hand_edited_attributes():
    document = _document(_state(Resource("dataset", "dataset.P.x", {"v": 1})))
    document["resources"]["dataset.P.x"]["attributes"]["v"] = 2
    with pytest.raises(StateCorruptedError, match="does not match the attributes"):
        decode_state(json.dumps(document).encode(), "f")


def test_decode_reports_model_rule_violations():
    document = _document(_state(Resource("dataset", "dataset.P.x", {})))
    document["resources"]["dataset.P.x"]["resource_id"] = "dataset.P.y"
    with pytest.raises(StateCorruptedError, match="keyed by"):
        decode_state(json.dumps(document).encode(), "f")


def test_many_problems_are_summarised():
    document = {"version": 1, "serial": "x", "lineage": 3, "environment": 4, "updated_at": 5, "resources": 6,
                "a": 1, "b": 2}
    with pytest.raises(StateCorruptedError) as caught:
        decode_state(json.dumps(document).encode(), "f")
    assert len(caught.value.problems) > 5
    assert "more)" in str(caught.value)


def test_schema_is_draft_07_package_data():
    # draft-07 because fastjsonschema, the fast path of validation, has no 2020-12 generator
    assert state_schema()["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_fast_and_detailed_validators_agree_on_invalid_documents():
    document = _document(_state(Resource("dataset", "dataset.P.x", {})))
    assert schema_problems(document) == []
    document["resources"]["dataset.P.x"]["metadata"]["deployed_at"] = "not a time"
    (problem,) = schema_problems(document)
    assert problem.startswith("$.resources['dataset.P.x'].metadata.deployed_at")


def test_summary_matches_full_decode():
    state = _state(Resource("dataset", "dataset.P.x", {"v": 1.5e300}))
    data = encode_state(state)
    full, summary = decode_state_and_summary(data, "f")
    assert summarize_state(data, "f") == summary
    assert summary.fingerprint == full.content_fingerprint()
    assert (summary.serial, summary.lineage) == (full.serial, full.lineage)
    with pytest.raises(StateCorruptedError):
        summarize_state(b'{"version": 1}', "f")


def test_integers_beyond_64_bits_round_trip_exactly():
    """orjson reads them as floats: the checksum check catches it and the exact parser decides."""
    state = _state(Resource("dataset", "dataset.P.x", {"big": 2**70, "negative": -(2**64) - 1, "small": 3}))
    decoded = decode_state(encode_state(state), "x")
    attributes = decoded.resources["dataset.P.x"].attributes
    assert attributes == {"big": 2**70, "negative": -(2**64) - 1, "small": 3}
    assert all(isinstance(value, int) for value in attributes.values())
    assert summarize_state(encode_state(state), "x").serial == state.serial
