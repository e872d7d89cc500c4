"""The config kept in the project library (which DSS can import from git) through every component that reads
a config: plan macro, apply macro (reading it again from the plan's ``config_source``), check-config and
apply-config steps; the ``dataiku`` stub, the emulator, the real client."""

from __future__ import annotations

import pytest
import yaml

from dataiku_iac.plugin import ConfigDiffersError
from dss_emulator import SAMPLE_PROJECT_KEY
from tests.plugin.test_apply_components import (
    APPLY,
    DATASETS,
    OLD,
    PROJECT,
    description,
    run_step,
    variables,
)
from tests.plugin.test_components import FOLDER, dss, run_macro  # noqa: F401 (fixture)
from tests.plugin.test_config_library import put_config, put_file
from tests.plugin.test_plan_components import EXAMPLE, PLAN, run_check, stored_plans

LIBRARY = {"config_source": "project_library", "library_path": "/iac", "state_folder": FOLDER,
           "environment": "dev"}
LIBRARY_DATASETS = "/iac" + DATASETS[len("/config"):]


@pytest.fixture
def library(dss):  # noqa: F811
    project = dss.client().get_project(SAMPLE_PROJECT_KEY)
    put_config(project, "/iac")
    return project


def describe_in_library(project, text: str) -> None:
    body = (EXAMPLE / "projects" / PROJECT / "datasets.yml").read_text(encoding="utf-8")
    assert OLD in body
    put_file(project, LIBRARY_DATASETS, body.replace(OLD, text).encode("utf-8"))


def test_plan_then_apply_from_the_project_library(dss, library):  # noqa: F811
    html, _, _ = run_macro(PLAN, LIBRARY)
    assert "6 to import" in html and "Traceback" not in html
    document = stored_plans(dss).load()
    assert document["config_source"] == {"kind": "project_library", "project_key": SAMPLE_PROJECT_KEY,
                                         "path": "/iac"}
    assert document["config_dir"] == f"project library {SAMPLE_PROJECT_KEY}:/iac"
    html, _, _ = run_macro(APPLY, {"state_folder": FOLDER, "environment": "dev", "confirm_apply": True})
    assert "Apply complete: 6 applied." in html, html
    describe_in_library(library, "Edited in the library")
    run_macro(PLAN, LIBRARY)
    html, _, _ = run_macro(APPLY, {"state_folder": FOLDER, "environment": "dev", "confirm_apply": True})
    assert "Apply complete: 1 applied." in html, html
    assert description(dss) == "Edited in the library"


def test_a_library_edited_after_the_plan_makes_it_stale(dss, library):  # noqa: F811
    run_macro(PLAN, LIBRARY)
    run_macro(APPLY, {"state_folder": FOLDER, "environment": "dev", "confirm_apply": True})
    describe_in_library(library, "Planned")
    run_macro(PLAN, LIBRARY)
    describe_in_library(library, "Changed after the plan")
    html, _, _ = run_macro(APPLY, {"state_folder": FOLDER, "environment": "dev", "confirm_apply": True})
    assert "the config changed since the plan" in html
    assert description(dss) != "Planned"


def test_an_invalid_library_config_names_library_paths_and_lines(dss, library):  # noqa: F811
    put_file(library, LIBRARY_DATASETS, b"datasets:\n  raw_customers: [not, a, mapping]\n")
    html, _, _ = run_macro(PLAN, LIBRARY)
    assert "The config is not valid" in html
    assert f"project library {SAMPLE_PROJECT_KEY}:{LIBRARY_DATASETS}:2" in html


def test_nothing_in_the_library_says_where_to_put_the_config(dss):  # noqa: F811
    html, _, _ = run_macro(PLAN, LIBRARY)
    assert f"No config at project library {SAMPLE_PROJECT_KEY}:/iac" in html and "git" in html


def test_check_config_reads_the_library(dss, library, monkeypatch):  # noqa: F811
    with pytest.raises(ConfigDiffersError):
        run_check(monkeypatch, dict(LIBRARY))
    assert variables()["iac_plan_count"] == 6


def test_apply_config_applies_the_library_and_records_where_it_came_from(dss, library, monkeypatch):  # noqa: F811
    run_step(monkeypatch, dict(LIBRARY))
    assert variables()["iac_apply_status"] == "applied"
    body = yaml.safe_load((EXAMPLE / "projects" / PROJECT / "datasets.yml").read_text(encoding="utf-8"))
    body["datasets"]["raw_customers"]["description"] = "From the scenario"
    put_file(library, LIBRARY_DATASETS, yaml.safe_dump(body, sort_keys=False).encode("utf-8"))
    run_step(monkeypatch, dict(LIBRARY))
    seen = variables()
    assert seen["iac_apply_applied"] == 1 and description(dss) == "From the scenario"
    document = stored_plans(dss).load(seen["iac_apply_plan_id"])
    assert document["config_source"]["kind"] == "project_library"
    assert document["config_dir"] == f"project library {SAMPLE_PROJECT_KEY}:/iac"


def test_a_folder_source_still_needs_its_folder(dss):  # noqa: F811
    html, _, _ = run_macro(PLAN, {"state_folder": FOLDER, "environment": "dev"})
    assert "Config folder: choose the managed folder" in html and "project library" in html
