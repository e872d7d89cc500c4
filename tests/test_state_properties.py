"""Property tests of the state model: to_dict/from_dict round trips of Resource and State.

Round trips are checked by canonical JSON, never by ``==``, so a ``1`` that came back as ``true`` or
``1.0`` would fail. Each round trip also goes through JSON text, as a state file does.
"""

from __future__ import annotations

import json
import string
from datetime import datetime, timezone
from typing import Any, Dict, List

from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import property_settings

from dataiku_iac.canonical import canonical_json
from dataiku_iac.models.state import RESOURCE_TYPES, Resource, ResourceMetadata, State, make_resource_id

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
ATTRIBUTES = st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6)
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)
)
PROJECT_KEYS = st.text(alphabet=string.ascii_uppercase + string.digits + "_", min_size=1, max_size=12)
# Real DSS names hold dots, spaces, digits first, any case: the name is everything after the second dot.
NAMES = st.text(min_size=1, max_size=20)
OPTIONAL_TEXT = st.none() | st.text(max_size=12)


@st.composite
def metadata(draw: st.DrawFn) -> ResourceMetadata:
    return ResourceMetadata(
        deployed_at=draw(MOMENTS),
        deployed_by=draw(st.text(max_size=12)),
        dataiku_internal_id=draw(OPTIONAL_TEXT),
        last_modified_by=draw(OPTIONAL_TEXT),
        last_modified_at=draw(st.none() | MOMENTS),
    )


@st.composite
def resources(draw: st.DrawFn) -> Resource:
    rtype = draw(st.sampled_from(RESOURCE_TYPES))
    name = None if rtype == "project" else draw(NAMES)
    rid = make_resource_id(rtype, draw(PROJECT_KEYS), name)
    return Resource(rtype, rid, draw(ATTRIBUTES), draw(metadata()))


@st.composite
def states(draw: st.DrawFn) -> State:
    members: List[Resource] = draw(st.lists(resources(), max_size=6, unique_by=lambda r: r.resource_id))
    return State(
        serial=draw(st.integers(min_value=0, max_value=2**31)),
        lineage=draw(st.none() | st.uuids().map(str)),
        environment=draw(st.text(max_size=10)),
        updated_at=draw(MOMENTS),
        resources={r.resource_id: r for r in members},
    )


def through_json_text(data: Dict[str, Any]) -> Any:
    return json.loads(json.dumps(data))


@property_settings(max_examples=150)
@given(resources())
def test_resource_round_trip(resource: Resource) -> None:
    data = resource.to_dict()
    again = Resource.from_dict(through_json_text(data))
    assert canonical_json(again.to_dict()) == canonical_json(data)
    assert again.metadata.checksum == resource.metadata.checksum == again.compute_checksum()
    assert (again.project_key, again.resource_name) == (resource.project_key, resource.resource_name)


@property_settings(max_examples=100)
@given(states())
def test_state_round_trip(state: State) -> None:
    data = state.to_dict()
    again = State.from_dict(through_json_text(data))
    assert canonical_json(again.to_dict()) == canonical_json(data)
    assert again.base_serial == state.serial
    assert list(again.resources) == sorted(state.resources)
    assert again.content_fingerprint() == state.content_fingerprint()
