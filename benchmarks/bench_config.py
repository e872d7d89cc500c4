"""Benchmark: load + validate a config of 1,000 datasets + 1,000 recipes + 100 scenarios (target: under 1 s).

Run ``.venv/bin/python benchmarks/bench_config.py [DATASETS RECIPES SCENARIOS]``. Generates the config in a
temporary directory (one project, split into datasets.yml, recipes.yml and scenarios.yml, recipe code in side
files, a chain of recipes so the flow graph is real), then times ``validate_config`` (YAML, schema, references,
flow cycles, variables for every environment, desired state) and ``build_desired_state`` for one environment.
Prints best and median of 3. A script, not a test: timings on shared CI machines are too noisy to assert on.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List, Tuple

_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from benchmarks.machine import print_header  # noqa: E402
from dataiku_iac.config import build_desired_state, read_config, validate_config  # noqa: E402

REPEATS = 3
KEY = "BENCH"
ENVIRONMENTS = """\
version: 1
variables: {root: /data}
environments:
  dev: {url: "http://dev:11200", api_key_env: DKU_API_KEY_DEV}
  prod: {url: "https://prod", api_key_env: DKU_API_KEY_PROD, variables: {root: /prod}, connections: {fs: fs_prod}}
"""


def _dataset(index: int) -> str:
    columns = "\n".join(f"        - {{name: col_{c}, type: {'bigint' if c % 3 else 'string'}}}" for c in range(12))
    return f"""\
  ds_{index:05d}:
    type: Filesystem
    managed: {str(index % 2 == 0).lower()}
    tags: [bench, group_{index % 10}]
    description: Dataset number {index} of the benchmark
    params:
      connection: fs
      path: "${{var:root}}/${{projectKey}}/ds_{index:05d}"
    formatType: csv
    formatParams: {{style: excel, charset: utf8, separator: ",", parseHeaderRow: true}}
    schema:
      userModified: true
      columns:
{columns}
"""


def _recipe(index: int, datasets: int) -> str:
    source = f"ds_{index % datasets:05d}"
    target = f"ds_{(index + 1) % datasets:05d}" if index + 1 < datasets else f"ds_{index % datasets:05d}_out"
    return f"""\
  r_{index:05d}:
    type: python
    tags: [bench]
    inputs: [{source}]
    outputs: [{target}]
    payload_file: recipes/r_{index:05d}.py
"""


def _scenario(index: int, datasets: int) -> str:
    return f"""\
  Scenario {index}:
    type: step_based
    active: {str(index % 2 == 0).lower()}
    triggers:
      - {{id: t{index}, type: temporal, active: true, params: {{frequency: Daily, hour: 2, minute: {index % 60}}}}}
    params:
      steps:
        - id: build_{index}
          type: build_flowitem
          params: {{builds: [{{type: DATASET, itemId: ds_{(index * 7) % datasets:05d}}}], jobType: RECURSIVE_BUILD}}
"""


def generate(root: Path, datasets: int, recipes: int, scenarios: int) -> Path:
    """Write the benchmark config under ``root``; returns the config directory."""
    project = root / "projects" / KEY
    (project / "recipes").mkdir(parents=True)
    (root / "dataiku-iac.yml").write_text(ENVIRONMENTS, "utf-8")
    (project / "project.yml").write_text("project:\n  name: Benchmark\n  tags: [bench]\n", "utf-8")
    extra_outputs = [i for i in range(recipes) if i + 1 >= datasets]
    body = "".join(_dataset(i) for i in range(datasets))
    body += "".join(_dataset(i % datasets).replace(f"ds_{i % datasets:05d}:", f"ds_{i % datasets:05d}_out:", 1)
                    for i in extra_outputs)
    (project / "datasets.yml").write_text("datasets:\n" + body, "utf-8")
    (project / "recipes.yml").write_text("recipes:\n" + "".join(_recipe(i, datasets) for i in range(recipes)),
                                         "utf-8")
    for i in range(recipes):
        code = f"import dataiku\n# recipe {i}\n" + "x = 1\n" * 40
        (project / "recipes" / f"r_{i:05d}.py").write_text(code, "utf-8")
    (project / "scenarios.yml").write_text(
        "scenarios:\n" + "".join(_scenario(i, datasets) for i in range(scenarios)), "utf-8")
    return root


def timed(function: Callable[[], Any]) -> Tuple[Any, List[float], List[float]]:
    """Run ``function`` REPEATS times: its last result, the wall times and the CPU times (seconds).

    The CPU time is what the work costs on an idle machine; the wall time also holds the waits of a busy one.
    """
    walls, cpus, result = [], [], None
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return result, walls, cpus


def _figures(walls: List[float], cpus: List[float]) -> str:
    return (f"wall best {min(walls):.3f} s, median {statistics.median(walls):.3f} s; "
            f"CPU best {min(cpus):.3f} s")


def main(argv: List[str]) -> int:
    datasets, recipes, scenarios = (int(value) for value in (argv or ["1000", "1000", "100"])[:3])
    with tempfile.TemporaryDirectory(prefix="dataiku-iac-bench-") as tmp:
        print_header("bench_config")
        root = generate(Path(tmp), datasets, recipes, scenarios)
        size = sum(path.stat().st_size for path in root.rglob("*.yml"))
        print(f"config: {datasets} datasets, {recipes} recipes, {scenarios} scenarios "
              f"({size / 1e6:.1f} MB of YAML, {recipes} side files)")
        result, walls, cpus = timed(lambda: validate_config(root))
        print(f"validate_config (load, schema, references, flow, 2 environments): {_figures(walls, cpus)}; "
              f"{len(result.errors)} errors, {len(result.warnings)} warnings")
        if result.errors:
            for problem in result.errors[:5]:
                print(f"  {problem}")
            return 1
        desired, walls, cpus = timed(lambda: build_desired_state(read_config(root), "prod"))
        print(f"read_config + build_desired_state (prod): {_figures(walls, cpus)}; "
              f"{len(desired.resources)} resources in order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
