"""The project library as a config source, on the suite's DSS target (the emulator by default, a real DSS with
``DATAIKU_IAC_REAL_DSS=1``; see tests/dss_support.py): the facts the emulator assumes about DSS's library API,
checked where a real DSS can confirm them, and the example config read back from a scratch project's library.
Everything is written into the scratch project the fixture makes and deletes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataiku_iac.config import build_desired_state, read_config
from dataiku_iac.dss.errors import is_not_found
from dataiku_iac.exceptions import ConfigError
from dataiku_iac.plan.plan_file import config_digest
from dataiku_iac.plugin.config_library import config_from_library
from tests.dss_support import DSSTarget

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "config"


def digest(config) -> str:
    return config_digest(build_desired_state(config, "dev", environ={}))


def test_a_new_project_library_has_the_python_and_r_folders(dss_target: DSSTarget, scratch_project: str) -> None:
    library = dss_target.client().get_project(scratch_project).get_library()
    folders = {item.name for item in library.list() if item.children is not None}
    assert {"python", "R"} <= folders


def test_a_missing_library_file_is_a_not_found(dss_target: DSSTarget, scratch_project: str) -> None:
    client = dss_target.client()
    with pytest.raises(Exception) as caught:
        client._perform_json("GET", f"/projects/{scratch_project}/libraries/contents/dkuiac_missing/x.yml")
    assert is_not_found(caught.value), str(caught.value)


def test_bytes_written_are_read_back_exactly(dss_target: DSSTarget, scratch_project: str) -> None:
    library = dss_target.client().get_project(scratch_project).get_library()
    data = "name: café # ünïcode\n".encode() + bytes(range(1, 32))
    library.add_file("dkuiac/nested/file.yml").write(data)
    fresh = dss_target.client().get_project(scratch_project).get_library()
    assert fresh.get_file("/dkuiac/nested/file.yml").read(as_type="bytes") == data


def test_the_example_config_reads_back_from_the_library(dss_target: DSSTarget, scratch_project: str) -> None:
    project = dss_target.client().get_project(scratch_project)
    library = project.get_library()
    for path in sorted(EXAMPLE.rglob("*")):
        if path.is_file():
            library.add_file(f"dkuiac_config/{path.relative_to(EXAMPLE).as_posix()}").write(path.read_bytes())
    with config_from_library(project, "/dkuiac_config") as config:
        assert digest(config) == digest(read_config(EXAMPLE))
    with pytest.raises(ConfigError, match=f"^No config at project library {scratch_project}:/dkuiac_elsewhere"), \
            config_from_library(project, "/dkuiac_elsewhere"):
        pass
