"""Conformance through the real dataikuapi client: recipes."""

from __future__ import annotations

import json

import dataikuapi
import pytest
from dataikuapi.utils import DataikuException

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .conftest import NOT_FOUND

DSSProject = dataikuapi.dss.project.DSSProject
RECIPE = "compute_customers_prepared"


def test_list_recipes_gives_definitions_without_payload(project: DSSProject) -> None:
    (item,) = project.list_recipes()
    assert item.name == RECIPE
    assert item.type == "python"
    data = item._data
    assert data["projectKey"] == SAMPLE_PROJECT_KEY
    assert data["inputs"]["main"]["items"][0]["ref"] == "raw_customers"
    assert data["outputs"]["main"]["items"][0]["ref"] == "customers_prepared"
    assert "payload" not in data
    assert "recipe" not in data
    assert [r.recipe_name for r in project.list_recipes(as_type="objects")] == [RECIPE]


def test_get_recipe_settings_is_the_envelope_with_payload(project: DSSProject) -> None:
    settings = project.get_recipe(RECIPE).get_settings()
    assert isinstance(settings, dataikuapi.dss.recipe.CodeRecipeSettings)
    assert settings.get_recipe_raw_definition()["name"] == RECIPE
    assert settings.get_code().startswith('"""Clean the CRM export')
    assert settings.get_flat_input_refs() == ["raw_customers"]
    assert project.get_recipe(RECIPE).get_settings().data.keys() == {"recipe", "payload"}


def test_save_recipe_payload_and_definition(dss: DSSEmulator, project: DSSProject) -> None:
    recipe = project.get_recipe(RECIPE)
    settings = recipe.get_settings()
    settings.set_code("print('v2')\n")
    settings.get_recipe_raw_definition()["tags"] = ["v2", "etl"]
    settings.save()
    again = recipe.get_settings()
    assert again.get_code() == "print('v2')\n"
    definition = again.get_recipe_raw_definition()
    assert definition["tags"] == ["etl", "v2"]
    assert definition["versionTag"]["versionNumber"] == 10
    assert definition["versionTag"]["lastModifiedBy"]["login"] == dss.admin_login


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside dataikuapi
def test_create_python_recipe_with_new_output(project: DSSProject) -> None:
    builder = project.new_recipe("python", "compute_scores")
    builder.with_input("customers_prepared")
    builder.with_new_output_dataset("scores", "filesystem_managed")
    builder.with_script("import dataiku\n")
    recipe = builder.create()
    assert recipe.recipe_name == "compute_scores"
    settings = recipe.get_settings()
    assert settings.get_code() == "import dataiku\n"
    assert settings.get_flat_input_refs() == ["customers_prepared"]
    assert settings.get_recipe_raw_definition()["versionTag"]["versionNumber"] == 0
    assert project.get_dataset("scores").exists()
    assert sorted(r.name for r in project.list_recipes()) == ["compute_customers_prepared", "compute_scores"]


def test_input_items_get_deps_as_dss_stores_them(project: DSSProject) -> None:
    # dataikuapi's builders send {"ref": ...} only; DSS stores deps: [] (every input of the shared real
    # projects has it), and a config generated from the recipe plans no change only if the emulator does too.
    builder = project.new_recipe("python", "compute_scores")
    builder.with_input("customers_prepared")
    builder.with_new_output_dataset("scores", "filesystem_managed")
    settings = builder.create().get_settings()
    assert settings.get_recipe_raw_definition()["inputs"]["main"]["items"] == [{"ref": "customers_prepared",
                                                                                 "deps": []}]
    settings.get_recipe_raw_definition()["inputs"]["main"]["items"] = [{"ref": "raw_customers"}]
    settings.save()
    saved = project.get_recipe("compute_scores").get_settings().get_recipe_raw_definition()
    assert saved["inputs"]["main"]["items"] == [{"ref": "raw_customers", "deps": []}]


def test_create_visual_recipe_gets_json_payload(project: DSSProject) -> None:
    builder = project.new_recipe("grouping")
    builder.with_input("customers_prepared")
    builder.with_new_output("customers_by_country", "filesystem_managed")
    builder.with_group_key("country")
    recipe = builder.create()
    # No name given: the server derives one from the output.
    assert recipe.recipe_name == "compute_customers_by_country"
    settings = recipe.get_settings()
    assert isinstance(settings, dataikuapi.dss.recipe.GroupingRecipeSettings)
    assert settings.obj_payload["keys"] == [{"column": "country"}]
    settings.obj_payload["globalCount"] = True
    settings.save()
    assert json.loads(recipe.get_settings().get_payload())["globalCount"] is True


def test_create_recipe_derived_names_are_deduplicated(project: DSSProject) -> None:
    proto = {"type": "sync", "inputs": {"main": {"items": [{"ref": "raw_customers"}]}},
             "outputs": {"main": {"items": [{"ref": "customers_prepared"}]}}}
    first = project.create_recipe(dict(proto), {})
    second = project.create_recipe(dict(proto), {})
    assert (first.recipe_name, second.recipe_name) == ("compute_customers_prepared_1",
                                                       "compute_customers_prepared_2")


def test_create_recipe_with_taken_name_is_an_error(project: DSSProject) -> None:
    with pytest.raises(DataikuException) as info:
        project.create_recipe({"type": "python", "name": RECIPE}, {"script": ""})
    assert str(info.value).startswith("java.lang.IllegalArgumentException: recipe already exists")


def test_delete_recipe(project: DSSProject) -> None:
    project.get_recipe(RECIPE).delete()
    assert project.list_recipes() == []


def test_missing_recipe_error_names_it(project: DSSProject) -> None:
    with pytest.raises(DataikuException) as info:
        project.get_recipe("nope").get_settings()
    assert str(info.value) == f"{NOT_FOUND}: recipe does not exist: {SAMPLE_PROJECT_KEY}.nope"
