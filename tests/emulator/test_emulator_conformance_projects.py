"""Conformance through the real dataikuapi client: auth, projects."""

from __future__ import annotations

import dataikuapi
import pytest
from dataikuapi.utils import DataikuException

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .conftest import NOT_FOUND

UNAUTHORIZED = "com.dataiku.dip.exceptions.UnauthorizedException"


def test_auth_info_names_the_caller(dss: DSSEmulator) -> None:
    key = dss.create_api_key("bob", admin=False)
    info = dataikuapi.DSSClient(dss.url, key).get_auth_info()
    assert info["authIdentifier"] == "bob"
    assert info["associatedDSSUser"] == "bob"
    assert dataikuapi.DSSClient(dss.url, dss.api_key).get_auth_info()["authIdentifier"] == "admin"


@pytest.mark.parametrize("style", ["api_key", "bearer", "ticket"])
def test_every_client_auth_style_is_accepted(dss: DSSEmulator, style: str) -> None:
    kwargs = {"api_key": {"api_key": dss.api_key}, "bearer": {"jwt_bearer_token": dss.api_key},
              "ticket": {"internal_ticket": dss.api_key}}[style]
    client = dataikuapi.DSSClient(dss.url, **kwargs)
    assert client.list_project_keys() == [SAMPLE_PROJECT_KEY]


def test_unknown_key_is_401_with_dss_error(dss: DSSEmulator) -> None:
    with pytest.raises(DataikuException) as info:
        dataikuapi.DSSClient(dss.url, "not-a-key").list_project_keys()
    assert str(info.value) == f"{UNAUTHORIZED}: Invalid API key"


def test_read_only_key_reads_but_cannot_write(dss: DSSEmulator) -> None:
    reader = dataikuapi.DSSClient(dss.url, dss.create_api_key("reader", read_only=True))
    project = reader.get_project(SAMPLE_PROJECT_KEY)
    metadata = project.get_metadata()
    with pytest.raises(DataikuException) as info:
        project.set_metadata(metadata)
    assert str(info.value).startswith(f"{UNAUTHORIZED}: Action forbidden")
    with pytest.raises(DataikuException):
        reader.create_project("NEWONE", "New", "reader")
    assert reader.list_project_keys() == [SAMPLE_PROJECT_KEY]


def test_list_projects_items_carry_identity_and_version(client: dataikuapi.DSSClient) -> None:
    assert client.list_project_keys() == [SAMPLE_PROJECT_KEY]
    (item,) = client.list_projects()
    assert item["projectKey"] == SAMPLE_PROJECT_KEY
    assert item["name"] == "Customer analytics"
    assert item["ownerLogin"] == "data.team"
    assert item["tags"] == ["crm", "sample"]
    assert item["versionTag"]["versionNumber"] == 12
    assert client.list_projects(include_location=True)[0]["projectKey"] == SAMPLE_PROJECT_KEY


def test_project_summary(project: dataikuapi.dss.project.DSSProject) -> None:
    summary = project.get_summary()
    assert summary["projectKey"] == SAMPLE_PROJECT_KEY
    assert summary["versionTag"]["lastModifiedBy"]["login"] == "jane.doe"
    assert summary["creationTag"]["versionNumber"] == 0


def test_missing_project_error_names_it(client: dataikuapi.DSSClient) -> None:
    with pytest.raises(DataikuException) as info:
        client.get_project("NOPE").get_summary()
    assert str(info.value) == f"{NOT_FOUND}: project does not exist: NOPE"


def test_project_metadata_roundtrip_sorts_tags_and_bumps_version(
    dss: DSSEmulator, project: dataikuapi.dss.project.DSSProject
) -> None:
    metadata = project.get_metadata()
    assert metadata["label"] == "Customer analytics"
    assert set(metadata) >= {"label", "description", "shortDesc", "tags", "checklists", "custom", "customFields"}
    metadata["tags"] = ["zeta", "alpha", "crm"]
    metadata["custom"]["kv"]["team"] = "growth"
    metadata["shortDesc"] = "changed"
    project.set_metadata(metadata)
    again = project.get_metadata()
    assert again["tags"] == ["alpha", "crm", "zeta"]
    assert again["custom"]["kv"] == {"team": "growth"}
    assert again["shortDesc"] == "changed"
    tag = project.get_summary()["versionTag"]
    assert tag["versionNumber"] == 13
    assert tag["lastModifiedBy"]["login"] == dss.admin_login


