"""The type descriptors: consistent facts, one place for each, and the sync and config reading through them."""

from __future__ import annotations

import re

import pytest

from dataiku_iac.config import model as config_model
from dataiku_iac.config.desired import _is_code
from dataiku_iac.models.state import RESOURCE_TYPES
from dataiku_iac.sync import engine, rules
from dataiku_iac.sync.engine import SyncEngine
from dataiku_iac.types import (
    CHILD_TYPES,
    CREATABLE_TYPES,
    DESCRIPTORS,
    IDENTITY_KEY,
    IDENTITY_NAME,
    IDENTITY_SERVER_ID,
    SERVER_ID_TYPES,
    descriptor,
    immutable_fields,
    payload_text,
    payload_value,
    replace_reasons,
)
from tests.dss_support import REPO_ROOT

ENDPOINT = re.compile(r"^(GET|PUT|POST|DELETE) /projects/")


def test_every_resource_type_has_one_descriptor() -> None:
    assert tuple(DESCRIPTORS) == ("project", "dataset", "recipe", "scenario", "managed_folder", "saved_model")
    assert set(DESCRIPTORS) == set(RESOURCE_TYPES)
    assert CHILD_TYPES == engine.CHILD_TYPES
    with pytest.raises(KeyError, match="Unknown resource type 'notebook'"):
        descriptor("notebook")


@pytest.mark.parametrize("name", list(DESCRIPTORS))
def test_fields_name_existing_endpoints(name: str) -> None:
    described = DESCRIPTORS[name]
    endpoints = {endpoint.name for endpoint in described.endpoints}
    for spec in described.fields:
        assert spec.read_from in endpoints, spec
        assert spec.write_to is None or spec.write_to in endpoints, spec
        if spec.write_to is not None:
            assert described.endpoint(spec.write_to).write, spec  # a write endpoint has its write call
    for endpoint in described.endpoints:
        assert ENDPOINT.match(endpoint.read), endpoint
        assert not endpoint.write or ENDPOINT.match(endpoint.write), endpoint
    assert len(set(described.tracked_fields)) == len(described.fields)
    assert described.id_field and described.list_call


def test_identity_and_creatability() -> None:
    identities = {name: d.identity for name, d in DESCRIPTORS.items()}
    assert identities == {"project": IDENTITY_KEY, "dataset": IDENTITY_NAME, "recipe": IDENTITY_NAME,
                          "scenario": IDENTITY_SERVER_ID, "managed_folder": IDENTITY_SERVER_ID,
                          "saved_model": IDENTITY_SERVER_ID}
    assert {"scenario", "managed_folder", "saved_model"} == SERVER_ID_TYPES
    assert set(DESCRIPTORS) - {"saved_model"} == CREATABLE_TYPES
    assert all(spec.write_to is None for spec in DESCRIPTORS["saved_model"].fields)
    # The config names scenarios and folders (saved models are not in a config) and gets this from here.
    assert {"scenario", "managed_folder"} == config_model.ID_TYPES


def test_immutable_fields() -> None:
    assert immutable_fields() == {
        "project": {"projectKey"},
        "dataset": {"name", "type", "managed"},
        "recipe": {"name", "type"},
        "scenario": {"type"},
        "managed_folder": {"type"},
        "saved_model": set(),
    }
    # The plan's replacement table: the immutable fields with why (a dataset's or recipe's name is identity,
    # not a replacement: another name is another object).
    assert {name: set(replace_reasons(name)) for name in DESCRIPTORS} == {
        "project": {"projectKey"}, "dataset": {"type", "managed"}, "recipe": {"type"}, "scenario": {"type"},
        "managed_folder": {"type"}, "saved_model": set()}
    assert all(why for name in DESCRIPTORS for why in replace_reasons(name).values())
    assert replace_reasons("notebook") == {}
    # A scenario's or folder's name is an attribute DSS lets change (the id stays).
    assert "name" not in DESCRIPTORS["scenario"].immutable_fields


