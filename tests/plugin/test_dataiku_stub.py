"""The test stub of the internal dataiku package follows the real package's env-var contract."""

from __future__ import annotations

import json

import dataiku
import dataikuapi
import pytest
from dataiku import customstep, customwebapp
from dataiku.runnables import ResultTable, Runnable
from dataiku.scenario import Scenario


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in ("DKU_DSS_URL", "DKU_API_KEY", "DKU_API_TICKET", "DKU_CURRENT_PROJECT_KEY", "DKU_NO_CHECK_CERTIFICATE",
                 "DKU_PLUGIN_STEP_CONFIG", "DKU_PLUGIN_CONFIG", "DKU_CUSTOM_WEBAPP_CONFIG",
                 "DKU_CUSTOM_RESOURCE_FOLDER", "DKU_CURRENT_SCENARIO_TRIGGER_FILE"):
        monkeypatch.delenv(name, raising=False)
    dataiku.reset_stub()
    yield
    dataiku.reset_stub()


def test_it_is_the_stub():
    assert dataiku.STUB is True
    assert "TEST STUB" in dataiku.__doc__


def test_api_client_from_the_environment(monkeypatch):
    monkeypatch.setenv("DKU_DSS_URL", "http://dss.example:11200")
    monkeypatch.setenv("DKU_API_KEY", "key123")
    client = dataiku.api_client()
    assert isinstance(client, dataikuapi.DSSClient)
    assert client.host == "http://dss.example:11200" and client._session.auth.username == "key123"
    assert client._session.verify is True
    monkeypatch.setenv("DKU_NO_CHECK_CERTIFICATE", "1")
    assert dataiku.api_client()._session.verify is False


def test_api_client_needs_a_key_with_the_url(monkeypatch):
    monkeypatch.setenv("DKU_DSS_URL", "http://dss.example:11200")
    with pytest.raises(KeyError):
        dataiku.api_client()


def test_api_client_without_any_location():
    with pytest.raises(Exception, match="No DSS URL or API key found"):
        dataiku.api_client()


def test_api_client_inside_dss_uses_the_ticket(monkeypatch):
    monkeypatch.setenv("DKU_API_TICKET", "ticket-1")
    monkeypatch.setenv("DKU_BACKEND_PORT", "11000")
    client = dataiku.api_client()
    assert client.host == "http://127.0.0.1:11000"
    assert client._session.headers["X-DKU-APITicket"] == "ticket-1"


def test_set_remote_dss_wins(monkeypatch):
    monkeypatch.setenv("DKU_DSS_URL", "http://env:1")
    monkeypatch.setenv("DKU_API_KEY", "k")
    dataiku.set_remote_dss("http://remote:2", "k2")
    assert dataiku.api_client().host == "http://remote:2"


def test_default_project_key(monkeypatch):
    with pytest.raises(Exception, match="DKU_CURRENT_PROJECT_KEY"):
        dataiku.default_project_key()
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", "SALES")
    assert dataiku.default_project_key() == "SALES"
    dataiku.set_default_project_key("OTHER")
    assert dataiku.default_project_key() == "OTHER"


def test_runnable_and_result_table():
    runnable = Runnable("P", {"a": 1}, {"b": 2})
    assert (runnable.project_key, runnable.config, runnable.plugin_config) == ("P", {"a": 1}, {"b": 2})
    assert runnable.get_progress_target() is None
    with pytest.raises(Exception, match="unimplemented"):
        runnable.run(None)
    table = ResultTable()
    table.set_name("n")
    table.set_header("h")
    table.add_column("path", "Path")
    table.add_column("size", "Size", "INT")
    table.add_record(["/a", 1])
    assert json.loads(table.to_json()) == {
        "header": "h", "name": "n", "records": [["/a", 1]],
        "columns": [{"name": "path", "displayName": "Path", "type": "STRING"},
                    {"name": "size", "displayName": "Size", "type": "INT"}],
    }


def test_custom_step_and_webapp_configs(monkeypatch, tmp_path):
    with pytest.raises(TypeError):  # unset: json.loads(None), as in DSS
        customstep.get_step_config()
    monkeypatch.setenv("DKU_PLUGIN_STEP_CONFIG", '{"environment": "prod"}')
    monkeypatch.setenv("DKU_PLUGIN_CONFIG", '{"config": {}}')
    monkeypatch.setenv("DKU_CUSTOM_WEBAPP_CONFIG", '{"state_folder": "F"}')
    monkeypatch.setenv("DKU_CUSTOM_RESOURCE_FOLDER", str(tmp_path))
    assert customstep.get_step_config() == {"environment": "prod"}
    assert customstep.get_plugin_config() == {"config": {}}
    assert customstep.get_step_resource() == str(tmp_path)
    assert customwebapp.get_webapp_config() == {"state_folder": "F"}
    assert customwebapp.get_plugin_config() == {"config": {}}
    assert customwebapp.get_webapp_resource() == str(tmp_path)
    assert customwebapp.get_plugin_settings() == {"config": {}}


def test_scenario_records_json_variables(monkeypatch, tmp_path):
    scenario = Scenario()
    scenario.set_scenario_variables(iac_drift_count=2, iac_drift_summary="x")
    assert Scenario().get_all_variables() == {"iac_drift_count": 2, "iac_drift_summary": "x"}
    with pytest.raises(TypeError):  # the real call json.dumps the variables
        scenario.set_scenario_variables(bad=object())
    scenario.add_report_item("ref", None, {"a": 1})
    assert scenario.get_trigger_type() is None
    trigger = tmp_path / "trigger.json"
    trigger.write_text(json.dumps({"trigger": {"type": "temporal", "name": "daily"}, "params": {"p": 1}}))
    monkeypatch.setenv("DKU_CURRENT_SCENARIO_TRIGGER_FILE", str(trigger))
    triggered = Scenario()
    assert (triggered.get_trigger_type(), triggered.get_trigger_name(), triggered.get_trigger_params()) == (
        "temporal", "daily", {"p": 1})
