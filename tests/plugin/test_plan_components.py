"""The plan-from-config macro and the check-config step, end to end: the ``dataiku`` stub, the emulator, the
config uploaded into a managed folder as a DSS user would, and the plans stored in the state folder."""

from __future__ import annotations

import json
from pathlib import Path

import dataiku
import pytest

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.manager import StateManager
from dataiku_iac.plugin import ConfigDiffersError, PlanStore, PluginError
from dss_emulator import SAMPLE_PROJECT_KEY
from tests.plugin.test_components import (
    FOLDER,
    change_dataset_description,
    dss,  # noqa: F401 (fixture)
    files,
    load,
    run_macro,
)

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "python-runnables" / "plan-from-config" / "runnable.py"
CHECK = REPO / "python-steps" / "check-config" / "step.py"
EXAMPLE = REPO / "examples" / "config"


def upload_config(folder, root: Path = EXAMPLE, under: str = "/config") -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            folder.put_file(f"{under}/{path.relative_to(root).as_posix()}", path.read_bytes())


@pytest.fixture
def config_folder(dss):  # noqa: F811
    folder = dss.client().get_project(SAMPLE_PROJECT_KEY).create_managed_folder("iac_config")
    upload_config(folder)
    return folder


def plan(config_folder, **extra):
    params = dict({"config_folder": config_folder.id, "config_path": "/config", "state_folder": FOLDER,
                   "environment": "dev"}, **extra)
    return run_macro(PLAN, params)


def stored_plans(dss):  # noqa: F811
    folder = dss.client().get_project(SAMPLE_PROJECT_KEY).get_managed_folder(FOLDER)
    return PlanStore(ManagedFolderBackend(folder, "dev", lock_settle=0))


def test_plan_of_the_matching_config_has_no_changes_and_is_stored(dss, config_folder):  # noqa: F811
    html, target, progress = plan(config_folder)
    assert target == (100, "NONE") and progress and progress[-1] <= 100
    assert "Traceback" not in html
    store = stored_plans(dss)
    [plan_id] = store.ids()
    assert f"Plan {plan_id} stored at managed folder {SAMPLE_PROJECT_KEY}.{FOLDER}:/plans/dev/{plan_id}.json" in html
    document = store.load(plan_id)
    assert document["made_by"] == "admin" and document["environment"] == "dev"
    assert document["config_dir"].endswith(":/config")
    assert document["config_source"] == {"kind": "managed_folder", "project_key": SAMPLE_PROJECT_KEY,
                                         "folder_id": config_folder.id, "path": "/config"}
    print(document["summary"], [op["resource_id"] for op in document["operations"]])
    assert document["summary"]["adopt"] == 6  # no state yet: every object of the config is imported
    assert "6 to import" in html and "dataset.CUSTOMER_ANALYTICS.raw_customers" in html


def test_an_edited_config_plans_the_change_with_its_attributes(dss, config_folder):  # noqa: F811
    datasets = (EXAMPLE / "projects" / "CUSTOMER_ANALYTICS" / "datasets.yml").read_text(encoding="utf-8")
    edited = datasets.replace("Nightly CRM export, one row per customer.", "Edited <b>in the folder</b>")
    config_folder.put_file("/config/projects/CUSTOMER_ANALYTICS/datasets.yml", edited.encode("utf-8"))
    html, _, _ = plan(config_folder)
    document = stored_plans(dss).load()
    [operation] = [op for op in document["operations"] if op["resource_id"].endswith(".raw_customers")]
    assert any(change["path"] == "description" and change["after"] == "Edited <b>in the folder</b>"
               for change in operation["changes"])
    assert "Edited &lt;b&gt;in the folder&lt;/b&gt;" in html and "<b>in the folder" not in html


def test_an_invalid_config_lists_its_errors_with_folder_paths_and_lines(dss, config_folder):  # noqa: F811
    config_folder.put_file("/config/projects/CUSTOMER_ANALYTICS/broken.yml", b"datasets:\n  x: [1,\n")
    config_folder.put_file("/config/projects/CUSTOMER_ANALYTICS/dupe.yml", b"datasets:\n  raw_customers: {}\n")
    html, _, _ = plan(config_folder)
    where = f"managed folder {SAMPLE_PROJECT_KEY}.{config_folder.id}:/config/projects/CUSTOMER_ANALYTICS/"
    assert "The config is not valid" in html and "Traceback" not in html
    assert f"{where}broken.yml:" in html and f"{where}dupe.yml:2:" in html
    assert "dataiku-iac-config-" not in html and "/tmp" not in html  # never the temporary directory
    assert stored_plans(dss).ids() == []


def test_no_config_at_the_path_says_what_to_upload(dss, config_folder):  # noqa: F811
    html, _, _ = plan(config_folder, config_path="/elsewhere")
    assert f"No config at managed folder {SAMPLE_PROJECT_KEY}.{config_folder.id}:/elsewhere" in html
    html, _, _ = plan(config_folder, config_path="/config/../x")
    assert "must not contain" in html
    html, _, _ = run_macro(PLAN, {"config_folder": "nope", "state_folder": FOLDER})
    assert "Config folder: no managed folder &#x27;nope&#x27;" in html


