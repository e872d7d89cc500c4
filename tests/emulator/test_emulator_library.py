"""Conformance through the real dataikuapi client: the project library (``project.get_library()``)."""

from __future__ import annotations

import json

import dataikuapi
import pytest
import requests
from dataikuapi.utils import DataikuException

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

from .conftest import NOT_FOUND

DSSProject = dataikuapi.dss.project.DSSProject
CONTENTS = f"/projects/{SAMPLE_PROJECT_KEY}/libraries/contents"


def raw(dss: DSSEmulator, method: str, path: str) -> requests.Response:
    """One request as dataikuapi would send it, without its error handling (to see the status)."""
    return requests.request(method, f"{dss.url}/dip/publicapi{path}", auth=(dss.api_key, ""), timeout=10)


def paths(folder) -> list[str]:
    """Every path under a dataikuapi library folder, depth first, as the client's tree holds them."""
    found = []
    for item in folder.list():
        found.append(item.path)
        if item.children is not None:
            found.extend(paths(item))
    return found


def test_a_project_has_the_default_library(project: DSSProject) -> None:
    library = project.get_library()
    assert [item.path for item in library.list()] == ["/R", "/external-libraries.json", "/python"]
    assert library.get_folder("/python").list() == [] and library.get_folder("/R").list() == []
    settings = json.loads(library.get_file("/external-libraries.json").read())
    assert settings["pythonPath"] == ["python"] and settings["rsrcPath"] == ["R"]


def test_the_listing_is_nested_and_folders_carry_children_even_when_empty(
        client: dataikuapi.DSSClient, project: DSSProject) -> None:
    library = project.get_library()
    library.add_folder("iac")
    library.get_folder("/iac").add_folder("empty")
    library.add_file("/iac/dataiku-iac.yml").write(b"version: 1\n")
    listing = client._perform_json("GET", CONTENTS)
    [iac] = [item for item in listing if item["name"] == "iac"]
    assert iac["path"] == "/iac"
    assert [(c["name"], c.get("children")) for c in iac["children"]] == [("dataiku-iac.yml", None), ("empty", [])]
    # dataikuapi tells files from folders by "children" alone: a fresh handle sees the same tree
    assert paths(project.get_library().get_folder("/iac")) == ["/iac/dataiku-iac.yml", "/iac/empty"]


def test_files_round_trip_as_text_and_as_base64_bytes(project: DSSProject) -> None:
    library = project.get_library()
    text = "name: café\n".encode()
    binary = b"\x00\x01\xfe\xff binary"
    library.add_file("/iac/projects/P/datasets.yml").write(text)  # folders on the way are created
    library.add_file("blob.bin").write(binary)
    fresh = project.get_library()
    assert fresh.get_file("/iac/projects/P/datasets.yml").read() == "name: café\n"
    assert fresh.get_file("/iac/projects/P/datasets.yml").read(as_type="bytes") == text
    assert fresh.get_file("/blob.bin").read(as_type="bytes") == binary
    # as text, bytes that are not UTF-8 come back replaced, so binary files must be read as base64
    assert "\ufffd" in fresh.get_file("/blob.bin").read()


def test_a_write_replaces_the_file(project: DSSProject) -> None:
    library = project.get_library()
    handle = library.add_file("notes.txt")
    handle.write(b"one")
    handle.write(b"two")
    assert project.get_library().get_file("/notes.txt").read() == "two"


def test_add_file_refuses_an_existing_file(project: DSSProject) -> None:
    library = project.get_library()
    library.add_file("once.txt")
    with pytest.raises(DataikuException, match="already exists"):
        library.add_file("once.txt")  # dataikuapi looks first: the GET of an existing file answers


def test_a_missing_path_is_a_not_found(client: dataikuapi.DSSClient) -> None:
    with pytest.raises(DataikuException) as caught:
        client._perform_json("GET", f"{CONTENTS}//iac/missing.yml")
    assert str(caught.value).startswith(NOT_FOUND)
    assert f"{SAMPLE_PROJECT_KEY}:/iac/missing.yml" in str(caught.value)
    with pytest.raises(DataikuException, match=NOT_FOUND):
        client._perform_empty("DELETE", f"{CONTENTS}/missing.yml")


def test_missing_answers_follow_the_not_found_switch(dss: DSSEmulator) -> None:
    dss.set_not_found_status(500)
    response = raw(dss, "GET", f"{CONTENTS}/missing.yml")
    assert response.status_code == 500 and response.json()["errorType"] == NOT_FOUND


def test_the_library_of_a_missing_project_is_a_not_found(client: dataikuapi.DSSClient) -> None:
    with pytest.raises(DataikuException, match=f"{NOT_FOUND}: project does not exist: NOPE"):
        client.get_project("NOPE").get_library()


