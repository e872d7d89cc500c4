"""Benchmark: a full sync of a large project, the fast engine against the seed's sequential algorithm.

Run ``.venv/bin/python benchmarks/bench_sync.py [DATASETS RECIPES SCENARIOS] [--latency S] [--workers N]``
(default 1001 datasets, 1000 recipes, 100 scenarios, 20 ms per request, 8 workers; the synthetic generator
needs fewer recipes than datasets since each recipe writes its own dataset). Both algorithms run in the same
process against the same emulator; for each it prints the wall time and the requests DSS received.

The seed's algorithm (spec §6-9) lists each type, then calls ``get_settings()`` on every object, one after the
other. It is applied here to every type the engine syncs (the seed only had projects, datasets and recipes),
so both read the same objects. A script, not a test: timings on shared machines are too noisy to assert on.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

# Runnable as a plain script from any directory: make the repository and python-lib importable.
_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

import requests  # noqa: E402

from benchmarks.arguments import parse_project_args, project_parser  # noqa: E402
from benchmarks.machine import print_header  # noqa: E402
from dataiku_iac.dss.client import make_client  # noqa: E402
from dataiku_iac.sync.engine import SyncEngine  # noqa: E402
from dss_emulator import DSSEmulator  # noqa: E402

PROJECT_KEY = "BENCH"


class EmulatorProcess:
    """The emulator in its own process (as DSS is its own server), steered through its HTTP control plane.

    It offers the few :class:`DSSEmulator` methods the benchmark uses.
    """

    def __init__(self) -> None:
        self.api_key = secrets.token_urlsafe(16)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "dss_emulator", "--port", "0", f"--api-key={self.api_key}"],
            stdout=subprocess.PIPE, text=True, cwd=str(_ROOT))
        line = self._process.stdout.readline() if self._process.stdout else ""
        if "listening on" not in line:
            self._process.kill()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.url = line.split()[-1]
        self._control = f"{self.url}/__emulator__"

    def client(self) -> Any:
        """A plain dataikuapi client."""
        import dataikuapi

        return dataikuapi.DSSClient(self.url, self.api_key)

    def add_synthetic_project(self, key: str, **sizes: int) -> None:
        """``POST /__emulator__/synthetic``."""
        requests.post(f"{self._control}/synthetic", json={"key": key, **sizes}, timeout=600).raise_for_status()

    def set_latency(self, seconds: float) -> None:
        """``PUT /__emulator__/latency``."""
        requests.put(f"{self._control}/latency", json={"seconds": seconds}, timeout=60).raise_for_status()

    def clear_request_counts(self) -> None:
        """``DELETE /__emulator__/requests``."""
        requests.delete(f"{self._control}/requests", timeout=60).raise_for_status()

    def request_counts(self) -> Dict[str, int]:
        """``GET /__emulator__/requests``."""
        answer = requests.get(f"{self._control}/requests", timeout=60)
        answer.raise_for_status()
        data = answer.json()
        return data.get("counts", data) if isinstance(data, dict) else {}

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=10)


def seed_algorithm(client: Any, project_key: str) -> int:
    """The seed's sync: list, then ``get_settings()`` on each object, sequentially. Returns objects read."""
    project = client.get_project(project_key)
    project.get_settings()
    count = 1
    for item in project.list_datasets():
        project.get_dataset(item["name"]).get_settings()
        count += 1
    for item in project.list_recipes():
        # The seed also calls recipe.get_payload(), which dataikuapi 15.2.0 lacks (the seed's bare except
        # swallows the AttributeError): the payload comes with the settings.
        project.get_recipe(item["name"]).get_settings()
        count += 1
    for item in project.list_scenarios():
        project.get_scenario(item["id"]).get_settings()  # the item's "id", not DSSScenarioListItem.id (a name)
        count += 1
    for item in project.list_managed_folders():
        project.get_managed_folder(item["id"]).get_settings()
        count += 1
    for item in project.list_saved_models():
        project.get_saved_model(item["id"]).get_settings()
        count += 1
    return count


def measure(dss: Any, run: Callable[[], int]) -> Tuple[float, int, int, Dict[str, int]]:
    """(seconds, objects, requests, requests by route) of one run."""
    dss.clear_request_counts()
    start = time.perf_counter()
    objects = run()
    seconds = time.perf_counter() - start
    counts = dss.request_counts()
    return seconds, objects, sum(counts.values()), counts


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = project_parser(__doc__.splitlines()[0], [1001, 1000, 100])
    parser.add_argument("--workers", type=int, default=8, help="concurrent requests of the engine")
    parser.add_argument("--skip-seed", action="store_true", help="only run the engine")
    parser.add_argument("--in-process", action="store_true",
                        help="serve the emulator from a thread of this process (client and server then share one "
                             "GIL, which slows the concurrent engine most) instead of a separate process")
    return parse_project_args(parser, argv)


def _report(label: str, seconds: float, objects: int, requests: int) -> None:
    print(f"{label:<28} {seconds:8.2f} s  {requests:6d} requests  {objects:6d} objects")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run both algorithms and print their figures."""
    args = parse_args(argv)
    print_header("bench_sync")
    datasets, recipes, scenarios = args.sizes
    with (DSSEmulator() if args.in_process else EmulatorProcess()) as dss:
        dss.add_synthetic_project(PROJECT_KEY, datasets=datasets, recipes=recipes, scenarios=scenarios)
        python_scenarios = sum(1 for s in dss.client().get_project(PROJECT_KEY).list_scenarios()
                               if s["type"] != "step_based")
        dss.set_latency(args.latency)
        where = "in this process" if args.in_process else "in its own process"
        print(f"Project {PROJECT_KEY}: {datasets} datasets, {recipes} recipes, {scenarios} scenarios "
              f"({python_scenarios} python); emulator {where}, {args.latency * 1000:.0f} ms latency per request")
        engine = SyncEngine(make_client(dss.url, dss.api_key, pool_size=args.workers), workers=args.workers)
        fast = measure(dss, lambda: len(engine.sync([PROJECT_KEY]).resources))
        _report(f"engine ({args.workers} workers)", *fast[:3])
        minimum = recipes + scenarios + python_scenarios
        print(f"{'':<28} minimum the API allows: about {minimum} + a constant "
              f"(one GET per recipe and scenario, one more per python scenario)")
        lines: List[str] = [f"  {n:6d} {route}" for route, n in sorted(fast[3].items(), key=lambda kv: -kv[1])]
        print("\n".join(lines))
        if not args.skip_seed:
            client = make_client(dss.url, dss.api_key)
            seed = measure(dss, lambda: seed_algorithm(client, PROJECT_KEY))
            _report("seed algorithm (sequential)", *seed[:3])
            print(f"speed-up: {seed[0] / fast[0]:.1f}x wall time, {seed[2] / fast[2]:.2f}x fewer requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
