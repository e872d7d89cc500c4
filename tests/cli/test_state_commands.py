"""diff, show, history and state restore/unlock on local state files (no DSS needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataiku_iac.backends.local import LocalFileBackend

STATE = ".dataiku/state/dev.state.json"
SNAPSHOT_1 = ".dataiku/state/dev.state.json.history/serial-00000001.json"


# -- diff ---------------------------------------------------------------------------------------------------

def test_diff_with_changes_exits_2_and_prints_terraform_like_text(cli, saved_states):
    result = cli("diff", SNAPSHOT_1, STATE)
    assert result.code == 2, result.err
    assert "  ~ dataset.P.orders  (changed by jane.doe at 2025-02-01T08:00:00Z)" in result.out
    assert '      ~ params.path: "/a" → "/b"' in result.out
    assert "  + managed_folder.P.F1" in result.out
    assert "            -print(1)" in result.out and "            +print(2)" in result.out
    assert result.out.startswith(f"Old state:  {SNAPSHOT_1}\nOld serial: 1\nNew state:  {STATE}\nNew serial: 2\n")
    assert result.out.endswith("Changes: 1 added, 3 modified, 0 removed.\n")
    assert "\x1b" not in result.out  # not a terminal: no colour


def test_diff_of_identical_states_exits_0(cli, saved_states):
    result = cli("diff", STATE, STATE)
    assert result.code == 0
    assert result.out.endswith("No changes: both states hold the same resources and attributes.\n")


def test_diff_json_is_the_report_format(cli, saved_states):
    result = cli("diff", SNAPSHOT_1, STATE, "--format", "json")
    assert result.code == 2
    report = json.loads(result.out)
    assert report["summary"] == {"added": 1, "removed": 0, "modified": 3, "unchanged": 0}
    assert report["context"]["old_serial"] == 1 and report["context"]["new_serial"] == 2
    assert next(c["address"] for c in report["resource_changes"]) == "dataset.P.orders"


def test_diff_html_to_a_file(cli, saved_states, tmp_path):
    result = cli("diff", SNAPSHOT_1, STATE, "--format", "html", "--output", "out/diff.html")
    assert result.code == 2
    assert result.out == "Changes: 1 added, 3 modified, 0 removed.\nReport (html) written to out/diff.html\n"
    page = (tmp_path / "out" / "diff.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "State diff:" in page


def test_diff_colour_on_a_terminal_unless_disabled(cli, saved_states, monkeypatch):
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert "\x1b[33m" in cli("diff", SNAPSHOT_1, STATE).out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert "\x1b" not in cli("diff", SNAPSHOT_1, STATE, "--no-color").out
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert "\x1b" not in cli("diff", SNAPSHOT_1, STATE).out


def test_diff_missing_or_corrupt_file_exits_1(cli, saved_states, tmp_path):
    result = cli("diff", "nope.json", STATE)
    assert result.code == 1
    assert result.err == "Error: No state file at nope.json: check the path, or run 'dataiku-iac sync' first.\n"
    (tmp_path / "bad.json").write_text("{not json")
    result = cli("diff", "bad.json", STATE)
    assert result.code == 1 and result.err.startswith("Error: State at bad.json is not usable")
    (tmp_path / "dir.json").mkdir()
    assert cli("diff", "dir.json", STATE).code == 1


def test_output_to_an_unwritable_place_is_a_user_error(cli, saved_states, tmp_path):
    (tmp_path / "file").write_text("")
    result = cli("diff", SNAPSHOT_1, STATE, "--output", "file/report.txt")
    assert result.code == 1 and result.err.startswith("Error: Cannot write file/report.txt")


# -- show ---------------------------------------------------------------------------------------------------

def test_show_lists_resources_with_attribution(cli, saved_states):
    result = cli("show")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith(f"State {STATE}: environment dev, serial 2, updated ")
    assert lines[1] == "4 resources: 1 project, 1 dataset, 1 recipe, 1 managed folder"
    assert "  dataset.P.orders         changed by jane.doe at 2025-02-01T08:00:00Z" in lines


def test_show_by_type_path_and_json(cli, saved_states):
    result = cli("show", SNAPSHOT_1, "--type", "recipe", "--format", "json")
    document = json.loads(result.out)
    assert document["serial"] == 1
    assert [r["resource_id"] for r in document["resources"]] == ["recipe.P.compute_orders"]
    assert cli("show", "--state", STATE, "--type", "scenario").out.splitlines()[1] == "0 resources: nothing"


def test_show_one_resource(cli, saved_states):
    result = cli("show", "--resource", "dataset.P.orders")
    assert json.loads(result.out)["attributes"]["params"] == {"path": "/b"}
    result = cli("show", "--resource", "dataset.P.nope")
    assert result.code == 1 and "No resource 'dataset.P.nope'" in result.err


def test_show_without_state(cli):
    result = cli("show", "--env", "prod")
    assert result.code == 1 and ".dataiku/state/prod.state.json" in result.err
    result = cli("show", "--env", "../etc")
    assert result.code == 1 and "Invalid environment name" in result.err


def test_show_resource_without_attribution(cli, tmp_path):
    from dataiku_iac.models.state import Resource

    from .conftest import make_state

    LocalFileBackend(tmp_path / "s.json").save(make_state(Resource("project", "project.Q", {})))
    assert cli("show", "s.json").out.splitlines()[-1] == "  project.Q"


# -- history ------------------------------------------------------------------------------------------------

def test_history_lists_serials_newest_first(cli, saved_states):
    saved_states.save_report({"summary": {}})
    result = cli("history")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"State {STATE}: current serial 2"
    assert lines[3].startswith("*        2  ") and lines[4].startswith("         1  ")
    assert lines[-1].startswith("1 drift report(s) in .dataiku/state/dev.state.json.reports, newest report-")


def test_history_json(cli, saved_states):
    document = json.loads(cli("history", STATE, "--format", "json").out)
    assert document["current_serial"] == 2
    assert [entry["serial"] for entry in document["history"]] == [2, 1]


def test_history_survives_a_corrupt_current_state(cli, saved_states, tmp_path):
    (tmp_path / STATE).write_text("garbage")
    result = cli("history")
    assert result.code == 0 and "current serial (none: missing or unreadable)" in result.out


def test_history_without_state(cli, tmp_path):
    assert cli("history").code == 1
    (tmp_path / "empty").mkdir()
    result = cli("history", "empty/dev.state.json")
    assert result.code == 1 and "No state and no history" in result.err


# -- state restore / unlock ---------------------------------------------------------------------------------

def test_state_restore(cli, saved_states):
    result = cli("state", "restore", "--serial", "1")
    assert result.code == 0, result.err
    assert result.out == (f"Restored serial 1 of {STATE}: it is now the current state, as serial 3 "
                          "(3 resources).\n")
    assert LocalFileBackend(STATE).load().get_resource("managed_folder.P.F1") is None
    result = cli("state", "restore", "--serial", "9", "--state", STATE)
    assert result.code == 1 and "No snapshot of serial 9" in result.err


def test_state_without_action(cli):
    result = cli("state")
    assert result.code == 1 and "state restore --serial N" in result.err


def test_state_unlock(cli, saved_states, tmp_path):
    lock_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    info = {"id": lock_id, "operation": "save", "who": "bob@host (pid 1)", "created": "2025-01-01T00:00:00Z"}
    Path(saved_states.lock_info_file).write_text(json.dumps(info))
    result = cli("state", "unlock", "wrong-id")
    assert result.code == 1 and f"has id {lock_id}" in result.err
    result = cli("state", "unlock", lock_id)
    assert result.code == 0
    assert result.out == f"Lock {lock_id} on {STATE} removed (held by bob@host (pid 1) for 'save').\n"
    assert not Path(saved_states.lock_info_file).exists()
    assert cli("state", "unlock", lock_id).code == 1  # nothing left to unlock


@pytest.mark.parametrize("argv", [("state", "restore"), ("state", "restore", "--serial", "0")])
def test_state_restore_usage(cli, argv):
    assert cli(*argv).code == 1


# -- symlinks planted in the state directory ----------------------------------------------------------------

@pytest.mark.parametrize("argv", [("history",), ("state", "restore", "--serial", "1")])
def test_a_symlink_in_the_state_directory_is_one_line_naming_it(cli, saved_states, tmp_path, argv):
    outside = tmp_path / "outside"
    outside.mkdir()
    history = Path(".dataiku/state/dev.state.json.history")
    history.rename(outside / "moved")
    history.symlink_to(outside / "moved", target_is_directory=True)
    result = cli(*argv)
    assert result.code == 1, result.err
    assert result.err.count("\n") == 1 and "is a symbolic link" in result.err
    assert sorted(p.name for p in (outside / "moved").iterdir()) == ["serial-00000001.json", "serial-00000002.json"]
