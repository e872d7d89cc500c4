"""Benchmark: save + load (with schema validation and checksum verification) of a 10,000-resource state.

Prints the size of the file and the wall time of each phase, best and median of a few runs. Not a test:
the README quotes its figures. Run with ``make bench`` or ``python benchmarks/bench_state_io.py [N]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import print_header
from realistic import generate_state

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.state_format import decode_state, encode_state

RUNS = 3


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _one_round(n: int, figures: Dict[str, List[float]]) -> None:
    state = generate_state(n, seed=1)
    encoded = encode_state(state)
    figures["encode (validate + serialise)"].append(_seconds(lambda: encode_state(state)))
    figures["decode (parse + validate + checksums)"].append(_seconds(lambda: decode_state(encoded, "bench")))
    with tempfile.TemporaryDirectory() as tmp:
        backend = LocalFileBackend(Path(tmp) / "bench.state.json")
        figures["save, first (lock + encode + history + atomic write)"].append(_seconds(lambda: backend.save(state)))
        start = time.perf_counter()
        loaded = backend.load()
        figures["load"].append(time.perf_counter() - start)
        edited = loaded.list_resources("dataset")[0]
        edited.attributes["description"] = "changed"
        edited.refresh_checksum()
        figures["save, changed (after a load)"].append(_seconds(lambda: backend.save(loaded)))


def main(n: int = 10_000) -> None:
    """Print the figures for a state of ``n`` resources."""
    print_header("bench_state_io")
    size = len(encode_state(generate_state(n, seed=1)))
    print(f"state: {n} resources, {size / 1e6:.1f} MB on disk, best and median of {RUNS} runs")
    labels = ["encode (validate + serialise)", "decode (parse + validate + checksums)",
              "save, first (lock + encode + history + atomic write)", "load", "save, changed (after a load)"]
    figures: Dict[str, List[float]] = {label: [] for label in labels}
    for _ in range(RUNS):
        _one_round(n, figures)
    for label, times in figures.items():
        print(f"{label:55s} best {min(times):6.3f} s   median {statistics.median(times):6.3f} s")
    total = statistics.median(figures["save, changed (after a load)"]) + statistics.median(figures["load"])
    print(f"{'load + save (changed), medians':55s} {total:6.3f} s   (target < 2 s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
