"""CLI tests run ``main([...])`` in a temporary working directory with no DSS settings in the environment."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, List, NamedTuple

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli.main import main
from dataiku_iac.models.state import Resource, ResourceMetadata, State
from tests.dss_support import point_environment_at

T0 = datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
T1 = datetime(2025, 2, 1, 8, 0, tzinfo=timezone.utc)


class Result(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path (default state paths land there), with no DKU_* or NO_COLOR variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("DKU_DSS_URL", "DKU_API_KEY", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture) -> Callable[..., Result]:
    """``cli("diff", "a", "b")`` -> (exit code, stdout, stderr)."""

    def run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def resource(rid: str, attributes: dict, who: str = "jane.doe") -> Resource:
    return Resource(rid.split(".")[0], rid, attributes,
                    ResourceMetadata(deployed_at=T0, last_modified_by=who, last_modified_at=T1))


def make_state(*resources: Resource, environment: str = "dev") -> State:
    return State(environment=environment, resources={r.resource_id: r for r in resources})


BASE: List[Resource] = [
    resource("project.P", {"description": "old"}),
    resource("dataset.P.orders", {"params": {"path": "/a"}, "schema": {"columns": [{"name": "id"}]}}),
    resource("recipe.P.compute_orders", {"payload": "import x\nprint(1)\n"}),
]


@pytest.fixture
def saved_states(tmp_path: Path) -> LocalFileBackend:
    """.dataiku/state/dev.state.json saved twice: serial 1 = BASE, serial 2 = a changed copy."""
    backend = LocalFileBackend.for_environment("dev")
    backend.save(make_state(*BASE))
    changed = make_state(
        resource("project.P", {"description": "new"}),
        resource("dataset.P.orders", {"params": {"path": "/b"}, "schema": {"columns": [{"name": "id"}]}}),
        resource("recipe.P.compute_orders", {"payload": "import x\nprint(2)\n"}),
        resource("managed_folder.P.F1", {"name": "exports"}),
    )
    changed.base_serial = 1
    backend.save(changed)
    return backend


@pytest.fixture
def dss(sample_emulator, monkeypatch: pytest.MonkeyPatch):
    """The session's emulator with the sample project, reset, with DKU_DSS_URL and DKU_API_KEY pointing at it."""
    point_environment_at(sample_emulator, monkeypatch)
    return sample_emulator