def test_the_sync_rules_take_their_fields_from_the_descriptors() -> None:
    assert dict(rules.TRACKED_FIELDS) == {name: d.tracked_fields for name, d in DESCRIPTORS.items()}
    engine_syncs = SyncEngine(client=None).child_syncs
    assert {name: sync.descriptor for name, sync in engine_syncs.items()} == \
        {name: DESCRIPTORS[name] for name in CHILD_TYPES}
    assert DESCRIPTORS["dataset"].field_defaults["tags"] == [] and "customMeta" in \
        DESCRIPTORS["recipe"].field_defaults and "customMeta" not in DESCRIPTORS["scenario"].field_defaults


def test_code_recipe_types_live_in_one_place() -> None:
    defined = [path.relative_to(REPO_ROOT) for path in (REPO_ROOT / "python-lib").rglob("*.py")
               if re.search(r"^CODE_RECIPE_TYPES\s*=", path.read_text(encoding="utf-8"), re.M)]
    assert [str(path) for path in defined] == ["python-lib/dataiku_iac/types/recipe.py"]
    assert _is_code("python") and _is_code("CustomCode_x") and not _is_code("grouping")


def test_payload_round_trip() -> None:
    document = {"keys": [{"column": "k"}]}
    assert payload_value("grouping", payload_text("grouping", document)) == document
    assert payload_text("python", "print(1)") == "print(1)" and payload_value("python", "{}") == "{}"
    assert payload_value("grouping", "not json") == "not json" and payload_text("grouping", None) is None


def test_descriptor_facts_import_no_dss_client() -> None:
    import subprocess
    import sys

    code = ("import sys; import dataiku_iac.types, dataiku_iac.config.desired; "
            "bad = [m for m in ('dataikuapi', 'requests') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO_ROOT, env={"PYTHONPATH": str(REPO_ROOT / "python-lib")})
    assert out.stdout.strip() == "[]"


def test_docs_types_md_shows_the_descriptors_as_they_are() -> None:
    from dataiku_iac.types.tables import markdown

    page = (REPO_ROOT / "docs" / "types.md").read_text(encoding="utf-8")
    assert page.endswith(markdown()), "regenerate: python -m dataiku_iac.types.tables"


def test_the_sync_ignore_rules_are_the_descriptors_after_the_stamps_of_every_type() -> None:
    by_type = {name: [(rule.path, rule.reason, rule.subtypes) for rule in rules.DEFAULT_IGNORE_RULES
                      if rule.resource_type == name] for name in DESCRIPTORS}
    assert by_type == {name: [(i.path, i.reason, i.subtypes) for i in d.ignored] for name, d in DESCRIPTORS.items()}
    assert [rule.path for rule in rules.DEFAULT_IGNORE_RULES if rule.resource_type == "*"] == \
        ["versionTag", "creationTag"]


def test_the_plan_reads_its_replacement_table_from_the_descriptors() -> None:
    from dataiku_iac.plan.immutable import IMMUTABLE_FIELDS, immutable_fields

    assert {name: dict(fields) for name, fields in IMMUTABLE_FIELDS.items()} == \
        {name: replace_reasons(name) for name in DESCRIPTORS}
    assert dict(immutable_fields("dataset")) == {
        "type": "DSS keeps a dataset's type (Filesystem, PostgreSQL...) for its life",
        "managed": "a dataset is managed by DSS or external from its creation"}
    assert dict(immutable_fields("notebook")) == {}


def test_an_empty_mapping_in_a_config_takes_the_empty_form_dss_stores():
    project, dataset = DESCRIPTORS["project"], DESCRIPTORS["dataset"]
    assert project.with_empty_forms({"variables": {}, "tags": []}) == {
        "variables": {"standard": {}, "local": {}}, "tags": []}
    assert dataset.with_empty_forms({"customMeta": {}, "params": {}}) == {"customMeta": {"kv": {}}, "params": {}}
    assert project.with_empty_forms({"variables": {"standard": {"a": 1}}}) == {"variables": {"standard": {"a": 1}}}
    shaped = project.with_empty_forms({"variables": {}})
    shaped["variables"]["standard"]["x"] = 1  # a copy: the descriptor's own empty form is never shared
    assert project.empty_value("variables") == {"standard": {}, "local": {}}
