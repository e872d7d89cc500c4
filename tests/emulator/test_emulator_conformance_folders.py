"""Conformance through the real dataikuapi client: managed folders and saved models."""

from __future__ import annotations

import io
import re

import dataikuapi
import pytest
from dataikuapi.utils import DataikuException

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .conftest import NOT_FOUND

DSSProject = dataikuapi.dss.project.DSSProject
FOLDER = "Qx7mK2pA"
MODEL = "Lw3fT9dR"


def test_list_and_get_folders(project: DSSProject) -> None:
    (item,) = project.list_managed_folders()
    assert item["id"] == FOLDER
    assert item["name"] == "churn_reports"
    assert item["projectKey"] == SAMPLE_PROJECT_KEY
    assert item["params"]["connection"] == "filesystem_folders"
    settings = project.get_managed_folder(FOLDER).get_settings()
    assert settings.get_raw()["versionTag"]["versionNumber"] == 2
    assert settings.type == "Filesystem"


def test_save_folder_settings_bumps_version(project: DSSProject) -> None:
    folder = project.get_managed_folder(FOLDER)
    settings = folder.get_settings()
    # (set_connection_and_path would call /connections/..., which is outside the emulated surface)
    settings.get_raw_params()["connection"] = "s3_reports"
    settings.get_raw_params()["path"] = "/reports/${projectKey}"
    settings.save()
    raw = folder.get_settings().get_raw()
    assert raw["params"]["connection"] == "s3_reports"
    assert raw["params"]["path"] == "/reports/${projectKey}"
    assert raw["versionTag"]["versionNumber"] == 3
    assert raw["id"] == FOLDER


def test_create_folder_gets_a_random_8_char_id(project: DSSProject) -> None:
    first = project.create_managed_folder("state")
    second = project.create_managed_folder("state_backup")
    for folder in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9]{8}", folder.id)
    assert first.id != second.id
    raw = first.get_settings().get_raw()
    assert raw["name"] == "state"
    assert raw["params"] == {"connection": "filesystem_folders", "path": "/${projectKey}/${odbId}"}
    assert {f["id"] for f in project.list_managed_folders()} == {FOLDER, first.id, second.id}


def test_folder_files_roundtrip(project: DSSProject) -> None:
    folder = project.get_managed_folder(FOLDER)
    assert folder.list_contents() == {"items": []}
    # str, bytes and a binary file object, with and without a leading slash (a double slash on the wire).
    info = folder.put_file("/state/terraform state.json", '{"serial": 1}')
    assert info["path"] == "/state/terraform state.json"
    assert info["size"] == 13
    assert isinstance(info["lastModified"], int)
    folder.put_file("lock", b"\x00\x01binary")
    folder.put_file("/dir/nested/report.csv", io.BytesIO(b"a,b\n1,2\n"))
    items = folder.list_contents()["items"]
    assert [i["path"] for i in items] == ["/dir/nested/report.csv", "/lock", "/state/terraform state.json"]
    assert [i["size"] for i in items] == [8, 8, 13]
    with folder.get_file("/state/terraform state.json") as response:
        assert response.content == b'{"serial": 1}'
    with folder.get_file("lock") as response:
        assert response.content == b"\x00\x01binary"


def test_text_stream_upload_is_spooled_and_stored(project: DSSProject) -> None:
    folder = project.get_managed_folder(FOLDER)
    folder.put_file("/notes.txt", io.StringIO("héllo\n"))
    with folder.get_file("/notes.txt") as response:
        assert response.content.decode("utf-8") == "héllo\n"


def test_overwrite_and_delete_files(project: DSSProject) -> None:
    folder = project.get_managed_folder(FOLDER)
    folder.put_file("/a.json", "1")
    folder.put_file("/a.json", "22")
    assert [i["size"] for i in folder.list_contents()["items"]] == [2]
    folder.delete_file("/a.json")
    folder.delete_file("/a.json")  # deleting a missing file is not an error
    assert folder.list_contents() == {"items": []}


def test_missing_file_error_names_it(project: DSSProject) -> None:
    with pytest.raises(DataikuException) as info:
        project.get_managed_folder(FOLDER).get_file("/nope.json")
    assert str(info.value) == f"{NOT_FOUND}: file does not exist: {SAMPLE_PROJECT_KEY}.{FOLDER}:/nope.json"


def test_delete_folder(project: DSSProject) -> None:
    answer = project.get_managed_folder(FOLDER).delete()
    assert isinstance(answer, dict)
    assert project.list_managed_folders() == []
    with pytest.raises(DataikuException) as info:
        project.get_managed_folder(FOLDER).get_settings()
    assert str(info.value) == f"{NOT_FOUND}: managed folder does not exist: {SAMPLE_PROJECT_KEY}.{FOLDER}"


def test_list_and_get_saved_models(project: DSSProject) -> None:
    (item,) = project.list_saved_models()
    assert item["id"] == MODEL
    assert item["name"] == "Churn risk (binary)"
    assert item["projectKey"] == SAMPLE_PROJECT_KEY
    settings = project.get_saved_model(MODEL).get_settings()
    assert settings.prediction_type == "BINARY_CLASSIFICATION"
    assert settings.prediction_metrics_settings["evaluationMetric"] == "ROC_AUC"


def test_save_saved_model_bumps_version(dss: DSSEmulator, project: DSSProject) -> None:
    model = project.get_saved_model(MODEL)
    settings = model.get_settings()
    settings.get_raw()["rebuildBehavior"] = "NORMAL"
    settings.save()
    raw = model.get_settings().get_raw()
    assert raw["rebuildBehavior"] == "NORMAL"
    assert raw["versionTag"]["versionNumber"] == 6
    assert raw["versionTag"]["lastModifiedBy"]["login"] == dss.admin_login


def test_missing_saved_model_error_names_it(project: DSSProject) -> None:
    with pytest.raises(DataikuException) as info:
        project.get_saved_model("nope").get_settings()
    assert str(info.value) == f"{NOT_FOUND}: saved model does not exist: {SAMPLE_PROJECT_KEY}.nope"
