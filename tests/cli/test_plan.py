"""plan through main([...]) against the emulator over HTTP: the round trip, user edits, exit codes, the file."""

from __future__ import annotations

import json
from pathlib import Path

from dss_emulator import SAMPLE_PROJECT_KEY as KEY

CONFIG = "config"


def test_generate_without_adopt_then_plan_lists_adoptions_only(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG, "--no-adopt").code == 0
    result = cli("plan", "--config", CONFIG)
    assert result.code == 2, result.err
    lines = result.out.splitlines()
    assert lines[-1] == "Plan: 6 to import, 0 to add, 0 to change, 0 to replace, 0 to destroy."
    assert f"  <= dataset.{KEY}.raw_customers  (adopt: DSS has it; the state will record it as managed)" in lines
    assert not Path(".dataiku/state/dev.state.json").exists()  # plan writes no state


def run_generate(cli, *keys, extra=()):
    result = cli("generate", *keys, "--out", CONFIG, *extra)
    assert result.code == 0, result.err
    return result


def plan(cli, *extra):
    return cli("plan", "--config", CONFIG, *extra)


def test_generate_then_plan_has_nothing_to_do_on_the_sample(cli, dss):
    result = run_generate(cli, KEY)
    assert "Recorded 6 objects as managed by the config in .dataiku/state/dev.state.json (serial 1)" in result.out
    result = plan(cli)
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines()[-1] == "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy."
    assert "No changes: DSS matches the config" in result.out


def test_a_second_generate_of_an_unchanged_project_changes_no_byte(cli, dss):
    run_generate(cli, KEY)
    first = {p: p.read_bytes() for p in Path(CONFIG).rglob("*") if p.is_file()}
    run_generate(cli, KEY)
    assert {p: p.read_bytes() for p in Path(CONFIG).rglob("*") if p.is_file()} == first


def edit_like_a_user(dss):
    """Edit code, add a column, change a path, disable a trigger, delete a dataset: through the public API."""
    project = dss.client().get_project(KEY)
    recipe = project.get_recipe("compute_customers_prepared").get_settings()
    recipe.set_payload(recipe.get_payload() + "# a quick fix\n")
    recipe.save()
    dataset = project.get_dataset("raw_customers").get_settings()
    dataset.get_raw_params()["path"] = "/data/crm/v2"
    dataset.get_raw()["schema"]["columns"].append({"name": "churn_score", "type": "double"})
    dataset.save()
    scenario = project.get_scenario("REFRESH_CUSTOMERS").get_settings()
    scenario.get_raw()["triggers"][0]["active"] = False
    scenario.save()
    project.get_dataset("customers_prepared").delete()


def test_after_user_edits_plan_shows_exactly_those_objects(cli, dss):
    run_generate(cli, KEY)
    edit_like_a_user(dss)
    state_before = Path(".dataiku/state/dev.state.json").read_bytes()
    dss.clear_request_counts()
    result = plan(cli, "--format", "json")
    # Read-only: only GETs reached DSS (the connection check included), and the state file is as it was.
    assert {entry["method"] for entry in dss.request_log()} == {"GET"}
    assert Path(".dataiku/state/dev.state.json").read_bytes() == state_before
    assert result.code == 2, result.err
    document = json.loads(result.out)
    shown = {op["resource_id"]: (op["action"], [c["path"] for c in op["changes"]]) for op in document["operations"]}
    trigger = [c for c in shown[f"scenario.{KEY}.REFRESH_CUSTOMERS"][1]]
    assert shown == {
        f"recipe.{KEY}.compute_customers_prepared": ("update", ["payload"]),
        f"dataset.{KEY}.raw_customers": ("update", ["params.path", "schema.columns[name=churn_score]"]),
        f"scenario.{KEY}.REFRESH_CUSTOMERS": ("update", trigger),
        f"dataset.{KEY}.customers_prepared": ("create", []),
    }
    assert len(trigger) == 1 and trigger[0].endswith("].active")
    by_id = {op["resource_id"]: op for op in document["operations"]}
    path_change = by_id[f"dataset.{KEY}.raw_customers"]["changes"][0]
    assert (path_change["before"], path_change["outside"]) == ("/data/crm/v2", True)
    assert by_id[f"dataset.{KEY}.raw_customers"]["outside"]["by"]  # who changed it, from DSS's versionTag
    assert document["summary"] == {"adopt": 0, "create": 1, "update": 3, "replace": 0, "delete": 0, "refused": 0}
    text = plan(cli)
    assert text.out.splitlines()[-1] == "Plan: 1 to add, 3 to change, 0 to replace, 0 to destroy."
    assert "+# a quick fix" not in text.out and "-# a quick fix" in text.out  # the plan reverts the edit
    assert "changed outside the config by" in text.out
    # The order: the project's objects after what they need; the created dataset before nothing it needs.
    assert [op["action"] for op in document["operations"]].count("create") == 1