def test_bad_paths_and_kinds_are_400(dss: DSSEmulator, project: DSSProject) -> None:
    library = project.get_library()
    library.add_file("/a/file.txt").write(b"x")
    refused = [
        ("GET", f"{CONTENTS}/a/%2E%2E/file.txt"),      # no '.' or '..' parts
        ("GET", f"{CONTENTS}/a"),                      # a folder is not a file
        ("POST", f"{CONTENTS}/a"),                     # nor can it be written as one
        ("POST", f"{CONTENTS}/a/file.txt/under"),      # a file is not a folder
        ("GET", f"{CONTENTS}/a/file.txt?dataEncoding=hex"),
    ]
    for method, path in refused:
        response = raw(dss, method, path)
        assert response.status_code == 400, (method, path)
        assert response.json()["errorType"] == "java.lang.IllegalArgumentException"


def test_delete_removes_a_file_or_a_whole_folder(project: DSSProject) -> None:
    library = project.get_library()
    library.add_file("/iac/a.yml").write(b"a")
    library.add_file("/iac/sub/b.yml").write(b"b")
    library.add_file("/keep.txt").write(b"k")
    library.get_file("/iac/a.yml").delete()
    assert paths(project.get_library().get_folder("/iac")) == ["/iac/sub", "/iac/sub/b.yml"]
    project.get_library().get_folder("/iac").delete()
    assert [item.path for item in project.get_library().list()] == [
        "/R", "/external-libraries.json", "/keep.txt", "/python"]


def test_rename_and_move_keep_the_contents(project: DSSProject) -> None:
    library = project.get_library()
    library.add_file("/iac/projects/P/flow.yml").write(b"recipes: {}\n")
    library.get_folder("/iac").rename("config")
    fresh = project.get_library()
    fresh.get_folder("/config").move_to(fresh.get_folder("/python"))
    moved = project.get_library()
    assert paths(moved.get_folder("/python")) == [
        "/python/config", "/python/config/projects", "/python/config/projects/P",
        "/python/config/projects/P/flow.yml"]
    assert moved.get_file("/python/config/projects/P/flow.yml").read() == "recipes: {}\n"


def test_the_library_goes_with_its_project_and_reset_restores_the_default(
        dss: DSSEmulator, client: dataikuapi.DSSClient) -> None:
    project = client.create_project("LIB_SCRATCH", "scratch", "admin")
    assert [item.path for item in project.get_library().list()] == ["/R", "/external-libraries.json", "/python"]
    project.get_library().add_file("x.txt").write(b"x")
    project.delete()
    again = client.create_project("LIB_SCRATCH", "scratch", "admin")
    assert [item.path for item in again.get_library().list()] == ["/R", "/external-libraries.json", "/python"]
    sample = client.get_project(SAMPLE_PROJECT_KEY)
    sample.get_library().add_file("y.txt").write(b"y")
    dss.reset()
    assert "/y.txt" not in [item.path for item in sample.get_library().list()]


def test_a_read_only_key_reads_but_cannot_write(dss: DSSEmulator) -> None:
    reader = dataikuapi.DSSClient(dss.url, dss.create_api_key("lib_reader", read_only=True))
    library = reader.get_project(SAMPLE_PROJECT_KEY).get_library()
    assert library.get_file("/external-libraries.json").read()
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        library.get_folder("/python").add_folder("nope")


def test_names_that_need_quoting_round_trip(project: DSSProject) -> None:
    library = project.get_library()
    library.add_file("/iac/my file #1 (copy)%.yml").write(b"a: 1\n")
    assert paths(project.get_library().get_folder("/iac")) == ["/iac/my file #1 (copy)%.yml"]
    assert project.get_library().get_file("/iac/my file #1 (copy)%.yml").read() == "a: 1\n"


def test_rename_and_move_refuse_a_taken_name_and_a_move_into_itself(project: DSSProject) -> None:
    library = project.get_library()
    library.add_file("/iac/a.yml").write(b"a")
    library.add_file("/iac/b.yml").write(b"b")
    library.add_file("/iac/sub/c.yml").write(b"c")
    fresh = project.get_library()
    with pytest.raises(DataikuException, match="already exists"):
        fresh.get_file("/iac/a.yml").rename("b.yml")
    with pytest.raises(DataikuException, match="into itself"):
        fresh.get_folder("/iac").move_to(fresh.get_folder("/iac/sub"))
    assert paths(project.get_library().get_folder("/iac")) == ["/iac/a.yml", "/iac/b.yml", "/iac/sub",
                                                                "/iac/sub/c.yml"]
