"""The executor: its pure parts (schedule, placeholders, staleness, refusals, the report line), then the
library on the emulator over HTTP (order of writes, permissions checked before any write)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dataiku_iac.apply.executor import (
    ApplyOptions,
    IdMap,
    StalePlanError,
    execute,
    prepare,
    refusals,
    schedule,
    stale_reasons,
)
from dataiku_iac.apply.result import APPLIED, FAILED, ApplyResult, OperationOutcome
from dataiku_iac.backends.memory import MemoryBackend
from dataiku_iac.config.desired import DesiredResource, IdReference
from dataiku_iac.exceptions import PermissionDeniedError
from dataiku_iac.models.state import ManagedEntry, Resource, State


def op(action, rid, deps=(), **extra):
    return {"action": action, "resource_id": rid, "resource_type": rid.split(".")[0],
            "project_key": rid.split(".")[1], "dependencies": list(deps), "expect": {}, **extra}


# -- schedule -----------------------------------------------------------------------------------------------

def test_writes_wait_for_their_dependencies_in_the_plan_only():
    ops = [op("create", "project.P"), op("create", "dataset.P.a", ["project.P"]),
           op("create", "recipe.P.r", ["project.P", "dataset.P.a", "dataset.P.elsewhere"])]
    assert schedule(ops) == [set(), {0}, {0, 1}]


def test_deletions_wait_for_every_write_and_run_in_reverse_dependency_order():
    ops = [op("update", "dataset.P.kept"), op("delete", "recipe.P.r", ["dataset.P.old"]),
           op("delete", "dataset.P.old")]
    waits = schedule(ops)
    assert waits[1] == {0}  # the recipe first: nothing left depends on it
    assert waits[2] == {0, 1}  # the dataset after the recipe that used it


# -- placeholders -----------------------------------------------------------------------------------------

def referring(attributes, *references):
    """A desired recipe holding ``attributes``, whose ``references`` say where they name folders."""
    return DesiredResource(Resource("recipe", "recipe.P.r", attributes), None, frozenset(),
                           id_references=tuple(references))


def test_placeholders_are_replaced_by_the_ids_dss_gave():
    ids = IdMap()
    ids.add("managed_folder.P.new:reports", "Ab12Cd34")
    assert ids.resolve_id("managed_folder.P.new:reports") == "managed_folder.P.Ab12Cd34"
    assert ids.resolve_id("managed_folder.Q.new:reports") == "managed_folder.Q.new:reports"
    items = [{"ref": "new:reports"}, {"ref": "P.new:reports"}, {"ref": "x"}, {"ref": "new:reports"}]
    wanted = referring({"inputs": {"main": {"items": items}}, "description": "new:reports"},
                       IdReference(("inputs", "main", "items", 0, "ref"), "managed_folder.P.new:reports", "reports"),
                       IdReference(("inputs", "main", "items", 1, "ref"), "managed_folder.P.new:reports", "reports",
                                   "P."))
    assert ids.resolve(wanted) == {"inputs": {"main": {"items": [  # only where the config named the folder
        {"ref": "Ab12Cd34"}, {"ref": "P.Ab12Cd34"}, {"ref": "x"}, {"ref": "new:reports"}]}},
        "description": "new:reports"}
    assert wanted.resource.attributes["inputs"]["main"]["items"] == items  # the desired state is left as it was


def test_a_folder_and_a_scenario_sharing_a_config_key_keep_their_own_ids():
    ids = IdMap()
    ids.add("managed_folder.P.new:nightly", "Fo1der00")
    ids.add("scenario.P.new:nightly", "NIGHTLY")
    assert ids.resolve_id("managed_folder.P.new:nightly") == "managed_folder.P.Fo1der00"
    assert ids.resolve_id("scenario.P.new:nightly") == "scenario.P.NIGHTLY"
    wanted = referring({"outputs": {"main": {"items": [{"ref": "new:nightly"}]}}},
                       IdReference(("outputs", "main", "items", 0, "ref"), "managed_folder.P.new:nightly", "nightly"))
    assert ids.resolve(wanted)["outputs"]["main"]["items"] == [{"ref": "Fo1der00"}]


def test_a_replaced_folder_maps_its_placeholder_and_its_old_resource_id():
    ids = IdMap()
    ids.replaced("managed_folder.P.Old00000", "reports", "New00000")
    assert ids.resolve_id("managed_folder.P.Old00000") == "managed_folder.P.New00000"  # recorded dependencies
    wanted = referring({"outputs": {"main": {"items": [{"ref": "new:reports"}]}}},
                       IdReference(("outputs", "main", "items", 0, "ref"), "managed_folder.P.Old00000", "reports"))
    assert ids.resolve(wanted)["outputs"]["main"]["items"] == [{"ref": "New00000"}]


# -- staleness ------------------------------------------------------------------------------------------

def plan_document(*ops, lineage=None, serial=None, digest="sha256:a"):
    return {"environment": "dev", "dss_url": "http://dss", "state": {"lineage": lineage, "serial": serial},
            "config_digest": digest, "operations": list(ops)}


PRESENT = {"exists": True, "checksum": "c1", "last_modified_by": "jane", "last_modified_at": "T1"}


def test_a_current_plan_has_no_reason_to_be_refused():
    saved = plan_document(op("update", "dataset.P.a", expect=PRESENT))
    assert stale_reasons(saved, saved, State(), "dev", "http://dss") == []


def test_every_reason_is_named_at_once():
    saved = plan_document(op("update", "dataset.P.a", expect=PRESENT),
                          op("create", "dataset.P.b", expect={"exists": False}),
                          op("create", "scenario.P.new:S", expect={"exists": False, "name": "S"}),
                          lineage="L", serial=3)
    fresh = plan_document(op("update", "dataset.P.a", expect={**PRESENT, "checksum": "c2", "last_modified_by": "bob"}),
                          op("adopt", "dataset.P.b", expect=PRESENT), op("adopt", "scenario.P.S", expect=PRESENT),
                          digest="sha256:b")
    stored = State(lineage="L")
    stored.serial = 4
    reasons = stale_reasons(saved, fresh, stored, "dev", "http://dss")
    assert reasons[0] == "the state moved (planned at lineage L serial 3, now lineage L serial 4)"
    assert "the config changed since the plan" in reasons
    assert "dataset.P.a was changed in DSS since the plan (by bob at T1)" in reasons
    assert "dataset.P.b was created in DSS since the plan" in reasons
    assert "scenario.P.new:S: an object named 'S' was created in DSS since the plan" in reasons
    assert "scenario.P.S: DSS changed since the plan, which now needs adopt" in reasons
    assert "it was made for environment 'dev', not 'prod'" in stale_reasons(saved, fresh, stored, "prod", "")
    assert str(StalePlanError(reasons)).startswith("The plan is stale, nothing was written: the state moved")


def test_refusals_protect_and_project_deletion():
    class Desired:
        def __init__(self) -> None:
            self.resources: dict = {}

    stored = State(managed={"dataset.P.a": ManagedEntry("a", protect=True)})
    ops = [op("delete", "dataset.P.a"), op("delete", "project.P"), op("replace", "recipe.P.r", refused="no")]
    found = refusals({"operations": ops}, stored, Desired(), ApplyOptions())
    assert found == ["dataset.P.a: protect: true forbids deleting it",
                     "project.P: deleting a project needs its own flag (--allow-project-delete)",
                     "recipe.P.r: no"]
    assert len(refusals({"operations": ops}, stored, Desired(), ApplyOptions(allow_project_delete=True))) == 2


def test_the_report_line():
    result = ApplyResult([OperationOutcome("create", "dataset.P.a", APPLIED),
                          OperationOutcome("create", "recipe.P.r", FAILED, "DSS said no"),
                          OperationOutcome("create", "scenario.P.new:S")])
    assert result.summary_line() == "1 applied, failed recipe.P.r (DSS said no), not attempted 1"
    assert not result.ok
    assert ApplyResult([OperationOutcome("create", "dataset.P.a", APPLIED)]).summary_line() == \
        "Apply complete: 1 applied."


# -- the library on the emulator ---------------------------------------------------------------------------

@pytest.fixture
def sample_config(emulator, tmp_path, monkeypatch):
    """The sample project's config, and an emulator without the project."""
    from dataiku_iac.cli.main import main
    from dataiku_iac.config import read_config
    from dss_emulator import SAMPLE_PROJECT_KEY

    emulator.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DKU_DSS_URL", emulator.url)
    monkeypatch.setenv("DKU_API_KEY", emulator.api_key)
    assert main(["generate", SAMPLE_PROJECT_KEY, "--out", "config", "--no-adopt"]) == 0
    emulator.client().get_project(SAMPLE_PROJECT_KEY).delete()
    return read_config(Path("config"))


