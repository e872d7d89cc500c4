"""Canonical JSON and hashing."""

from __future__ import annotations

import pytest

from dataiku_iac.canonical import canonical_json, parse_json, pretty_json, sha256_hex
from dataiku_iac.exceptions import StateFormatError


def test_canonical_is_sorted_and_compact():
    assert canonical_json({"b": 1, "a": [1, {"d": None, "c": "é"}]}) == '{"a":[1,{"c":"é","d":null}],"b":1}'


def test_canonical_distinguishes_int_float_bool():
    assert len({canonical_json(v) for v in (1, 1.0, True)}) == 3


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), {"x": object()}, b"bytes"])
def test_canonical_refuses_non_json(bad):
    with pytest.raises(StateFormatError):
        canonical_json(bad)


def test_sha256_hex_is_stable():
    assert sha256_hex({"a": 1}) == sha256_hex({"a": 1})
    assert sha256_hex({"a": 1}) == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"


def test_pretty_json_sorted_indented_final_newline():
    text = pretty_json({"b": 1, "a": "ü"})
    assert text == '{\n  "a": "ü",\n  "b": 1\n}\n'
    with pytest.raises(StateFormatError):
        pretty_json({"a": float("nan")})


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "-Infinity", "{", ""])
def test_parse_json_is_strict(text):
    with pytest.raises(ValueError):
        parse_json(text)
