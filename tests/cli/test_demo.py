"""The demo command (the main job: ``make demo``) and the seed's examples/demo_week1.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli import demo

REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_the_whole_story(cli, tmp_path):
    result = cli("demo", "--state-dir", "d")
    assert result.code == 0, result.err
    out = result.out
    for step in ("[1/7] Sync CUSTOMER_ANALYTICS", "[2/7] Save the state", "[3/7] Reload",
                 "[4/7] Drift check right after", "[5/7] Change DSS", "[6/7] Detect drift", "[7/7] Reports"):
        assert step in out
    assert "Loaded 7 resources. No changes" in out
    assert "No drift: DSS matches the baseline (serial 1)." in out  # zero false drift right after the sync
    # each kind of edit shows at the attribute level, attributed to the user who made it
    assert "  ~ recipe.CUSTOMER_ANALYTICS.compute_customers_prepared  (changed by alex.analyst at " in out
    assert "+# Test accounts are not customers" in out
    assert '+ schema.columns[name=churn_score]: {"name": "churn_score", "type": "double"}' in out
    assert '~ params.path: "${crm_export_path}" → "/data/crm/exports/v2"' in out
    assert "~ triggers[id=nT4wq8Zc].active: true → false" in out
    assert "~ description: " in out
    assert "  + managed_folder.CUSTOMER_ANALYTICS." in out
    assert "Drift: 1 added, 5 modified, 0 removed." in out
    assert "    HTML report: d/drift-report.html" in out and "    State:       d/demo.state.json" in out
    assert "Every edit was detected." in out
    # the closing lines say how to open the report in the viewer, on an environment that has the demo's state
    [viewer] = [line for line in out.splitlines() if "In the drift viewer:" in line]
    command = viewer.split("In the drift viewer: ", 1)[1].split("  (", 1)[0].split()
    assert command[:2] == ["dataiku-iac", "serve"]
    state_dir, environment = command[command.index("--state-dir") + 1], command[command.index("--env") + 1]
    assert LocalFileBackend.for_environment(environment, tmp_path / state_dir).load().serial == 1
    page = (tmp_path / "d" / "drift-report.html").read_text(encoding="utf-8")
    assert "Drift: 1 added, 5 modified, 0 removed." in page
    assert len(list((tmp_path / "d" / "demo.state.json.reports").glob("report-*.json"))) == 1


def test_demo_runs_again_from_a_clean_slate(cli, tmp_path):
    assert cli("demo", "--state-dir", "d").code == 0
    (tmp_path / "d" / "mine.txt").write_text("kept")
    result = cli("demo", "--state-dir", "d")
    assert result.code == 0 and "Saved to d/demo.state.json (serial 1)" in result.out
    assert (tmp_path / "d" / "mine.txt").read_text() == "kept"  # only the demo's own files are replaced


def test_demo_fails_when_an_edit_is_not_detected(cli, monkeypatch):
    def phantom(project):
        return demo.Edit("nothing really", f"dataset.{project.project_key}.phantom")

    monkeypatch.setattr(demo, "_EDITS", [*demo._EDITS, phantom])
    result = cli("demo", "--state-dir", "d")
    assert result.code == 1
    assert result.err == "Error: The demo's edits of dataset.CUSTOMER_ANALYTICS.phantom were not detected as drift.\n"


def test_demo_and_emulator_without_the_emulator_package(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "dss_emulator", None)  # as inside DSS, where it is not shipped
    for command in ("demo", "emulator"):
        result = cli(command)
        assert result.code == 1 and "The DSS emulator is not available here" in result.err


def test_seed_demo_script_runs(tmp_path):
    script = REPO / "examples" / "demo_week1.py"
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Syncing CUSTOMER_ANALYTICS from Dataiku..." in result.stdout
    assert "Synced 7 resources:" in result.stdout
    assert "Summary: {'added': 0, 'removed': 0, 'modified': 0, 'unchanged': 7}" in result.stdout
    assert "\nNo changes: both states hold the same resources and attributes.\n" in result.stdout
    assert result.stdout.rstrip().endswith("✓ Week 1 demo complete!")
    assert (tmp_path / ".dataiku" / "state" / "demo.state.json").is_file()
