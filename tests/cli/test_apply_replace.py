"""A replaced managed folder (its immutable ``type`` changed: deleted, then created with a new DSS id) and the
objects that refer to it, in ONE apply: the recipe writing it and the scenario step building it point at the
new id, the state records it, and the next plan has nothing to do. Real client over HTTP, against the emulator."""

from __future__ import annotations

import json

from dataiku_iac.backends.local import LocalFileBackend
from dss_emulator import SAMPLE_PROJECT_KEY as KEY

from .test_apply import CONFIG, STATE, apply, edit_yaml

FOLDER = "churn_reports"
RECIPE = "write_churn_reports"


def _add_a_recipe_on_the_folder(document: dict) -> None:
    document["recipes"][RECIPE] = {"type": "python", "inputs": ["customers_prepared"],
                                   "outputs": [{"folder": FOLDER}], "payload": "print('reports')\n"}


def _add_a_step_building_the_folder(document: dict) -> None:
    steps = document["scenarios"]["Refresh customers"]["params"]["steps"]
    steps[0]["params"]["builds"].append({"type": "MANAGED_FOLDER", "itemId": FOLDER, "partitionsSpec": ""})


def _folder_id(dss) -> str:
    folders = dss.client().get_project(KEY).list_managed_folders()
    assert [folder["name"] for folder in folders] == [FOLDER]
    return folders[0]["id"]


def _recipe_output_refs(dss) -> list:
    raw = dss.client().get_project(KEY).get_recipe(RECIPE).get_settings().get_recipe_raw_definition()
    return [item["ref"] for item in raw["outputs"]["main"]["items"]]


def _step_build_ids(dss) -> list:
    scenario = dss.client().get_project(KEY).list_scenarios()[0]
    raw = dss.client().get_project(KEY).get_scenario(scenario["id"]).get_settings().get_raw()
    return [item["itemId"] for item in raw["params"]["steps"][0]["params"]["builds"]]


def _config_referring_to_the_folder(cli, dss) -> str:
    """The sample adopted, plus a recipe writing the folder and a scenario step building it; applied."""
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    edit_yaml(f"projects/{KEY}/recipes.yml", _add_a_recipe_on_the_folder)
    edit_yaml(f"projects/{KEY}/scenarios.yml", _add_a_step_building_the_folder)
    first = apply(cli)
    assert first.code == 0, first.out + first.err
    old_id = _folder_id(dss)
    assert _recipe_output_refs(dss) == [old_id] and old_id in _step_build_ids(dss)
    assert cli("plan", "--config", CONFIG).code == 0
    return old_id


def _change_the_folder_type() -> None:
    edit_yaml(f"projects/{KEY}/managed_folders.yml",
              lambda doc: doc["managed_folders"][FOLDER].update(type="HDFS"))


def test_a_replaced_folder_and_what_refers_to_it_are_done_in_one_apply(cli, dss):
    old_id = _config_referring_to_the_folder(cli, dss)
    _change_the_folder_type()
    result = apply(cli)
    assert result.code == 0, result.out + result.err
    new_id = _folder_id(dss)
    assert new_id != old_id
    assert _recipe_output_refs(dss) == [new_id]
    assert new_id in _step_build_ids(dss) and old_id not in _step_build_ids(dss)
    state = LocalFileBackend(STATE).load()
    folder_rid, recipe_rid = f"managed_folder.{KEY}.{new_id}", f"recipe.{KEY}.{RECIPE}"
    assert folder_rid in state.managed and f"managed_folder.{KEY}.{old_id}" not in state.resources
    assert state.resources[recipe_rid].attributes["outputs"]["main"]["items"][0]["ref"] == new_id
    assert folder_rid in state.managed[recipe_rid].dependencies
    assert all(old_id not in dep for entry in state.managed.values() for dep in entry.dependencies)
    again = cli("plan", "--config", CONFIG)
    assert again.code == 0, again.out
    assert "No changes" in again.out


