"""Conformance through the real dataikuapi client: scenarios."""

from __future__ import annotations

import dataikuapi
import pytest
from dataikuapi.utils import DataikuException

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .conftest import NOT_FOUND

DSSProject = dataikuapi.dss.project.DSSProject
SCENARIO = "REFRESH_CUSTOMERS"


def test_list_scenarios_gives_summaries(project: DSSProject) -> None:
    (item,) = project.list_scenarios()
    data = item._data
    assert data["id"] == SCENARIO
    assert data["name"] == "Refresh customers"
    assert data["projectKey"] == SAMPLE_PROJECT_KEY
    assert data["type"] == "step_based"
    assert data["active"] is True
    assert data["running"] is False
    assert data["tags"] == ["nightly"]
    assert "params" not in data  # a summary, not the definition
    assert item.running is False
    assert [s.id for s in project.list_scenarios(as_type="objects")] == [SCENARIO]


def test_get_step_based_scenario_settings(dss: DSSEmulator, project: DSSProject) -> None:
    dss.clear_request_counts()
    settings = project.get_scenario(SCENARIO).get_settings()
    assert isinstance(settings, dataikuapi.dss.scenario.StepBasedScenarioSettings)
    assert settings.active is True
    assert settings.raw_steps[0]["type"] == "build_flowitem"
    assert settings.raw_triggers[0]["type"] == "temporal"
    assert settings.raw_reporters[0]["messaging"]["type"] == "mail-scenario"
    assert settings.get_raw()["id"] == SCENARIO
    # Step-based: one call, no /payload.
    assert dss.request_counts() == {"GET /projects/<project_key>/scenarios/<scenario_id>": 1}


def test_save_scenario_bumps_version(project: DSSProject) -> None:
    scenario = project.get_scenario(SCENARIO)
    settings = scenario.get_settings()
    settings.active = False
    settings.raw_triggers[0]["params"]["hour"] = 4
    settings.save()
    raw = scenario.get_settings().get_raw()
    assert raw["active"] is False
    assert raw["triggers"][0]["params"]["hour"] == 4
    assert raw["versionTag"]["versionNumber"] == 4
    assert raw["creationTag"]["versionNumber"] == 0


def test_create_step_based_scenario_derives_its_id(project: DSSProject) -> None:
    scenario = project.create_scenario("Rebuild data and retrain model", "step_based")
    assert scenario.id == "REBUILDDATAANDRETRAINMODEL"
    assert project.create_scenario("git_reload", "step_based").id == "GIT_RELOAD"
    assert project.create_scenario("git reload!", "step_based").id == "GITRELOAD"
    assert project.create_scenario("git_reload", "step_based").id == "GIT_RELOAD_1"
    raw = scenario.get_settings().get_raw()
    assert raw["name"] == "Rebuild data and retrain model"
    assert raw["type"] == "step_based"
    assert raw["params"] == {}  # the client's default definition
    assert raw["versionTag"]["versionNumber"] == 0


def test_custom_python_scenario_script_roundtrip(dss: DSSEmulator, project: DSSProject) -> None:
    scenario = project.create_scenario("Nightly python", "custom_python")
    assert scenario.id == "NIGHTLYPYTHON"
    settings = scenario.get_settings()
    assert isinstance(settings, dataikuapi.dss.scenario.PythonScriptBasedScenarioSettings)
    assert settings.script == ""
    settings.script = "from dataiku.scenario import Scenario\nScenario().build_dataset('x')\n"
    dss.clear_request_counts()
    settings.save()
    # Python scenarios save in two PUTs: the definition, then the script.
    assert dss.request_counts() == {"PUT /projects/<project_key>/scenarios/<scenario_id>": 1,
                                    "PUT /projects/<project_key>/scenarios/<scenario_id>/payload": 1}
    again = scenario.get_settings()
    assert again.script.endswith("build_dataset('x')\n")
    assert again.get_raw()["versionTag"]["versionNumber"] == 2


def test_delete_scenario(project: DSSProject) -> None:
    project.get_scenario(SCENARIO).delete()
    assert project.list_scenarios() == []


def test_missing_scenario_error_names_it(project: DSSProject) -> None:
    with pytest.raises(DataikuException) as info:
        project.get_scenario("NOPE").get_settings()
    assert str(info.value) == f"{NOT_FOUND}: scenario does not exist: {SAMPLE_PROJECT_KEY}.NOPE"
