"""apply through main([...]) against the emulator over HTTP (the real dataikuapi client): the round trip,
stale plans refused with 0 writes, failures, locks, protect, project deletion, secrets, approval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.models.state import State
from dss_emulator import SAMPLE_PROJECT_KEY as KEY

CONFIG = "config"
STATE = Path(".dataiku/state/dev.state.json")


def writes(dss) -> dict:
    """The emulator's counts of requests that change something."""
    return {route: count for route, count in dss.request_counts().items() if not route.startswith("GET")}


def config_from_sample_then_empty_dss(cli, dss) -> None:
    """The sample project's config (state left alone), and a DSS without the project: apply creates it all."""
    assert cli("generate", KEY, "--out", CONFIG, "--no-adopt").code == 0
    dss.client().get_project(KEY).delete()


def apply(cli, *extra):
    return cli("apply", "--config", CONFIG, "--auto-approve", *extra)


def edit_yaml(relative: str, change) -> None:
    path = Path(CONFIG) / relative
    document = yaml.safe_load(path.read_text("utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")


def test_apply_into_an_empty_dss_then_plan_has_nothing_to_do_and_drift_finds_nothing(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    result = apply(cli)
    assert result.code == 0, result.out + result.err
    assert "Apply complete: 6 applied." in result.out
    project = dss.client().get_project(KEY)
    assert {d["name"] for d in project.list_datasets()} == {"raw_customers", "customers_prepared"}
    assert [s["name"] for s in project.list_scenarios()] == ["Refresh customers"]
    assert len(project.list_managed_folders()) == 1 and len(project.list_recipes()) == 1
    state = LocalFileBackend(STATE).load()
    assert {entry.origin for entry in state.managed.values()} == {"created"}
    assert len(state.managed) == 6 and not any("new:" in rid for rid in state.managed)
    plan = cli("plan", "--config", CONFIG)
    assert plan.code == 0, plan.out
    assert plan.out.splitlines()[-1] == "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy."
    drift = cli("drift")
    assert drift.code == 0, drift.out + drift.err
    again = apply(cli)
    assert again.code == 0 and "No changes" in again.out


def test_a_saved_plan_is_applied_exactly_and_without_a_question(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    assert cli("plan", "--config", CONFIG, "--out", "tf.plan").code == 2
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 0, result.out + result.err
    assert "Plan: 6 to add" in result.out and "Apply complete: 6 applied." in result.out
    assert cli("plan", "--config", CONFIG).code == 0


def test_apply_updates_revert_user_edits_and_deletes_what_left_the_config(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG).code == 0  # adopted: the state records the sample
    project = dss.client().get_project(KEY)
    settings = project.get_dataset("raw_customers").get_settings()
    settings.get_raw_params()["path"] = "/data/crm/v2"
    settings.save()
    edit_yaml(f"projects/{KEY}/scenarios.yml", lambda doc: doc["scenarios"].clear())
    result = apply(cli)
    assert result.code == 0, result.out + result.err
    assert project.get_dataset("raw_customers").get_settings().get_raw_params()["path"] != "/data/crm/v2"
    assert project.list_scenarios() == []
    state = LocalFileBackend(STATE).load()
    assert not [rid for rid in state.managed if rid.startswith("scenario.")]
    assert cli("plan", "--config", CONFIG).code == 0
    assert cli("drift").code == 0


def test_a_plan_is_refused_with_no_write_when_the_state_moved(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    dss.client().get_project(KEY).get_dataset("customers_prepared").delete()
    assert cli("plan", "--config", CONFIG, "--out", "tf.plan").code == 2
    assert cli("sync", KEY).code == 0  # someone saved the state since
    dss.clear_request_counts()
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 1
    assert "The plan is stale, nothing was written: the state moved" in result.err
    assert writes(dss) == {}


def test_a_plan_is_refused_with_no_write_when_an_object_it_touches_was_edited(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    project = dss.client().get_project(KEY)
    settings = project.get_dataset("raw_customers").get_settings()
    settings.get_raw_params()["path"] = "/data/crm/v2"
    settings.save()
    project.get_dataset("customers_prepared").delete()
    assert cli("plan", "--config", CONFIG, "--out", "tf.plan").code == 2
    settings = project.get_dataset("raw_customers").get_settings()
    settings.get_raw_params()["path"] = "/data/crm/v3"  # edited again after the plan
    settings.save()
    dss.clear_request_counts()
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 1
    assert f"dataset.{KEY}.raw_customers was changed in DSS since the plan (by " in result.err
    assert writes(dss) == {}
    assert "customers_prepared" not in {d["name"] for d in project.list_datasets()}  # nothing created


def test_a_plan_is_refused_with_no_write_when_an_object_it_creates_appeared(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    assert cli("plan", "--config", CONFIG, "--out", "tf.plan").code == 2
    client = dss.client()
    client.create_project(KEY, "Customer analytics", "admin")
    client.get_project(KEY).create_managed_folder("churn_reports")
    dss.clear_request_counts()
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 1
    assert f"project.{KEY} was created in DSS since the plan" in result.err
    assert "an object named 'churn_reports' was created in DSS since the plan" in result.err
    assert writes(dss) == {}


def test_a_plan_made_from_another_config_is_refused(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    assert cli("plan", "--config", CONFIG, "--out", "tf.plan").code == 2
    edit_yaml(f"projects/{KEY}/project.yml", lambda doc: doc["project"].update(description="changed"))
    dss.clear_request_counts()
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 1 and "the config changed since the plan" in result.err
    assert writes(dss) == {}


def test_a_failure_mid_way_reports_what_was_done_and_the_state_loads(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    dss.inject_fault("POST", r"/recipes/$", status=400, count=10, message="recipe refused for the test")
    result = apply(cli, "--parallelism", "1")
    assert result.code == 1
    last = [line for line in result.out.splitlines() if " applied, failed " in line]
    # One at a time, in plan order: the scenario (after the recipe) is never started once the recipe failed.
    assert last and last[0].startswith("4 applied, failed recipe.CUSTOMER_ANALYTICS.compute_customers_prepared (")
    assert "recipe refused for the test" in last[0] and last[0].endswith("not attempted 1")
    state = LocalFileBackend(STATE).load()  # loads, and records the four objects DSS now holds
    assert len(state.managed) == 4
    dss.clear_faults()
    plan = cli("plan", "--config", CONFIG)
    assert plan.out.splitlines()[-1] == "Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy."
    assert apply(cli).code == 0
    assert cli("plan", "--config", CONFIG).code == 0


def test_a_failure_stops_scheduling_what_depends_on_it(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    dss.inject_fault("POST", r"^/?(dip/publicapi/)?projects/?$", status=400, count=5, message="no projects today")
    dss.clear_request_counts()
    result = apply(cli)
    assert result.code == 1
    assert "0 applied, failed project.CUSTOMER_ANALYTICS (" in result.out
    assert result.out.rstrip().splitlines()[-2].endswith("not attempted 5")
    assert set(writes(dss)) <= {"POST /projects/"}


def test_a_second_apply_is_refused_while_the_state_is_locked(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    holder = LocalFileBackend(STATE)
    with holder.lock("sync"):
        dss.clear_request_counts()
        result = apply(cli)
    assert result.code == 1
    assert "is locked, held by" in result.err and "'sync'" in result.err
    assert writes(dss) == {}


def test_a_protected_object_is_never_deleted(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    edit_yaml(f"projects/{KEY}/datasets.yml", lambda doc: doc["datasets"]["raw_customers"].update(protect=True))
    assert apply(cli).code == 0  # records protect: true
    edit_yaml(f"projects/{KEY}/datasets.yml", lambda doc: doc["datasets"].pop("raw_customers"))
    edit_yaml(f"projects/{KEY}/recipes.yml", lambda doc: doc["recipes"].clear())
    dss.clear_request_counts()
    result = apply(cli)
    assert result.code == 1
    assert "protect: true" in result.err and "nothing was written" in result.err
    assert writes(dss) == {}
    assert "raw_customers" in {d["name"] for d in dss.client().get_project(KEY).list_datasets()}


def test_deleting_a_project_needs_its_own_flag(cli, dss):
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    import shutil

    shutil.rmtree(Path(CONFIG) / "projects" / KEY)
    dss.clear_request_counts()
    result = apply(cli)
    assert result.code == 1 and "--allow-project-delete" in result.err
    assert writes(dss) == {}
    result = apply(cli, "--allow-project-delete")
    assert result.code == 0, result.out + result.err
    assert KEY not in dss.client().list_project_keys()
    state = LocalFileBackend(STATE).load()
    assert state.managed == {} and state.resources == {}  # the unmanaged saved model went with the project


def test_without_a_terminal_and_without_auto_approve_apply_refuses(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    dss.clear_request_counts()
    result = cli("apply", "--config", CONFIG)
    assert result.code == 1 and "--auto-approve" in result.err
    assert writes(dss) == {}


def test_approval_on_a_terminal_needs_yes(cli, dss, monkeypatch):
    import io

    from dataiku_iac.cli import apply as apply_command

    config_from_sample_then_empty_dss(cli, dss)
    monkeypatch.setattr(apply_command, "_interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    dss.clear_request_counts()
    result = cli("apply", "--config", CONFIG)
    assert result.code == 1 and "Apply cancelled" in result.out and writes(dss) == {}
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    result = cli("apply", "--config", CONFIG)
    assert result.code == 0 and "Apply complete: 6 applied." in result.out


SECRET = "s3cr3t-Passw0rd-for-the-test"


def test_secrets_are_sent_to_dss_and_never_stored_nor_shown(cli, dss, monkeypatch):
    config_from_sample_then_empty_dss(cli, dss)
    monkeypatch.setenv("CRM_PASSWORD", SECRET)
    edit_yaml(f"projects/{KEY}/datasets.yml",
              lambda doc: doc["datasets"]["raw_customers"]["params"].update(password="${env:CRM_PASSWORD}"))
    plan = cli("plan", "--config", CONFIG, "--out", "tf.plan")
    assert plan.code == 2, plan.err
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 0, result.out + result.err
    raw = dss.client().get_project(KEY).get_dataset("raw_customers").get_settings().get_raw()
    assert raw["params"]["password"] == SECRET  # DSS got the value
    assert cli("plan", "--config", CONFIG).code == 0  # the state's marker matches the secret
    stored = [p for p in Path(".dataiku").rglob("*") if p.is_file()]
    assert stored
    for text in [plan.out, plan.err, result.out, result.err, Path("tf.plan").read_text("utf-8")] \
            + [p.read_bytes().decode("utf-8", "replace") for p in stored]:
        assert SECRET not in text
    state = LocalFileBackend(STATE).load()
    assert state.get_resource(f"dataset.{KEY}.raw_customers").attributes["params"]["password"].startswith("<redacted:")
    monkeypatch.setenv("CRM_PASSWORD", "a-rotated-one")
    changed = cli("plan", "--config", CONFIG, "--format", "json")
    assert changed.code == 2 and json.loads(changed.out)["summary"]["update"] == 1


def test_a_saved_plan_with_a_secret_reads_it_from_the_environment_again(cli, dss, monkeypatch):
    config_from_sample_then_empty_dss(cli, dss)
    monkeypatch.setenv("CRM_PASSWORD", SECRET)
    edit_yaml(f"projects/{KEY}/datasets.yml",
              lambda doc: doc["datasets"]["raw_customers"]["params"].update(password="${env:CRM_PASSWORD}"))
    assert cli("plan", "--config", CONFIG, "--out", "tf.plan").code == 2
    monkeypatch.setenv("CRM_PASSWORD", "not-the-planned-one")
    dss.clear_request_counts()
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 1 and "the config changed since the plan" in result.err  # another secret: stale
    assert writes(dss) == {}
    monkeypatch.delenv("CRM_PASSWORD")
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 1 and "CRM_PASSWORD" in result.err
    assert writes(dss) == {}


def test_a_plan_for_another_dss_is_refused(cli, dss):
    config_from_sample_then_empty_dss(cli, dss)
    assert cli("plan", "--config", CONFIG, "--out", "tf.plan").code == 2
    document = json.loads(Path("tf.plan").read_text("utf-8"))
    document["dss_url"] = "https://prod.example.com"
    Path("tf.plan").write_text(json.dumps(document), "utf-8")
    result = cli("apply", "tf.plan", "--config", CONFIG)
    assert result.code == 1 and "it was made against https://prod.example.com" in result.err


def test_apply_without_plan_file_nor_config_says_what_to_give(cli):
    result = cli("apply")
    assert result.code == 1 and "Give a plan file" in result.err


@pytest.mark.parametrize("state_exists", [False, True])
def test_the_state_always_loads_after_apply(cli, dss, state_exists):
    if state_exists:
        assert cli("generate", KEY, "--out", CONFIG).code == 0
    else:
        config_from_sample_then_empty_dss(cli, dss)
    assert apply(cli).code == 0
    assert isinstance(LocalFileBackend(STATE).load(), State)


# -- promotion across DSS instances ---------------------------------------------------------------------------

class EmulatorProcess:
    """An emulator in its own process (as a DSS instance is), started with its own admin key; its URL from
    the ready line it prints once it accepts requests."""

    def __init__(self, api_key: str, *extra: str) -> None:
        import subprocess
        import sys

        self.api_key = api_key
        root = Path(__file__).resolve().parents[2]
        self.process = subprocess.Popen([sys.executable, "-m", "dss_emulator", "--port", "0", f"--api-key={api_key}",
                                         *extra], stdout=subprocess.PIPE, text=True, cwd=str(root))
        line = self.process.stdout.readline() if self.process.stdout else ""
        assert "listening on" in line, line
        self.url = line.split()[-1]

    def client(self):
        import dataikuapi

        return dataikuapi.DSSClient(self.url, self.api_key)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def dev_and_prod(monkeypatch, tmp_path_factory):
    dev = EmulatorProcess("dev-admin-key-0123456789", "--samples")
    empty = tmp_path_factory.mktemp("empty-seed")  # no project: a fresh install's connections only
    prod = EmulatorProcess("prod-admin-key-9876543210", "--seed", str(empty))
    try:
        monkeypatch.setenv("DKU_DSS_URL", dev.url)
        monkeypatch.setenv("DKU_API_KEY", dev.api_key)
        monkeypatch.setenv("PROD_API_KEY", prod.api_key)
        yield dev, prod
    finally:
        dev.stop()
        prod.stop()


def add_prod_environment(url: str) -> None:
    path = Path(CONFIG) / "dataiku-iac.yml"
    document = yaml.safe_load(path.read_text("utf-8"))
    document["environments"]["prod"] = {"url": url, "api_key_env": "PROD_API_KEY"}
    path.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")


def test_promotion_from_a_dev_instance_to_an_empty_prod_instance(cli, dev_and_prod):
    import os

    dev, prod = dev_and_prod
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    add_prod_environment(prod.url)
    assert prod.client().list_project_keys() == []
    result = cli("apply", "--config", CONFIG, "--env", "prod", "--auto-approve")
    assert result.code == 0, result.out + result.err
    assert "Plan: 6 to add, 0 to change" in result.out and "Apply complete: 6 applied." in result.out
    assert cli("plan", "--config", CONFIG, "--env", "prod").code == 0
    key_file = Path("prod.key")
    key_file.write_text(prod.api_key, "utf-8")
    os.chmod(key_file, 0o600)
    drift = cli("drift", "--env", "prod", "--host", prod.url, "--api-key-file", str(key_file))
    assert drift.code == 0, drift.out + drift.err
    # A user edits dev; generate again; plan for prod shows exactly those edits; apply them.
    project = dev.client().get_project(KEY)
    recipe = project.get_recipe("compute_customers_prepared").get_settings()
    recipe.set_payload(recipe.get_payload() + "# reviewed in dev\n")
    recipe.save()
    dataset = project.get_dataset("raw_customers").get_settings()
    dataset.get_raw_params()["path"] = "/data/crm/v2"
    dataset.save()
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    plan = cli("plan", "--config", CONFIG, "--env", "prod", "--format", "json")
    assert plan.code == 2, plan.err
    shown = {op["resource_id"]: (op["action"], [c["path"] for c in op["changes"]])
             for op in json.loads(plan.out)["operations"]}
    assert shown == {f"recipe.{KEY}.compute_customers_prepared": ("update", ["payload"]),
                     f"dataset.{KEY}.raw_customers": ("update", ["params.path"])}
    assert cli("apply", "--config", CONFIG, "--env", "prod", "--auto-approve").code == 0
    assert prod.client().get_project(KEY).get_dataset("raw_customers").get_settings().get_raw_params()["path"] \
        == "/data/crm/v2"
    assert cli("plan", "--config", CONFIG, "--env", "prod").code == 0


def test_empty_project_variables_are_applied_once_then_match(cli, dss):
    """``variables: {}`` means no variables, which DSS reads back as ``{standard: {}, local: {}}``: once
    applied, the next plan has nothing to do (it used to want the same change forever)."""
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    edit_yaml(f"projects/{KEY}/project.yml", lambda doc: doc["project"].update(variables={}))
    result = apply(cli)
    assert result.code == 0 and "Apply complete: 1 applied." in result.out, result.out + result.err
    assert dss.client().get_project(KEY).get_variables() == {"standard": {}, "local": {}}
    plan = cli("plan", "--config", CONFIG)
    assert plan.code == 0, plan.out