def test_the_plan_shows_the_updates_of_what_refers_to_a_replaced_folder(cli, dss):
    _config_referring_to_the_folder(cli, dss)
    _change_the_folder_type()
    plan = cli("plan", "--config", CONFIG, "--out", "tf.plan")
    assert plan.code == 2, plan.out + plan.err
    assert plan.out.splitlines()[-1] == "Plan: 0 to add, 2 to change, 1 to replace, 0 to destroy."
    assert f"refers to managed folder {FOLDER}, which is replaced" in plan.out
    with open("tf.plan", encoding="utf-8") as handle:
        document = json.load(handle)
    actions = {op["resource_id"].split(".")[0]: op["action"] for op in document["operations"]}
    assert actions == {"managed_folder": "replace", "recipe": "update", "scenario": "update"}
    result = cli("apply", "tf.plan", "--config", CONFIG)  # the saved plan is still current: applied as is
    assert result.code == 0, result.out + result.err
    assert _recipe_output_refs(dss) == [_folder_id(dss)]
    assert cli("plan", "--config", CONFIG).code == 0


def test_a_protected_folder_is_still_not_replaced(cli, dss):
    old_id = _config_referring_to_the_folder(cli, dss)
    edit_yaml(f"projects/{KEY}/managed_folders.yml",
              lambda doc: doc["managed_folders"][FOLDER].update(type="HDFS", protect=True))
    result = apply(cli)
    assert result.code == 1
    assert "protect: true forbids replacing it" in result.err
    assert _folder_id(dss) == old_id and _recipe_output_refs(dss) == [old_id]



def test_json_and_html_plans_show_the_updates_too(cli, dss):
    _config_referring_to_the_folder(cli, dss)
    _change_the_folder_type()
    note = f"refers to managed folder {FOLDER}, which is replaced: the new id is written once DSS gives it"
    document = json.loads(cli("plan", "--config", CONFIG, "--format", "json").out)
    recipe = next(op for op in document["operations"] if op["resource_id"] == f"recipe.{KEY}.{RECIPE}")
    folder = next(op for op in document["operations"] if op["action"] == "replace")
    assert recipe["action"] == "update" and note in recipe["notes"]
    assert folder["resource_id"] in recipe["dependencies"]
    assert [change["after"]["ref"] for change in recipe["changes"] if change["action"] == "added"] \
        == [f"new:{FOLDER}"]  # the placeholder: apply writes the id DSS gives the new folder
    html = cli("plan", "--config", CONFIG, "--format", "html").out
    assert note in html


def test_a_replaced_scenario_is_recorded_under_its_new_id_in_one_apply(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    old_id = dss.client().get_project(KEY).list_scenarios()[0]["id"]

    def to_python(document: dict) -> None:
        scenario = document["scenarios"]["Refresh customers"]
        scenario.pop("params", None)
        scenario.update(type="custom_python", script="print('refresh')\n")

    edit_yaml(f"projects/{KEY}/scenarios.yml", to_python)
    result = apply(cli)
    assert result.code == 0, result.out + result.err
    [scenario] = dss.client().get_project(KEY).list_scenarios()
    assert scenario["type"] == "custom_python"
    state = LocalFileBackend(STATE).load()
    assert f"scenario.{KEY}.{scenario['id']}" in state.managed
    assert scenario["id"] == old_id or f"scenario.{KEY}.{old_id}" not in state.resources
    again = cli("plan", "--config", CONFIG)
    assert again.code == 0, again.out


def test_an_apply_stopped_after_the_replace_leaves_exactly_the_updates_for_the_next_plan(cli, dss):
    old_id = _config_referring_to_the_folder(cli, dss)
    _change_the_folder_type()
    dss.inject_fault("PUT", rf"/recipes/{RECIPE}$", status=500, count=10, message="recipe save failed for the test")
    result = apply(cli, "--parallelism", "1")
    assert result.code == 1
    new_id = _folder_id(dss)
    assert new_id != old_id and _recipe_output_refs(dss) == [old_id]  # the folder replaced, the recipe not yet
    state = LocalFileBackend(STATE).load()
    assert f"managed_folder.{KEY}.{new_id}" in state.managed and f"managed_folder.{KEY}.{old_id}" not in state.managed
    dss.clear_faults()
    plan = cli("plan", "--config", CONFIG)
    # In plan order, one at a time: the recipe failed, so the scenario was not attempted; both are left.
    assert plan.out.splitlines()[-1] == "Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy."
    assert f"~ recipe.{KEY}.{RECIPE}" in plan.out and "which is replaced" not in plan.out
    assert apply(cli).code == 0
    assert _recipe_output_refs(dss) == [new_id]
    assert cli("plan", "--config", CONFIG).code == 0