REAL = ("RAMENMEITEN", "GIT_INTEGRATION_DEMO")


def test_the_round_trip_holds_on_both_real_projects(cli, dss, monkeypatch):
    from tests.dss_support import SHARED_PROJECTS

    if not SHARED_PROJECTS.is_dir():
        import pytest

        pytest.skip("../shared/dss-projects is not here")
    dss.load_seed(SHARED_PROJECTS)
    result = run_generate(cli, *REAL)
    # RAMENMEITEN holds one secret: generate names the variable to export; here its value, read from DSS.
    [line] = [line for line in result.out.splitlines() if "payload.steps.9.params.apiKey" in line]
    variable = line.split()[0]
    recipe = dss.client().get_project("RAMENMEITEN").get_recipe("compute_raw_ramen_locations")
    monkeypatch.setenv(variable, recipe.get_settings().get_json_payload()["steps"][9]["params"]["apiKey"])
    result = plan(cli)
    assert result.code == 0, result.out[-3000:] + result.err
    assert "Warning: " in result.out and "trip_advisor_vocabs" in result.out  # the dangling reference
    # A changed secret is a change, shown without the value nor its marker.
    monkeypatch.setenv(variable, "a-rotated-api-key")
    result = plan(cli, "--out", "secret.plan")
    assert result.code == 2
    assert result.out.splitlines()[-1] == "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."
    assert "(sensitive value)" in result.out
    saved = Path("secret.plan").read_text("utf-8")
    from dataiku_iac.plan.plan_file import read_plan_file

    document = read_plan_file("secret.plan")  # as apply reads it
    assert (document["config_dir"], document["environment"], document["dss_url"]) == (CONFIG, "dev", dss.url)
    assert document["state"]["serial"] == 1 and document["state"]["lineage"]
    for text in (result.out, saved):
        assert "a-rotated-api-key" not in text and "<redacted" not in text


def test_the_round_trip_holds_on_a_synthetic_project(cli, dss, monkeypatch):
    dss.add_synthetic_project("SYN", datasets=40, recipes=30, scenarios=5, folders=3, seed=5)
    result = run_generate(cli, "SYN")
    for line in result.out.splitlines():
        if line.startswith("    ") and "(" in line:
            monkeypatch.setenv(line.split()[0], "unused")  # synthetic secrets: any value differs, see below
    result = plan(cli, "--format", "json")
    document = json.loads(result.out)
    changed = [op for op in document["operations"] if not all(c["sensitive"] for c in op["changes"])]
    assert changed == [] and document["summary"]["create"] == document["summary"]["delete"] == 0


def test_an_object_removed_from_the_config_is_deleted(cli, dss):
    run_generate(cli, KEY)
    Path(CONFIG, "projects", KEY, "recipes.yml").unlink()  # the recipe leaves the config
    result = plan(cli)
    assert result.code == 2, result.err
    assert f"  - recipe.{KEY}.compute_customers_prepared" in result.out
    assert result.out.splitlines()[-1] == "Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy."


def test_protect_refuses_a_replacement_exit_1_and_no_plan_file(cli, dss):
    run_generate(cli, KEY)
    datasets = Path(CONFIG, "projects", KEY, "datasets.yml")
    text = datasets.read_text("utf-8")
    assert "  raw_customers:\n    type: Filesystem\n" in text
    datasets.write_text(text.replace("  raw_customers:\n    type: Filesystem\n",
                                     "  raw_customers:\n    protect: true\n    type: UploadedFiles\n"), "utf-8")
    result = plan(cli, "--out", "p.json")
    assert result.code == 1, result.err
    assert f"  ! -/+ dataset.{KEY}.raw_customers" in result.out and "refused: protect: true" in result.out
    assert not Path("p.json").exists()


def test_show_unmanaged_lists_what_the_config_does_not_manage(cli, dss):
    run_generate(cli, KEY)
    result = plan(cli, "--show-unmanaged")
    assert result.code == 0
    assert f"    saved_model.{KEY}." in result.out  # saved models are read-only: never in a config


def test_a_read_error_is_exit_1_never_a_deletion(cli, dss):
    run_generate(cli, KEY)
    dss.inject_fault("GET", r".*/recipes/.*", status=500, count=100)
    result = plan(cli, "--out", "p.json")
    assert result.code == 1 and f"recipes of {KEY}" in result.err
    assert "destroy" not in result.out and not Path("p.json").exists()


def test_html_output_and_a_config_with_several_environments_needs_env(cli, dss):
    run_generate(cli, KEY)
    html = plan(cli, "--format", "html")
    assert html.code == 0 and html.out.startswith("<!DOCTYPE html>") and "<script" not in html.out
    environments = Path(CONFIG, "dataiku-iac.yml")
    environments.write_text(environments.read_text("utf-8") + "  prod: {url: 'http://127.0.0.1:9', "
                            "api_key_env: NOPE}\n", "utf-8")
    result = plan(cli)
    assert result.code == 1 and "several environments (dev, prod): choose one with --env" in result.err


