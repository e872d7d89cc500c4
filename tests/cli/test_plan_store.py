"""``plan --store`` through main([...]) against the emulator: the plan kept beside the local state with its
config directory, then reviewed and applied by ``serve``'s own context (the drift viewer's Apply route)."""

from __future__ import annotations

import argparse
import getpass
import re
from pathlib import Path

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli import serve
from dataiku_iac.cli.main import build_parser
from dataiku_iac.plugin.plans import PlanStore, directory_source
from dss_emulator import SAMPLE_PROJECT_KEY as KEY
from tests.webapp.conftest import make_client

from .test_plan import CONFIG, edit_like_a_user, run_generate

STATE = Path(".dataiku/state/dev.state.json")


def stored_plans(state: Path = STATE) -> PlanStore:
    return PlanStore(LocalFileBackend(state))


def serve_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def raw_path(dss) -> str:
    return dss.client().get_project(KEY).get_dataset("raw_customers").get_settings().get_raw_params()["path"]


def test_a_stored_plan_names_its_config_and_serve_applies_it(cli, dss):
    run_generate(cli, KEY)
    original = raw_path(dss)
    edit_like_a_user(dss)
    result = cli("plan", "--config", CONFIG, "--store")
    assert result.code == 2, result.err
    [plan_id] = re.findall(r"Plan stored as (plan-\d{8}T\d+Z) in ", result.err)
    assert "dataiku-iac serve --state-dir .dataiku/state --env dev" in result.err
    assert result.out.splitlines()[-1].startswith("Plan: ")  # standard output stays the plan alone
    document = stored_plans().load(plan_id)
    assert document["config_source"] == directory_source(str(Path(CONFIG).resolve()))
    assert document["made_by"] == getpass.getuser()

    context = serve.build_context(serve_args("--state-dir", ".dataiku/state"))  # DKU_DSS_URL/DKU_API_KEY set
    client = make_client(context)
    [entry] = client.get("/api/plans?env=dev").get_json()["plans"]
    assert entry["id"] == plan_id and entry["applied"] is None
    serial = LocalFileBackend(STATE).load().serial
    job = client.post("/api/plan/apply?env=dev", json={"id": plan_id, "expected_serial": serial}).get_json()
    while job["status"] == "running":
        job = client.get(f"/api/jobs/{job['id']}?wait=10").get_json()
    assert job["status"] == "done" and job["result"]["ok"] is True, job
    assert raw_path(dss) == original  # the user's edit in DSS was reverted to the config
    assert cli("plan", "--config", CONFIG).code == 0  # DSS matches the config again
    assert stored_plans().ids() == [plan_id]  # a plan without --store is not stored


def test_a_plan_without_operations_is_not_stored(cli, dss):
    run_generate(cli, KEY)
    result = cli("plan", "--config", CONFIG, "--store")
    assert result.code == 0, result.err
    assert "Nothing stored: the plan has no operations" in result.err
    assert stored_plans().ids() == []


def test_a_state_serve_cannot_list_gets_a_hint_instead_of_a_serve_line(cli, dss):
    run_generate(cli, KEY)
    edit_like_a_user(dss)
    custom = Path("states/current.json")
    custom.parent.mkdir()
    custom.write_bytes(STATE.read_bytes())
    result = cli("plan", "--config", CONFIG, "--state", str(custom), "--store")
    assert result.code == 2, result.err
    assert "lists states named <env>.state.json" in result.err and "dataiku-iac serve" not in result.err
    assert len(stored_plans(custom).ids()) == 1 and stored_plans().ids() == []


def test_serve_without_a_connection_cannot_apply():
    context = serve.build_context(serve_args("--state-dir", ".dataiku/state"))
    assert context.apply_plan is None and "no DSS connection" in context.apply_unavailable
