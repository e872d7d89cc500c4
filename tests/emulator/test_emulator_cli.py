"""``python -m dss_emulator``: prints its URL and key, serves, stops on Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import dataikuapi
import pytest
from dataikuapi.utils import DataikuException

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


def start_emulator(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``python -m dss_emulator ARGS`` on port 0; returns once its ready line names its URL (no sleeping)."""
    process = subprocess.Popen([sys.executable, "-m", "dss_emulator", "--port", "0", *args], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready = process.stdout.readline()
    match = re.fullmatch(r"DSS emulator listening on (http://127\.0\.0\.1:\d+)\n", ready)
    if not match:
        process.kill()
        raise AssertionError(f"no ready line: {ready!r} {process.communicate()[1]!r}")
    return process, match.group(1)


def stop_emulator(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=10)


def test_two_emulators_in_separate_processes_work_side_by_side(tmp_path: Path) -> None:
    empty = tmp_path / "prod-seed"
    empty.mkdir()
    dev, dev_url = start_emulator("--api-key", "dev-key")
    try:
        prod, prod_url = start_emulator("--seed", str(empty), "--api-key", "prod-key",
                                        "--connection", "warehouse:PostgreSQL", "--connection", "lake:EC2")
        try:
            assert dev_url != prod_url
            assert prod.stdout is not None and prod.stdout.readline() == "API key: prod-key\n"
            assert prod.stdout.readline() == "Projects: (none)\n"
            connections_line = prod.stdout.readline()
            assert "warehouse (PostgreSQL)" in connections_line
            assert "filesystem_managed (Filesystem)" in connections_line
            dev_client = dataikuapi.DSSClient(dev_url, "dev-key")
            prod_client = dataikuapi.DSSClient(prod_url, "prod-key")
            assert dev_client.list_project_keys() == [SAMPLE_PROJECT_KEY]
            assert prod_client.list_project_keys() == []
            assert prod_client.list_connections_names("all") == [
                "filesystem_folders", "filesystem_managed", "filesystem_root", "lake", "warehouse"]
            assert "warehouse" not in dev_client.list_connections_names("all")
            # each key is its own instance's: the other refuses it
            with pytest.raises(DataikuException, match="UnauthorizedException"):
                dataikuapi.DSSClient(prod_url, "dev-key").list_project_keys()
            prod_client.create_project("APP", "App", "admin")
            assert dev_client.list_project_keys() == [SAMPLE_PROJECT_KEY]
        finally:
            assert stop_emulator(prod) == 0
    finally:
        assert stop_emulator(dev) == 0


def test_a_malformed_connection_is_a_usage_error() -> None:
    result = subprocess.run([sys.executable, "-m", "dss_emulator", "--connection", "warehouse"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "Invalid connection 'warehouse': expected NAME:TYPE" in result.stderr
