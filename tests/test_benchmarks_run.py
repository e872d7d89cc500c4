"""Keep the benchmark scripts from rotting: run the generator, the mutation and the diff on 50 resources, the
start-up benchmark on a tiny project; every script is in ``make bench`` and says where and when it ran."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest

from benchmarks import bench_cli_startup, bench_diff
from benchmarks.machine import machine_line
from benchmarks.realistic import generate_state, mutate
from dataiku_iac.canonical import canonical_json
from dataiku_iac.diff import DiffEngine
from dataiku_iac.models.diff import ChangeType


def test_generator_is_deterministic_and_realistic() -> None:
    state = generate_state(50, seed=3)
    assert len(state.resources) == 50
    assert canonical_json(state.to_dict()) == canonical_json(generate_state(50, seed=3).to_dict())
    assert canonical_json(state.to_dict()) != canonical_json(generate_state(50, seed=4).to_dict())
    datasets = state.list_resources("dataset")
    assert datasets and all(10 <= len(d.attributes["schema"]["columns"]) <= 40 for d in datasets)
    assert all(len(r.attributes["payload"]) > 1000 for r in state.list_resources("recipe"))


def test_diff_finds_the_mutated_counts() -> None:
    old = generate_state(50, seed=3)
    new = mutate(old, fraction_modified=0.1, fraction_removed=0.06, fraction_added=0.04, seed=5)
    engine = DiffEngine()
    diffs = engine.diff(old, new)
    assert engine.summary(diffs) == {"added": 2, "removed": 3, "modified": 5, "unchanged": 42}
    # Every modification is found down to at least one attribute path, and the old state is untouched.
    assert all(d.changes for d in diffs if d.change_type is ChangeType.MODIFIED)
    assert canonical_json(old.to_dict()) == canonical_json(generate_state(50, seed=3).to_dict())


def test_bench_diff_script_runs(capsys: pytest.CaptureFixture) -> None:
    assert bench_diff.main(["400"]) == 0  # the smallest size where 0.5% rounds to whole resources
    output = capsys.readouterr().out
    assert "found: {'added': 2, 'removed': 2, 'modified': 4, 'unchanged': 394}" in output
    assert "DiffEngine.diff" in output and "diffs_to_json" in output and "format_output" in output


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def bench_scripts() -> List[Path]:
    return sorted(BENCHMARKS.glob("bench_*.py"))


def test_make_bench_runs_every_benchmark_script() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    commands = subprocess.run(["make", "-n", "--no-print-directory", "bench"], cwd=BENCHMARKS.parent,
                              capture_output=True, text=True, timeout=60, check=True).stdout
    assert len(bench_scripts()) >= 4
    missing = [script.name for script in bench_scripts() if f"benchmarks/{script.name}" not in commands]
    assert missing == []


def test_every_benchmark_prints_its_machine_and_date_first() -> None:
    silent = [script.name for script in bench_scripts() if "print_header(" not in script.read_text("utf-8")]
    assert silent == []
    line = machine_line()
    assert re.match(r"cores \d+, (load [\d.]+, )?Python 3\.\d+\.\d+ \(\w+\), .+, \d{4}-\d\d-\d\d \d\d:\d\d UTC$",
                    line), line


def test_bench_cli_startup_script_runs(capsys: pytest.CaptureFixture) -> None:
    assert bench_cli_startup.main(["--runs", "1", "--sync-runs", "1", "--datasets", "4", "--latency", "0"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("== bench_cli_startup | cores ")
    for label in ("dataiku-iac --version", "dataiku-iac --help", "process start -> first request (/auth/info)",
                  "process start -> first request of the sync", "process start -> exit (whole sync)"):
        assert label in output