def test_each_write_starts_after_what_it_depends_on_completed(emulator, sample_config):
    backend = MemoryBackend()
    client = emulator.client()
    with backend.lock("apply"):
        prepared = prepare(sample_config, "dev", client, backend, os.environ, dss_url=emulator.url)
        emulator.clear_request_counts()
        result = execute(prepared, client, backend, ApplyOptions(parallelism=8))
    assert result.ok, result.summary_line()
    log = [(entry["method"], entry["route"]) for entry in emulator.request_log()]
    first = {kind: next(i for i, e in enumerate(log) if e == ("POST", kind))
             for kind in ("/projects/", "/projects/<project_key>/datasets/", "/projects/<project_key>/recipes/")}
    last_dataset_read = max(i for i, e in enumerate(log) if e == ("GET", "/projects/<project_key>/datasets/<name>"))
    assert first["/projects/"] < first["/projects/<project_key>/datasets/"]
    assert last_dataset_read < first["/projects/<project_key>/recipes/"]  # inputs and outputs exist first
    assert backend.load().managed and result.state_serial == backend.load().serial


def test_permissions_are_checked_before_any_write(emulator, sample_config):
    from dss_emulator import SAMPLE_PROJECT_KEY

    client = emulator.client()
    client.create_project(SAMPLE_PROJECT_KEY, "Customer analytics", "admin")  # exists: its permissions matter
    key = emulator.create_api_key("bob", admin=False)
    project_permissions = client.get_project(SAMPLE_PROJECT_KEY).get_permissions()
    project_permissions["permissions"] = [{"user": "bob", "readProjectContent": True, "writeProjectContent": False}]
    client.get_project(SAMPLE_PROJECT_KEY).set_permissions(project_permissions)
    backend = MemoryBackend()
    emulator.clear_request_counts()
    with backend.lock("apply"), pytest.raises(PermissionDeniedError, match="bob may not apply this plan"):
        prepare(sample_config, "dev", emulator.client(key), backend, os.environ, dss_url=emulator.url)
    assert [r for r in emulator.request_counts() if not r.startswith("GET")] == []


