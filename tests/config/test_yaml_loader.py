"""The strict YAML reader: JSON-shaped data with marks, and only ConfigFileError (with a place) on bad input."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import property_settings

from dataiku_iac.config import generate
from dataiku_iac.config.errors import ConfigFileError
from dataiku_iac.config.loader import load_config
from dataiku_iac.config.yaml_loader import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, load_yaml
from dataiku_iac.exceptions import ConfigError


def error_of(source) -> str:
    with pytest.raises(ConfigFileError) as caught:
        load_yaml(source, "f.yml")
    return str(caught.value)


@pytest.mark.parametrize("text", ["0e0", "1e5", "0o17", "1.0e5", "0777", "1:20", "0b101", "1_000.5e+3x"])
def test_strings_pyyaml_writes_unquoted_are_read_back_as_strings(text) -> None:
    # Found on Python 3.9's hypothesis: PyYAML dumps "0e0" plain (no float in YAML 1.1), 1.2 reads a float.
    assert load_yaml(yaml.safe_dump({"v": text}), "f.yml").data == {"v": text}


def test_numbers_read_as_numbers() -> None:
    assert load_yaml("a: [1, -2, 0x1F, 1_000, 1.5, -.5, 1.0e+3, 3.]\n", "f.yml").data == {
        "a": [1, -2, 31, 1000, 1.5, -0.5, 1000.0, 3.0]}


def test_values_are_json_shaped_and_yaml_1_1_surprises_stay_strings() -> None:
    document = load_yaml("a: [1, 2.5, yes, no, on, 2024-06-03, null, true, 0x1F, '7']\nb: ~\n", "f.yml")
    assert document.data == {"a": [1, 2.5, "yes", "no", "on", "2024-06-03", None, True, 31, "7"], "b": None}


def test_every_value_and_key_has_its_line_and_column() -> None:
    document = load_yaml("datasets:\n  orders:\n    type: Filesystem\n    tags: [a, b]\n", "f.yml")
    assert document.value_marks[("datasets", "orders", "type")] == (3, 11)
    assert document.key_marks[("datasets", "orders", "type")] == (3, 5)
    assert document.value_marks[("datasets", "orders", "tags", 1)] == (4, 15)
    assert str(document.location(("datasets", "orders", "nope"), key=True)) == "f.yml:2:3"  # the nearest key written


def test_a_duplicate_key_names_both_lines() -> None:
    assert error_of("a: 1\nb: 2\na: 3\n") == "f.yml:3:1: duplicate key 'a' (first defined at line 1): each " \
                                             "name may appear once"
    assert "duplicate key 'x'" in error_of("m: {x: 1, x: 2}\n")


def test_an_alias_bomb_is_refused_fast() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]  # 10^10 nodes
    message = error_of("\n".join(levels) + "\n")
    # Refused at line 4 of 10, while reading: nothing beyond the budget is ever expanded (whole, the document
    # would never finish).
    assert f"aliases expand to more than {MAX_ALIAS_NODES} nodes" in message and message.startswith("f.yml:4:")


def test_aliases_within_the_budget_are_copies() -> None:
    document = load_yaml("base: &csv {style: excel, separator: ','}\nx: *csv\ny: *csv\n", "f.yml")
    assert document.data["x"] == document.data["y"] == {"style": "excel", "separator": ","}
    assert document.data["x"] is not document.data["y"]  # editing one resolved value never changes another


@pytest.mark.parametrize("source, expected", [
    ("a: [" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), f"nested more than {MAX_DEPTH} levels deep"),
    ("a:\n\t- b\n", "(a tab: YAML indents with spaces, not tabs)"),
    (b"a: caf\xe9\n", "f.yml:1:7: byte 0xe9 is not UTF-8: save the file as UTF-8"),
    (b"\xff\xfea\x00:\x00", "f.yml:1:1: file is UTF-16: save it as UTF-8"),
    ("a: !!python/object:os.system x\n", "YAML tag tag:yaml.org,2002:python/object:os.system is not supported"),
    ("a: !custom x\n", "YAML tag !custom is not supported"),
    ("<<: {a: 1}\n", "merge keys (<<) are not supported"),
    ("1: x\n", "mapping key '1' must be a string: quote it"),
    ("? [a]\n: x\n", "a mapping key must be a plain string"),
    ("a: .nan\n", "has no JSON form"),
    ("a: 1.0e+999\n", "too large for a number"),
    ("a: 1\n---\nb: 2\n", "a config file holds one YAML document"),
    ("a: *nothing\n", "f.yml:1:4: alias *nothing names no anchor defined before it"),
    ("a: \x07\n", "f.yml:1:4: invalid YAML: control characters are not allowed"),
    ("a: [1, 2\n", "f.yml:2:1: invalid YAML"),
    ("a: !!int abc\n", "'abc' is not a valid int"),
])
def test_hostile_input_gives_one_error_with_its_place(source, expected) -> None:
    message = error_of(source)
    assert expected in message and message.startswith("f.yml")


def test_a_bom_is_accepted_and_huge_files_are_refused() -> None:
    assert load_yaml(b"\xef\xbb\xbfa: 1\n", "f.yml").data == {"a": 1}
    assert "more than the" in error_of(b"a: " + b"x" * (MAX_FILE_BYTES + 1))


def test_a_huge_string_within_the_limit_loads() -> None:
    text = "x" * 2_000_000
    assert load_yaml(f"a: {text}\n", "f.yml").data == {"a": text}


# -- random and mutated YAML --------------------------------------------------------------------------------

# PyYAML's emitter writes NEL and the Unicode line separators raw, and YAML reads them as line breaks.
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029"), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts.filter(bool), children, max_size=4),
    max_leaves=20,
)


@property_settings(max_examples=200)
@given(json_values)
def test_json_values_dumped_as_yaml_load_back_equal(value) -> None:
    assert load_yaml(yaml.safe_dump({"v": value}, allow_unicode=True), "f.yml").data == {"v": value}
    assert load_yaml(generate._dump({"v": value}), "f.yml").data == {"v": value}  # what generate writes


SEED = """\
datasets:
  orders: &o
    type: Filesystem
    params: {connection: fs, path: "${projectKey}/orders"}
    schema: {columns: [{name: id, type: bigint}]}
  copy: *o
