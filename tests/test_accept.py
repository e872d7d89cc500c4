"""The accept use case on a local backend: what is stored, what is refused, and how reports are kept."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

import pytest

from dataiku_iac.accept import KIND_ACCEPTED, KIND_CHECK, accept_report, covered_projects
from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.diff import DiffEngine
from dataiku_iac.exceptions import PermissionDeniedError, StaleStateError, StateConflictError, StateCorruptedError
from dataiku_iac.models.state import Resource, ResourceMetadata, State
from dataiku_iac.report.json_report import diffs_to_json


def state_of(**datasets: str) -> State:
    resources = [Resource("project", "project.P", {"name": "P"})]
    resources += [Resource("dataset", f"dataset.P.{name}", {"path": path}) for name, path in datasets.items()]
    return State(environment="dev", resources={r.resource_id: r for r in resources})


def report_of(baseline: State, live: State) -> Dict[str, Any]:
    context = {"baseline_serial": baseline.serial, "baseline_lineage": baseline.lineage, "project_keys": ["P"]}
    return copy.deepcopy(diffs_to_json(DiffEngine().diff(baseline, live), context=context))


@pytest.fixture
def backend(tmp_path) -> LocalFileBackend:
    backend = LocalFileBackend.for_environment("dev", tmp_path)
    backend.save(state_of(a="/a", gone="/g"))
    return backend


def test_the_reviewed_changes_are_applied_to_the_stored_baseline(backend):
    baseline = backend.load()
    live = state_of(a="/a2", new="/n")
    live.resources["dataset.P.new"].metadata = ResourceMetadata(dataiku_internal_id="id-7", last_modified_by="eve")
    outcome = accept_report(backend, report_of(baseline, live), environment="dev", accepted_by="dana", live=live,
                            source="report-1")
    stored = backend.load()
    assert outcome.saved and outcome.serial == stored.serial == 2 and outcome.accepted_changes == 3
    assert set(stored.resources) == {"project.P", "dataset.P.a", "dataset.P.new"}
    assert stored.resources["dataset.P.a"].attributes == {"path": "/a2"}
    new = stored.resources["dataset.P.new"].metadata
    assert (new.dataiku_internal_id, new.last_modified_by, new.deployed_by) == ("id-7", "eve", "dana")
    evidence = backend.load_report(outcome.evidence)
    assert evidence["context"]["accepted_by"] == "dana" and evidence["context"]["accepted_from"] == "report-1"
    assert outcome.evidence.startswith(f"{KIND_ACCEPTED}-")


def test_a_report_of_another_baseline_is_refused_and_nothing_is_written(backend):
    baseline = backend.load()
    report = report_of(baseline, state_of(a="/a2", gone="/g"))
    report["resource_changes"][0]["before"] = {"path": "/not-what-is-stored"}
    with pytest.raises(StateConflictError, match=r"does not describe the stored baseline for dataset\.P\.a"):
        accept_report(backend, report, environment="dev")
    assert backend.load().serial == 1 and backend.list_reports() == []


def test_a_moved_baseline_is_refused(backend):
    report = report_of(backend.load(), state_of(a="/a2", gone="/g"))
    moved = backend.load()
    moved.resources["project.P"].attributes["name"] = "moved"
    moved.resources["project.P"].refresh_checksum()
    backend.save(moved)
    with pytest.raises(StaleStateError, match="now serial 2, but the drift report was made against serial 1"):
        accept_report(backend, report, environment="dev")
    with pytest.raises(StaleStateError, match="you reviewed serial 1"):
        accept_report(backend, report_of(backend.load(), backend.load()), environment="dev", expected_serial=1)


def test_authorize_sees_every_covered_project_before_anything_is_read(backend):
    live = state_of(a="/a", gone="/g")
    live.resources["dataset.Q.x"] = Resource("dataset", "dataset.Q.x", {"path": "/x"})
    report = report_of(backend.load(), live)
    asked: List[List[str]] = []

    def refuse(keys: List[str]) -> None:
        asked.append(keys)
        raise PermissionDeniedError("no")

    with pytest.raises(PermissionDeniedError):
        accept_report(backend, report, environment="dev", authorize=refuse)
    assert asked == [["P", "Q"]] == [covered_projects(report)]
    assert backend.load().serial == 1


def test_a_report_without_changes_stores_nothing(backend):
    baseline = backend.load()
    outcome = accept_report(backend, report_of(baseline, baseline), environment="dev")
    assert not outcome.saved and outcome.evidence is None and backend.load().serial == 1


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.pop("context"), "baseline_serial"),
    (lambda r: r.__setitem__("resource_changes", {}), "resource_changes: expected an array"),
    (lambda r: r["resource_changes"][0].__setitem__("change", "exploded"), "change: expected one of"),
    (lambda r: r["resource_changes"][0].__setitem__("after", None), "after: expected the attributes"),
    (lambda r: r["resource_changes"][0].__setitem__("address", "../x"), "address: expected a resource id"),
])
def test_a_malformed_report_is_refused(backend, change, message):
    report = report_of(backend.load(), state_of(a="/a2", gone="/g"))
    change(report)
    with pytest.raises(StateCorruptedError, match=message):
        accept_report(backend, report, environment="dev")
    assert backend.load().serial == 1


def test_checks_never_prune_the_report_a_baseline_was_accepted_from(tmp_path):
    """Issue 11 #5: many checks by one viewer used to push the accepted report out of the pruned list."""
    backend = LocalFileBackend.for_environment("dev", tmp_path, report_limit=3)
    backend.save(state_of(a="/a", gone="/g"))
    outcome = accept_report(backend, report_of(backend.load(), state_of(a="/a2", gone="/g")), environment="dev")
    for _ in range(5):
        backend.save_report({"context": {}}, kind=KIND_CHECK)
    assert backend.list_reports(KIND_ACCEPTED) == [outcome.evidence]
    assert len(backend.list_reports(KIND_CHECK)) == 3
