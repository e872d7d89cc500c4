"""The published schema: valid JSON Schema, the quick compiled check agrees with the full one, and the
example config passes it (editors can point at it)."""

from __future__ import annotations

import fastjsonschema
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import property_settings

from dataiku_iac.config import schema
from dataiku_iac.config.yaml_loader import YamlDocument, load_yaml
from tests.config.conftest import EXAMPLE_CONFIG


def test_the_schema_is_a_valid_json_schema() -> None:
    published = schema.config_schema()
    jsonschema.validators.validator_for(published).check_schema(published)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_example_files_pass_the_published_schema_as_a_whole() -> None:
    validator = jsonschema.Draft202012Validator(schema.config_schema())
    files = [EXAMPLE_CONFIG / "dataiku-iac.yml", *sorted((EXAMPLE_CONFIG / "projects").rglob("*.yml"))]
    assert len(files) == 4
    for path in files:
        assert list(validator.iter_errors(load_yaml(path.read_bytes(), str(path)).data)) == []


resource_values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                            st.lists(st.sampled_from(["a", 1, {"ref": "x"}, {"folder": "f"}, {}]), max_size=3),
                            st.dictionaries(st.sampled_from(["main", "items", "x"]),
                                            st.lists(st.sampled_from(["a", 1]), max_size=2), max_size=2))
resources = st.dictionaries(
    st.sampled_from(["type", "params", "inputs", "outputs", "payload", "payload_file", "tags", "name", "id",
                     "tagz", "triggers", "schema", "protect", "active"]),
    resource_values, max_size=5)
documents = st.dictionaries(
    st.sampled_from(["datasets", "recipes", "scenarios", "managed_folders", "project", "extra"]),
    st.one_of(st.dictionaries(st.sampled_from(["a", "b"]), resources, max_size=2), resources, st.integers()),
    max_size=3)


@property_settings(max_examples=300)
@given(documents)
def test_the_quick_check_and_the_full_check_agree(data) -> None:
    document = YamlDocument("f.yml", data)
    try:
        schema._fast_validator("projectFile")(data)
        quick_valid = True
    except fastjsonschema.JsonSchemaException:
        quick_valid = False
    full_errors = list(schema._validator("projectFile").iter_errors(data))
    assert quick_valid == (not full_errors)
    assert (schema.check(document, "projectFile") == []) == quick_valid


@pytest.mark.parametrize("definition", ["environmentsFile", "projectFile"])
def test_known_definitions_have_fields(definition) -> None:
    assert schema.known_fields(definition)
