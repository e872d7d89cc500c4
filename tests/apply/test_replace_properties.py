"""Property: replacing the managed folders of any applied config (their storage ``type`` changed, so DSS gives
each a new id) takes ONE apply: then ``plan`` shows no changes, ``drift`` finds nothing, every recipe reading a
folder reads its new id and no recorded dependency names an old one (emulator over HTTP, through the CLI)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict

import pytest
from hypothesis import given
from hypothesis_profiles import property_settings

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli.main import main

from .test_apply_properties import cli_workdir, configs, write_config

STATE = Path(".dataiku/state/dev.state.json")
COUNTER = iter(range(10**6))


@pytest.fixture(scope="module")
def emulator(emulator_pool):
    """The suite's emulator with no project, reset once: hypothesis runs every example in one test call."""
    return emulator_pool.reset("bare")


def with_folders_replaced(config: Dict[str, Any]) -> Dict[str, Any]:
    changed = copy.deepcopy(config)
    for body in changed["managed_folders"].values():
        body["type"] = "HDFS"
    return changed


def folder_refs(client: Any, key: str) -> Dict[str, set]:
    """recipe name -> the folder ids its inputs name."""
    project = client.get_project(key)
    folders = {folder["id"] for folder in project.list_managed_folders()}
    found = {}
    for recipe in project.list_recipes():
        raw = project.get_recipe(recipe["name"]).get_settings().get_recipe_raw_definition()
        refs = {item["ref"] for role in raw["inputs"].values() for item in role["items"]}
        found[recipe["name"]] = refs - {d["name"] for d in project.list_datasets()}
        assert found[recipe["name"]] <= folders, (recipe["name"], found[recipe["name"]], folders)
    return found


@property_settings(max_examples=10)
@given(config=configs().filter(lambda config: bool(config["managed_folders"])))
def test_replacing_folders_takes_one_apply(emulator, config):
    key = f"REPL_{next(COUNTER)}"
    with cli_workdir(emulator):
        write_config(Path("config"), emulator.url, key, config)
        assert main(["apply", "--config", "config", "--auto-approve"]) == 0
        old_ids = {rid for rid in LocalFileBackend(STATE).load().managed if rid.startswith("managed_folder.")}
        write_config(Path("config2"), emulator.url, key, with_folders_replaced(config))
        assert main(["apply", "--config", "config2", "--auto-approve"]) == 0
        state = LocalFileBackend(STATE).load()
        new_ids = {rid for rid in state.managed if rid.startswith("managed_folder.")}
        assert len(new_ids) == len(old_ids) and not new_ids & old_ids
        assert not any(dep in old_ids for entry in state.managed.values() for dep in entry.dependencies)
        folder_refs(emulator.client(), key)  # every folder a recipe reads exists
        assert main(["plan", "--config", "config2"]) == 0
        assert main(["drift"]) == 0
