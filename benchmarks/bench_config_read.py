"""Benchmark: read a config kept in DSS (a managed folder, the project library), as the plan macro does.

Run ``.venv/bin/python benchmarks/bench_config_read.py [DATASETS RECIPES SCENARIOS] [--latency S]`` (default 101
datasets, 100 recipes, 10 scenarios, 20 ms per request). The config is what ``generate`` writes for a synthetic
project of that size (a YAML file per type plus a side file per code recipe); it is uploaded into a managed
folder and into the project library of an emulator in its own process, then downloaded with 1 and with 8
concurrent reads (``plugin.config_source.READ_WORKERS``), and read (``read_config``). Prints files, bytes,
requests and wall time (the median of 3). A script, not a test.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

_ROOT = Path(__file__).resolve().parent.parent
for _entry in (str(_ROOT / "python-lib"), str(_ROOT)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from benchmarks.arguments import parse_project_args, project_parser  # noqa: E402
from benchmarks.bench_sync import EmulatorProcess  # noqa: E402
from benchmarks.machine import print_header  # noqa: E402
from dataiku_iac.config import read_config  # noqa: E402
from dataiku_iac.config.generate import environments_file, generate_config  # noqa: E402
from dataiku_iac.models.state import State  # noqa: E402
from dataiku_iac.planner import read_live  # noqa: E402
from dataiku_iac.plugin.config_folder import FolderSource  # noqa: E402
from dataiku_iac.plugin.config_library import LibrarySource  # noqa: E402
from dataiku_iac.plugin.config_source import download  # noqa: E402

KEY = "BENCH"
RUNS = 3


def config_files(client: Any, url: str) -> Dict[str, bytes]:
    """The config ``generate`` writes for the project (saved models left out, as generate does)."""
    live = read_live(client, [KEY])
    generated = generate_config(State(resources={rid: r for rid, r in live.resources.items()
                                                 if r.resource_type != "saved_model"}))
    files = {**generated.files, "dataiku-iac.yml": environments_file({"bench": (url, "DKU_API_KEY")})}
    return {relative: text.encode("utf-8") for relative, text in files.items()}


def upload(client: Any, files: Dict[str, bytes]) -> Tuple[Any, Any]:
    project = client.get_project(KEY)
    folder = project.create_managed_folder("iac_config")
    library = project.get_library()
    for relative, data in sorted(files.items()):
        folder.put_file(f"/config/{relative}", data)
        library.add_file(f"iac/{relative}").write(data)
    return FolderSource(folder), LibrarySource(project)


def timed(emulator: EmulatorProcess, run: Callable[[], None]) -> Tuple[float, int]:
    """(median seconds, requests of one run)."""
    seconds: List[float] = []
    requests = 0
    for _ in range(RUNS):
        emulator.clear_request_counts()
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
        requests = sum(emulator.request_counts().values())
    return statistics.median(seconds), requests


def download_once(source: Any, path: str, workers: int) -> Callable[[], None]:
    def run() -> None:
        with tempfile.TemporaryDirectory() as temp:
            target = Path(temp) / "config"
            target.mkdir()
            download(source, path, target, workers=workers)
            read_config(target)
    return run


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_project_args(project_parser(__doc__.splitlines()[0], [101, 100, 10]), argv)
    print_header("bench_config_read")
    datasets, recipes, scenarios = args.sizes
    with EmulatorProcess() as emulator:
        emulator.add_synthetic_project(KEY, datasets=datasets, recipes=recipes, scenarios=scenarios)
        client = emulator.client()
        files = config_files(client, emulator.url)
        size = sum(len(data) for data in files.values())
        folder, library = upload(client, files)
        emulator.set_latency(args.latency)
        print(f"config of {datasets} datasets, {recipes} recipes, {scenarios} scenarios: {len(files)} files, "
              f"{size / 1024:.0f} KiB; emulator in its own process at {args.latency * 1000:g} ms per request; "
              f"download + read_config, median of {RUNS}", flush=True)
        for name, source, path in (("managed folder", folder, "/config"), ("project library", library, "/iac")):
            for workers in (1, 8):
                seconds, requests = timed(emulator, download_once(source, path, workers))
                print(f"{name:16} {workers} concurrent reads: {seconds:5.2f} s, {requests} requests", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