def test_a_project_dss_lacks_is_created_with_everything_in_it(cli, dss):
    root = Path(CONFIG)
    (root / "projects" / "FRESH").mkdir(parents=True)
    (root / "dataiku-iac.yml").write_text(f"version: 1\nenvironments:\n  dev: {{url: '{dss.url}', "
                                          "api_key_env: DKU_API_KEY}\n", "utf-8")
    (root / "projects" / "FRESH" / "p.yml").write_text("""\
project: {name: Fresh}
datasets:
  src: {type: Filesystem, params: {connection: filesystem_managed, path: /data/src}}
  out: {type: Filesystem, params: {connection: filesystem_managed}}
managed_folders:
  drop: {type: Filesystem, params: {connection: filesystem_folders}}
recipes:
  make_out: {type: python, inputs: [src, {folder: drop}], outputs: [out], payload: "print(1)\\n"}
""", "utf-8")
    result = plan(cli, "--format", "json")
    assert result.code == 2, result.err
    document = json.loads(result.out)
    order = [(op["action"], op["resource_id"]) for op in document["operations"]]
    assert order == [("create", "project.FRESH"), ("create", "dataset.FRESH.out"), ("create", "dataset.FRESH.src"),
                     ("create", "managed_folder.FRESH.new:drop"), ("create", "recipe.FRESH.make_out")]
    assert document["operations"][-1]["after"]["inputs"]["main"]["items"][1]["ref"] == "new:drop"
    text = plan(cli)
    assert "  + managed_folder.FRESH[drop]  (id (known after apply))" in text.out
    assert cli("plan", "--config", CONFIG, "--env", "prod").err.startswith("Error: Environment 'prod' is not in")


def test_an_unset_secret_is_exit_1_naming_the_variable(cli, dss, monkeypatch):
    run_generate(cli, KEY)
    datasets = Path(CONFIG, "projects", KEY, "datasets.yml")
    datasets.write_text(datasets.read_text("utf-8").replace("    params:\n", "    params:\n      password: "
                                                            "${env:CRM_PASSWORD}\n", 1), "utf-8")
    monkeypatch.delenv("CRM_PASSWORD", raising=False)
    result = plan(cli)
    assert result.code == 1 and "${env:CRM_PASSWORD} is not set: export CRM_PASSWORD" in result.err
    monkeypatch.setenv("CRM_PASSWORD", "hunter2-secret")
    result = plan(cli, "--format", "json")
    assert result.code == 2 and "hunter2-secret" not in result.out
    [operation] = json.loads(result.out)["operations"]
    assert [(c["path"], c["after"], c["sensitive"]) for c in operation["changes"]] == [
        ("params.password", "(sensitive value)", True)]


def test_user_edits_on_a_real_project_show_exactly(cli, dss):
    """The acceptance test on GIT_INTEGRATION_DEMO (a real project): code, a column, a trigger, a deletion."""
    from tests.dss_support import SHARED_PROJECTS

    if not SHARED_PROJECTS.is_dir():
        import pytest

        pytest.skip("../shared/dss-projects is not here")
    dss.load_seed(SHARED_PROJECTS)
    key = "GIT_INTEGRATION_DEMO"
    run_generate(cli, key)
    project = dss.client().get_project(key)
    recipe = project.get_recipe("compute_python_recipe_output").get_settings()
    recipe.set_payload(recipe.get_payload() + "\nprint('debug')\n")
    recipe.save()
    customers = project.get_dataset("Customers").get_settings()
    customers.get_raw()["schema"]["columns"].append({"name": "vip", "type": "boolean"})
    customers.save()
    scenario = project.get_scenario("REBUILDDATAANDRETRAINMODEL").get_settings()
    scenario.get_raw()["triggers"][0]["active"] = not scenario.get_raw()["triggers"][0]["active"]
    scenario.save()
    project.get_dataset("Orders_enriched_prepared").delete()
    document = json.loads(plan(cli, "--format", "json").out)
    shown = {op["resource_id"]: op["action"] for op in document["operations"]}
    assert shown == {f"recipe.{key}.compute_python_recipe_output": "update",
                     f"dataset.{key}.Customers": "update",
                     f"scenario.{key}.REBUILDDATAANDRETRAINMODEL": "update",
                     f"dataset.{key}.Orders_enriched_prepared": "create"}
    changes = {op["resource_id"]: [c["path"] for c in op["changes"]] for op in document["operations"]}
    assert changes[f"dataset.{key}.Customers"] == ["schema.columns[name=vip]"]
    assert changes[f"scenario.{key}.REBUILDDATAANDRETRAINMODEL"] == ["triggers[id=AooKooAm].active"]
