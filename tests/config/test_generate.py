"""generate (State -> config files): the round trip on the emulator's projects, determinism, and the rules."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest

from dataiku_iac.config import build_desired_state, identities_from_state, read_config, validate_config
from dataiku_iac.config.generate import environments_file, generate_config
from dataiku_iac.dss.client import make_client
from dataiku_iac.models.state import Resource, State
from dataiku_iac.sync.engine import SyncEngine
from tests.config.test_round_trip import changed, managed_diffs
from tests.dss_support import SHARED_PROJECTS

REAL = ["RAMENMEITEN", "GIT_INTEGRATION_DEMO"]


def sync(dss, keys: List[str]) -> State:
    state = State(environment="dev")
    for resource in SyncEngine(make_client(dss.url, dss.api_key, timeout=20.0)).sync(keys).resources:
        if resource.resource_type != "saved_model":  # read-only: not in a config
            state.add_resource(resource)
    return state


def write(root: Path, files: Dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def keys_present(dss) -> List[str]:
    keys = ["CUSTOMER_ANALYTICS"]
    if SHARED_PROJECTS.is_dir():
        keys += REAL
    return keys


def test_generate_then_desired_equals_live_on_the_emulator_projects(emulator, tmp_path: Path) -> None:
    keys = keys_present(emulator)
    live = sync(emulator, keys)
    generated = generate_config(live)
    root = write(tmp_path / "config", {**generated.files,
                                       "dataiku-iac.yml": environments_file({"dev": (emulator.url, "DKU_KEY")})})
    result = validate_config(root)
    assert result.errors == []
    # The secret the sync redacted is a placeholder to export; here its real value, read from DSS.
    environ = {}
    if "RAMENMEITEN" in keys:
        assert "trip_advisor_vocabs" in " ".join(str(p) for p in result.warnings)
        [(name, where)] = generated.secrets.items()
        assert where == "recipe RAMENMEITEN.compute_raw_ramen_locations payload.steps.9.params.apiKey"
        raw = emulator.client().get_project("RAMENMEITEN").get_recipe("compute_raw_ramen_locations")
        environ[name] = raw.get_settings().get_json_payload()["steps"][9]["params"]["apiKey"]
        assert "apiKey: ${env:" + name + "}" in generated.files["projects/RAMENMEITEN/recipes.yml"]
    desired = build_desired_state(read_config(root), "dev", environ=environ, identities=identities_from_state(live))
    assert set(desired.resources) == set(live.resources)
    assert changed(managed_diffs(desired, live)) == []


def test_generate_is_deterministic(emulator) -> None:
    keys = keys_present(emulator)
    first = generate_config(sync(emulator, keys)).files
    again = generate_config(sync(emulator, keys)).files
    assert first == again


def test_after_generate_an_edit_in_dss_shows_as_exactly_that_change(emulator, tmp_path: Path) -> None:
    live = sync(emulator, ["CUSTOMER_ANALYTICS"])
    root = write(tmp_path / "config", {**generate_config(live).files,
                                       "dataiku-iac.yml": environments_file({"dev": (emulator.url, "K")})})
    scenario = emulator.client().get_project("CUSTOMER_ANALYTICS").get_scenario("REFRESH_CUSTOMERS")
    settings = scenario.get_settings()
    settings.get_raw()["triggers"][0]["active"] = False
    settings.save()
    edited = sync(emulator, ["CUSTOMER_ANALYTICS"])
    desired = build_desired_state(read_config(root), "dev", identities=identities_from_state(edited))
    assert changed(managed_diffs(desired, edited)) == [
        "scenario.CUSTOMER_ANALYTICS.REFRESH_CUSTOMERS: ['triggers[id=nT4wq8Zc].active']"]


def resource(rid: str, attributes: dict) -> Resource:
    return Resource(rid.split(".")[0], rid, attributes)


@pytest.fixture
def small_state() -> State:
    state = State()
    for item in (
        resource("project.P", {"projectKey": "P", "name": "P", "tags": [], "description": "",
                               "variables": {"standard": {"root": "${projectKey}/x", "odd": "${var:y}"}, "local": {}}}),
        resource("dataset.P.src", {"name": "src", "type": "Filesystem", "tags": [],
                                   "schema": {"columns": [{"name": "a", "type": "string"}]}}),
        resource("dataset.P.out", {"name": "out", "type": "Filesystem",
                                   "schema": {"columns": [{"name": "b", "type": "string"}]}}),
        resource("dataset.P.files", {"name": "files", "type": "FilesInFolder", "params": {"folderSmartId": "F2"}}),
        resource("managed_folder.P.F1", {"name": "pairs", "type": "Filesystem"}),
        resource("managed_folder.P.F2", {"name": "pairs", "type": "Filesystem"}),
        resource("recipe.P.r", {"name": "r", "type": "python", "payload": "print(1)\n",
                                "inputs": {"main": {"items": [{"ref": "src", "deps": []}, {"ref": "F1", "deps": []}]}},
                                "outputs": {"main": {"items": [{"ref": "out", "appendMode": True}]}}}),
        resource("scenario.P.S", {"name": "Run", "type": "custom_python", "script": "print('run')\n"}),
    ):
        state.add_resource(item)
    return state


def test_generated_files_follow_the_rules(small_state: State, tmp_path: Path) -> None:
    files = generate_config(small_state).files
    assert sorted(files) == ["projects/P/datasets.yml", "projects/P/managed_folders.yml", "projects/P/project.yml",
                             "projects/P/recipes.yml", "projects/P/recipes/r.py", "projects/P/scenarios.yml",
                             "projects/P/scenarios/Run.py"]
    recipes = files["projects/P/recipes.yml"]
    assert "inputs:\n    - src\n    - folder: pairs\n      deps: []\n" in recipes  # the folder by its key
    assert "payload_file: recipes/r.py" in recipes and files["projects/P/recipes/r.py"] == "print(1)\n"
    folders = files["projects/P/managed_folders.yml"]
    assert "  pairs:\n    id: F1\n" in folders and "  pairs_2:\n    name: pairs\n    id: F2\n" in folders
    datasets = files["projects/P/datasets.yml"]
    assert "folderSmartId: pairs_2" in datasets
    assert "columns:\n      - name: a" in datasets and "name: b" not in datasets  # a recipe writes out
    project = files["projects/P/project.yml"]
    assert "root: ${projectKey}/x" in project and "odd: $${var:y}" in project  # DSS's own, and escaped
    assert "tags" not in project and "description" not in project
    root = write(tmp_path / "c", {**files, "dataiku-iac.yml": environments_file({"dev": ("http://x", "K")})})
    result = validate_config(root)
    assert result.problems == []
    desired = result.desired["dev"]
    assert desired.state.resources["project.P"].attributes["variables"]["standard"]["odd"] == "${var:y}"
    assert desired.state.resources["dataset.P.files"].attributes["params"]["folderSmartId"] == "F2"
    assert desired.state.resources["scenario.P.new:Run"].attributes["script"] == "print('run')\n"
    with_schemas = generate_config(small_state, include_output_schemas=True).files["projects/P/datasets.yml"]
    assert "name: b" in with_schemas


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_round_trip_holds_on_synthetic_projects(emulator, tmp_path: Path, seed: int) -> None:
    emulator.add_synthetic_project("SYN", datasets=60, recipes=50, scenarios=6, folders=3, seed=seed)
    live = sync(emulator, ["SYN"])
    generated = generate_config(live)
    assert generated.skipped == []
    root = write(tmp_path / "config", {**generated.files, "dataiku-iac.yml": environments_file({"dev": ("u", "K")})})
    result = validate_config(root, "dev", environ={name: "x" for name in generated.secrets})
    assert result.errors == []
    desired = build_desired_state(read_config(root), "dev", environ={name: "x" for name in generated.secrets},
                                  identities=identities_from_state(live))
    assert set(desired.resources) == set(live.resources)
    assert changed(managed_diffs(desired, live)) == []
