"""config -> desired State: shapes of the sync, managed paths, dependencies and order, secrets kept apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import property_settings

from dataiku_iac.canonical import canonical_json
from dataiku_iac.config import (
    build_desired_state,
    identities_from_state,
    leaf_paths,
    read_config,
    restrict,
    schema,
    variables,
)
from dataiku_iac.config import desired as desired_module
from dataiku_iac.config.errors import Location
from dataiku_iac.config.generate import generate_config
from dataiku_iac.config.graph import find_cycles, topological_order
from dataiku_iac.config.loader import _merge
from dataiku_iac.config.model import Config, Environment, ProjectConfig
from dataiku_iac.config.yaml_loader import YamlDocument
from dataiku_iac.models.state import Resource, State
from dataiku_iac.sync import recipe as recipe_sync
from dataiku_iac.sync import rules
from tests.config.conftest import WriteConfig

FLOW = """\
project:
  name: Sales
  variables: {standard: {env: "${var:env}"}}
datasets:
  orders:
    type: Filesystem
    params: {connection: fs, path: "${projectKey}/orders"}
    schema: {columns: [{name: id, type: bigint}]}
  files:
    type: FilesInFolder
    params: {folderSmartId: inbox}
  enriched: {type: Filesystem, params: {connection: fs}}
managed_folders:
  inbox: {type: Filesystem, params: {connection: fs_folders}}
recipes:
  enrich:
    type: python
    inputs: {main: [orders], lookup: [{folder: inbox}]}
    outputs: [enriched]
    payload_file: code/enrich.py
  prep:
    type: shaker
    inputs: [files]
    outputs: {main: {items: [{ref: orders, appendMode: true}]}}
    payload_file: code/prep.json
scenarios:
  Nightly:
    type: step_based
    params:
      steps:
        - {id: s1, type: build_flowitem, params: {builds: [{type: DATASET, itemId: enriched}]}}
        - {id: s2, type: compute_metrics, params: {computes: [{type: DATASET, itemId: orders}]}}
        - {id: s3, type: build_flowitem, params: {builds: [{type: MANAGED_FOLDER, itemId: inbox}]}}
  Script:
    id: SCRIPT_1
    type: custom_python
    script_file: code/script.py
"""
ENVIRONMENTS = """\
version: 1
variables: {env: dev}
environments:
  dev: {url: "http://dev", api_key_env: K}
  prod: {url: "http://prod", api_key_env: K, variables: {env: prod}, connections: {fs: fs_prod}}
