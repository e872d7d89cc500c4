"""Conformance through the real dataikuapi client: datasets."""

from __future__ import annotations

import dataikuapi
import pytest
from dataikuapi.utils import DataikuException

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .conftest import NOT_FOUND

DSSProject = dataikuapi.dss.project.DSSProject


def test_list_datasets_returns_full_definitions(project: DSSProject) -> None:
    items = project.list_datasets()
    assert [i.name for i in items] == ["customers_prepared", "raw_customers"]
    raw = next(i for i in items if i.name == "raw_customers")
    assert raw.type == "Filesystem"
    assert raw.connection == "filesystem_root"
    assert [c["name"] for c in raw.schema["columns"]][:2] == ["customer_id", "signup_date"]
    full = raw._data  # the list item keeps the whole JSON item
    # The full definition, not a summary: format, metrics and versionTag are there.
    assert full["projectKey"] == SAMPLE_PROJECT_KEY
    assert full["formatParams"]["separator"] == ","
    assert full["versionTag"]["versionNumber"] == 4
    assert "metrics" in full
    assert [d.dataset_name for d in project.list_datasets(as_type="objects")] == ["customers_prepared",
                                                                                   "raw_customers"]


def test_list_datasets_filters_by_tags(project: DSSProject) -> None:
    assert [i.name for i in project.list_datasets(tags=["raw"])] == ["raw_customers"]
    assert [i.name for i in project.list_datasets(tags=["raw", "crm"])] == ["customers_prepared", "raw_customers"]
    assert project.list_datasets(tags=["nothing"]) == []


def test_get_dataset_settings(project: DSSProject) -> None:
    settings = project.get_dataset("customers_prepared").get_settings()
    raw = settings.get_raw()
    assert raw["name"] == "customers_prepared"
    assert raw["projectKey"] == SAMPLE_PROJECT_KEY
    assert raw["formatType"] == "parquet"
    assert isinstance(settings, dataikuapi.dss.dataset.FSLikeDatasetSettings)


def test_save_dataset_bumps_version_as_the_caller(dss: DSSEmulator) -> None:
    bob = dataikuapi.DSSClient(dss.url, dss.create_api_key("bob"))
    dataset = bob.get_project(SAMPLE_PROJECT_KEY).get_dataset("raw_customers")
    settings = dataset.get_settings()
    settings.get_raw()["description"] = "edited"
    settings.get_raw()["tags"] = ["raw", "b", "a"]
    settings.get_raw()["versionTag"] = {"versionNumber": 999}  # the server ignores a client-sent tag
    settings.save()
    saved = dataset.get_settings().get_raw()
    assert saved["description"] == "edited"
    assert saved["tags"] == ["a", "b", "raw"]
    assert saved["versionTag"]["versionNumber"] == 5
    assert saved["versionTag"]["lastModifiedBy"]["login"] == "bob"
    assert saved["versionTag"]["lastModifiedOn"] > 1718035200000
    assert saved["creationTag"]["versionNumber"] == 0
    assert saved["creationTag"]["lastModifiedBy"]["login"] == "jane.doe"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_set_definition_answers_json(project: DSSProject) -> None:
    dataset = project.get_dataset("raw_customers")
    answer = dataset.set_definition(dataset.get_definition())
    assert isinstance(answer, dict)
    assert dataset.get_definition()["versionTag"]["versionNumber"] == 5


def test_create_dataset(dss: DSSEmulator, project: DSSProject) -> None:
    dataset = project.create_dataset("events", "Filesystem", params={"connection": "filesystem_root",
                                                                     "path": "/events"}, formatType="csv",
                                     formatParams={"separator": "\t"})
    assert dataset.exists()
    raw = dataset.get_settings().get_raw()
    assert raw["name"] == "events"
    assert raw["params"] == {"connection": "filesystem_root", "path": "/events"}
    assert raw["formatParams"] == {"separator": "\t"}
    assert raw["versionTag"]["versionNumber"] == 0
    assert raw["creationTag"]["lastModifiedBy"]["login"] == dss.admin_login
    assert raw["schema"] == {"columns": [], "userModified": False}


def test_create_existing_dataset_is_an_error(project: DSSProject) -> None:
    with pytest.raises(DataikuException) as info:
        project.create_dataset("raw_customers", "Filesystem")
    assert str(info.value).startswith("java.lang.IllegalArgumentException: dataset already exists")


def test_create_managed_dataset(project: DSSProject) -> None:
    builder = project.new_managed_dataset("scores")
    builder.with_store_into("filesystem_managed", format_option_id="PARQUET_HIVE")
    dataset = builder.create()
    raw = dataset.get_settings().get_raw()
    assert raw["managed"] is True
    assert raw["params"]["connection"] == "filesystem_managed"
    assert raw["formatType"] == "parquet"
    assert builder.already_exists()


def test_schema_roundtrip_bumps_version(project: DSSProject) -> None:
    dataset = project.get_dataset("customers_prepared")
    schema = dataset.get_schema()
    assert schema["columns"][0] == {"name": "customer_id", "type": "string"}
    schema["columns"].append({"name": "ltv", "type": "double"})
    schema["userModified"] = True
    assert isinstance(dataset.set_schema(schema), dict)
    assert dataset.get_schema()["columns"][-1] == {"name": "ltv", "type": "double"}
    assert dataset.get_settings().get_raw()["versionTag"]["versionNumber"] == 8


def test_metadata_roundtrip(project: DSSProject) -> None:
    dataset = project.get_dataset("raw_customers")
    metadata = dataset.get_metadata()
    assert metadata["label"] == "raw_customers"
    assert metadata["tags"] == ["crm", "raw"]
    assert metadata["description"] == "Nightly CRM export, one row per customer."
    metadata["tags"] = ["pii", "crm"]
    metadata["custom"] = {"kv": {"owner": "crm-team"}}
    dataset.set_metadata(metadata)
    raw = dataset.get_settings().get_raw()
    assert raw["tags"] == ["crm", "pii"]
    assert raw["customMeta"]["kv"] == {"owner": "crm-team"}


def test_delete_dataset(project: DSSProject) -> None:
    dataset = project.get_dataset("customers_prepared")
    dataset.delete(drop_data=True)
    assert not dataset.exists()
    assert [d.name for d in project.list_datasets()] == ["raw_customers"]


def test_missing_dataset_errors_name_it(project: DSSProject) -> None:
    dataset = project.get_dataset("nope")
    assert not dataset.exists()
    expected = f"{NOT_FOUND}: dataset does not exist: {SAMPLE_PROJECT_KEY}.nope"
    for call in (dataset.get_settings, dataset.get_schema, dataset.delete):
        with pytest.raises(DataikuException) as info:
            call()
        assert str(info.value) == expected


def test_not_found_can_answer_500_with_the_same_error(dss: DSSEmulator, project: DSSProject) -> None:
    dss.set_not_found_status(500)
    with pytest.raises(DataikuException) as info:
        project.get_dataset("nope").get_settings()
    assert str(info.value).startswith(NOT_FOUND)
    # The status itself is only visible on the wire.
    response = project.client._session.get(f"{dss.api_url}/projects/{SAMPLE_PROJECT_KEY}/datasets/nope")
    assert response.status_code == 500
