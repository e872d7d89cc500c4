"""Benchmark: save + load (with schema validation and checksum verification) of a 10,000-resource state.

Prints the size of the file and the wall time of each phase, best and median of a few runs, and the best CPU
time (``time.process_time``: on a machine shared with other work, wall times vary two- or threefold between
runs while CPU times stay within a few percent; file writes are fsynced, so wall time is also what the disk
costs). Not a test: the README quotes its figures. Run with ``make bench`` or
``python benchmarks/bench_state_io.py [N]``. The "load" and "save, changed" rounds use a new backend
instance each, as a CLI run does (no cache from the first save).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import print_header
from realistic import generate_state

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.state_format import decode_state, encode_state

RUNS = 3
Figures = Dict[str, List[Tuple[float, float]]]


def _measure(label: str, figures: Figures, function: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    figures[label].append((time.perf_counter() - wall, time.process_time() - cpu))
    return result


def _one_round(n: int, figures: Figures) -> None:
    state = generate_state(n, seed=1)
    encoded = encode_state(state)
    _measure("encode (validate + serialise)", figures, lambda: encode_state(state))
    _measure("decode (parse + validate + checksums)", figures, lambda: decode_state(encoded, "bench"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.state.json"
        _measure("save, first (lock + encode + history + atomic write)", figures,
                 lambda: LocalFileBackend(path).save(state))
        backend = LocalFileBackend(path)
        loaded = _measure("load", figures, backend.load)
        edited = loaded.list_resources("dataset")[0]
        edited.attributes["description"] = "changed"
        edited.refresh_checksum()
        _measure("save, changed (after a load)", figures, lambda: backend.save(loaded))


def main(n: int = 10_000) -> None:
    """Print the figures for a state of ``n`` resources."""
    print_header("bench_state_io")
    size = len(encode_state(generate_state(n, seed=1)))
    print(f"state: {n} resources, {size / 1e6:.1f} MB on disk, best and median of {RUNS} runs")
    labels = ["encode (validate + serialise)", "decode (parse + validate + checksums)",
              "save, first (lock + encode + history + atomic write)", "load", "save, changed (after a load)"]
    figures: Figures = {label: [] for label in labels}
    for _ in range(RUNS):
        _one_round(n, figures)
    for label, times in figures.items():
        walls = [wall for wall, _ in times]
        print(f"{label:55s} best {min(walls):6.3f} s   median {statistics.median(walls):6.3f} s   "
              f"cpu {min(cpu for _, cpu in times):6.3f} s")
    pair = [figures["load"], figures["save, changed (after a load)"]]
    wall = sum(statistics.median(wall for wall, _ in times) for times in pair)
    cpu = sum(min(cpu for _, cpu in times) for times in pair)
    print(f"{'load + save (changed): wall medians, best cpu':55s} {wall:6.3f} s   cpu {cpu:6.3f} s   (target < 1.5 s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
