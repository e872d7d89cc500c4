"""apply end to end on the suite's DSS target: real dataikuapi over HTTP, the CLI through ``main([...])``.

Runs against the emulator by default (so CI runs it), and against a real DSS with ``DATAIKU_IAC_REAL_DSS=1``
plus ``DKU_DSS_URL``/``DKU_API_KEY`` (see tests/dss_support.py): every test works in the scratch project the
fixture makes and deletes, and the promotion test in a second project key it deletes itself.

- a small config (two datasets, a python recipe, a scenario, a folder) applies into the scratch project
  (generated first, so the whole project is managed);
  reading back, ``plan`` has nothing to do and ``drift`` finds nothing;
- an edit made in DSS is exactly what ``plan`` shows, and ``apply`` puts the config back;
- promotion: ``generate`` from the scratch project, ``apply`` to a second project key, then ``plan`` and
  ``drift`` of that environment are clean.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import pytest
import yaml

from dataiku_iac.cli.main import main
from tests.dss_support import CSV_FORMAT, SCHEMA, DSSTarget

CONFIG = Path("config")
CODE = (
    "import dataiku\n\n"
    "events = dataiku.Dataset('events').get_dataframe()\n"
    "dataiku.Dataset('events_clean').write_with_schema(events.dropna())\n"
)


class Result(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def cli(dss_target: DSSTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> Callable[..., Result]:
    """``cli("plan", ...)`` in tmp_path, with DKU_DSS_URL/DKU_API_KEY naming the target."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DKU_DSS_URL", dss_target.url)
    monkeypatch.setenv("DKU_API_KEY", dss_target.api_key)
    monkeypatch.delenv("NO_COLOR", raising=False)

    def run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def add_objects_to_config(key: str) -> None:
    """Four new objects of ``key`` in a file of their own, next to what generate wrote."""
    managed = {"connection": "filesystem_managed"}
    (CONFIG / "projects" / key / "added_by_test.yml").write_text(yaml.safe_dump({
        "datasets": {
            "events": {"type": "Filesystem", "managed": True,
                       "params": {**managed, "path": "${projectKey}/events"}, "formatType": "csv",
                       "formatParams": dict(CSV_FORMAT),
                       "schema": {"columns": [dict(c) for c in SCHEMA], "userModified": True}},
            "events_clean": {"type": "Filesystem", "managed": True,
                             "params": {**managed, "path": "${projectKey}/events_clean"}, "formatType": "csv"},
        },
        "recipes": {"compute_events_clean": {"type": "python", "inputs": ["events"], "outputs": ["events_clean"],
                                             "payload": CODE}},
        "scenarios": {"rebuild_events": {"type": "step_based", "active": False, "triggers": [], "params": {
            "steps": [{"id": "build_0", "type": "build_flowitem", "name": "Build", "params": {
                "builds": [{"type": "DATASET", "itemId": "events_clean", "partitionsSpec": ""}],
                "jobType": "RECURSIVE_BUILD"}}]}}},
        "managed_folders": {"event_exports": {"type": "Filesystem", "params": {"connection": "filesystem_folders"}}},
    }, sort_keys=False), "utf-8")


def planned(cli: Callable[..., Result], env: str = "dev") -> dict:
    """``plan --format json``: resource id -> (action, changed paths); exit 0 exactly when it is empty."""
    result = cli("plan", "--config", str(CONFIG), "--env", env, "--format", "json")
    assert result.code in (0, 2), result.out + result.err
    operations = {op["resource_id"]: (op["action"], [c["path"] for c in op["changes"]])
                  for op in json.loads(result.out)["operations"]}
    assert (result.code == 0) == (not operations), (result.code, operations)
    return operations


def assert_read_back_clean(cli: Callable[..., Result], env: str) -> None:
    """What apply wrote reads back as the config says (no plan) and as the state records (no drift)."""
    assert planned(cli, env) == {}
    drift = cli("drift", "--env", env)
    assert drift.code == 0, drift.out + drift.err


