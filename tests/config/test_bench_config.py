"""Keep the config benchmark from rotting: its generated config is valid and the script runs (small sizes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import bench_config
from dataiku_iac.config import validate_config


def test_the_generated_config_is_valid_and_complete(tmp_path: Path) -> None:
    root = bench_config.generate(tmp_path, datasets=20, recipes=25, scenarios=3)
    result = validate_config(root)
    assert result.problems == []
    desired = result.desired["dev"]
    kinds = [resource.resource_type for resource in desired.state.resources.values()]
    # 20 datasets, plus the outputs of the 6 recipes past the last one
    assert (kinds.count("dataset"), kinds.count("recipe"), kinds.count("scenario")) == (26, 25, 3)
    # The recipes chain datasets, so the order is a real topological order, not the input order.
    order = desired.order
    assert order.index("recipe.BENCH.r_00000") > order.index("dataset.BENCH.ds_00001")


def test_the_script_runs(capsys: pytest.CaptureFixture) -> None:
    assert bench_config.main(["20", "20", "2"]) == 0
    output = capsys.readouterr().out
    assert "validate_config" in output and "0 errors, 0 warnings" in output
