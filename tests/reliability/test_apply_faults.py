"""Apply under faults, through the emulator's fault injection and the real client over HTTP.

- transient answers (500/502/503 bursts, 429 with Retry-After) on reads and PUTs are retried by the one retry
  policy: the apply completes, with 0 duplicate creates;
- a create DSS performs but answers too late (the client times out): the write layer looks before trying
  again, so the object exists once;
- a persistent failure ends the apply within a bounded time with the report line, and the state records
  what was done;
- an apply racing a sync: the sync waits for the lock the apply holds (or is refused, naming the holder,
  past the lock timeout), and no update is lost.

Emulator-side delays hold a request on the server (what a slow DSS does); the test itself never sleeps.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dataiku_iac.apply.executor import ApplyOptions, execute, prepare
from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli.main import main
from dataiku_iac.config import read_config
from dataiku_iac.dss.client import make_client
from dss_emulator import SAMPLE_PROJECT_KEY as KEY
from tests.dss_support import point_environment_at, start_cli

OBJECTS = 6  # the sample: project, 2 datasets, folder, recipe, scenario


@pytest.fixture
def emulator(sample_emulator):
    """An emulator with the sample project (the suite's pooled one, reset), left without faults."""
    sample_emulator.clear_faults()
    yield sample_emulator
    sample_emulator.clear_faults()


@pytest.fixture
def config(emulator, tmp_path, monkeypatch):
    """The sample's config in tmp_path, and DSS without the project (apply creates all of it)."""
    monkeypatch.chdir(tmp_path)
    point_environment_at(emulator, monkeypatch)
    assert main(["generate", KEY, "--out", "config", "--no-adopt"]) == 0
    emulator.client().get_project(KEY).delete()
    return read_config(Path("config"))


def run_apply(emulator, config, *, timeout=10.0, retries=4):
    client = make_client(emulator.url, emulator.api_key, timeout=timeout, retries=retries, backoff=0.01)
    backend = LocalFileBackend(Path(".dataiku/state/dev.state.json"))
    with backend.lock("apply"):
        prepared = prepare(config, "dev", client, backend, os.environ, dss_url=emulator.url)
        return execute(prepared, client, backend, ApplyOptions(parallelism=4)), backend


def objects_in_dss(emulator):
    project = emulator.client().get_project(KEY)
    names = ([d["name"] for d in project.list_datasets()] + [r["name"] for r in project.list_recipes()]
             + [s["name"] for s in project.list_scenarios()] + [f["name"] for f in project.list_managed_folders()])
    return sorted(names)


EXPECTED = sorted(["raw_customers", "customers_prepared", "compute_customers_prepared", "Refresh customers",
                   "churn_reports"])


@pytest.mark.parametrize("status", [502, 503, 504, 429])
def test_transient_answers_on_reads_and_puts_are_retried(emulator, config, status):
    emulator.inject_fault("GET", r"/datasets/", status=status, count=3, retry_after=1 if status == 429 else None)
    emulator.inject_fault("PUT", r"/projects/[^/]+/(settings|metadata)", status=status, count=2)
    result, backend = run_apply(emulator, config)
    assert result.ok, result.summary_line()
    assert objects_in_dss(emulator) == EXPECTED  # each once
    assert len(backend.load().managed) == OBJECTS


def test_a_500_is_not_retried_blindly_but_reported_then_the_next_apply_completes(emulator, config):
    # DSS's 500s are mostly application errors: the one retry policy does not repeat them; apply reports.
    emulator.inject_fault("PUT", r"/projects/[^/]+/(settings|metadata)", status=500, count=2)
    result, backend = run_apply(emulator, config)
    assert result.summary_line().startswith("0 applied, failed project.CUSTOMER_ANALYTICS (")
    assert "HTTP 500" in result.summary_line() and result.summary_line().endswith("not attempted 5")
    backend.load()  # the state loads
    emulator.clear_faults()
    assert run_apply(emulator, config)[0].ok  # the project DSS created is adopted, the rest created
    assert objects_in_dss(emulator) == EXPECTED


def test_a_create_answered_too_late_happens_once(emulator, config):
    # DSS creates the dataset but answers after the client gave up: the write layer looks before retrying.
    emulator.inject_fault("POST", r"/datasets/$", status=None, delay=1.5, count=1)
    result, _ = run_apply(emulator, config, timeout=0.5, retries=2)
    emulator.wait_idle()
    names = objects_in_dss(emulator)
    assert len(names) == len(set(names))  # 0 duplicate creates
    assert result.ok, result.summary_line()  # looked, then created once (or found the late one)
    assert names == EXPECTED
    # Whatever the outcome, the next plan is exact: nothing DSS holds is created again.
    plan = main(["plan", "--config", "config", "--format", "json"])
    assert plan in (0, 2)
    assert run_apply(emulator, config)[0].ok
    assert objects_in_dss(emulator) == EXPECTED


def test_a_persistent_failure_is_reported_and_what_was_done_recorded(emulator, config):
    emulator.inject_fault("POST", r"/scenarios/$", status=500, count=100)
    result, backend = run_apply(emulator, config, retries=2)
    assert not result.ok
    line = result.summary_line()
    applied = len(result.with_status("applied"))
    # What had started when the scenario failed finished; what had not was never started.
    assert line.startswith(f"{applied} applied, failed scenario.CUSTOMER_ANALYTICS.new:Refresh customers (")
    assert line.endswith(f"not attempted {OBJECTS - 1 - applied}")
    assert len(backend.load().managed) == applied
    emulator.clear_faults()
    assert run_apply(emulator, config)[0].ok
    assert objects_in_dss(emulator) == EXPECTED




def test_a_sync_racing_an_apply_waits_for_it_and_no_update_is_lost(emulator, config, capsys):
    # The apply's first dataset create is held 3 s by the server: the apply holds the lock meanwhile.
    emulator.inject_fault("POST", r"/datasets/$", status=None, delay=3.0, count=1)
    child = start_cli("apply", "--config", "config", "--auto-approve", stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
    assert child.stdout is not None
    for line in child.stdout:  # the plan is printed under the lock, before the first write
        if line.startswith("Plan: "):
            break
    capsys.readouterr()
    code = main(["sync", KEY])
    refused = capsys.readouterr().err
    rest, errors = child.communicate()
    assert child.returncode == 0, rest + errors
    # The sync waited for the lock (the local backend waits up to 10 s) and then ran after the apply, or,
    # with a longer apply, was refused naming the holder. Either way, nothing the apply recorded is lost.
    assert code == 0 or ("is locked, held by" in refused and "'apply'" in refused)
    state = LocalFileBackend(Path(".dataiku/state/dev.state.json")).load()
    assert len(state.managed) == OBJECTS  # the apply's records all there, after the sync's save too
    assert main(["plan", "--config", "config"]) == 0
