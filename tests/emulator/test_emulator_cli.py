"""``python -m dss_emulator``: prints its URL and key, serves, stops on Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import dataikuapi

from dss_emulator import SAMPLE_PROJECT_KEY

from .conftest import REPO_ROOT


def test_cli_serves_seeds_and_synthetic_projects_until_interrupted(tmp_path: Path) -> None:
    from dss_emulator.samples import SAMPLES_DIR

    process = subprocess.Popen(
        [sys.executable, "-m", "dss_emulator", "--port", "0", "--seed", str(SAMPLES_DIR), "--synthetic", "10",
         "--api-key", "cli-key"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"DSS emulator listening on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        assert process.stdout.readline() == "API key: cli-key\n"
        client = dataikuapi.DSSClient(match.group(1), "cli-key")
        assert client.list_project_keys() == [SAMPLE_PROJECT_KEY, "SYNTHETIC_1"]
        assert len(client.get_project("SYNTHETIC_1").list_datasets()) == 10
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
    assert code == 0


def test_cli_loads_the_sample_by_default() -> None:
    from dss_emulator.__main__ import parse_args, synthetic_sizes

    args = parse_args([])
    assert (args.port, args.seed, args.synthetic, args.samples) == (11200, [], [], False)
    sizes = synthetic_sizes(100)
    assert sizes["recipes"] < sizes["datasets"]
