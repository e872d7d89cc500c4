"""The two real DSS project trees in ../shared/dss-projects load and read back intact through dataikuapi.

Every object must be served with the identity the API adds (projectKey, name or id) and
exactly the content of its file; recipes with their payload file, python scenarios with
their script.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dataikuapi
import pytest

from dss_emulator import DSSEmulator

REAL_KEYS = ("GIT_INTEGRATION_DEMO", "RAMENMEITEN")


@pytest.fixture
def shared_client(real_projects_emulator: DSSEmulator) -> dataikuapi.DSSClient:
    return real_projects_emulator.client()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def json_files(folder: Path) -> dict[str, Any]:
    return {p.stem: read_json(p) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}


def assert_served(served: dict[str, Any], on_disk: dict[str, Any], identity: dict[str, Any]) -> None:
    """Served = file content + identity fields, nothing lost, nothing else added."""
    assert {k: served[k] for k in identity} == identity
    assert set(served) == set(on_disk) | set(identity)
    for key, value in on_disk.items():
        if key not in identity:
            assert served[key] == value, key


def test_both_real_projects_load(shared_client: dataikuapi.DSSClient) -> None:
    assert sorted(shared_client.list_project_keys()) == sorted(REAL_KEYS)


@pytest.mark.parametrize("key", REAL_KEYS)
def test_project_level_documents(shared_client: dataikuapi.DSSClient, shared_dir: Path, key: str) -> None:
    tree = shared_dir / key
    params = read_json(tree / "params.json")
    project = shared_client.get_project(key)
    summary = project.get_summary()
    assert summary["projectKey"] == key
    assert summary["name"] == params["name"]
    assert summary["versionTag"] == params["versionTag"]
    settings = project.get_settings().get_raw()
    assert settings == {k: v for k, v in params.items() if k != "permissions"}
    assert project.get_permissions() == {"owner": params["owner"], "permissions": params["permissions"]}
    assert project.get_metadata()["label"] == params["name"]
    variables = project.get_variables()
    standard = tree / "variables.json"
    local = tree / "localvariables.json"
    assert variables["standard"] == (read_json(standard) if standard.is_file() else {})
    assert variables["local"] == (read_json(local) if local.is_file() else {})


@pytest.mark.parametrize("key", REAL_KEYS)
def test_every_dataset(shared_client: dataikuapi.DSSClient, shared_dir: Path, key: str) -> None:
    files = json_files(shared_dir / key / "datasets")
    project = shared_client.get_project(key)
    listed = {item.name: item._data for item in project.list_datasets()}
    assert sorted(listed) == sorted(files)
    for name, on_disk in files.items():
        identity = {"projectKey": key, "name": name}
        assert_served(project.get_dataset(name).get_settings().get_raw(), on_disk, identity)
        assert_served(listed[name], on_disk, identity)


@pytest.mark.parametrize("key", REAL_KEYS)
def test_every_recipe_with_its_payload(shared_client: dataikuapi.DSSClient, shared_dir: Path, key: str) -> None:
    recipes_dir = shared_dir / key / "recipes"
    files = json_files(recipes_dir)
    project = shared_client.get_project(key)
    listed = {item.name: item._data for item in project.list_recipes()}
    assert sorted(listed) == sorted(files)
    for name, on_disk in files.items():
        identity = {"projectKey": key, "name": name}
        settings = project.get_recipe(name).get_settings()
        assert_served(settings.get_recipe_raw_definition(), on_disk, identity)
        assert_served(listed[name], on_disk, identity)
        payload_files = [p for p in recipes_dir.iterdir() if p.name.startswith(name + ".") and p.suffix != ".json"
                         and not any(p.name.startswith(other + ".") for other in files
                                     if other != name and len(other) > len(name))]
        if payload_files:
            (payload_file,) = payload_files
            assert settings.get_payload() == payload_file.read_text(encoding="utf-8"), name
        else:
            assert settings.get_payload() is None, name


def test_plugin_recipe_payload_with_an_odd_extension(shared_client: dataikuapi.DSSClient, shared_dir: Path) -> None:
    path = shared_dir / "RAMENMEITEN" / "recipes" / "compute_Zv18PGRj.CustomCode_nlp-visualization-wordcloud"
    settings = shared_client.get_project("RAMENMEITEN").get_recipe("compute_Zv18PGRj").get_settings()
    assert settings.get_payload() == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("key", REAL_KEYS)
def test_every_scenario_with_its_script(shared_client: dataikuapi.DSSClient, shared_dir: Path, key: str) -> None:
    scenarios_dir = shared_dir / key / "scenarios"
    files = json_files(scenarios_dir)
    project = shared_client.get_project(key)
    listed = {item._data["id"]: item._data for item in project.list_scenarios()}
    assert sorted(listed) == sorted(files)
    for scenario_id, on_disk in files.items():
        scenario = project.get_scenario(scenario_id)
        settings = scenario.get_settings()
        assert_served(settings.get_raw(), on_disk, {"projectKey": key, "id": scenario_id})
        assert listed[scenario_id]["name"] == on_disk["name"]
        assert listed[scenario_id]["type"] == on_disk["type"]
        script_file = scenarios_dir / f"{scenario_id}.py"
        script = script_file.read_text(encoding="utf-8") if script_file.is_file() else ""
        if on_disk["type"] == "custom_python":
            assert settings.script == script
        # /payload serves the script file for step-based scenarios too (DSS keeps it on disk).
        path = f"/projects/{key}/scenarios/{scenario_id}/payload"
        assert shared_client._perform_json("GET", path) == {"script": script}


def test_custom_python_scenario_exists_in_the_real_trees(shared_client: dataikuapi.DSSClient) -> None:
    settings = shared_client.get_project("GIT_INTEGRATION_DEMO").get_scenario("TEST").get_settings()
    assert isinstance(settings, dataikuapi.dss.scenario.PythonScriptBasedScenarioSettings)
    assert "from dataiku.scenario import Scenario" in settings.script


@pytest.mark.parametrize("key", REAL_KEYS)
def test_every_managed_folder(shared_client: dataikuapi.DSSClient, shared_dir: Path, key: str) -> None:
    files = json_files(shared_dir / key / "managed_folders")
    project = shared_client.get_project(key)
    listed = {item["id"]: item for item in project.list_managed_folders()}
    assert sorted(listed) == sorted(files)
    for folder_id, on_disk in files.items():
        identity = {"projectKey": key, "id": folder_id}
        assert_served(project.get_managed_folder(folder_id).get_settings().get_raw(), on_disk, identity)
        assert_served(listed[folder_id], on_disk, identity)


@pytest.mark.parametrize("key", REAL_KEYS)
def test_every_saved_model(shared_client: dataikuapi.DSSClient, shared_dir: Path, key: str) -> None:
    files = json_files(shared_dir / key / "saved_models")
    project = shared_client.get_project(key)
    listed = {item["id"]: item for item in project.list_saved_models()}
    assert sorted(listed) == sorted(files)
    for model_id, on_disk in files.items():
        identity = {"projectKey": key, "id": model_id}
        assert_served(project.get_saved_model(model_id).get_settings().get_raw(), on_disk, identity)
        assert_served(listed[model_id], on_disk, identity)
