"""generate through main([...]) against the emulator: files, adoption in the state, --no-adopt, refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dss_emulator import SAMPLE_PROJECT_KEY as KEY

STATE = Path(".dataiku/state/dev.state.json")


def test_generate_writes_the_config_and_records_the_objects_as_managed(cli, dss):
    result = cli("generate", KEY, "--out", "cfg")
    assert result.code == 0, result.err
    assert Path("cfg/dataiku-iac.yml").read_text("utf-8").count(dss.url) == 1
    assert Path(f"cfg/projects/{KEY}/recipes/compute_customers_prepared.py").is_file()
    document = json.loads(STATE.read_text("utf-8"))
    assert document["version"] == 2
    assert set(document["managed"]) == {rid for rid in document["resources"] if not rid.startswith("saved_model.")}
    folder = next(entry for rid, entry in document["managed"].items() if rid.startswith("managed_folder."))
    assert folder["origin"] == "adopted" and folder["config_key"] == "churn_reports"


def test_no_adopt_leaves_the_state_alone_and_unknown_projects_are_refused(cli, dss):
    assert cli("generate", KEY, "--out", "cfg", "--no-adopt").code == 0
    assert not STATE.exists()
    result = cli("generate", "NOPE", "--out", "other")
    assert result.code == 1 and "Project NOPE does not exist" in result.err and not Path("other").exists()


def test_a_symbolic_link_in_the_output_is_refused(cli, dss, tmp_path):
    os.makedirs("cfg/projects")
    os.symlink(tmp_path / "elsewhere", f"cfg/projects/{KEY}")
    result = cli("generate", KEY, "--out", "cfg")
    assert result.code == 1 and "symbolic link" in result.err
    assert not (tmp_path / "elsewhere").exists()


def test_long_recipe_names_get_side_files_the_file_system_accepts(cli, dss):
    """Regression: a recipe name of 300 characters made a side file name the file system refuses."""
    project = dss.client().get_project(KEY)
    long_name = "compute_" + "very_long_" * 30
    project.create_dataset("long_output", "Filesystem", params={"connection": "filesystem_managed",
                                                                "path": "${projectKey}/long_output"})
    builder = project.new_recipe("python", long_name)
    builder.with_input("raw_customers")
    builder.with_output("long_output")
    builder.with_script("print('long')\n")
    recipe = builder.create()
    # DSS stores each input with its "deps" list; the emulator's builder path leaves it out (noted for it).
    settings = recipe.get_settings()
    settings.get_recipe_inputs()["main"]["items"][0]["deps"] = []
    settings.save()
    result = cli("generate", KEY, "--out", "cfg")
    assert result.code == 0, result.err
    files = [p for p in Path(f"cfg/projects/{KEY}/recipes").iterdir()]
    assert all(len(p.name) <= 110 for p in files) and len(files) == 2
    assert cli("plan", "--config", "cfg").code == 0