"""


@pytest.fixture
def config(write_config: WriteConfig):
    root = write_config({"projects/SALES/flow.yml": FLOW, "projects/SALES/code/enrich.py": "print('x')\n",
                         "projects/SALES/code/prep.json": json.dumps({"steps": [{"type": "Filter"}]}),
                         "projects/SALES/code/script.py": "from dataiku.scenario import Scenario\n"},
                        environments=ENVIRONMENTS)
    return read_config(root)


def test_shorthands_become_dss_shapes_and_references_resolve(config) -> None:
    desired = build_desired_state(config, "dev")
    attributes = {rid: res.resource.attributes for rid, res in desired.resources.items()}
    enrich = attributes["recipe.SALES.enrich"]
    assert enrich["inputs"] == {"main": {"items": [{"ref": "orders", "deps": []}]},
                                "lookup": {"items": [{"ref": "new:inbox", "deps": []}]}}
    assert enrich["outputs"] == {"main": {"items": [{"ref": "enriched", "appendMode": False}]}}
    assert enrich["payload"] == "print('x')\n"
    prep = attributes["recipe.SALES.prep"]
    assert prep["payload"] == {"steps": [{"type": "Filter"}]}  # a visual payload is JSON, as the sync reads it
    assert prep["outputs"] == {"main": {"items": [{"ref": "orders", "appendMode": True}]}}
    assert attributes["scenario.SALES.SCRIPT_1"]["script"] == "from dataiku.scenario import Scenario\n"
    assert attributes["project.SALES"] == {"projectKey": "SALES", "name": "Sales",
                                           "variables": {"standard": {"env": "dev"}}}
    assert attributes["dataset.SALES.orders"]["params"]["path"] == "${projectKey}/orders"
    assert "payload_file" not in enrich and "script_file" not in attributes["scenario.SALES.SCRIPT_1"]


def test_managed_paths_are_what_the_config_sets(config) -> None:
    desired = build_desired_state(config, "dev")
    assert desired.managed_paths("dataset.SALES.orders") == {
        ("name",), ("type",), ("params", "connection"), ("params", "path"), ("schema", "columns")}
    assert desired.managed_paths("recipe.SALES.prep") == {
        ("name",), ("type",), ("inputs", "main", "items"), ("outputs", "main", "items"), ("payload",)}
    live = {"name": "orders", "type": "Filesystem", "managed": True, "params": {"connection": "fs", "path": "p",
            "notReadyIfEmpty": False}, "schema": {"columns": [], "userModified": False}}
    assert restrict(live, desired.managed_paths("dataset.SALES.orders")) == {
        "name": "orders", "type": "Filesystem", "params": {"connection": "fs", "path": "p"}, "schema": {"columns": []}}
    assert leaf_paths({"a": {}, "b": {"c": [1]}, "payload": {"x": 1}}) == {("a",), ("b", "c"), ("payload",)}


def test_dependencies_and_order_put_what_is_needed_first(config) -> None:
    desired = build_desired_state(config, "dev")
    deps = {rid: res.dependencies for rid, res in desired.resources.items()}
    assert deps["recipe.SALES.enrich"] == {"project.SALES", "dataset.SALES.orders", "dataset.SALES.enriched",
                                           "managed_folder.SALES.new:inbox"}
    assert deps["dataset.SALES.files"] == {"project.SALES", "managed_folder.SALES.new:inbox"}
    # Every list of a step names objects: builds, and the computes of a metrics step (as in RAMENMEITEN).
    assert deps["scenario.SALES.new:Nightly"] == {"project.SALES", "dataset.SALES.enriched", "dataset.SALES.orders",
                                                  "managed_folder.SALES.new:inbox"}
    order = desired.order
    assert order[0] == "project.SALES"
    for resource_id, needs in deps.items():
        assert all(order.index(need) < order.index(resource_id) for need in needs)


def test_ids_come_from_the_config_then_the_identities(config) -> None:
    known = State()
    known.add_resource(Resource("managed_folder", "managed_folder.SALES.Ab12Cd34", {"name": "inbox"}))
    known.add_resource(Resource("scenario", "scenario.SALES.NIGHTLY", {"name": "Nightly"}))
    desired = build_desired_state(config, "dev", identities=identities_from_state(known))
    assert {"managed_folder.SALES.Ab12Cd34", "scenario.SALES.NIGHTLY", "scenario.SALES.SCRIPT_1"} <= set(
        desired.resources)
    enrich = desired.resources["recipe.SALES.enrich"].resource.attributes
    assert enrich["inputs"]["lookup"]["items"][0]["ref"] == "Ab12Cd34"
    assert desired.resources["dataset.SALES.files"].resource.attributes["params"]["folderSmartId"] == "Ab12Cd34"
    assert desired.resources["managed_folder.SALES.Ab12Cd34"].id_known
    # Two objects of one name identify neither.
    known.add_resource(Resource("scenario", "scenario.SALES.NIGHTLY_2", {"name": "Nightly"}))
    assert ("scenario", "SALES", "Nightly") not in identities_from_state(known)


def test_environments_change_variables_and_connections(config) -> None:
    prod = build_desired_state(config, "prod")
    assert prod.resources["project.SALES"].resource.attributes["variables"] == {"standard": {"env": "prod"}}
    assert prod.resources["dataset.SALES.orders"].resource.attributes["params"]["connection"] == "fs_prod"
    assert prod.resources["managed_folder.SALES.new:inbox"].resource.attributes["params"]["connection"] == \
        "fs_folders"


def test_secrets_are_markers_in_the_state_and_kept_apart(write_config: WriteConfig) -> None:
    root = write_config({"projects/P/a.yml": """\
datasets:
  db:
    type: PostgreSQL
    params: {connection: pg, password: "${env:PG_PASSWORD}", url: "jdbc://u:${env:PG_PASSWORD}@h/db"}
