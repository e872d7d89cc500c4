"""Fixtures for the drift viewer tests: a local state with history and a drift report, fake managers, clients."""

from __future__ import annotations

import copy
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from flask import Flask

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.diff import DiffEngine
from dataiku_iac.models.state import Resource, ResourceMetadata, State
from dataiku_iac.report.json_report import diffs_to_json
from dataiku_iac.timeutil import format_timestamp, utc_now
from dataiku_iac.webapp import Viewer, WebappContext, local_context, register_routes

XSS_NAME = "<img src=x onerror=alert(1)>"
CODE_V1 = "import dataiku\n\ndf = dataiku.Dataset('orders').get_dataframe()\nprint(len(df))\n"
CODE_V2 = CODE_V1 + "df = df[df.paid]\n"
CODE_LIVE = CODE_V2.replace("print(len(df))", "print('rows', len(df))")


def resource(rtype: str, rid: str, attributes: Dict[str, Any], by: Optional[str] = None) -> Resource:
    """A resource with DSS attribution."""
    metadata = ResourceMetadata(last_modified_by=by, last_modified_at=datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc))
    return Resource(rtype, rid, attributes, metadata)


def state_v1() -> State:
    """Serial 1: a project, two datasets, a python recipe (serial 0 until saved)."""
    items = (
        resource("project", "project.SALES", {"name": "Sales", "tags": ["a"]}, "bob"),
        resource("dataset", "dataset.SALES.orders", {"type": "Filesystem", "params": {"path": "/o"},
                                                     "schema": {"columns": [{"name": "id", "type": "int"}]}}, "bob"),
        resource("dataset", "dataset.SALES.old_table", {"type": "SQL", "params": {"table": "t"}}, "bob"),
        resource("recipe", "recipe.SALES.compute_orders", {"type": "python", "payload": CODE_V1}, "bob"),
    )
    return State(environment="dev", resources={item.resource_id: item for item in items})


def with_changes(state: State, changes: Callable[[State], None]) -> State:
    """A copy of ``state`` (fresh resources) after ``changes``; lineage and serial left to the backend."""
    changed = State.from_dict(copy.deepcopy(state.to_dict()))
    changes(changed)
    for item in changed.resources.values():
        item.refresh_checksum()
    return changed


def round_a(state: State) -> None:
    state.resources["dataset.SALES.orders"].attributes["params"]["path"] = "/orders"
    state.resources["recipe.SALES.compute_orders"].attributes["payload"] = CODE_V2


def round_b(state: State) -> None:
    """The live drift: one of each change, a hostile name and hostile values."""
    state.remove_resource("dataset.SALES.old_table")
    state.add_resource(resource("dataset", f"dataset.SALES.{XSS_NAME}", {"type": "Filesystem",
                                                                          "description": XSS_NAME}, "mallory"))
    orders = state.resources["dataset.SALES.orders"]
    orders.attributes["schema"]["columns"].append({"name": "amount", "type": "double"})
    orders.attributes["description"] = "<script>alert(2)</script>"
    orders.metadata.last_modified_by = "alice"
    state.resources["recipe.SALES.compute_orders"].attributes["payload"] = CODE_LIVE
    state.resources["recipe.SALES.compute_orders"].metadata.last_modified_by = "alice"


def drift_report(baseline: State, live: State) -> Dict[str, Any]:
    """The report a drift check stores (the shape of ``DriftResult.to_report``)."""
    context = {
        "environment": baseline.environment,
        "baseline_serial": baseline.serial,
        "baseline_lineage": baseline.lineage,
        "baseline_updated_at": format_timestamp(baseline.updated_at),
        "checked_at": format_timestamp(utc_now()),
        "project_keys": ["SALES"],
        "has_drift": True,
    }
    return diffs_to_json(DiffEngine().diff(baseline, live), context=context)


class FakeDrift:
    """What ``StateManager.detect_drift`` returns, reduced to what the routes use."""

    def __init__(self, baseline: State, live: State) -> None:
        self.report = drift_report(baseline, live)
        self.summary = self.report["summary"]
        self.has_drift = bool(self.report["resource_changes"])

    def to_report(self) -> Dict[str, Any]:
        return self.report


class FakeRefresh:
    def __init__(self, state: State, diffs: List[Any]) -> None:
        self.state, self.diffs, self.saved = state, diffs, True

    def changes(self) -> List[Any]:
        return [d for d in self.diffs if d.change_type.value != "unchanged"]


class FakeManager:
    """A StateManager stand-in: the live state is ``live`` (round B of the stored state); no DSS involved."""

    def __init__(self, backend: Any, progress: Any, live: Callable[[State], State], gate: Optional[threading.Event],
                 error: Optional[BaseException]) -> None:
        self.backend, self.progress, self.live, self.gate, self.error = backend, progress, live, gate, error

    def _read_live(self) -> State:
        if self.gate is not None:
            assert self.gate.wait(10), "the test never opened the gate"
        if self.error is not None:
            raise self.error
        baseline = self.backend.load()
        if self.progress:
            self.progress(2, 4)
            self.progress(4, 4)
        return baseline, self.live(baseline)

    def detect_drift(self, project_keys: Any = None) -> FakeDrift:
        baseline, live = self._read_live()
        return FakeDrift(baseline, live)

    def refresh(self, project_keys: Any = None) -> FakeRefresh:
        baseline, live = self._read_live()
        diffs = DiffEngine().diff(baseline, live)
        live.lineage, live.base_serial = baseline.lineage, baseline.serial
        self.backend.save(live)
        return FakeRefresh(live, diffs)


class Managers:
    """The fake manager factory of a test, with knobs: ``gate`` (block until set), ``error`` (raise)."""

    def __init__(self) -> None:
        self.gate: Optional[threading.Event] = None
        self.error: Optional[BaseException] = None
        self.calls: List[str] = []

    def __call__(self, environment: str, backend: Any, progress: Any) -> FakeManager:
        self.calls.append(environment)
        return FakeManager(backend, progress, lambda s: with_changes(s, round_b), self.gate, self.error)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """``dev``: serials 1 and 2 and one drift report (round B against serial 2); ``prod``: serial 1 only;
    plus a state file whose name is not a valid environment."""
    directory = tmp_path / "state"
    dev = LocalFileBackend.for_environment("dev", directory)
    first = state_v1()
    dev.save(first)
    second = with_changes(first, round_a)
    second.lineage, second.base_serial = first.lineage, first.serial
    dev.save(second)
    stored = dev.load()
    dev.save_report(drift_report(stored, with_changes(stored, round_b)))
    prod = state_v1()
    prod.environment = "prod"
    LocalFileBackend.for_environment("prod", directory).save(prod)
    (directory / "bad name.state.json").write_text("{}")
    return directory


@pytest.fixture
def managers() -> Managers:
    return Managers()


@pytest.fixture
def context(state_dir: Path, managers: Managers) -> WebappContext:
    return local_context(state_dir, make_manager=managers)


def make_client(context: Any) -> Any:
    """A Flask test client of a fresh app with the routes registered on ``context``."""
    app = Flask("drift-viewer-test")
    register_routes(app, context)
    return app.test_client()


@pytest.fixture
def client(context: WebappContext) -> Any:
    return make_client(context)


def viewer_is(context: WebappContext, viewer: Viewer) -> WebappContext:
    """``context`` with a fixed viewer."""
    context.identify = lambda headers: viewer
    return context
