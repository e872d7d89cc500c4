"""Benchmark: plan a config of a large project against the emulator, next to a plain sync of that project.

Run ``.venv/bin/python benchmarks/bench_plan.py [DATASETS RECIPES SCENARIOS] [--latency S] [--workers N]``
(default 1001 datasets, 1000 recipes, 100 scenarios, 20 ms per request, 8 workers). The config is what
``generate`` writes for the project and the state records every object as managed (as ``generate`` does), so
the plan reads DSS once and finds nothing to do: its requests should be those of a sync, plus nothing (plan
writes nothing). Prints the wall time and requests of the sync and of the plan, and the plan's own CPU time
(load + validate of the config, desired state, comparison) apart. A script, not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from benchmarks.arguments import parse_project_args, project_parser  # noqa: E402
from benchmarks.bench_sync import EmulatorProcess  # noqa: E402
from benchmarks.machine import print_header  # noqa: E402
from dataiku_iac.config import identities_from_state, read_config  # noqa: E402
from dataiku_iac.config.desired import DesiredStateBuilder  # noqa: E402
from dataiku_iac.config.generate import environments_file, generate_config  # noqa: E402
from dataiku_iac.dss.client import make_client  # noqa: E402
from dataiku_iac.models.state import ManagedEntry, State  # noqa: E402
from dataiku_iac.planner import plan_environment, read_live  # noqa: E402
from dss_emulator import DSSEmulator  # noqa: E402

PROJECT_KEY = "BENCH"


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = project_parser(__doc__.splitlines()[0], [1001, 1000, 100])
    parser.add_argument("--workers", type=int, default=8, help="concurrent requests")
    parser.add_argument("--in-process", action="store_true", help="serve the emulator from a thread of this process")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (the median is printed; default 3)")
    return parse_project_args(parser, argv)


def write_config(live: State, root: Path, url: str) -> None:
    generated = generate_config(State(resources={rid: r for rid, r in live.resources.items()
                                                 if r.resource_type != "saved_model"}))
    files = {**generated.files, "dataiku-iac.yml": environments_file({"bench": (url, "DKU_API_KEY")})}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def adopted_state(config, live: State) -> State:
    """The state generate records: every generated object managed, with its live attributes."""
    desired = DesiredStateBuilder(config, config.environment("bench"), None, identities_from_state(live)).build()
    managed = {rid: ManagedEntry(res.config.key, "adopted", tuple(sorted(res.dependencies)))
               for rid, res in desired.resources.items() if rid in live.resources}
    return State(serial=1, lineage="bench", environment="bench", resources=dict(live.resources), managed=managed)


def measure(dss, run):
    """(seconds, requests, result) of one run."""
    dss.clear_request_counts()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, sum(dss.request_counts().values()), result


def median(runs):
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Sync, then plan, and print both."""
    args = parse_args(argv)
    print_header("bench_plan")
    datasets, recipes, scenarios = args.sizes
    with (DSSEmulator() if args.in_process else EmulatorProcess()) as dss:
        dss.add_synthetic_project(PROJECT_KEY, datasets=datasets, recipes=recipes, scenarios=scenarios)
        client = make_client(dss.url, dss.api_key, pool_size=args.workers)
        live = read_live(client, [PROJECT_KEY], workers=args.workers)
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            write_config(live, root, dss.url)
            config = read_config(root)
            stored = adopted_state(config, live)
            dss.set_latency(args.latency)
            print(f"Project {PROJECT_KEY}: {datasets} datasets, {recipes} recipes, {scenarios} scenarios; "
                  f"{len(stored.managed)} managed objects; {args.latency * 1000:.0f} ms latency per request, "
                  f"{args.workers} workers")
            syncs, plans = [], []
            for _ in range(args.runs):  # alternated, so that a busy moment of the machine hits both
                syncs.append(measure(dss, lambda: read_live(client, [PROJECT_KEY], workers=args.workers)))
                plans.append(measure(dss, lambda: plan_environment(read_config(root), "bench", client, stored, {},
                                                                   workers=args.workers)))
            sync_seconds, sync_requests, _ = median(syncs)
            plan_seconds, plan_requests, result = median(plans)
            print(f"{'sync':<10} {sync_seconds:8.2f} s  {sync_requests:6d} requests  (median of {args.runs})")
            print(f"{'plan':<10} {plan_seconds:8.2f} s  {plan_requests:6d} requests  (load + validate of the config "
                  f"included; {len(result.plan.operations)} operations, {result.plan.unchanged} unchanged)")
            print(f"plan - sync: {plan_seconds - sync_seconds:+.2f} s, {plan_requests - sync_requests:+d} requests")
            start = time.process_time()
            config = read_config(root)
            loaded = time.process_time() - start
            start = time.process_time()
            plan_environment(config, "bench", client, stored, {}, workers=args.workers)
            print(f"CPU: config load + validate {loaded:.2f} s; plan (its sync's client side included) "
                  f"{time.process_time() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