recipes:
  r: {type: python, inputs: [orders], outputs: [copy]}
"""


@property_settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(0, len(SEED)), st.sampled_from(
    ["\t", ":", "- ", "&a ", "*o", "{", "]", "\"", "\n  ", "\x00", "\ufeff", "<<: ", "!!x ", "\u2028", "#"])),
    min_size=1, max_size=6))
def test_mutated_yaml_loads_or_fails_with_a_config_file_error(mutations) -> None:
    text = SEED
    for position, insert in mutations:
        position = min(position, len(text))
        text = text[:position] + insert + text[position:]
    try:
        load_yaml(text, "f.yml")
    except ConfigFileError as exc:
        assert str(exc).startswith("f.yml")


@property_settings(max_examples=100)
@given(st.binary(max_size=200))
def test_random_bytes_load_or_fail_with_a_config_file_error(raw) -> None:
    try:
        load_yaml(raw, "f.yml")
    except ConfigFileError as exc:
        assert str(exc).startswith("f.yml")


@property_settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, len(SEED)), st.sampled_from(
    ["\t", ":", "- ", "*o", "{", "]", "\n  ", "12", "[]", "{}", " x", "null", "\n    tags: 3"])),
    min_size=1, max_size=4))
def test_a_whole_mutated_config_gives_only_library_errors(tmp_path_factory, mutations) -> None:
    from dataiku_iac.config import validate_config

    root = tmp_path_factory.mktemp("config")
    (root / "dataiku-iac.yml").write_text("version: 1\nenvironments:\n  dev: {url: u, api_key_env: K}\n")
    (root / "projects" / "P").mkdir(parents=True)
    text = SEED
    for position, insert in mutations:
        position = min(position, len(text))
        text = text[:position] + insert + text[position:]
    (root / "projects" / "P" / "flow.yml").write_text(text, "utf-8")
    try:
        result = validate_config(root, "dev", environ={})
    except ConfigError:  # pragma: no cover - validation reports problems rather than raising
        raise AssertionError("validate_config raised instead of reporting") from None
    assert all(problem.location.file.startswith(str(root)) for problem in result.problems)
    assert all(problem.location.line >= 1 for problem in result.problems if "flow.yml" in problem.location.file)
    load_config(root)  # loading alone never raises for a file's content either
