"""sync and drift through main([...]) against the DSS emulator, with the real dataikuapi client over HTTP."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dss_emulator import SAMPLE_PROJECT_KEY as KEY

STATE = Path(".dataiku/state/dev.state.json")


def change_path(dss, path="/data/crm/v2"):
    settings = dss.client().get_project(KEY).get_dataset("raw_customers").get_settings()
    settings.get_raw_params()["path"] = path
    settings.save()


# -- sync ---------------------------------------------------------------------------------------------------

def test_sync_writes_the_state(cli, dss):
    result = cli("sync", KEY)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"Synced 7 resources (1 project, 2 datasets, 1 recipe, 1 scenario, 1 managed folder, 1 saved model) "
        f"from 1 project ({KEY}).",
        "Mode: full (no incremental baseline).",
        f"State saved to {STATE} (serial 1).",
    ]
    state = LocalFileBackend(STATE).load()
    assert state.environment == "dev" and f"dataset.{KEY}.raw_customers" in state.resources


def test_sync_again_without_change_writes_nothing(cli, dss):
    cli("sync", KEY)
    result = cli("sync")  # no keys: the projects already in the state
    assert result.code == 0
    assert result.out.splitlines()[-1] == f"No change: {STATE} left as it was (serial 1)."


def test_sync_after_a_change_saves_a_new_serial_and_says_what_changed(cli, dss):
    cli("sync", KEY)
    change_path(dss)
    result = cli("sync", KEY)
    assert result.code == 0
    assert "Since the previous state: 0 added, 1 modified, 0 removed." in result.out
    assert result.out.splitlines()[-1] == f"State saved to {STATE} (serial 2)."


def test_sync_all_no_children_env_and_state_path(cli, dss):
    result = cli("sync", "--all", "--no-children", "--env", "prod", "--workers", "2", "--state", "custom/p.json")
    assert result.code == 0, result.err
    assert result.out.startswith(f"Synced 1 resources (1 project) from 1 project ({KEY}).")
    state = LocalFileBackend("custom/p.json").load()
    assert list(state.resources) == [f"project.{KEY}"] and state.environment == "prod"


def test_sync_needs_projects_the_first_time(cli, dss):
    result = cli("sync")
    assert result.code == 1
    assert result.err == (f"Error: No state at {STATE} yet: name the projects to sync "
                          "('dataiku-iac sync PROJECT_KEY...') or pass --all.\n")
    assert cli("sync", KEY, "--all").err == "Error: Name projects or pass --all, not both.\n"


def test_sync_unknown_project_exits_1_and_writes_nothing(cli, dss):
    result = cli("sync", "NOPE")
    assert result.code == 1 and "Project NOPE does not exist" in result.err
    assert not STATE.exists()


def test_sync_over_a_corrupt_state_says_how_to_recover(cli, dss):
    STATE.parent.mkdir(parents=True)
    STATE.write_text("{broken")
    result = cli("sync", KEY)
    assert result.code == 1 and result.err.startswith(f"Error: State at {STATE} is not usable")
    assert "restore a snapshot" in result.err


def test_force_reaches_the_manager(cli, dss, monkeypatch):
    from dataiku_iac.manager import StateManager

    seen = {}
    real = StateManager.refresh

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StateManager, "refresh", spy)
    assert cli("sync", KEY, "--force", "--no-children").code == 0
    assert seen == {"include_children": False, "all_projects": False, "force": True, "full": False}


def test_connection_from_flags_and_key_file(cli, dss, monkeypatch, tmp_path):
    monkeypatch.delenv("DKU_DSS_URL")
    monkeypatch.delenv("DKU_API_KEY")
    (tmp_path / "key").write_text(dss.api_key + "\n")
    result = cli("sync", KEY, "--host", dss.url + "/", "--api-key-file", "key", "--timeout", "5")
    assert result.code == 0, result.err


def test_missing_connection_settings(cli, dss, monkeypatch, tmp_path):
    monkeypatch.delenv("DKU_DSS_URL")
    result = cli("sync", KEY)
    assert result.code == 1 and result.err.startswith("Error: Missing DKU_DSS_URL: set DKU_DSS_URL")
    assert result.err.endswith(" (or pass --host URL, --api-key-file PATH).\n") and result.err.count("\n") == 1
    monkeypatch.setenv("DKU_DSS_URL", "dss.example.com")
    assert "Invalid DSS URL 'dss.example.com': expected http(s)://" in cli("sync", KEY).err
    monkeypatch.setenv("DKU_DSS_URL", dss.url)
    monkeypatch.delenv("DKU_API_KEY")
    result = cli("sync", KEY)
    assert result.err.startswith("Error: Missing DKU_API_KEY:") and "--api-key-file PATH" in result.err


@pytest.mark.parametrize("content, message", [
    (None, "Cannot read the API key file key"),
    ("", "should hold only the key"),
    ("two words", "should hold only the key"),
    (b"\xff\xfe", "is not text"),
])
def test_bad_key_files(cli, dss, tmp_path, content, message):
    if isinstance(content, bytes):
        (tmp_path / "key").write_bytes(content)
    elif content is not None:
        (tmp_path / "key").write_text(content)
    result = cli("sync", KEY, "--api-key-file", "key")
    assert result.code == 1 and message in result.err


def test_refused_key_fails_fast_without_printing_it(cli, dss, monkeypatch):
    monkeypatch.setenv("DKU_API_KEY", "not-a-valid-key-123")
    result = cli("sync", KEY)
    assert result.code == 1
    assert result.err.startswith("Error: DSS refused the API key") and len(result.err.splitlines()) == 1
    assert "not-a-valid-key-123" not in result.err + result.out


def test_unreachable_dss_fails_fast(cli, dss, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DKU_DSS_URL", f"http://127.0.0.1:{port}")
    result = cli("sync", KEY)
    assert result.code == 1 and result.err.startswith(f"Error: Cannot reach DSS at http://127.0.0.1:{port}")


def test_sync_failure_writes_nothing_and_lists_failures_once(cli, dss):
    dss.inject_fault("GET", r".*/recipes/.*", status=500, count=100)
    result = cli("sync", KEY, "--timeout", "5")
    assert result.code == 1
    assert result.err.startswith("Error: Sync failed for") and "no state was written" in result.err
    assert "WARNING" not in result.err  # the engine's per-object warnings are not repeated
    assert not STATE.exists()


# -- drift --------------------------------------------------------------------------------------------------

def test_drift_without_baseline(cli, dss):
    result = cli("drift", KEY)
    assert result.code == 1
    assert result.err == (f"Error: No state at {STATE}: record a baseline first with "
                          "'dataiku-iac sync PROJECT_KEY...' (same --env/--state).\n")
    assert not Path(".dataiku").exists()  # read-only: not even a directory is created


def test_no_drift_exits_0(cli, dss):
    cli("sync", KEY)
    result = cli("drift")
    assert result.code == 0
    assert result.out.endswith("No drift: DSS matches the baseline (serial 1).\n")


def test_drift_exits_2_with_the_terraform_like_report(cli, dss):
    cli("sync", KEY)
    change_path(dss)
    dss.client().get_project(KEY).create_managed_folder("exports")
    result = cli("drift", KEY)
    assert result.code == 2, result.err
    assert f"  ~ dataset.{KEY}.raw_customers  (changed by admin at " in result.out
    assert '      ~ params.path: "${crm_export_path}" → "/data/crm/v2"' in result.out
    assert f"  + managed_folder.{KEY}." in result.out
    assert result.out.endswith("Drift: 1 added, 1 modified, 0 removed.\n")
    assert LocalFileBackend(STATE).load().serial == 1  # read-only


def test_drift_json_html_output_and_saved_report(cli, dss, tmp_path):
    cli("sync", KEY)
    change_path(dss)
    report = json.loads(cli("drift", "--format", "json").out)
    assert report["context"]["has_drift"] is True and report["summary"]["modified"] == 1
    result = cli("drift", "--all", "--format", "html", "--output", "reports/drift.html", "--save-report")
    assert result.code == 2
    assert result.out == "Drift: 0 added, 1 modified, 0 removed.\nReport (html) written to reports/drift.html\n"
    assert result.err.startswith("Report saved as report-")
    assert "<!DOCTYPE html>" in (tmp_path / "reports/drift.html").read_text()
    assert LocalFileBackend(STATE).load_report()["summary"]["modified"] == 1


def test_drift_unknown_project(cli, dss):
    cli("sync", KEY)
    result = cli("drift", "NOPE")
    assert result.code == 1 and "Project NOPE does not exist" in result.err
