"""The backend's rules, called directly (no HTTP), plus the seed loader and writer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dss_emulator import SAMPLE_PROJECT_KEY, DSSBackend, load_tree, sample_project_dir, write_tree
from dss_emulator.exceptions import AlreadyExists, BadRequest, Forbidden, NotFound, Unauthorized
from dss_emulator.models.scenarios import derive_scenario_id
from dss_emulator.seed import find_project_trees


class FakeClock:
    """Epoch ms that only move when told."""

    def __init__(self, now: int = 1_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(clock: FakeClock) -> DSSBackend:
    b = DSSBackend(clock=clock, random_seed=1)
    b.load_project(load_tree(sample_project_dir()))
    return b


KEY = SAMPLE_PROJECT_KEY


def test_save_bumps_version_tag_from_the_stored_one(backend: DSSBackend, clock: FakeClock) -> None:
    definition = backend.get_dataset(KEY, "raw_customers")
    definition["versionTag"] = {"versionNumber": 100, "lastModifiedBy": {"login": "liar"}, "lastModifiedOn": 1}
    definition["creationTag"] = {"versionNumber": 9}
    definition["name"] = "renamed_by_body"
    clock.now = 5_000
    backend.save_dataset(KEY, "raw_customers", definition, "carol")
    saved = backend.get_dataset(KEY, "raw_customers")
    assert saved["versionTag"] == {"versionNumber": 5, "lastModifiedBy": {"login": "carol"}, "lastModifiedOn": 5_000}
    assert saved["creationTag"]["versionNumber"] == 0  # kept from the store
    assert saved["name"] == "raw_customers"  # identity comes from the URL
    clock.now = 6_000
    backend.save_dataset(KEY, "raw_customers", saved, "dave")  # an unchanged save still bumps
    assert backend.get_dataset(KEY, "raw_customers")["versionTag"]["versionNumber"] == 6


def test_put_replaces_the_whole_object(backend: DSSBackend) -> None:
    definition = backend.get_dataset(KEY, "raw_customers")
    del definition["metrics"]
    backend.save_dataset(KEY, "raw_customers", definition, "admin")
    assert "metrics" not in backend.get_dataset(KEY, "raw_customers")


def test_returned_objects_are_copies(backend: DSSBackend) -> None:
    backend.get_dataset(KEY, "raw_customers")["params"]["path"] = "/mutated"
    assert backend.get_dataset(KEY, "raw_customers")["params"]["path"] == "${crm_export_path}"


def test_created_objects_get_creation_and_version_tags(backend: DSSBackend, clock: FakeClock) -> None:
    clock.now = 42
    created = backend.create_dataset(KEY, {"name": "fresh", "type": "Filesystem", "tags": ["b", "a", "b"]}, "eve")
    expected = {"versionNumber": 0, "lastModifiedBy": {"login": "eve"}, "lastModifiedOn": 42}
    assert created["versionTag"] == expected
    assert created["creationTag"] == expected
    assert created["tags"] == ["a", "b"]


def test_not_found_messages_name_the_object(backend: DSSBackend) -> None:
    cases = [
        (lambda: backend.get_project_summary("NOPE"), "project does not exist: NOPE"),
        (lambda: backend.get_dataset(KEY, "x"), f"dataset does not exist: {KEY}.x"),
        (lambda: backend.get_recipe(KEY, "x"), f"recipe does not exist: {KEY}.x"),
        (lambda: backend.get_scenario(KEY, "X"), f"scenario does not exist: {KEY}.X"),
        (lambda: backend.get_folder(KEY, "x"), f"managed folder does not exist: {KEY}.x"),
        (lambda: backend.get_saved_model(KEY, "x"), f"saved model does not exist: {KEY}.x"),
    ]
    for call, message in cases:
        with pytest.raises(NotFound) as info:
            call()
        assert info.value.message == message
        assert info.value.status == 404
        assert info.value.to_json()["errorType"] == "com.dataiku.dip.server.controllers.NotFoundException"


@pytest.mark.parametrize(("name", "expected"), [
    ("Rebuild data and retrain model", "REBUILDDATAANDRETRAINMODEL"),
    ("git_reload", "GIT_RELOAD"),
    ("Get best ramen", "GETBESTRAMEN"),
    ("été 2024 (v2)", "T2024V2"),
    ("!!!", "SCENARIO"),
])
def test_scenario_id_derivation(name: str, expected: str) -> None:
    assert derive_scenario_id(name) == expected


def test_folder_ids_are_random_8_chars_and_reproducible(clock: FakeClock) -> None:
    def ids(seed: int) -> list[str]:
        b = DSSBackend(clock=clock, random_seed=seed)
        b.load_project(load_tree(sample_project_dir()))
        return [b.create_folder(KEY, {"name": f"f{i}"}, "admin")["id"] for i in range(5)]

    first = ids(3)
    assert all(re.fullmatch(r"[A-Za-z0-9]{8}", i) for i in first)
    assert len(set(first)) == 5
    assert ids(3) == first
    assert ids(4) != first


def test_variables_need_both_halves(backend: DSSBackend) -> None:
    with pytest.raises(BadRequest, match="local"):
        backend.set_project_variables(KEY, {"standard": {}}, "admin")
    with pytest.raises(BadRequest, match="standard"):
        backend.set_project_variables(KEY, {"local": {}}, "admin")
    backend.set_project_variables(KEY, {"standard": {"a": 1}, "local": {}}, "admin")
    assert backend.get_project_variables(KEY) == {"standard": {"a": 1}, "local": {}}


def test_project_writes_bump_the_project_tag(backend: DSSBackend) -> None:
    start = backend.get_project_summary(KEY)["versionTag"]["versionNumber"]
    backend.set_project_variables(KEY, backend.get_project_variables(KEY), "a")
    backend.set_project_permissions(KEY, backend.get_project_permissions(KEY), "b")
    backend.set_project_settings(KEY, backend.get_project_settings(KEY), "c")
    backend.set_project_metadata(KEY, backend.get_project_metadata(KEY), "d")
    tag = backend.get_project_summary(KEY)["versionTag"]
    assert tag["versionNumber"] == start + 4
    assert tag["lastModifiedBy"]["login"] == "d"


def test_settings_put_cannot_touch_permissions(backend: DSSBackend) -> None:
    settings = backend.get_project_settings(KEY)
    settings["permissions"] = []
    backend.set_project_settings(KEY, settings, "admin")
    assert len(backend.get_project_permissions(KEY)["permissions"]) == 2


def test_recipe_save_keeps_payload_when_absent(backend: DSSBackend) -> None:
    envelope = backend.get_recipe(KEY, "compute_customers_prepared")
    backend.save_recipe(KEY, "compute_customers_prepared", {"recipe": envelope["recipe"]}, "admin")
    assert backend.get_recipe_payload(KEY, "compute_customers_prepared") == envelope["payload"]
    with pytest.raises(BadRequest):
        backend.save_recipe(KEY, "compute_customers_prepared", {"payload": "x"}, "admin")
    with pytest.raises(BadRequest):
        backend.save_recipe(KEY, "compute_customers_prepared", {"recipe": {}, "payload": 3}, "admin")


def test_create_errors(backend: DSSBackend) -> None:
    with pytest.raises(AlreadyExists):
        backend.create_project({"projectKey": KEY}, "admin")
    with pytest.raises(BadRequest, match="Invalid project key"):
        backend.create_project({"projectKey": "bad key"}, "admin")
    with pytest.raises(BadRequest):
        backend.create_dataset(KEY, {"name": "a/b"}, "admin")
    with pytest.raises(BadRequest):
        backend.create_scenario(KEY, {"name": "x", "type": "bogus"}, "admin")
    with pytest.raises(BadRequest):
        backend.create_dataset(KEY, ["not", "an", "object"], "admin")  # type: ignore[arg-type]


def test_folder_paths_are_normalised(backend: DSSBackend) -> None:
    folder_id = backend.list_folders(KEY)[0]["id"]
    backend.put_folder_file(KEY, folder_id, "//a/b.txt", b"x")
    assert backend.get_folder_file(KEY, folder_id, "a/b.txt") == b"x"
    assert backend.list_folder_contents(KEY, folder_id)["items"][0]["path"] == "/a/b.txt"
    with pytest.raises(BadRequest):
        backend.put_folder_file(KEY, folder_id, "/", b"x")


def test_api_keys(backend: DSSBackend) -> None:
    reader = backend.create_api_key("r", read_only=True)
    assert backend.authenticate(reader.key) == reader
    reader.check_method("GET")
    with pytest.raises(Forbidden):
        reader.check_method("DELETE")
    with pytest.raises(Unauthorized):
        backend.authenticate("nope")
    with pytest.raises(Unauthorized):
        backend.authenticate(None)
    assert backend.auth_info(reader)["admin"] is False


def test_seed_loader_adds_identity_and_matches_payloads(tmp_path: Path) -> None:
    tree = tmp_path / "PROJ"
    (tree / "recipes").mkdir(parents=True)
    (tree / "scenarios").mkdir()
    (tree / "zones").mkdir()
    (tree / "params.json").write_text(json.dumps({"name": "P", "owner": "o"}))
    (tree / "zones" / "z.json").write_text("{not json")  # unmodelled: ignored, even if broken
    (tree / "recipes" / "compute_a.json").write_text(json.dumps({"type": "python"}))
    (tree / "recipes" / "compute_a.py").write_text("A")
    (tree / "recipes" / "compute_a_1.json").write_text(json.dumps({"type": "grouping"}))
    (tree / "recipes" / "compute_a_1.grouping").write_text("{}")
    (tree / "recipes" / "compute_b.json").write_text(json.dumps({"type": "sync"}))
    (tree / "scenarios" / "S.json").write_text(json.dumps({"type": "custom_python", "name": "s"}))
    (tree / "scenarios" / "S.py").write_text("print()")
    seed = load_tree(tree)
    assert seed.key == "PROJ"
    assert {n: p for n, (_, p) in seed.recipes.items()} == {"compute_a": "A", "compute_a_1": "{}", "compute_b": None}
    backend = DSSBackend()
    backend.load_project(seed)
    recipe = backend.get_recipe("PROJ", "compute_a")["recipe"]
    assert (recipe["projectKey"], recipe["name"]) == ("PROJ", "compute_a")
    assert "versionTag" in recipe  # the API always has one
    assert backend.get_scenario_payload("PROJ", "S") == {"script": "print()"}


def test_find_project_trees(tmp_path: Path) -> None:
    assert find_project_trees(sample_project_dir()) == [sample_project_dir()]
    assert find_project_trees(sample_project_dir().parent) == [sample_project_dir()]
    with pytest.raises(FileNotFoundError):
        find_project_trees(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        load_tree(tmp_path)


def test_write_tree_roundtrips_the_sample(tmp_path: Path) -> None:
    original = load_tree(sample_project_dir())
    written = write_tree(original, tmp_path)
    assert written == tmp_path / KEY
    again = load_tree(written)
    assert again == original


def test_sample_ships_as_package_data() -> None:
    tree = sample_project_dir()
    assert tree.name == SAMPLE_PROJECT_KEY
    assert (tree / "recipes" / "compute_customers_prepared.py").is_file()
    seed = load_tree(tree)
    assert sorted(seed.datasets) == ["customers_prepared", "raw_customers"]
    assert list(seed.recipes) == ["compute_customers_prepared"]
    assert list(seed.scenarios) == ["REFRESH_CUSTOMERS"]
    assert list(seed.managed_folders) == ["Qx7mK2pA"]
    assert list(seed.saved_models) == ["Lw3fT9dR"]
    scenario = seed.scenarios["REFRESH_CUSTOMERS"][0]
    assert scenario["triggers"] and scenario["reporters"]


# --- connections (no HTTP) ----------------------------------------------------------------------------------------


def test_connection_specs_parse_or_say_what_they_expect() -> None:
    from dss_emulator.models.connections import parse_code_env_spec, parse_connection_spec

    assert parse_connection_spec("warehouse:PostgreSQL") == ("warehouse", "PostgreSQL")
    assert parse_connection_spec(" lake : EC2 ") == ("lake", "EC2")
    for bad in ("warehouse", ":PostgreSQL", "warehouse:", "two words:Snowflake"):
        with pytest.raises(ValueError, match="connection"):
            parse_connection_spec(bad)
    assert parse_code_env_spec("Python:py39") == ("python", "py39")
    with pytest.raises(ValueError, match="python:NAME or r:NAME"):
        parse_code_env_spec("julia:x")


def test_fresh_instance_connections_without_defaults_and_seed_connections(backend: DSSBackend) -> None:
    bare = DSSBackend(default_connections=False, connections=[("only", "Snowflake")])
    assert bare.list_connection_names("all") == ["only"]
    with pytest.raises(BadRequest, match="Connection does not exist: filesystem_managed"):
        bare.connection_type("filesystem_managed", "a test")
    # the sample's objects live on the default connections: nothing new was declared
    assert backend.list_connection_names(None) == ["filesystem_folders", "filesystem_managed", "filesystem_root"]


def test_managed_dataset_on_a_sql_connection_has_a_table_and_no_format(backend: DSSBackend) -> None:
    backend.add_connection("wh", "Snowflake")
    created = backend.create_managed_dataset(SAMPLE_PROJECT_KEY, {"name": "t", "creationSettings": {
        "connectionId": "wh"}}, "admin")
    assert created["type"] == "Snowflake" and created["params"]["mode"] == "table"
    assert "formatType" not in created and "formatParams" not in created
