"""The apply use case of the plugin: a stored plan of a config kept in a managed folder, applied to the
emulator through the real client, with its record kept beside the plan; and plan-and-apply in one run."""

from __future__ import annotations

import pytest
import yaml

from dataiku_iac.apply.executor import ApplyRefusedError, StalePlanError
from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.exceptions import ConfigError, PermissionDeniedError
from dataiku_iac.plugin.applying import (
    apply_stored_plan,
    config_source_opener,
    latest_records,
    plan_and_apply,
)
from dataiku_iac.plugin.config_folder import config_from_folder
from dataiku_iac.plugin.plans import PlanStore
from dss_emulator import SAMPLE_PROJECT_KEY
from tests.plugin.test_components import FOLDER, dss  # noqa: F401 (fixture)
from tests.plugin.test_plan_components import EXAMPLE, config_folder, plan  # noqa: F401 (fixture)

DATASETS = "/config/projects/CUSTOMER_ANALYTICS/datasets.yml"
OLD = "Nightly CRM export, one row per customer."


def edit_description(config_folder, text: str) -> None:  # noqa: F811
    body = (EXAMPLE / "projects" / "CUSTOMER_ANALYTICS" / "datasets.yml").read_text(encoding="utf-8")
    assert OLD in body
    config_folder.put_file(DATASETS, body.replace(OLD, text).encode("utf-8"))


def state_backend(client) -> ManagedFolderBackend:
    return ManagedFolderBackend(client.get_project(SAMPLE_PROJECT_KEY).get_managed_folder(FOLDER), "dev",
                                lock_settle=0)


def description(client) -> str:
    return client.get_project("CUSTOMER_ANALYTICS").get_dataset("raw_customers").get_settings() \
        .get_raw().get("description", "")


def apply_latest(client, **extra):
    options = dict(environ={}, open_config=config_source_opener(client), authorize=lambda keys: None,
                   applied_by="admin")
    options.update(extra)
    return apply_stored_plan(client, state_backend(client), **options)


def test_a_stored_plan_is_applied_and_its_record_kept_beside_it(dss, config_folder):  # noqa: F811
    client = dss.client()
    plan(config_folder)  # the first plan imports the config's objects (adopt): nothing to write in DSS
    first = apply_latest(client)
    assert first.ok and first.counts()["applied"] == 6
    edit_description(config_folder, "Applied from the folder")
    plan(config_folder)
    seen = []
    applied = apply_latest(client, progress=lambda done, total: seen.append((done, total)))
    assert applied.ok, applied.summary_line()
    assert [o.resource_id for o in applied.result.outcomes] == ["dataset.CUSTOMER_ANALYTICS.raw_customers"]
    assert description(client) == "Applied from the folder"
    assert seen == [(0, 1), (1, 1)]
    record = latest_records(state_backend(client))[applied.plan_id]
    assert record["id"] == applied.record_id and record["applied_by"] == "admin"
    assert record["counts"] == {"applied": 1, "failed": 0, "not attempted": 0} and record["ok"] is True
    assert state_backend(client).load().serial > 0


def test_a_plan_is_refused_when_dss_changed_since_and_nothing_is_written(dss, config_folder):  # noqa: F811
    client = dss.client()
    plan(config_folder)
    apply_latest(client)
    edit_description(config_folder, "From the config")
    plan(config_folder)
    settings = client.get_project("CUSTOMER_ANALYTICS").get_dataset("raw_customers").get_settings()
    settings.get_raw()["description"] = "Edited by hand after the plan"
    settings.save()
    serial = state_backend(client).load().serial
    with pytest.raises(StalePlanError, match="raw_customers was changed in DSS since the plan"):
        apply_latest(client)
    assert description(client) == "Edited by hand after the plan"
    assert state_backend(client).load().serial == serial


def test_the_plan_projects_are_authorized_before_anything(dss, config_folder):  # noqa: F811
    client = dss.client()
    plan(config_folder)
    asked = []

    def refuse(keys):
        asked.append(keys)
        raise PermissionDeniedError("rita may not apply this plan")

    with pytest.raises(PermissionDeniedError):
        apply_latest(client, authorize=refuse)
    assert asked == [["CUSTOMER_ANALYTICS"]]
    assert not state_backend(client).exists()


def test_a_plan_naming_a_directory_is_not_read_inside_dss(dss, config_folder, tmp_path):  # noqa: F811
    client = dss.client()
    plan(config_folder)
    backend = state_backend(client)
    store = PlanStore(backend)
    document = store.load()
    document["config_source"] = {"kind": "directory", "path": str(tmp_path)}
    store.save(document, "mallory")
    with pytest.raises(ConfigError, match="names a place this host does not read"):
        apply_latest(client)


def test_plan_and_apply_refuses_deletions_unless_allowed(dss, config_folder):  # noqa: F811
    client = dss.client()
    backend = state_backend(client)
    with config_from_folder(config_folder, "/config") as config:
        first = plan_and_apply(client, backend, config, "dev", environ={}, authorize=lambda keys: None)
    assert first.ok and first.counts()["applied"] == 6
    body = (EXAMPLE / "projects" / "CUSTOMER_ANALYTICS" / "datasets.yml").read_text(encoding="utf-8")
    parsed = yaml.safe_load(body)
    del parsed["datasets"]["raw_customers"]
    config_folder.put_file(DATASETS, yaml.safe_dump(parsed, sort_keys=False).encode("utf-8"))
    with config_from_folder(config_folder, "/config") as config, \
            pytest.raises(ApplyRefusedError, match=r"deletes dataset\.CUSTOMER_ANALYTICS\.raw_customers"):
        plan_and_apply(client, backend, config, "dev", environ={}, authorize=lambda keys: None)
    assert client.get_project("CUSTOMER_ANALYTICS").get_dataset("raw_customers").exists()
