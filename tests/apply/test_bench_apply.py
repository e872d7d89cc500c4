"""Keep benchmarks/bench_apply.py from rotting: a tiny run, at parallelism 2 and 1."""

from __future__ import annotations

import os

import pytest

from benchmarks import bench_apply


def test_bench_apply_script_runs(capsys: pytest.CaptureFixture) -> None:
    before = dict(os.environ)
    assert bench_apply.main(["6", "4", "2", "--latency", "0", "--parallelism", "2", "1"]) == 0
    assert dict(os.environ) == before  # nothing leaks into the tests that run after (DKU_API_KEY once did)
    out = capsys.readouterr().out
    assert out.startswith("== bench_apply")
    assert "parallelism  2: 13 objects" in out and "parallelism  1: 13 objects" in out
    assert "speed-up at 2 over 1:" in out
