"""Canonical JSON and hashing."""

from __future__ import annotations

import gc

import pytest

from dataiku_iac.canonical import (
    canonical_json,
    checksum_matches,
    gc_paused,
    parse_json,
    pretty_json,
    sha256_hex,
)
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
    text = pretty_json({"b": 1, "a": "ü", "c": [], "d": {}})
    assert text == '{\n  "a": "ü",\n  "b": 1,\n  "c": [],\n  "d": {}\n}\n'


def test_pretty_json_falls_back_to_stdlib_for_big_integers_and_refuses_non_json():
    assert pretty_json({"big": 2**70}) == '{\n  "big": 1180591620717411303424\n}\n'
    with pytest.raises(StateFormatError):
        pretty_json({"a": {1, 2}})


@pytest.mark.parametrize("value", [{"a": 1e16, "b": 1e-5}, {"s": "é\u2028\x00"}, {"n": 2**70}, {"x": [True, 1, 1.0]}])
def test_checksum_matches_agrees_with_the_canonical_checksum(value):
    assert checksum_matches(value, sha256_hex(value))
    assert not checksum_matches(value, sha256_hex({"other": 1}))


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "-Infinity", "{", ""])
def test_parse_json_is_strict(text):
    with pytest.raises(ValueError):
        parse_json(text)
