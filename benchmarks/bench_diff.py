"""Benchmark: diff two realistic states of 10,000 resources (1% modified, 0.5% removed, 0.5% added).

Run ``.venv/bin/python benchmarks/bench_diff.py [N]``. Prints the wall time of ``DiffEngine.diff`` (best of 3
and median), the counts it found, and the times of the JSON and text renderings. A script, not a test:
timings on shared CI machines are too noisy to assert on.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, List, Tuple

# Runnable as a plain script from any directory: make the repository and python-lib importable.
_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from benchmarks.machine import print_header  # noqa: E402
from benchmarks.realistic import generate_state, mutate  # noqa: E402
from dataiku_iac.diff import DiffEngine  # noqa: E402
from dataiku_iac.report.json_report import diffs_to_json  # noqa: E402

REPEATS = 3


def timed(function: Callable[[], Any], repeats: int = REPEATS) -> Tuple[Any, List[float]]:
    """Run ``function`` ``repeats`` times; return its last result and the wall times in seconds."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return result, times


def _line(label: str, times: List[float]) -> str:
    return f"{label:<34} best {min(times) * 1000:8.1f} ms   median {statistics.median(times) * 1000:8.1f} ms"


def main(argv: List[str]) -> int:
    """Generate the states, time the diff and the renderers, print the figures."""
    n = int(argv[0]) if argv else 10_000
    print_header("bench_diff")
    start = time.perf_counter()
    old = generate_state(n, seed=0)
    new = mutate(old, fraction_modified=0.01, fraction_removed=0.005, fraction_added=0.005, seed=1)
    size_mb = sum(len(json.dumps(r.attributes)) for r in old.resources.values()) / 1e6
    print(f"states: {len(old.resources)} -> {len(new.resources)} resources, "
          f"{size_mb:.1f} MB of attributes (generated in {time.perf_counter() - start:.1f} s)")

    engine = DiffEngine()
    diffs, diff_times = timed(lambda: engine.diff(old, new))
    print(_line("DiffEngine.diff", diff_times))
    print(f"  found: {engine.summary(diffs)}")
    changes = sum(len(d.changes) for d in diffs)
    print(f"  attribute changes: {changes}")

    pairs = [(r.attributes, new.resources[rid].attributes) for rid, r in old.resources.items()
             if rid in new.resources]
    _, deep_times = timed(lambda: [engine.compare(a, b) for a, b in pairs])
    print(_line("deep compare of every pair", deep_times) + "  (no checksum shortcut)")

    report, json_times = timed(lambda: diffs_to_json(diffs))
    print(_line("diffs_to_json", json_times))
    _, dumps_times = timed(lambda: json.dumps(report))
    print(_line("json.dumps(report)", dumps_times))
    text, text_times = timed(lambda: engine.format_output(diffs))
    print(_line("format_output", text_times))
    print(f"  text output: {len(text.splitlines())} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
