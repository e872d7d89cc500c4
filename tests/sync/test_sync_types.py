"""One ResourceSync per type, through the real dataikuapi client against the emulator (seed §5-8 requirements)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from dataiku_iac.dss.client import make_client
from dataiku_iac.exceptions import DSSError, ResourceNotFoundError
from dataiku_iac.sync import (
    DatasetSync,
    ManagedFolderSync,
    ProjectSync,
    RecipeSync,
    SavedModelSync,
    ScenarioSync,
    SyncRules,
)
from dataiku_iac.sync.recipe import payload_value
from dss_emulator import DSSEmulator

KEY = "CUSTOMER_ANALYTICS"


@pytest.fixture
def client(emulator: DSSEmulator) -> Any:
    return make_client(emulator.url, emulator.api_key, timeout=10.0)


def test_project_fetch(client: Any) -> None:
    resource = ProjectSync(client).fetch(f"project.{KEY}")
    assert resource.resource_type == "project" and resource.resource_id == f"project.{KEY}"
    attributes = resource.attributes
    assert attributes["projectKey"] == KEY and attributes["name"] == "Customer analytics"
    assert attributes["description"].startswith("Cleans the CRM") and attributes["tags"] == ["crm", "sample"]
    assert attributes["owner"] == "data.team" and attributes["projectStatus"] == "In use"
    assert [p["group"] for p in attributes["permissions"]] == ["data_team", "readers"]
    assert set(attributes["variables"]) == {"standard", "local"}
    assert "flowDisplaySettings" not in attributes["settings"] and "gitCommitMode" in attributes["settings"]
    assert "versionTag" not in attributes and "imgPattern" not in attributes
    assert resource.metadata.dataiku_internal_id == KEY
    assert resource.metadata.last_modified_by == "jane.doe"
    assert resource.metadata.last_modified_at == datetime(2024, 6, 10, 16, 0, tzinfo=timezone.utc)
    assert resource.metadata.checksum == resource.compute_checksum()


def test_project_not_found_and_bad_ids(client: Any) -> None:
    sync = ProjectSync(client)
    with pytest.raises(ResourceNotFoundError, match="NOPE"):
        sync.fetch("project.NOPE")
    with pytest.raises(ValueError):
        sync.fetch(f"dataset.{KEY}.raw_customers")


def test_project_list_all(client: Any, emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project("SYN_A", datasets=2, recipes=1, scenarios=0)
    resources = ProjectSync(client).list_all()
    assert {r.resource_id for r in resources} >= {f"project.{KEY}", "project.SYN_A"}
    assert [r.resource_id for r in ProjectSync(client).list_all(KEY)] == [f"project.{KEY}"]


def test_dataset_fetch_and_list(client: Any) -> None:
    sync = DatasetSync(client)
    resource = sync.fetch(f"dataset.{KEY}.raw_customers")
    attributes = resource.attributes
    assert attributes["name"] == "raw_customers" and attributes["type"] == "Filesystem"
    assert attributes["params"]["connection"] == "filesystem_root" and attributes["formatType"] == "csv"
    assert "probableNumberOfRecords" not in attributes["formatParams"]
    assert attributes["schema"]["columns"][0] == {"name": "customer_id", "type": "string", "maxLength": -1}
    assert attributes["managed"] is False and attributes["tags"] == ["crm", "raw"]
    assert resource.metadata.dataiku_internal_id == "raw_customers"
    listed = sync.list_all(KEY)
    assert [r.resource_id for r in listed] == [f"dataset.{KEY}.customers_prepared", f"dataset.{KEY}.raw_customers"]
    assert listed[1].attributes == attributes  # the list item and the GET give the same resource


def test_dataset_not_found_and_list_needs_a_project(client: Any) -> None:
    with pytest.raises(ResourceNotFoundError):
        DatasetSync(client).fetch(f"dataset.{KEY}.nope")
    with pytest.raises(ValueError, match="project_key required"):
        DatasetSync(client).list_all()
    with pytest.raises(ResourceNotFoundError):
        DatasetSync(client).list_all("NOPE")
    with pytest.raises(ValueError):
        DatasetSync(client).fetch(f"recipe.{KEY}.x")


def test_recipe_fetch_includes_code(client: Any) -> None:
    resource = RecipeSync(client).fetch(f"recipe.{KEY}.compute_customers_prepared")
    attributes = resource.attributes
    assert attributes["type"] == "python"
    assert attributes["inputs"]["main"]["items"][0]["ref"] == "raw_customers"
    assert attributes["outputs"]["main"]["items"][0]["ref"] == "customers_prepared"
    assert attributes["payload"].startswith('"""Clean the CRM export')
    listed = RecipeSync(client).list_all(KEY)
    assert [r.attributes for r in listed] == [attributes]
    with pytest.raises(ResourceNotFoundError):
        RecipeSync(client).fetch(f"recipe.{KEY}.nope")


def test_visual_recipe_payload_is_parsed_json(client: Any, emulator: DSSEmulator) -> None:
    emulator.add_synthetic_project("SYN_V", datasets=12, recipes=10, scenarios=0)
    recipes = RecipeSync(client).list_all("SYN_V")
    visual = [r for r in recipes if r.attributes["type"] in ("grouping", "shaker", "join")]
    assert visual and all(isinstance(r.attributes["payload"], dict) for r in visual)
    code = [r for r in recipes if r.attributes["type"] in ("python", "sql_query")]
    assert code and all(isinstance(r.attributes["payload"], str) for r in code)


