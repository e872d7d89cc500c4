"""Benchmark: drift of a large project, incremental (reuse the state's objects whose DSS version did not move)
against a full read.

Run ``.venv/bin/python benchmarks/bench_incremental.py [DATASETS RECIPES SCENARIOS] [--latency S] [--edited F]``
(default 1001 datasets, 1000 recipes, 100 scenarios, 20 ms per request, 1% of the objects edited; the
synthetic generator needs fewer recipes than datasets). The emulator runs in its own process
(:class:`benchmarks.bench_sync.EmulatorProcess`). A baseline is recorded by a refresh (without latency), then a
drift check runs in each mode: on the unchanged project, and once ``F`` of the datasets, recipes and scenarios
were edited through the public API. For each it prints the wall time, the requests DSS received, and the objects
reused. A script, not a test: timings on shared machines are too noisy to assert on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from benchmarks.arguments import parse_project_args, project_parser  # noqa: E402
from benchmarks.bench_sync import EmulatorProcess  # noqa: E402
from benchmarks.machine import print_header  # noqa: E402
from dataiku_iac.backends.local import LocalFileBackend  # noqa: E402
from dataiku_iac.manager import StateManager  # noqa: E402

PROJECT_KEY = "BENCH_INC"
#: A fixed redaction key: the benchmark must not depend on (or create) the user's key file.
REDACTION_KEY = "0" * 64


def drift_once(dss: EmulatorProcess, manager: StateManager, full: bool) -> Tuple[float, int, Any]:
    """(seconds, requests, result) of one drift check."""
    dss.clear_request_counts()
    start = time.perf_counter()
    result = manager.detect_drift(full=full)
    seconds = time.perf_counter() - start
    return seconds, sum(dss.request_counts().values()), result


def edit_fraction(client: Any, fraction: float) -> int:
    """Edit ``fraction`` of the datasets, recipes and scenarios (at least one of each); returns how many."""
    project = client.get_project(PROJECT_KEY)
    edited = 0
    datasets = sorted(item["name"] for item in project.list_datasets())
    for name in datasets[:max(1, round(len(datasets) * fraction))]:
        settings = project.get_dataset(name).get_settings()
        settings.get_raw()["description"] = "edited by bench_incremental"
        settings.save()
        edited += 1
    recipes = sorted(item["name"] for item in project.list_recipes(as_type="listitems"))
    for name in recipes[:max(1, round(len(recipes) * fraction))]:
        settings = project.get_recipe(name).get_settings()
        settings.set_payload((settings.get_payload() or "") + "\n# edited\n")
        settings.save()
        edited += 1
    scenarios = sorted(item["id"] for item in project.list_scenarios(as_type="listitems"))
    for scenario_id in scenarios[:max(1, round(len(scenarios) * fraction))]:
        settings = project.get_scenario(scenario_id).get_settings()
        settings.get_raw()["active"] = not settings.get_raw().get("active")
        settings.save()
        edited += 1
    return edited


def report(label: str, seconds: float, requests: int, result: Any) -> None:
    changes = len(result.changes())
    print(f"{label:<34} {seconds:7.2f} s  {requests:6d} requests  {changes:5d} changes  "
          f"mode: {result.sync_mode.describe()}", flush=True)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = project_parser(__doc__.splitlines()[0], [1001, 1000, 100])
    parser.add_argument("--edited", type=float, default=0.01, help="fraction of objects edited (default 0.01)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent requests")
    return parse_project_args(parser, argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    print_header("bench_incremental")
    datasets, recipes, scenarios = args.sizes
    print(f"project: {datasets} datasets, {recipes} recipes, {scenarios} scenarios; latency "
          f"{args.latency * 1000:g} ms per request; {args.workers} workers", flush=True)
    with EmulatorProcess() as dss, tempfile.TemporaryDirectory() as workdir:
        dss.add_synthetic_project(PROJECT_KEY, datasets=datasets, recipes=recipes, scenarios=scenarios)
        client = dss.client()
        backend = LocalFileBackend(Path(workdir) / "bench.state.json")
        manager = StateManager(backend, client, "bench", workers=args.workers, redaction_key=REDACTION_KEY)
        manager.refresh([PROJECT_KEY])  # the baseline (and its sync stamp), without latency
        rows: List[Tuple[str, bool]] = [("unchanged, full", True), ("unchanged, incremental", False)]
        dss.set_latency(args.latency)
        for label, full in rows:
            report(label, *drift_once(dss, manager, full))
        dss.set_latency(0.0)
        edited = edit_fraction(client, args.edited)
        dss.set_latency(args.latency)
        for label, full in rows:
            report(label.replace("unchanged", f"{edited} edited"), *drift_once(dss, manager, full))
        dss.set_latency(0.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