def test_project_settings_exclude_permissions_and_save(project: dataikuapi.dss.project.DSSProject) -> None:
    settings = project.get_settings()
    raw = settings.get_raw()
    assert "permissions" not in raw
    assert raw["settings"]["codeEnvs"]["python"]["mode"] == "INHERIT"
    settings.set_python_code_env("py311_analytics")
    settings.save()
    saved = project.get_settings().get_raw()
    assert saved["settings"]["codeEnvs"]["python"]["mode"] == "EXPLICIT_ENV"
    assert saved["settings"]["codeEnvs"]["python"]["envName"] == "py311_analytics"
    # Saving settings must not have wiped the permissions kept apart from them.
    assert len(project.get_permissions()["permissions"]) == 2
    assert project.get_summary()["versionTag"]["versionNumber"] == 13


def test_project_variables_roundtrip(project: dataikuapi.dss.project.DSSProject) -> None:
    variables = project.get_variables()
    assert variables["standard"]["churn_threshold"] == 0.35
    assert variables["local"] == {"notification_email": "data-team@example.com"}
    variables["standard"]["env"] = "prod"
    variables["local"] = {}
    project.set_variables(variables)
    assert project.get_variables() == {
        "standard": {"churn_threshold": 0.35, "crm_export_path": "/crm/exports/customers", "env": "prod"},
        "local": {},
    }


def test_project_permissions_roundtrip(project: dataikuapi.dss.project.DSSProject) -> None:
    permissions = project.get_permissions()
    assert permissions["owner"] == "data.team"
    assert [p["group"] for p in permissions["permissions"]] == ["data_team", "readers"]
    permissions["permissions"].append({"group": "auditors", "readProjectContent": True})
    project.set_permissions(permissions)
    assert [p["group"] for p in project.get_permissions()["permissions"]] == ["data_team", "readers", "auditors"]


def test_create_and_delete_project(dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    created = client.create_project("NEW_PROJ", "New project", "carol", description="made by a test",
                                    tags=["b", "a"])
    summary = created.get_summary()
    assert summary["name"] == "New project"
    assert summary["ownerLogin"] == "carol"
    assert summary["tags"] == ["a", "b"]
    assert summary["creationTag"]["lastModifiedBy"]["login"] == dss.admin_login
    assert created.get_metadata()["description"] == "made by a test"
    assert created.list_datasets() == []
    assert created.get_variables() == {"standard": {}, "local": {}}
    assert sorted(client.list_project_keys()) == [SAMPLE_PROJECT_KEY, "NEW_PROJ"]

    future = created.delete()
    # dataikuapi waits server-side; the answer already holds the result, so no polling happens.
    assert future.wait_for_result()["success"] is True
    assert client.list_project_keys() == [SAMPLE_PROJECT_KEY]


def test_create_duplicate_project_is_an_error(client: dataikuapi.DSSClient) -> None:
    with pytest.raises(DataikuException) as info:
        client.create_project(SAMPLE_PROJECT_KEY, "again", "admin")
    assert str(info.value) == f"java.lang.IllegalArgumentException: project already exists: {SAMPLE_PROJECT_KEY}"


def test_browser_sessions_name_the_logged_in_user(dss: DSSEmulator) -> None:
    """What a webapp backend asks DSS to identify its viewer (``get_auth_info_from_browser_headers``)."""
    client = dataikuapi.DSSClient(dss.url, dss.api_key)
    cookie = dss.create_browser_session("dana", groups=["data_team"])
    info = client.get_auth_info_from_browser_headers({"Cookie": f"other=1; {cookie}", "Accept": "*/*"})
    assert (info["authIdentifier"], info["groups"], info["admin"]) == ("dana", ["data_team"], False)
    with pytest.raises(DataikuException, match="not logged in"):
        client.get_auth_info_from_browser_headers({"Cookie": "dss-emulator-session=forged"})


def test_api_keys_carry_their_groups(dss: DSSEmulator) -> None:
    key = dss.create_api_key("oscar", admin=False, groups=["ops_team"])
    assert dataikuapi.DSSClient(dss.url, key).get_auth_info()["groups"] == ["ops_team"]
    assert dataikuapi.DSSClient(dss.url, dss.create_api_key("x", admin=False)).get_auth_info()["groups"] == ["readers"]
