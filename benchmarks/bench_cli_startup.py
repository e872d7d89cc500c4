"""Benchmark: how long the ``dataiku-iac`` command takes to start.

Run ``.venv/bin/python benchmarks/bench_cli_startup.py [--runs N] [--datasets N] [--latency S]``. Prints, for
the installed console script (``dataiku-iac`` beside this Python):

- the wall time of ``dataiku-iac --version`` and ``dataiku-iac --help`` (best and median of N runs);
- for ``dataiku-iac sync`` of a synthetic project (200 datasets and 200 recipes by default) served by the DSS
  emulator at 20 ms per request: the time from the process start to the emulator receiving its first
  request (the connection check), to the first request of the sync itself, and to the process exit.

The emulator runs in this process and notes the arrival time of each API request; the command runs as a
child process, so it pays the whole interpreter and import cost, as a user's shell does. Targets (issue 10):
``--version`` and ``--help`` under 0.15 s, a sync's first request under 0.3 s. A script, not a test: timings
on shared machines are too noisy to assert on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

# Runnable as a plain script from any directory: make the repository and python-lib importable.
_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from benchmarks.machine import print_header  # noqa: E402
from dss_emulator import DSSEmulator  # noqa: E402

PROJECT_KEY = "STARTUP"
# The connection check every DSS command makes before its real work (cli.common.check_connection).
_CHECK_ROUTE = "/auth/info"


def command() -> List[str]:
    """The console script beside this interpreter, else the same entry point through ``-c``."""
    script = Path(sys.executable).with_name("dataiku-iac")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from dataiku_iac.cli.main import entry_point; entry_point()"]


class RequestClock:
    """Notes when the emulator receives each API request (``time.monotonic``, shared by every process)."""

    def __init__(self, emulator: DSSEmulator) -> None:
        self._lock = threading.Lock()
        self.arrivals: List[tuple] = []
        record = emulator.control.record

        def timed_record(method: str, route: str, path: str) -> None:
            with self._lock:
                self.arrivals.append((time.monotonic(), method, route))
            record(method, route, path)

        emulator.control.record = timed_record  # type: ignore[method-assign]

    def clear(self) -> None:
        with self._lock:
            self.arrivals.clear()

    def first(self, *, after_check: bool = False) -> Optional[float]:
        """Arrival of the first request (or of the first one that is not the connection check)."""
        with self._lock:
            for at, _method, route in self.arrivals:
                if not after_check or not route.endswith(_CHECK_ROUTE):
                    return at
        return None


def time_command(arguments: Sequence[str], runs: int, env: Optional[Dict[str, str]] = None) -> List[float]:
    """Wall times of ``runs`` runs of the command (stdout discarded); each must exit 0."""
    times = []
    for _ in range(runs):
        start = time.monotonic()
        result = subprocess.run([*command(), *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, env=env)
        times.append(time.monotonic() - start)
        if result.returncode != 0:
            raise RuntimeError(f"dataiku-iac {' '.join(arguments)} failed: {result.stderr.strip()}")
    return times


def time_python(runs: int) -> List[float]:
    """Wall times of ``python -c pass``: the floor under every figure above."""
    times = []
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.monotonic() - start)
    return times


def time_sync(emulator: DSSEmulator, clock: RequestClock, runs: int) -> Dict[str, List[float]]:
    """Per run of ``dataiku-iac sync PROJECT``: seconds to the first request, to the sync's first, to exit."""
    env = {**os.environ, "DKU_DSS_URL": emulator.url, "DKU_API_KEY": emulator.api_key}
    env.pop("NO_COLOR", None)
    figures: Dict[str, List[float]] = {"first request": [], "first sync request": [], "exit": []}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            state = str(Path(tmp) / f"run{run}.state.json")  # a fresh state each time: a full sync
            clock.clear()
            start = time.monotonic()
            result = subprocess.run([*command(), "sync", PROJECT_KEY, "--state", state],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            end = time.monotonic()
            if result.returncode != 0:
                raise RuntimeError(f"dataiku-iac sync failed: {result.stderr.strip()}")
            first, first_sync = clock.first(), clock.first(after_check=True)
            if first is None or first_sync is None:
                raise RuntimeError("the emulator saw no request from the sync")
            figures["first request"].append(first - start)
            figures["first sync request"].append(first_sync - start)
            figures["exit"].append(end - start)
    return figures


def _line(label: str, times: List[float], target: Optional[float] = None) -> str:
    goal = f"   (target < {target:g} s)" if target is not None else ""
    return (f"  {label:<44} best {min(times):6.3f} s   median {statistics.median(times):6.3f} s"
            f"   of {len(times)}{goal}")


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of --version and --help (default 10)")
    parser.add_argument("--sync-runs", type=int, default=5, help="runs of the sync (default 5)")
    parser.add_argument("--datasets", type=int, default=200, help="datasets (and recipes) of the project")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every DSS request")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    print_header("bench_cli_startup")
    print(f"command: {' '.join(command())}")
    print(_line("dataiku-iac --version", time_command(["--version"], args.runs), 0.15))
    print(_line("dataiku-iac --help", time_command(["--help"], args.runs), 0.15))
    print(_line("python -c pass (the interpreter alone)", time_python(args.runs)))
    with DSSEmulator() as emulator:
        # Each recipe writes a dataset of its own, so the generator needs one dataset more than recipes.
        emulator.add_synthetic_project(PROJECT_KEY, datasets=args.datasets + 1, recipes=args.datasets,
                                       scenarios=max(1, args.datasets // 20))
        emulator.set_latency(args.latency)
        clock = RequestClock(emulator)
        figures = time_sync(emulator, clock, args.sync_runs)
    print(f"dataiku-iac sync {PROJECT_KEY}: {args.datasets + 1} datasets, {args.datasets} recipes, "
          f"{args.latency * 1000:g} ms per request, a fresh state per run")
    print(_line("process start -> first request (/auth/info)", figures["first request"], 0.3))
    print(_line("process start -> first request of the sync", figures["first sync request"]))
    print(_line("process start -> exit (whole sync)", figures["exit"]))
    share = statistics.median(figures["first sync request"]) / statistics.median(figures["exit"])
    print(f"  share of the sync spent before its first sync request: {share:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
