"""Concurrent ``/api/compare`` requests over distinct serials of a large state: time, peak memory, answers.

    python benchmarks/bench_webapp_compare.py [RESOURCES] [REQUESTS]      (default 5000 and 32)

Issue 11 #4: any viewer, readers included, could make the drift viewer build one diff per request at once
(32 requests over distinct serials of a 5,000-resource state took 5.5 GB and 100 s). The viewer now builds
each pair once, at most two at a time, and answers 503 with Retry-After to the rest: this prints how many
requests were answered 200 and 503, the wall time, and the growth of the process's peak RSS.
"""

from __future__ import annotations

import itertools
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import List, Optional, Sequence

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import print_header
from benchmarks.realistic import generate_state, mutate
from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.webapp import local_context
from dataiku_iac.webapp.standalone import create_app

SERIALS = 8  # 8 * 7 ordered pairs of distinct serials: enough for 56 distinct requests


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def build_history(directory: Path, size: int) -> None:
    backend = LocalFileBackend.for_environment("dev", directory)
    state = generate_state(size, seed=1)
    state.environment = "dev"
    backend.save(state)
    for round_number in range(1, SERIALS):
        state = mutate(backend.load(), fraction_modified=0.02, fraction_removed=0.0, fraction_added=0.0,
                       seed=round_number)
        state.environment = "dev"
        backend.save(state)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    size = int(args[0]) if args else 5000
    requests = int(args[1]) if len(args) > 1 else 32
    print_header("bench_webapp_compare")
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        started = time.perf_counter()
        build_history(directory, size)
        print(f"history of {SERIALS} serials x {size} resources written in {time.perf_counter() - started:.1f} s")
        client = create_app(local_context(directory)).test_client()
        pairs = list(itertools.permutations(range(1, SERIALS + 1), 2))[:requests]
        statuses: List[int] = []
        barrier = threading.Barrier(len(pairs))

        def ask(pair: tuple) -> None:
            barrier.wait()
            response = client.get(f"/api/compare?env=dev&from={pair[0]}&to={pair[1]}")
            statuses.append(response.status_code)

        before = peak_rss_mb()
        started = time.perf_counter()
        threads = [threading.Thread(target=ask, args=(pair,)) for pair in pairs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        print(f"{len(pairs)} concurrent compares of distinct serial pairs: {dict(sorted(Counter(statuses).items()))} "
              f"in {elapsed:.1f} s; peak RSS {before:.0f} MB -> {peak_rss_mb():.0f} MB "
              f"(+{peak_rss_mb() - before:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