def test_replacing_a_project_is_a_project_deletion_and_needs_its_flag():
    class Desired:
        def __init__(self) -> None:
            self.resources: dict = {}

    ops = [op("replace", "project.P")]
    assert refusals({"operations": ops}, State(), Desired(), ApplyOptions()) == [
        "project.P: deleting a project needs its own flag (--allow-project-delete)"]


def test_deletions_keep_data_unless_asked(emulator, sample_config):
    import yaml

    from dataiku_iac.config import read_config

    backend = MemoryBackend()
    client = emulator.client()
    urls = []
    client._session.hooks["response"].append(lambda response, *args, **kwargs: urls.append(
        (response.request.method, response.request.url)))

    def apply(config, options):
        with backend.lock("apply"):
            prepared = prepare(config, "dev", client, backend, os.environ, dss_url=emulator.url, options=options)
            result = execute(prepared, client, backend, options)
        assert result.ok, result.summary_line()

    apply(sample_config, ApplyOptions())
    root = Path("config/projects/CUSTOMER_ANALYTICS")
    for name, drop in (("datasets.yml", "raw_customers"), ("recipes.yml", "compute_customers_prepared")):
        document = yaml.safe_load((root / name).read_text("utf-8"))
        next(iter(document.values())).pop(drop)
        (root / name).write_text(yaml.safe_dump(document), "utf-8")
    urls.clear()
    apply(read_config(Path("config")), ApplyOptions())
    deletes = [url for method, url in urls if method == "DELETE"]
    assert any("/datasets/raw_customers" in url and "dropData=False" in url for url in deletes), deletes
    (root / "managed_folders.yml").unlink()
    urls.clear()
    apply(read_config(Path("config")), ApplyOptions(drop_data=True))
    deletes = [url for method, url in urls if method == "DELETE"]
    assert len(deletes) == 1 and "/managedfolders/" in deletes[0] and "dropData=True" in deletes[0], deletes