"""})
    desired = build_desired_state(read_config(root), "dev", environ={"PG_PASSWORD": "hunter2"})
    resource = desired.resources["dataset.P.db"]
    assert resource.resource.attributes["params"]["password"] == rules.redaction_marker("hunter2")
    assert resource.sensitive_paths == {("params", "password"), ("params", "url")}
    assert desired.secret_values("dataset.P.db") == {("params", "password"): "hunter2",
                                                     ("params", "url"): "jdbc://u:hunter2@h/db"}
    # Nowhere in what may be written or printed: the state, its repr, the desired state's repr.
    assert "hunter2" not in canonical_json(desired.state.to_dict())
    assert "hunter2" not in repr(desired) and "hunter2" not in repr(resource)


def test_a_variable_may_hold_a_secret_reference(write_config: WriteConfig) -> None:
    root = write_config({"projects/P/a.yml": "datasets:\n  d: {type: S3, params: {secretKey: '${var:key}'}}\n"},
                        environments="version: 1\nenvironments:\n  dev: {url: u, api_key_env: K, variables: "
                                     "{key: '${env:AWS_SECRET}'}}\n")
    desired = build_desired_state(read_config(root), "dev", environ={"AWS_SECRET": "abc"})
    assert desired.secret_values("dataset.P.d") == {("params", "secretKey"): "abc"}
    assert desired.resources["dataset.P.d"].resource.attributes["params"]["secretKey"] == \
        rules.redaction_marker("abc")


def test_literal_and_typed_variables() -> None:
    resolver = variables.Resolver({"n": 3, "s": "x"}, environ={})
    assert resolver.resolve({"a": "${var:n}", "b": "n=${var:n} ${var:s}", "c": "$${var:n}", "d": "${odbId}"}).value \
        == {"a": 3, "b": "n=3 x", "c": "${var:n}", "d": "${odbId}"}
    assert resolver.resolve("${var:bad name}").problems == [
        ((), "${var:bad name} is not a valid reference: write ${var:NAME}")]


# -- the config agrees with the sync ------------------------------------------------------------------------

def test_code_recipe_types_and_the_redaction_marker_match_the_sync() -> None:
    assert desired_module.CODE_RECIPE_TYPES == recipe_sync.CODE_RECIPE_TYPES
    assert variables.Resolver({}, {"S": "s3cret"}).resolve("${env:S}").value == rules.redaction_marker("s3cret")


@pytest.mark.parametrize("definition, resource_type", [
    ("project", "project"), ("dataset", "dataset"), ("recipe", "recipe"), ("scenario", "scenario"),
    ("managedFolder", "managed_folder")])
def test_the_schema_fields_are_the_synced_fields(definition, resource_type) -> None:
    config_only = {"payload_file", "script_file", "protect", "id"}
    fields = set(schema.known_fields(definition)) - config_only
    tracked = set(rules.TRACKED_FIELDS[resource_type])
    # Every field the sync records can be written (the name is the key; a folder's or scenario's may differ).
    assert tracked - fields <= {"name"} and fields <= tracked


def test_graph_helpers() -> None:
    assert topological_order({"b": ["a"], "a": [], "c": ["b", "zz"]}) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="cycle among a, b"):
        topological_order({"a": ["b"], "b": ["a"]})
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a"]}) == [
        ["a", "b", "c", "a"], ["d", "d"]]


# -- arbitrary content where the schema allows any JSON -----------------------------------------------------

any_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "inbox", "orders", "${var:env}",
                                                                       "DATASET", "MANAGED_FOLDER", "x.y"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "itemId", "builds", "computes", "steps", "params", "folderSmartId", "connection",
                         "items", "ref"]), children, max_size=3),
    max_leaves=12)


def _mapping(value):
    return value if isinstance(value, dict) else {}


step_items = st.fixed_dictionaries({"type": any_json, "itemId": any_json})
steps = st.lists(st.fixed_dictionaries({"id": st.just("s"), "params": st.dictionaries(
    st.sampled_from(["builds", "computes", "checks"]), st.lists(step_items | any_json, max_size=3), max_size=2)}),
    max_size=3)


@property_settings(max_examples=150)
@given(any_json | st.fixed_dictionaries({"steps": steps}), any_json, any_json)
def test_free_form_fields_never_crash_the_desired_state(scenario_params, dataset_params, recipe_params) -> None:
    data = {
        "datasets": {"orders": {"type": "F", "params": _mapping(dataset_params)}},
        "managed_folders": {"inbox": {"type": "F"}},
        "recipes": {"r": {"type": "python", "params": _mapping(recipe_params),
                          "inputs": ["orders", {"folder": "inbox"}]}},
        "scenarios": {"S": {"type": "step_based", "params": _mapping(scenario_params)}},
    }
    assert schema.check(YamlDocument("f.yml", data), "projectFile") == []  # free-form where it is fuzzed
    project = ProjectConfig("P", Path("."))
    _merge(project, YamlDocument("f.yml", data), set(), [])
    config = Config(root=Path("."), variables={"env": "dev"}, projects={"P": project},
                    environments={"dev": Environment("dev", "u", "K", "s", {}, {}, Location("x"))})
    desired = build_desired_state(config, "dev")
    generate_config(desired.state)  # and back: generate copes with whatever the desired state holds


def test_ids_recorded_by_config_key_tell_apart_folders_of_one_name(write_config: WriteConfig) -> None:
    root = write_config({"projects/P/a.yml": """\
managed_folders:
  pairs: {type: Filesystem}
  pairs_2: {name: pairs, type: Filesystem}
recipes:
  r: {type: python, inputs: [{folder: pairs_2}]}
"""})
    config = read_config(root)
    recorded = {("managed_folder", "P", "pairs"): "Aa111111", ("managed_folder", "P", "pairs_2"): "Bb222222"}
    by_name = {("managed_folder", "P", "pairs"): "Zz999999"}  # ambiguous by name: never used for these two
    desired = build_desired_state(config, "dev", identities=by_name, recorded_ids=recorded)
    assert {"managed_folder.P.Aa111111", "managed_folder.P.Bb222222"} <= set(desired.resources)
    assert desired.warnings == []  # recorded ids identify them: nothing to explain
    assert desired.resources["recipe.P.r"].resource.attributes["inputs"]["main"]["items"][0]["ref"] == "Bb222222"
    unknown = build_desired_state(config, "dev", identities=by_name)
    assert {"managed_folder.P.new:pairs", "managed_folder.P.new:pairs_2"} <= set(unknown.resources)
    assert len(unknown.warnings) == 2
