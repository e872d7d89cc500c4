"""Hostile and malformed state input: only the library's own exceptions may come out.

Random documents, mutations of a valid state, random bytes, random resource ids, deep nesting, huge strings,
unicode, NaN/Infinity, integer overflow and duplicate keys all end in a DataikuIaCError (or load fine).
"""

from __future__ import annotations

import contextlib
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.exceptions import DataikuIaCError, StateCorruptedError, StateFormatError
from dataiku_iac.models.state import Resource, State, parse_resource_id
from dataiku_iac.state_format import decode_state, encode_state

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _valid_document() -> dict:
    state = State(environment="dev", lineage="L")
    state.add_resource(Resource("dataset", "dataset.P.x", {"params": {"path": "/a"}, "n": [1, 2.5, True]}))
    state.add_resource(Resource("project", "project.P", {"name": "P"}))
    return json.loads(encode_state(state))


def _decode_only_library_errors(data: bytes) -> None:
    with contextlib.suppress(DataikuIaCError):
        decode_state(data, "hostile.json")


@settings(max_examples=300)
@given(json_values)
def test_random_documents(document):
    try:
        data = json.dumps(document).encode()
    except ValueError:
        return
    _decode_only_library_errors(data)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_random_bytes(data):
    _decode_only_library_errors(data)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@settings(max_examples=300)
@given(st.data())
def test_mutations_of_a_valid_state(data):
    document = _valid_document()
    paths = [path for path in _paths(document) if path]
    path = data.draw(st.sampled_from(paths))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(json_values)
    try:
        text = json.dumps(document)
    except ValueError:
        return
    _decode_only_library_errors(text.encode())


@settings(max_examples=500)
@given(st.text(max_size=40))
def test_random_resource_ids(text):
    with contextlib.suppress(DataikuIaCError):
        parse_resource_id(text)


@settings(max_examples=200)
@given(json_values)
def test_random_attributes(attributes):
    with contextlib.suppress(DataikuIaCError):
        Resource("dataset", "dataset.P.x", {"value": attributes})


@pytest.mark.parametrize(
    "text",
    [
        '{"version": 1, "serial": ' + "9" * 5000 + "}",  # integer too long to parse
        '{"a": ' + "[" * 5000 + "]" * 5000 + "}",  # nesting deeper than the parser's recursion
        '{"version": 1, "version": 99}',  # duplicate keys: the last one wins, and it is refused
        '{"version": Infinity}',
        '{"updated_at": NaN}',
        "\ufeff{}",
        "",
        "\x00" * 64,
    ],
)
def test_malformed_texts(text):
    with pytest.raises(StateCorruptedError):
        decode_state(text.encode("utf-8", "surrogatepass"), "hostile.json")


def test_deep_huge_and_unicode_attributes_round_trip_or_fail_cleanly(tmp_path):
    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(StateFormatError):
        Resource("dataset", "dataset.P.deep", {"v": deep})
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    state = State(environment="dev")
    state.add_resource(Resource("dataset", "dataset.P.huge", {"blob": "é" * 2_000_000, "big": 2**70}))
    state.add_resource(Resource("dataset", "dataset.P.名前 with spaces.and.dots", {"ü": "\u2028\x00💥"}))
    moderately_deep: object = 1
    for _ in range(400):  # deeper than orjson's limit, within the stdlib's
        moderately_deep = {"d": moderately_deep}
    state.add_resource(Resource("dataset", "dataset.P.deepish", {"v": moderately_deep}))
    backend.save(state)
    assert backend.load().to_dict() == state.to_dict()


def test_random_corruption_of_a_saved_file_is_detected_or_harmless(tmp_path):
    backend = LocalFileBackend(tmp_path / "dev.state.json")
    state = State(environment="dev")
    state.add_resource(Resource("dataset", "dataset.P.x", {"params": {"path": "/a"}, "flag": True}))
    backend.save(state)
    original = backend.state_file.read_bytes()
    rng = random.Random(7)
    outcomes = {"refused": 0, "loaded": 0}
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        backend.state_file.write_bytes(bytes(data))
        try:
            loaded = backend.load()
        except DataikuIaCError:
            outcomes["refused"] += 1
            continue
        outcomes["loaded"] += 1
        # Whatever still loads must be exactly the saved attributes (checksums guard them).
        assert loaded.resources["dataset.P.x"].attributes == state.resources["dataset.P.x"].attributes
    assert outcomes["refused"] > 0
