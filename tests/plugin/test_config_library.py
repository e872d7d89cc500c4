"""The config read from a project's library (``config_from_library``), end to end: the emulator, the real
dataikuapi client, the example config put into the library as DSS's git import or a user would."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import dataikuapi
import pytest

from dataiku_iac.config import ConfigValidationError, build_desired_state, read_config
from dataiku_iac.exceptions import ConfigError, DSSAuthError
from dataiku_iac.plan.plan_file import config_digest
from dataiku_iac.plugin.config_folder import config_files, config_from_folder
from dataiku_iac.plugin.config_library import (
    LibrarySource,
    config_from_library,
    config_from_library_source,
    library_source,
)
from dataiku_iac.plugin.config_source import READ_WORKERS, download, files_under
from dss_emulator import SAMPLE_PROJECT_KEY

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "config"
EXAMPLE_FILES = sorted(p for p in EXAMPLE.rglob("*") if p.is_file())
WHERE = f"project library {SAMPLE_PROJECT_KEY}:"
LIST_ROUTE = "GET /projects/<project_key>/libraries/contents"
FILE_ROUTE = "GET /projects/<project_key>/libraries/contents/<anypath:path>"


def put_config(project, under: str = "/iac", root: Path = EXAMPLE) -> None:
    library = project.get_library()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            library.add_file(f"{under}/{path.relative_to(root).as_posix()}".lstrip("/")).write(path.read_bytes())


def put_file(project, path: str, data: bytes) -> None:
    library = project.get_library()
    if library.get_file(path) is None:
        library.add_file(path.lstrip("/"))
    project.get_library().get_file(path).write(data)


def digest(config) -> str:
    return config_digest(build_desired_state(config, "dev", environ={}))


@pytest.fixture
def project(sample_emulator):
    project = sample_emulator.client().get_project(SAMPLE_PROJECT_KEY)
    put_config(project)
    sample_emulator.clear_request_counts()
    return project


def test_the_library_config_is_the_directory_config(sample_emulator, project):
    with config_from_library(project, "/iac") as config:
        from_library = build_desired_state(config, "dev", environ={})  # side files (recipe code) read here
    from_directory = build_desired_state(read_config(EXAMPLE), "dev", environ={})
    assert config_digest(from_library) == config_digest(from_directory)
    assert {rid: r.resource.attributes for rid, r in from_library.resources.items()} == \
        {rid: r.resource.attributes for rid, r in from_directory.resources.items()}
    # one listing, then one request per file
    assert sample_emulator.request_counts() == {LIST_ROUTE: 1, FILE_ROUTE: len(EXAMPLE_FILES)}


def test_the_same_config_in_a_folder_and_in_the_library_gives_the_same_digest(project):
    folder = project.create_managed_folder("iac_config")
    for path in EXAMPLE_FILES:
        folder.put_file(f"/config/{path.relative_to(EXAMPLE).as_posix()}", path.read_bytes())
    assert [relative for _, relative, _ in config_files(folder, "/config")] == [
        p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE_FILES]
    with config_from_folder(folder, "/config") as in_folder, config_from_library(project, "iac/") as in_library:
        assert digest(in_folder) == digest(in_library)


def test_a_config_deeper_in_the_library_and_at_its_root(project):
    put_config(project, "/python/iac_config")
    with config_from_library(project, "/python/iac_config") as config:
        assert digest(config) == digest(read_config(EXAMPLE))
    put_config(project, "")  # beside python/, R/ and external-libraries.json, which the config ignores
    with config_from_library(project) as config:
        assert sorted(config.projects) == ["CUSTOMER_ANALYTICS"]
        assert digest(config) == digest(read_config(EXAMPLE))


def test_errors_name_library_paths_with_lines_never_the_temporary_directory(project):
    put_file(project, "/iac/projects/CUSTOMER_ANALYTICS/broken.yml", b"datasets:\n  x: [1,\n")
    put_file(project, "/iac/projects/CUSTOMER_ANALYTICS/dupe.yml", b"datasets:\n  raw_customers: {}\n")
    with pytest.raises(ConfigValidationError) as caught, config_from_library(project, "/iac"):
        pass
    text = str(caught.value)
    where = f"{WHERE}/iac/projects/CUSTOMER_ANALYTICS/"
    assert f"{where}broken.yml:" in text and f"{where}dupe.yml:2:3" in text
    assert "dataiku-iac-config-" not in text and tempfile.gettempdir() not in text
    assert {problem.location.file for problem in caught.value.problems} == {f"{where}broken.yml", f"{where}dupe.yml"}
    assert f"also at {where}datasets.yml:3:3" in text  # a place named inside a message is mapped too


def test_an_error_raised_inside_the_block_names_library_paths(project):
    with pytest.raises(ConfigError) as caught, config_from_library(project, "/iac") as config:
        config.environment("nope")
    assert f"{WHERE}/iac/dataiku-iac.yml" in str(caught.value)
    assert "dataiku-iac-config-" not in str(caught.value)


def test_nothing_at_the_path_says_where_to_put_the_config(project):
    for path in ("/elsewhere", "/iac/dataiku-iac.yml", "/python"):  # missing, a file, an empty folder
        with pytest.raises(ConfigError) as caught, config_from_library(project, path):
            pass
        message = str(caught.value)
        assert message.startswith(f"No config at {WHERE}{path}: put the config (dataiku-iac.yml, projects/) in the "
                                  f"project library of {SAMPLE_PROJECT_KEY} under {path}")
        assert "git" in message


def test_a_path_with_dot_parts_is_refused_before_any_request(sample_emulator, project):
    with pytest.raises(ConfigError, match=r"^Path in the project library: '/iac/\.\./x' must not contain"):
        config_from_library(project, "/iac/../x")
    assert sample_emulator.request_counts() == {}


def test_the_bounds_stop_the_read(sample_emulator, project, tmp_path):
    source = LibrarySource(project)
    with pytest.raises(ConfigError, match=f"has {len(EXAMPLE_FILES)} files, more than the 2 read from a project "
                                          "library"):
        download(source, "/iac", tmp_path, max_files=2)
    assert FILE_ROUTE not in sample_emulator.request_counts()  # refused on the listing, nothing read
    library = project.get_library()
    for index in range(20):
        library.add_file(f"iac/notes/n{index:02d}.txt").write(b"x" * 200)
    sample_emulator.clear_request_counts()
    with pytest.raises(ConfigError, match=f"config at {WHERE}/iac holds more than 0 MiB"):
        download(source, "/iac", tmp_path, max_bytes=300)
    # the listing has no sizes: the bytes read are counted, and the reading stops at the bound (the second file
    # passes it; only the reads already in the window of 8 were asked)
    assert sample_emulator.request_counts()[FILE_ROUTE] <= 2 + READ_WORKERS < len(EXAMPLE_FILES) + 20


def test_a_refused_read_leaves_no_temporary_directory(project, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ConfigError, match="more than 0 MiB"), config_from_library(project, "/iac", max_bytes=300):
        pass
    assert list(tmp_path.iterdir()) == []


def test_the_copy_is_private_and_gone_after_the_block(project):
    with config_from_library(project, "/iac") as config:
        root = Path(config.root)
        assert stat.S_IMODE(os.stat(root.parent).st_mode) == 0o700
        copied = sorted(p for p in root.rglob("*") if p.is_file())
        assert [p.relative_to(root) for p in copied] == [p.relative_to(EXAMPLE) for p in EXAMPLE_FILES]
        assert all(stat.S_IMODE(os.lstat(p).st_mode) == 0o600 and not p.is_symlink() for p in copied)
    assert not root.parent.exists()


def test_files_are_read_as_their_exact_bytes(project):
    data = bytes(range(256)) + "é".encode("latin-1")
    put_file(project, "/iac/projects/CUSTOMER_ANALYTICS/recipes/blob.bin", data)
    source = LibrarySource(project)
    listed = {full for full, _, _ in source.files("/iac")}
    assert "/iac/projects/CUSTOMER_ANALYTICS/recipes/blob.bin" in listed
    assert source.read("/iac/projects/CUSTOMER_ANALYTICS/recipes/blob.bin") == data


def test_a_file_removed_after_the_listing_is_skipped(project, tmp_path):
    source = LibrarySource(project)
    files = source.files("/iac")
    project.get_library().get_file("/iac/projects/CUSTOMER_ANALYTICS/recipes/compute_customers_prepared.py").delete()
    assert source.read("/iac/projects/CUSTOMER_ANALYTICS/recipes/compute_customers_prepared.py") is None
    assert source.read("/not/listed.yml") is None
    assert len(files) == len(EXAMPLE_FILES)


def test_names_that_could_leave_the_config_directory_are_skipped():
    listed = [("/iac/../etc/passwd", 1), ("/iac/./x.yml", 1), ("/iac//x.yml", 1), ("/iacx/y.yml", 1),
              ("/iac", 1), ("/iac/projects/P/ok.yml", 3)]
    assert files_under(listed, "/iac") == [("/iac/projects/P/ok.yml", "projects/P/ok.yml", 3)]
    assert files_under([("/a.yml", 0)], "/") == [("/a.yml", "a.yml", 0)]


def test_a_missing_project_says_so(sample_emulator):
    project = sample_emulator.client().get_project("NOPE")
    with pytest.raises(ConfigError, match=r"^Project NOPE does not exist"), config_from_library(project, "/iac"):
        pass


def test_a_refused_key_names_the_library_and_never_the_key(sample_emulator):
    bad_key = "wrong-key-0123456789abcdef"
    project = dataikuapi.DSSClient(sample_emulator.url, bad_key).get_project(SAMPLE_PROJECT_KEY)
    with pytest.raises(DSSAuthError) as caught, config_from_library(project, "/iac"):
        pass
    assert f"listing {WHERE}/" in str(caught.value) and bad_key not in str(caught.value)


def test_library_source_is_what_apply_reads_again():
    assert library_source("PROJ", "iac/") == {"kind": "project_library", "project_key": "PROJ", "path": "/iac"}
    assert library_source("PROJ") == {"kind": "project_library", "project_key": "PROJ", "path": "/"}
    with pytest.raises(ConfigError, match="Path in the project library"):
        library_source("PROJ", "../etc")


def test_a_plan_source_reads_the_same_config_again(sample_emulator, project):
    client = sample_emulator.client()
    with config_from_library_source(client, library_source(SAMPLE_PROJECT_KEY, "/iac")) as config:
        assert digest(config) == digest(read_config(EXAMPLE))
    for bad in ({"kind": "managed_folder", "project_key": SAMPLE_PROJECT_KEY, "path": "/iac"},
                {"kind": "project_library", "project_key": "../x", "path": "/iac"},
                {"kind": "project_library", "path": "/iac"}):
        with pytest.raises(ConfigError, match="not a project library"):
            config_from_library_source(client, bad)
    with pytest.raises(ConfigError, match="must not contain"):
        config_from_library_source(client, {"kind": "project_library", "project_key": "P", "path": "/a/../b"})
