"""Benchmark: apply a config that creates a project of 200 datasets, 200 recipes and 20 scenarios onto an
empty DSS (the emulator in its own process, 20 ms per request), at ``--parallelism 8`` and at 1.

Run ``.venv/bin/python benchmarks/bench_apply.py [DATASETS RECIPES SCENARIOS] [--latency S]
[--parallelism N ...]``. Each run applies into a project of its own (so every run creates everything) with a
local state file, through the library the ``apply`` command runs (plan again, check, execute). Prints, per
parallelism: the wall time of the whole apply and of its writes alone, the requests of the writes and their
average per created object (target: at most 3: create, configure, read back), and the speed-up over
parallelism 1 (target: at least 5x at 8). A script, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional, Sequence

_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

import yaml  # noqa: E402

from benchmarks.arguments import parse_project_args, project_parser  # noqa: E402
from benchmarks.bench_sync import EmulatorProcess  # noqa: E402
from benchmarks.machine import print_header  # noqa: E402
from dataiku_iac.apply.executor import ApplyOptions, execute, prepare  # noqa: E402
from dataiku_iac.backends.local import LocalFileBackend  # noqa: E402
from dataiku_iac.config import read_config  # noqa: E402
from dataiku_iac.dss.client import make_client  # noqa: E402


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = project_parser(__doc__.splitlines()[0], [200, 200, 20], "recipes <= datasets")
    parser.add_argument("--parallelism", type=int, nargs="+", default=[8, 1], help="values to run (default 8 1)")
    return parse_project_args(parser, argv, recipes_at_most_datasets=True)


def write_config(root: Path, url: str, key: str, datasets: int, recipes: int, scenarios: int) -> None:
    """A config of one project: recipe ``i`` writes dataset ``i``; past the first half it reads dataset
    ``i - half`` (a flow two levels deep), before it reads nothing (or a dataset no recipe writes, when there
    are more datasets than recipes); scenarios have no steps."""
    project = root / "projects" / key
    project.mkdir(parents=True, exist_ok=True)
    (root / "dataiku-iac.yml").write_text(yaml.safe_dump(
        {"version": 1, "environments": {"bench": {"url": url, "api_key_env": "DKU_API_KEY"}}}), "utf-8")
    (project / "project.yml").write_text(yaml.safe_dump({"project": {"name": f"Apply benchmark {key}"}}), "utf-8")
    body = {f"ds_{i}": {"type": "Filesystem", "managed": False, "formatType": "csv",
                        "params": {"connection": "filesystem_root", "path": f"/data/ds_{i}"}} for i in range(datasets)}
    half = max(1, recipes // 2)
    flows: Dict[str, dict] = {}
    for i in range(recipes):
        recipe: dict = {"type": "python", "outputs": [f"ds_{i}"], "payload": f"# recipe {i}\n"}
        if i >= half:
            recipe["inputs"] = [f"ds_{i - half}"]
        elif recipes + i < datasets:
            recipe["inputs"] = [f"ds_{recipes + i}"]  # a dataset no recipe writes (when there are more)
        flows[f"compute_ds_{i}"] = recipe
    scenario_body = {f"Scenario {i}": {"type": "step_based", "active": False, "params": {"steps": []}}
                     for i in range(scenarios)}
    for name, content in (("datasets", body), ("recipes", flows), ("scenarios", scenario_body)):
        (project / f"{name}.yml").write_text(yaml.safe_dump({name: content}, sort_keys=False), "utf-8")


def run_once(emulator: EmulatorProcess, parallelism: int, sizes: Sequence[int], workdir: Path) -> Dict[str, float]:
    key = f"BENCH_P{parallelism}"
    root = workdir / key
    write_config(root / "config", emulator.url, key, *sizes)
    config = read_config(root / "config")
    client = make_client(emulator.url, emulator.api_key, pool_size=max(parallelism, 8))
    backend = LocalFileBackend(root / "state.json")
    options = ApplyOptions(parallelism=parallelism)
    started = time.perf_counter()
    with backend.lock("apply"):
        prepared = prepare(config, "bench", client, backend, os.environ, dss_url=emulator.url, options=options)
        emulator.clear_request_counts()
        writes_started = time.perf_counter()
        result = execute(prepared, client, backend, options)
        finished = time.perf_counter()
    if not result.ok:
        raise SystemExit(f"apply failed: {result.summary_line()}")
    requests = sum(emulator.request_counts().values())
    created = len(result.outcomes)
    return {"objects": created, "total": finished - started, "writes": finished - writes_started,
            "requests": requests, "per_object": requests / created}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    print_header("bench_apply")
    datasets, recipes, scenarios = args.sizes
    print(f"apply of 1 project + {datasets} datasets + {recipes} recipes + {scenarios} scenarios onto an empty "
          f"DSS, emulator in its own process at {args.latency * 1000:.0f} ms per request")
    results: Dict[int, Dict[str, float]] = {}
    with EmulatorProcess() as emulator, tempfile.TemporaryDirectory() as tmp:
        emulator.set_latency(args.latency)
        for parallelism in args.parallelism:
            results[parallelism] = figures = run_once(emulator, parallelism, args.sizes, Path(tmp))
            print(f"parallelism {parallelism:>2}: {figures['objects']:.0f} objects in {figures['total']:.1f} s "
                  f"(writes {figures['writes']:.1f} s), {figures['requests']:.0f} requests, "
                  f"{figures['per_object']:.2f} per object")
    if 1 in results:
        for parallelism, figures in results.items():
            if parallelism != 1:
                print(f"speed-up at {parallelism} over 1: {results[1]['total'] / figures['total']:.1f}x "
                      f"(writes alone {results[1]['writes'] / figures['writes']:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
