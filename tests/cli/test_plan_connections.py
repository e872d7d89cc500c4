"""plan and apply refuse a connection the target instance lacks (issue 13), through main([...]) against two
emulators over HTTP: dev puts a dataset on a connection of its own, prod has another name for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dss_emulator import SAMPLE_PROJECT_KEY as KEY
from dss_emulator import DSSEmulator

CONFIG = "config"
DATASET = f"dataset.{KEY}.raw_customers"


@pytest.fixture
def dev_and_prod(monkeypatch):
    with DSSEmulator(samples=True, connections=["crm_files:Filesystem"]) as dev, \
            DSSEmulator(connections=["prod_crm:Filesystem"], api_key="prod-admin-key-0123456789") as prod:
        settings = dev.client().get_project(KEY).get_dataset("raw_customers").get_settings()
        settings.get_raw_params()["connection"] = "crm_files"  # as a user moves a dataset to a connection
        settings.save()
        monkeypatch.setenv("DKU_DSS_URL", dev.url)
        monkeypatch.setenv("DKU_API_KEY", dev.api_key)
        monkeypatch.setenv("PROD_API_KEY", prod.api_key)
        yield dev, prod


def set_prod_environment(url: str, connections=None) -> None:
    path = Path(CONFIG) / "dataiku-iac.yml"
    document = yaml.safe_load(path.read_text("utf-8"))
    document["environments"]["prod"] = {"url": url, "api_key_env": "PROD_API_KEY"}
    if connections:
        document["environments"]["prod"]["connections"] = connections
    path.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")


def test_plan_refuses_a_connection_prod_lacks_naming_it_then_plans_with_the_mapping(cli, dev_and_prod):
    _dev, prod = dev_and_prod
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    set_prod_environment(prod.url)
    before = prod.request_counts()
    refused = cli("plan", "--config", CONFIG, "--env", "prod")
    assert refused.code == 1, refused.out + refused.err
    message = refused.err.strip().splitlines()[-1]
    assert "'crm_files'" in message and DATASET in message and "environments.prod.connections" in message
    assert "prod_crm" in message  # what the instance has, to pick from
    assert "filesystem_root" not in message.split("The instance has")[0]  # only the missing one is named
    assert not Path(".dataiku/state/prod.state.json").exists()
    asked = {route: n - before.get(route, 0) for route, n in prod.request_counts().items()}
    assert asked.get("GET /connections/get-names") == 1
    assert not [route for route in asked if not route.startswith("GET")]  # read-only

    set_prod_environment(prod.url, {"crm_files": "prod_crm"})
    planned = cli("plan", "--config", CONFIG, "--env", "prod", "--format", "json")
    assert planned.code == 2, planned.out + planned.err
    operations = {op["resource_id"]: op for op in json.loads(planned.out)["operations"]}
    assert operations[DATASET]["after"]["params"]["connection"] == "prod_crm"


def test_apply_refuses_it_too_before_any_write(cli, dev_and_prod):
    _dev, prod = dev_and_prod
    assert cli("generate", KEY, "--out", CONFIG).code == 0
    set_prod_environment(prod.url)
    refused = cli("apply", "--config", CONFIG, "--env", "prod", "--auto-approve")
    assert refused.code == 1 and "'crm_files'" in refused.err
    assert prod.client().list_project_keys() == []
    set_prod_environment(prod.url, {"crm_files": "prod_crm"})
    assert cli("apply", "--config", CONFIG, "--env", "prod", "--auto-approve").code == 0
    params = prod.client().get_project(KEY).get_dataset("raw_customers").get_settings().get_raw_params()
    assert params["connection"] == "prod_crm"
    assert cli("plan", "--config", CONFIG, "--env", "prod").code == 0
