"""``--full`` and the mode line of sync, drift and plan, through main([...]) against the emulator (issue 15)."""

from __future__ import annotations

import json

from dss_emulator import SAMPLE_PROJECT_KEY as KEY

from .test_plan import edit_like_a_user, run_generate


def changes_of(result):
    assert result.code in (0, 2), result.err
    return json.loads(result.out)


def test_drift_is_incremental_after_a_sync_and_full_with_the_flag(cli, dss):
    assert cli("sync", KEY).code == 0
    second = cli("sync", KEY)
    assert "Mode: incremental, 6 reused." in second.out.splitlines()
    edit_like_a_user(dss)
    incremental = changes_of(cli("drift", "--format", "json"))
    full = changes_of(cli("drift", "--format", "json", "--full"))
    assert incremental["context"]["sync_mode"] == "incremental, 2 reused"
    assert full["context"]["sync_mode"] == "full (--full)"
    assert incremental["resource_changes"] == full["resource_changes"] and full["resource_changes"]
    assert "Mode:" in cli("drift").out


def test_an_edit_without_a_new_version_tag_needs_full(cli, dss):
    assert cli("sync", KEY).code == 0
    dss.backend.project(KEY).datasets.get("raw_customers").definition["params"]["path"] = "/silently/moved"
    assert cli("drift").code == 0  # missed: DSS did not stamp the edit
    found = cli("drift", "--full")
    assert found.code == 2 and "params.path" in found.out


def test_plan_reads_incrementally_and_full_gives_the_same_plan(cli, dss):
    run_generate(cli, KEY)
    assert cli("sync", KEY).code == 0  # a sync stamps the state: the next reads may be incremental
    edit_like_a_user(dss)
    incremental = cli("plan", "--config", "config", "--format", "json")
    full = cli("plan", "--config", "config", "--format", "json", "--full")
    assert incremental.code == full.code == 2, incremental.err + full.err
    assert "Read DSS: incremental, 2 reused." in incremental.err
    assert "Read DSS: full (--full)." in full.err
    assert json.loads(incremental.out)["operations"] == json.loads(full.out)["operations"]


def test_generate_stamps_the_state_so_the_first_plan_reads_incrementally(cli, dss):
    run_generate(cli, KEY)  # adopts: a full read of the project, recorded as a sync would record it
    edit_like_a_user(dss)
    first = cli("plan", "--config", "config", "--format", "json")
    full = cli("plan", "--config", "config", "--format", "json", "--full")
    assert "Read DSS: incremental, 2 reused." in first.err, first.err
    assert json.loads(first.out)["operations"] == json.loads(full.out)["operations"]