@pytest.mark.parametrize("recipe_type, payload, expected", [
    ("python", '{"a": 1}', '{"a": 1}'),  # code stays text even when it parses
    ("grouping", '{"keys": []}', {"keys": []}),
    ("grouping", "not json", "not json"),
    ("split", "42", "42"),  # JSON but not a document
    ("CustomCode_x", '{"a": 1}', '{"a": 1}'),
    ("shaker", None, None),
])
def test_payload_value(recipe_type: str, payload: Any, expected: Any) -> None:
    assert payload_value(recipe_type, payload) == expected


def test_scenario_fetch(client: Any) -> None:
    resource = ScenarioSync(client).fetch(f"scenario.{KEY}.REFRESH_CUSTOMERS")
    attributes = resource.attributes
    assert attributes["type"] == "step_based" and "script" not in attributes
    assert attributes["triggers"][0]["type"] == "temporal" and attributes["reporters"]
    assert attributes["params"]["steps"] and "active" in attributes
    assert [r.resource_id for r in ScenarioSync(client).list_all(KEY)] == [f"scenario.{KEY}.REFRESH_CUSTOMERS"]
    with pytest.raises(ResourceNotFoundError):
        ScenarioSync(client).fetch(f"scenario.{KEY}.NOPE")


def test_python_scenario_has_its_script(client: Any) -> None:
    project = client.get_project(KEY)
    project.create_scenario("Custom run", "custom_python")
    settings = project.get_scenario("CUSTOMRUN").get_settings()
    settings.code = "print('hello')\n"
    settings.save()
    resource = ScenarioSync(client).fetch(f"scenario.{KEY}.CUSTOMRUN")
    assert resource.attributes["type"] == "custom_python" and resource.attributes["script"] == "print('hello')\n"


def test_managed_folder_and_saved_model(client: Any) -> None:
    folder = ManagedFolderSync(client).fetch(f"managed_folder.{KEY}.Qx7mK2pA")
    assert folder.attributes["name"] == "churn_reports" and folder.metadata.dataiku_internal_id == "Qx7mK2pA"
    assert "displayedState" not in folder.attributes.get("metrics", {})
    assert [r.resource_id for r in ManagedFolderSync(client).list_all(KEY)] == [folder.resource_id]
    model = SavedModelSync(client).fetch(f"saved_model.{KEY}.Lw3fT9dR")
    assert model.attributes["name"] == "Churn risk (binary)" and "activeVersion" not in model.attributes
    assert [r.attributes for r in SavedModelSync(client).list_all(KEY)] == [model.attributes]
    with pytest.raises(ResourceNotFoundError):
        ManagedFolderSync(client).fetch(f"managed_folder.{KEY}.zzzzzzzz")
    with pytest.raises(ResourceNotFoundError):
        SavedModelSync(client).fetch(f"saved_model.{KEY}.zzzzzzzz")


def test_fetch_failures_other_than_not_found_are_dss_errors(client: Any, emulator: DSSEmulator) -> None:
    emulator.inject_fault("GET", r"/datasets/raw_customers$", status=500, count=10)
    sync = DatasetSync(client)
    with pytest.raises(DSSError, match="InjectedFault"):
        sync.fetch(f"dataset.{KEY}.raw_customers")


def test_list_all_falls_back_to_gets_and_skips_objects_deleted_meanwhile(client: Any, emulator: DSSEmulator) -> None:
    class SummaryListSync(DatasetSync):
        """As if DSS listed summaries: every item needs its GET."""

        list_markers = frozenset({"neverThere"})

        def list_items(self, project_key: str) -> list:
            return [*super().list_items(project_key), {"name": "deleted_meanwhile"}]

    emulator.clear_request_counts()
    resources = SummaryListSync(client).list_all(KEY)
    assert [r.resource_name for r in resources] == ["customers_prepared", "raw_customers"]
    assert emulator.request_counts()["GET /projects/<project_key>/datasets/<name>"] == 3


def test_rules_are_shared_by_the_syncs(client: Any) -> None:
    rules = SyncRules([{"type": "dataset", "path": "schema", "reason": "schemas are managed elsewhere"}])
    assert "schema" not in DatasetSync(client, rules).fetch(f"dataset.{KEY}.raw_customers").attributes


def test_permissions_reserved_to_admins_do_not_block_the_project(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataikuapi.dss.project import DSSProject
    from dataikuapi.utils import DataikuException

    from dataiku_iac.sync.project import UNREADABLE_PERMISSIONS

    def forbidden(self: DSSProject) -> dict:
        raise DataikuException("com.dataiku.dip.exceptions.UnauthorizedException: Action forbidden: not admin")

    monkeypatch.setattr(DSSProject, "get_permissions", forbidden)
    attributes = ProjectSync(client).fetch(f"project.{KEY}").attributes
    assert attributes["permissions"] == UNREADABLE_PERMISSIONS and attributes["owner"] == "data.team"

    def broken(self: DSSProject) -> dict:
        raise DataikuException("java.lang.RuntimeException: boom")

    monkeypatch.setattr(DSSProject, "get_permissions", broken)
    with pytest.raises(DSSError, match="boom"):
        ProjectSync(client).fetch(f"project.{KEY}")
