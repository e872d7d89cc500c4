"""plan through main([...]) against the emulator over HTTP: the round trip, user edits, exit codes, the file."""

from __future__ import annotations

from pathlib import Path

from dss_emulator import SAMPLE_PROJECT_KEY as KEY

CONFIG = "config"


def test_generate_without_adopt_then_plan_lists_adoptions_only(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG, "--no-adopt").code == 0
    result = cli("plan", "--config", CONFIG)
    assert result.code == 2, result.err
    lines = result.out.splitlines()
    assert lines[-1] == "Plan: 6 to import, 0 to add, 0 to change, 0 to replace, 0 to destroy."
    assert f"  <= dataset.{KEY}.raw_customers  (adopt: DSS has it; the state will record it as managed)" in lines
    assert not Path(".dataiku/state/dev.state.json").exists()  # plan writes no state
