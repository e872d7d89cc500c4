"""Writes behave as a real DSS does where a client depends on it (docs/emulator.md, "Writes"), through dataikuapi."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dataikuapi.dss.project import DSSProject
from dataikuapi.utils import DataikuException

from dss_emulator import DSSEmulator, load_tree
from dss_emulator.models.known_keys import (
    DATASET_KEYS,
    FOLDER_KEYS,
    PROJECT_SETTINGS_KEYS,
    RECIPE_KEYS,
    SCENARIO_KEYS,
    unknown_keys,
)
from dss_emulator.samples import SAMPLES_DIR
from dss_emulator.synthetic import generate_project

from .conftest import require_shared_projects

RECIPE = "compute_customers_prepared"
FOLDER = "Qx7mK2pA"
SCENARIO = "REFRESH_CUSTOMERS"


# --- unknown keys vanish on save ------------------------------------------------------------------------------


def test_dataset_save_drops_unknown_top_level_keys_and_keeps_the_rest(project: DSSProject) -> None:
    settings = project.get_dataset("raw_customers").get_settings()
    settings.get_raw()["notADatasetField"] = {"x": 1}
    settings.get_raw()["description"] = "changed"
    settings.get_raw()["params"]["unknownParam"] = "kept"  # nested blocks are not modelled: kept
    settings.save()  # no error, as DSS
    stored = project.get_dataset("raw_customers").get_settings().get_raw()
    assert "notADatasetField" not in stored
    assert stored["description"] == "changed"
    assert stored["params"]["unknownParam"] == "kept"


def test_recipe_save_drops_unknown_keys(project: DSSProject) -> None:
    settings = project.get_recipe(RECIPE).get_settings()
    settings.get_recipe_raw_definition()["inventedKey"] = True
    settings.get_recipe_raw_definition()["labels"] = ["kept"]
    settings.save()
    stored = project.get_recipe(RECIPE).get_settings().get_recipe_raw_definition()
    assert "inventedKey" not in stored and stored["labels"] == ["kept"]


def test_scenario_save_and_create_drop_unknown_keys(project: DSSProject) -> None:
    settings = project.get_scenario(SCENARIO).get_settings()
    settings.get_raw()["bogus"] = 1
    settings.get_raw()["active"] = True
    settings.save()
    stored = project.get_scenario(SCENARIO).get_settings().get_raw()
    assert "bogus" not in stored and stored["active"] is True
    created = project.create_scenario("Nightly", "step_based", definition={"params": {"steps": []}, "bogus": 2,
                                                                          "runAsUser": "ops"})
    raw = created.get_settings().get_raw()
    assert "bogus" not in raw and raw["runAsUser"] == "ops"


def test_folder_save_drops_unknown_keys(project: DSSProject) -> None:
    settings = project.get_managed_folder(FOLDER).get_settings()
    settings.get_raw()["bogus"] = 1
    settings.get_raw()["name"] = "renamed_by_settings"
    settings.save()
    stored = project.get_managed_folder(FOLDER).get_settings().get_raw()
    assert "bogus" not in stored and stored["name"] == "renamed_by_settings"


def test_project_settings_save_drops_unknown_keys(project: DSSProject) -> None:
    settings = project.get_settings()
    settings.get_raw()["bogus"] = 1
    settings.get_raw()["settings"]["gitCommitMode"] = "MANUAL"
    settings.save()
    stored = project.get_settings().get_raw()
    assert "bogus" not in stored and stored["settings"]["gitCommitMode"] == "MANUAL"


def _seed_objects(seed):  # type: ignore[no-untyped-def]
    yield "project", seed.params, PROJECT_SETTINGS_KEYS
    for name, definition in seed.datasets.items():
        yield f"dataset {name}", definition, DATASET_KEYS
    for name, (definition, _payload) in seed.recipes.items():
        yield f"recipe {name}", definition, RECIPE_KEYS
    for name, (definition, _script) in seed.scenarios.items():
        yield f"scenario {name}", definition, SCENARIO_KEYS
    for name, definition in seed.managed_folders.items():
        yield f"folder {name}", definition, FOLDER_KEYS


def _seeds() -> list:  # type: ignore[type-arg]
    seeds = [load_tree(SAMPLES_DIR / "CUSTOMER_ANALYTICS"), generate_project("SYN", datasets=40, recipes=30)]
    shared = require_shared_projects()
    return seeds + [load_tree(p) for p in sorted(Path(shared).iterdir()) if (p / "params.json").is_file()]


def test_every_key_of_real_and_shipped_objects_is_known() -> None:
    # The known-key sets come from real objects: a read-modify-write of any of them must lose nothing.
    lost = [(seed.key, what, unknown_keys(definition, known))
            for seed in _seeds() for what, definition, known in _seed_objects(seed)
            if unknown_keys(definition, known)]
    assert lost == []


# --- recipe creation: builders check the flow, raw creation takes the prototype as is ---------------------------


def test_a_builder_recipe_with_a_missing_input_is_refused_and_nothing_is_created(project: DSSProject) -> None:
    before = [r["name"] for r in project.list_recipes()]
    builder = project.new_recipe("python", "compute_orphan")
    builder.with_input("no_such_dataset")
    builder.with_output("customers_prepared")
    builder.with_script("print(1)")
    with pytest.raises(DataikuException, match=r"IllegalArgumentException: .*input 'no_such_dataset' \(role main\) "
                                               r"does not exist"):
        builder.create()
    assert [r["name"] for r in project.list_recipes()] == before


def test_a_builder_recipe_with_a_missing_output_is_refused_as_dss_words_it(project: DSSProject) -> None:
    builder = project.new_recipe("python", "compute_nowhere")
    builder.with_input("misspelled_input")
    builder.with_output("not_created")
    # A real DSS's answer (quoted in a public bug report); it names the output before the bad input.
    with pytest.raises(DataikuException, match=r"IllegalArgumentException: Need to create output dataset or folder, "
                                               r"but creationInfo params are suppressing it: output 'not_created'"):
        builder.create()
    assert not project.get_dataset("not_created").exists()
    assert "compute_nowhere" not in [r["name"] for r in project.list_recipes()]


def test_raw_creation_keeps_a_dangling_input_as_declared(project: DSSProject) -> None:
    builder = project.new_recipe("python", "compute_from_elsewhere")
    builder.with_input("deleted_long_ago")
    builder.with_input("raw_customers", role="extra")
    builder.with_output("not_there_either")
    builder.set_raw_mode()
    builder.recipe_proto["params"] = {"envSelection": {"envMode": "EXPLICIT_ENV", "envName": "py39"}}
    builder.recipe_proto["inventedKey"] = 1
    builder.creation_settings["rawPayload"] = "import dataiku\n"
    recipe = builder.create()
    settings = recipe.get_settings()
    raw = settings.get_recipe_raw_definition()
    assert raw["inputs"] == {"main": {"items": [{"ref": "deleted_long_ago"}]},
                             "extra": {"items": [{"ref": "raw_customers"}]}}
    assert raw["outputs"]["main"]["items"] == [{"ref": "not_there_either", "appendMode": False}]
    assert raw["params"]["envSelection"]["envName"] == "py39" and "inventedKey" not in raw
    assert settings.get_payload() == "import dataiku\n"
    assert not project.get_dataset("not_there_either").exists()  # raw mode creates no output


def test_raw_creation_creates_no_output_even_when_asked(project: DSSProject) -> None:
    builder = project.new_recipe("grouping", "compute_raw_grouped")
    builder.with_input("raw_customers")
    builder.with_new_output("raw_grouped", "filesystem_managed")
    builder.set_raw_mode()
    builder.create()
    assert not project.get_dataset("raw_grouped").exists()


def test_join_builder_inputs_land_in_role_main(project: DSSProject) -> None:
    builder = project.new_recipe("join", "compute_joined")
    builder.with_input("raw_customers")
    builder.with_input("customers_prepared")
    builder.with_new_output("joined", "filesystem_managed")
    raw = builder.create().get_settings().get_recipe_raw_definition()
    assert [i["ref"] for i in raw["inputs"]["main"]["items"]] == ["raw_customers", "customers_prepared"]
    assert project.get_dataset("joined").get_settings().get_raw()["managed"] is True


def test_a_join_builder_with_a_missing_virtual_input_is_refused(project: DSSProject) -> None:
    builder = project.new_recipe("join", "compute_bad_join")
    builder.with_input("raw_customers")
    builder.with_input("ghost")
    builder.with_new_output("bad_joined", "filesystem_managed")
    with pytest.raises(DataikuException, match="input 'ghost'"):
        builder.create()
    assert not project.get_dataset("bad_joined").exists()  # refused before anything was created


def test_recipe_inputs_may_be_folders_saved_models_and_other_projects(dss: DSSEmulator, project: DSSProject) -> None:
    dss.client().create_project("OTHER", "Other", "admin").create_dataset("shared_in", "Filesystem",
                                                                         params={"connection": "filesystem_root",
                                                                                 "path": "/x"})
    builder = project.new_recipe("python", "compute_many")
    builder.with_input(FOLDER)
    builder.with_input("Lw3fT9dR", role="model")
    builder.with_input("shared_in", project_key="OTHER", role="other")
    builder.with_output("customers_prepared")
    raw = builder.create().get_settings().get_recipe_raw_definition()
    assert raw["inputs"]["other"]["items"] == [{"ref": "OTHER.shared_in", "deps": []}]
    missing = project.new_recipe("python", "compute_foreign_missing")
    missing.with_input("absent", project_key="OTHER")
    missing.with_output("customers_prepared")
    with pytest.raises(DataikuException, match=r"OTHER\.absent"):
        missing.create()


# --- connections ------------------------------------------------------------------------------------------------


def test_an_unknown_connection_is_refused_everywhere_it_is_named(project: DSSProject) -> None:
    error = r"Connection does not exist: nope \(needed by .*; this instance has: .*filesystem_managed"
    with pytest.raises(DataikuException, match=error):
        project.create_dataset("ext", "Filesystem", params={"connection": "nope", "path": "/a"})
    with pytest.raises(DataikuException, match=error):
        project.new_managed_dataset("managed_x").with_store_into("nope").create()
    with pytest.raises(DataikuException, match=error):
        project.create_managed_folder("f", connection_name="nope")
    builder = project.new_recipe("grouping", "compute_g")
    builder.with_input("raw_customers")
    builder.with_new_output("grouped", "nope")
    with pytest.raises(DataikuException, match=error):
        builder.create()
    names = [d["name"] for d in project.list_datasets()]
    assert not {"ext", "managed_x", "grouped"} & set(names)
    assert "compute_g" not in [r["name"] for r in project.list_recipes()]
    assert [f["name"] for f in project.list_managed_folders()] == ["churn_reports"]


@pytest.fixture(scope="module")
def prod() -> DSSEmulator:
    """A prod-like instance: no project, the fresh-install connections plus a warehouse and a lake."""
    with DSSEmulator(connections=["warehouse:PostgreSQL", ("lake", "EC2")], code_envs=["python:py39_ml"],
                     random_seed=3) as emulator:
        yield emulator


@pytest.fixture
def prod_project(prod: DSSEmulator) -> DSSProject:
    prod.reset()
    client = prod.client()
    if "APP" in client.list_project_keys():
        client.get_project("APP").delete()
    return client.create_project("APP", "App", "admin")


def test_a_managed_dataset_takes_the_type_of_its_connection(prod_project: DSSProject) -> None:
    sql = prod_project.new_managed_dataset("orders").with_store_into("warehouse").create().get_settings().get_raw()
    assert sql["type"] == "PostgreSQL" and sql["managed"] is True
    assert sql["params"]["connection"] == "warehouse" and sql["params"]["table"] == "${projectKey}_orders"
    assert "formatType" not in sql
    s3 = prod_project.new_managed_dataset("events").with_store_into("lake").create().get_settings().get_raw()
    assert (s3["type"], s3["formatType"], s3["params"]["path"]) == ("S3", "csv", "${projectKey}/events")
    local = prod_project.new_managed_dataset("local").with_store_into("filesystem_managed",
                                                                    format_option_id="PARQUET_HIVE").create()
    assert (local.get_settings().get_raw()["type"], local.get_settings().get_raw()["formatType"]) == (
        "Filesystem", "parquet")


def test_a_recipe_output_created_by_dss_is_typed_by_its_connection(prod_project: DSSProject) -> None:
    prod_project.new_managed_dataset("orders").with_store_into("warehouse").create()
    builder = prod_project.new_recipe("grouping", "compute_by_day")
    builder.with_input("orders")
    builder.with_new_output("by_day", "warehouse")
    builder.with_group_key("day")
    builder.create()
    assert prod_project.get_dataset("by_day").get_settings().get_raw()["type"] == "PostgreSQL"


def test_a_folder_gets_a_server_generated_id_and_its_connection_type(prod_project: DSSProject) -> None:
    first = prod_project.create_managed_folder("exports")
    second = prod_project.create_managed_folder("exports")  # not idempotent: a second folder
    assert first.id != second.id and all(re.fullmatch(r"[A-Za-z0-9]{8}", f.id) for f in (first, second))
    assert first.get_settings().get_raw()["type"] == "Filesystem"  # dataikuapi sent "type": None
    assert prod_project.create_managed_folder("raw", connection_name="lake").get_settings().get_raw()["type"] == "S3"


def test_connection_names_and_code_envs(prod: DSSEmulator, prod_project: DSSProject) -> None:
    client = prod.client()
    assert client.list_connections_names("all") == ["filesystem_folders", "filesystem_managed", "filesystem_root",
                                                    "lake", "warehouse"]
    assert client.list_connections_names("PostgreSQL") == ["warehouse"]
    assert client.list_connections_names("Snowflake") == []
    assert client.list_connections()["lake"]["type"] == "EC2"
    assert [(e["envLang"], e["envName"]) for e in client.list_code_envs()] == [("PYTHON", "py39_ml")]
    reader = prod.client(prod.create_api_key("reader", read_only=True))
    assert "warehouse" in reader.list_connections_names("all")  # any user may list the names
    with pytest.raises(DataikuException, match=r"UnauthorizedException: .*requires administrator rights"):
        reader.list_connections()


def test_connections_added_at_run_time_survive_a_reset(prod: DSSEmulator) -> None:
    prod.add_connection("scratch", "Snowflake")
    prod.reset()
    assert prod.client().list_connections_names("Snowflake") == ["scratch"]


def test_seeded_objects_bring_their_connections() -> None:
    with DSSEmulator() as dss:
        assert dss.connections() == {"filesystem_folders": "Filesystem", "filesystem_managed": "Filesystem",
                                     "filesystem_root": "Filesystem"}
        dss.add_synthetic_project("SYN", datasets=30, recipes=10, seed=1)
        used = {d["params"]["connection"]: d["type"] for d in dss.client().get_project("SYN").list_datasets()
                if "connection" in d["params"]}
        assert set(used) - set(dss.connections()) == set() and len(used) > 2
        assert all(dss.connections()[name] == dataset_type for name, dataset_type in used.items())
        dss.reset()  # the synthetic project is regenerated, its connections with it
        assert set(used) <= set(dss.client().list_connections_names("all"))


# --- renames, deletes, version tags -----------------------------------------------------------------------------


def test_rename_dataset_moves_it_and_the_recipes_follow(dss: DSSEmulator, project: DSSProject) -> None:
    before = project.get_dataset("customers_prepared").get_settings().get_raw()
    project.get_dataset("customers_prepared").rename("customers_clean")
    assert not project.get_dataset("customers_prepared").exists()
    after = project.get_dataset("customers_clean").get_settings().get_raw()
    assert after["name"] == "customers_clean" and after["schema"] == before["schema"]
    assert after["versionTag"]["versionNumber"] == before["versionTag"]["versionNumber"] + 1
    recipe = project.get_recipe(RECIPE).get_settings().get_recipe_raw_definition()
    assert recipe["outputs"]["main"]["items"][0]["ref"] == "customers_clean"
    assert dss.request_counts()["POST /projects/<project_key>/actions/renameDataset"] == 1


def test_rename_dataset_to_a_taken_or_missing_name_is_refused(project: DSSProject) -> None:
    with pytest.raises(DataikuException, match="already exists"):
        project.get_dataset("customers_prepared").rename("raw_customers")
    with pytest.raises(DataikuException, match="NotFoundException: dataset does not exist"):
        project.get_dataset("ghost").rename("anything")


def test_rename_recipe_and_folder(project: DSSProject) -> None:
    project.get_recipe(RECIPE).rename("prepare_customers")
    assert "prepare_customers" in [r["name"] for r in project.list_recipes()]
    project.get_managed_folder(FOLDER).rename("reports")
    assert project.get_managed_folder(FOLDER).get_settings().get_raw()["name"] == "reports"  # same id
    with pytest.raises(DataikuException, match="IllegalArgumentException"):
        project.get_managed_folder(FOLDER).rename("   ")


def test_deletes_accept_their_data_flags(client, project: DSSProject) -> None:  # type: ignore[no-untyped-def]
    project.get_dataset("customers_prepared").delete(drop_data=True)
    project.get_managed_folder(FOLDER).delete(drop_data=True)
    assert not project.get_dataset("customers_prepared").exists()
    assert [f["id"] for f in project.list_managed_folders()] == []
    project.delete(clear_managed_datasets=True, clear_output_managed_folders=True)
    assert client.list_project_keys() == []


def test_every_save_bumps_the_version_even_when_nothing_changed(dss: DSSEmulator, project: DSSProject) -> None:
    dataset = project.get_dataset("raw_customers")
    start = dataset.get_settings().get_raw()["versionTag"]["versionNumber"]
    dataset.get_settings().save()
    dataset.get_settings().save()
    tag = dataset.get_settings().get_raw()["versionTag"]
    assert tag["versionNumber"] == start + 2 and tag["lastModifiedBy"]["login"] == dss.admin_login


def test_variables_put_replaces_both_halves(project: DSSProject) -> None:
    project.set_variables({"standard": {"only": "this"}, "local": {}})
    assert project.get_variables() == {"standard": {"only": "this"}, "local": {}}


def test_permissions_put_replaces_the_list(project: DSSProject) -> None:
    permissions = project.get_permissions()
    permissions["permissions"] = [{"group": "ops", "readProjectContent": True}]
    project.set_permissions(permissions)
    assert project.get_permissions()["permissions"] == [{"group": "ops", "readProjectContent": True}]


def test_recipe_metadata_roundtrip(project: DSSProject) -> None:
    recipe = project.get_recipe(RECIPE)
    metadata = recipe.get_metadata()
    assert "customFields" not in metadata and metadata["label"] == RECIPE
    metadata["tags"] = ["b", "a", "b"]
    metadata["description"] = "cleans customers"
    before = recipe.get_settings().get_recipe_raw_definition()["versionTag"]["versionNumber"]
    recipe.set_metadata(metadata)
    raw = recipe.get_settings().get_recipe_raw_definition()
    assert (raw["tags"], raw["description"]) == (["a", "b"], "cleans customers")
    assert raw["versionTag"]["versionNumber"] == before + 1


def test_control_plane_adds_a_connection(dss: DSSEmulator) -> None:
    import requests

    base = f"{dss.url}/__emulator__"
    answer = requests.post(f"{base}/connections", json={"name": "cp_wh", "type": "Snowflake"}, timeout=5)
    assert answer.status_code == 200 and "cp_wh" in answer.json()["connections"]
    assert dss.client().list_connections_names("Snowflake") == ["cp_wh"]
    bad = requests.post(f"{base}/connections", json={"name": "no spaces", "type": "Snowflake"}, timeout=5)
    assert bad.status_code == 400
    dss.backend.configured_connections.pop("cp_wh")  # keep the session emulator as configured
    dss.reset()
    assert dss.client().list_connections_names("Snowflake") == []


def test_a_builder_output_folder_is_created_and_referenced_by_its_new_id(project: DSSProject) -> None:
    builder = project.new_recipe("download", "compute_downloads")
    builder.with_new_output("downloads", "filesystem_folders", object_type="MANAGED_FOLDER")
    raw = builder.create().get_settings().get_recipe_raw_definition()
    folder_id = raw["outputs"]["main"]["items"][0]["ref"]
    assert re.fullmatch(r"[A-Za-z0-9]{8}", folder_id)
    assert project.get_managed_folder(folder_id).get_settings().get_raw()["name"] == "downloads"


def test_a_recipe_save_may_keep_a_dangling_input(project: DSSProject) -> None:
    settings = project.get_recipe(RECIPE).get_settings()
    settings.get_recipe_raw_definition()["inputs"]["main"]["items"].append({"ref": "gone_dataset"})
    settings.save()
    raw = project.get_recipe(RECIPE).get_settings().get_recipe_raw_definition()
    assert {"ref": "gone_dataset", "deps": []} in raw["inputs"]["main"]["items"]