def test_apply_reads_back_and_puts_back_an_edit(cli, dss_target: DSSTarget, scratch_project: str):
    key = scratch_project
    # The whole scratch project is managed (so drift must find nothing), plus four objects to create.
    assert cli("generate", key, "--out", str(CONFIG), "--env", "dev").code == 0
    add_objects_to_config(key)
    applied = cli("apply", "--config", str(CONFIG), "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete" in applied.out
    project = dss_target.client().get_project(key)
    assert {"events", "events_clean"} <= {d["name"] for d in project.list_datasets()}
    assert "compute_events_clean" in {r["name"] for r in project.list_recipes()}
    assert "rebuild_events" in {s["name"] for s in project.list_scenarios()}
    assert "event_exports" in {f["name"] for f in project.list_managed_folders()}
    assert_read_back_clean(cli, "dev")

    # A user edits the config's objects in DSS: plan shows exactly those edits, apply reverts them.
    settings = project.get_dataset("events").get_settings()
    settings.get_raw_params()["path"] = "/tmp/elsewhere"
    settings.save()
    recipe = project.get_recipe("compute_events_clean").get_settings()
    recipe.set_payload(recipe.get_payload() + "# a quick fix\n")
    recipe.save()
    assert planned(cli) == {f"dataset.{key}.events": ("update", ["params.path"]),
                            f"recipe.{key}.compute_events_clean": ("update", ["payload"])}
    assert cli("apply", "--config", str(CONFIG), "--env", "dev", "--auto-approve").code == 0
    assert project.get_dataset("events").get_settings().get_raw_params()["path"] == "${projectKey}/events"
    assert project.get_recipe("compute_events_clean").get_settings().get_payload() == CODE
    assert_read_back_clean(cli, "dev")


@pytest.fixture
def second_key(dss_target: DSSTarget) -> Iterator[str]:
    """A project key nobody holds; whatever the test makes under it is deleted afterwards."""
    key = f"DKUIAC_TEST_{secrets.token_hex(4).upper()}"
    yield key
    client = dss_target.client()
    if key in client.list_project_keys():
        client.get_project(key).delete(clear_managed_datasets=True)


def copy_project_config(source: str, target: str, url: str) -> None:
    """The generated config of ``source`` as that of ``target``, in an environment ``copy`` of its own."""
    shutil.move(str(CONFIG / "projects" / source), str(CONFIG / "projects" / target))
    for path in (CONFIG / "projects" / target).rglob("*.yml"):
        document: Any = yaml.safe_load(path.read_text("utf-8"))
        project = document.get("project") if isinstance(document, dict) else None
        if isinstance(project, dict) and "projectKey" in project:
            project["projectKey"] = target
            path.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    settings = CONFIG / "dataiku-iac.yml"
    document = yaml.safe_load(settings.read_text("utf-8"))
    document["environments"]["copy"] = {"url": url, "api_key_env": "DKU_API_KEY",
                                        "state": ".dataiku/state/copy.state.json"}
    settings.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")


def test_promotion_generate_from_the_scratch_project_apply_to_a_second_key(cli, dss_target: DSSTarget,
                                                                           scratch_project: str, second_key: str):
    generated = cli("generate", scratch_project, "--out", str(CONFIG), "--env", "dev")
    assert generated.code == 0, generated.out + generated.err
    assert planned(cli, "dev") == {}
    copy_project_config(scratch_project, second_key, dss_target.url)
    applied = cli("apply", "--config", str(CONFIG), "--env", "copy", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    client = dss_target.client()
    source, copy = client.get_project(scratch_project), client.get_project(second_key)
    assert sorted(d["name"] for d in copy.list_datasets()) == sorted(d["name"] for d in source.list_datasets())
    assert copy.get_recipe("compute_orders_enriched").get_settings().get_payload() \
        == source.get_recipe("compute_orders_enriched").get_settings().get_payload()
    assert [s["name"] for s in copy.list_scenarios()] == [s["name"] for s in source.list_scenarios()]
    assert copy.get_variables()["standard"] == source.get_variables()["standard"]
    assert_read_back_clean(cli, "copy")