# -- the scheduler (a real pool, operations that only say when they ran) ---------------------------------------

def run_scheduler(operations, parallelism, run_one, record=True):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from dataiku_iac.apply.executor import _Scheduler

    batches = []
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        scheduler = _Scheduler(operations, schedule(operations), pool, parallelism, run_one, threading.Event())
        scheduler.start()
        while True:
            batch = scheduler.next_batch()
            if not batch:
                break
            batches.append([index for index, _ in batch])
            if record:
                scheduler.recorded(len(batch))
            else:
                break
    return batches, scheduler


def test_the_scheduler_starts_an_operation_after_what_it_waits_for():
    started = []
    ops = [op("create", "project.P"), op("create", "dataset.P.a", ["project.P"]),
           op("create", "recipe.P.r", ["dataset.P.a"]), op("create", "dataset.P.b", ["project.P"])]
    batches, _ = run_scheduler(ops, 4, lambda operation: started.append(operation["resource_id"]))
    assert started.index("project.P") == 0 and started.index("dataset.P.a") < started.index("recipe.P.r")
    assert sorted(index for batch in batches for index in batch) == [0, 1, 2, 3]


def test_the_scheduler_starts_nothing_after_a_failure():
    started = []

    def run_one(operation):
        started.append(operation["resource_id"])
        if operation["resource_id"] == "dataset.P.a":
            raise RuntimeError("refused")

    ops = [op("create", "dataset.P.a"), op("create", "dataset.P.b", ["dataset.P.a"]), op("create", "dataset.P.c")]
    run_scheduler(ops, 1, run_one)
    assert started == ["dataset.P.a"]


def test_at_most_parallelism_completed_operations_wait_for_a_save():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from dataiku_iac.apply.executor import _Scheduler

    guard = threading.Lock()
    started = []

    def run_one(operation):
        with guard:
            started.append(operation["resource_id"])

    ops = [op("create", f"dataset.P.d{i}") for i in range(20)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        scheduler = _Scheduler(ops, schedule(ops), pool, 2, run_one, threading.Event())
        scheduler.start()
        with scheduler.changed:  # nothing saved yet: starts stop once 2 completed operations wait
            scheduler.changed.wait_for(lambda: scheduler.running == 0)
        assert 2 <= len(started) <= 4
        waiting = len(started)
        scheduler.recorded(scheduler.unsaved)  # a save: more start
        with scheduler.changed:
            scheduler.changed.wait_for(lambda: scheduler.running == 0)
        assert len(started) > waiting
        while len(started) < 20:  # the rest, a save at a time
            scheduler.recorded(scheduler.unsaved)
            with scheduler.changed:
                scheduler.changed.wait_for(lambda: scheduler.running == 0)
    assert sorted(started) == sorted(o["resource_id"] for o in ops)