def test_a_config_beyond_the_bounds_is_refused_before_reading(config_folder, tmp_path):
    from dataiku_iac.exceptions import ConfigError
    from dataiku_iac.plugin.config_folder import download_config

    with pytest.raises(ConfigError, match="more than the 2 read from a folder"):
        download_config(config_folder, "/config", tmp_path, max_files=2)
    with pytest.raises(ConfigError, match="more than 0 MiB"):
        download_config(config_folder, "/config", tmp_path, max_bytes=100)
    assert list(tmp_path.iterdir()) == []


def test_a_reader_sees_the_plan_but_it_is_not_stored(dss, config_folder, monkeypatch):  # noqa: F811
    admin = dss.client()
    project = admin.get_project(SAMPLE_PROJECT_KEY)
    permissions = project.get_permissions()
    permissions["permissions"].append({"group": "readers", "readProjectContent": True})
    project.set_permissions(permissions)
    monkeypatch.setenv("DKU_API_KEY", dss.create_api_key("rita", admin=False, groups=["readers"]))
    dataiku.reset_stub()
    html, _, _ = plan(config_folder)
    assert "6 to import" in html
    assert "the plan was not stored" in html and "rita may not store a plan" in html
    assert not any(path.startswith("/plans/") for path in files(project.get_managed_folder(FOLDER)))


def test_plans_are_listed_newest_first_and_bounded(dss, config_folder):  # noqa: F811
    plan(config_folder)
    plan(config_folder)
    store = stored_plans(dss)
    first, second = store.ids()[1], store.ids()[0]
    assert first < second
    assert [entry.plan_id for entry in store.entries()] == [second, first]
    small = PlanStore(store.backend, limit=1)
    small.save(store.load(first), "bob")
    assert len(small.ids()) == 1 and small.entries()[0].made_by == "bob"


# -- check-config ------------------------------------------------------------------------------------------


def run_check(monkeypatch, config: dict):
    monkeypatch.setenv("DKU_PLUGIN_STEP_CONFIG", json.dumps(config))
    return load(CHECK)


def check_params(config_folder, **extra):
    return dict({"config_folder": config_folder.id, "config_path": "/config", "state_folder": FOLDER}, **extra)


def test_check_config_fails_when_dss_differs_and_sets_variables(dss, config_folder, monkeypatch):  # noqa: F811
    from dataiku import scenario as dku_scenario

    with pytest.raises(ConfigDiffersError) as caught:
        run_check(monkeypatch, check_params(config_folder))
    variables = dku_scenario.Scenario().get_all_variables()
    assert variables["iac_plan_count"] == 6
    assert variables["iac_plan_summary"] == str(caught.value)
    assert "DSS differs from the config for environment 'dev': Plan: 6 to import" in variables["iac_plan_summary"]
    assert stored_plans(dss).ids() == []  # a check stores nothing


def test_check_config_can_report_without_failing(dss, config_folder, monkeypatch):  # noqa: F811
    from dataiku import scenario as dku_scenario

    run_check(monkeypatch, check_params(config_folder, fail_on_changes=False))
    assert dku_scenario.Scenario().get_all_variables()["iac_plan_count"] == 6


def test_check_config_passes_when_dss_matches(dss, config_folder, monkeypatch):  # noqa: F811
    from dataiku import scenario as dku_scenario

    # A state that manages what the config names (as adoption or apply leaves it): nothing left to do.
    from dataiku_iac.config import identities_from_state, read_config
    from dataiku_iac.config.desired import DesiredStateBuilder
    from dataiku_iac.models.state import ManagedEntry

    folder = dss.client().get_project(SAMPLE_PROJECT_KEY).get_managed_folder(FOLDER)
    backend = ManagedFolderBackend(folder, "dev", lock_settle=0)
    state = StateManager(backend, dss.client(), "dev").refresh([SAMPLE_PROJECT_KEY]).state
    config = read_config(EXAMPLE)
    desired = DesiredStateBuilder(config, config.environment("dev"), None, identities_from_state(state)).build()
    state.managed = {rid: ManagedEntry(wanted.config.key, "adopted", tuple(sorted(wanted.dependencies)))
                     for rid, wanted in desired.resources.items()}
    backend.save(state)
    run_check(monkeypatch, check_params(config_folder))
    variables = dku_scenario.Scenario().get_all_variables()
    assert variables["iac_plan_count"] == 0
    assert variables["iac_plan_summary"] == "DSS matches the config for environment 'dev': no changes."
    change_dataset_description(dss)  # changed by hand in DSS: the config wins, so the plan changes it back
    with pytest.raises(ConfigDiffersError, match="1 to change"):
        run_check(monkeypatch, check_params(config_folder))


def test_check_config_with_an_invalid_config_gives_minus_one(dss, config_folder, monkeypatch):  # noqa: F811
    from dataiku import scenario as dku_scenario

    config_folder.put_file("/config/dataiku-iac.yml", b"version: 7\nenvironments: {}\n")
    with pytest.raises(PluginError, match="The config has"):
        run_check(monkeypatch, check_params(config_folder))
    variables = dku_scenario.Scenario().get_all_variables()
    assert variables["iac_plan_count"] == -1
    assert variables["iac_plan_summary"].startswith("Config check could not run: The config has")
    assert f"{SAMPLE_PROJECT_KEY}.{config_folder.id}:/config/dataiku-iac.yml" in variables["iac_plan_summary"]
