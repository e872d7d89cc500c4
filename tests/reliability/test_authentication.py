"""A wrong or read-only API key gives a clear error, never shows the key, and writes nothing.

Against the DSS emulator (a wrong key gets 401, a read-only key 403 on every write):

- the CLI (``main([...])`` with DKU_DSS_URL/DKU_API_KEY): ``sync`` and ``drift`` with a wrong key exit 1 with one
  line, print the key nowhere (not even with ``--debug``), and leave the state directory as it was;
- ``StateManager.refresh`` with the state in a managed folder: a read-only key fails with StateWriteError (a wrong
  key with DSSError) naming the folder, and leaves every file of the folder byte for byte as it was;
- the plugin's macros and step, loaded as DSS loads them with the ``dataiku`` stub pointed at the emulator: a
  read-only or wrong key gives a readable message (no traceback, no key) and writes nothing into the folder.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple

import dataiku
import pytest

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.cli.main import main
from dataiku_iac.dss.client import make_client
from dataiku_iac.exceptions import DataikuIaCError, DSSError, StateWriteError
from dataiku_iac.manager import StateManager
from dss_emulator import SAMPLE_PROJECT_KEY as KEY
from dss_emulator import DSSEmulator
from tests.dss_support import point_environment_at

REPO = Path(__file__).resolve().parents[2]
SYNC_MACRO = REPO / "python-runnables" / "sync-state" / "runnable.py"
DRIFT_MACRO = REPO / "python-runnables" / "detect-drift" / "runnable.py"
DRIFT_STEP = REPO / "python-steps" / "check-drift" / "step.py"
WRONG_KEY = "wrong-key-7f3a9c2e5b1d"
_modules = itertools.count()


class Result(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def dss(sample_emulator: DSSEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[DSSEmulator]:
    """The emulator, reset; the environment DSS and the CLI read pointing at it; the working dir is tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("DKU_API_TICKET", raising=False)
    point_environment_at(sample_emulator, monkeypatch)
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", KEY)
    monkeypatch.setenv("DKU_PLUGIN_CONFIG", "{}")
    dataiku.reset_stub()
    yield sample_emulator
    dataiku.reset_stub()


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """The CLI configures the library's loggers (``--debug``: everything on stderr); put them back afterwards."""
    loggers = [logging.getLogger(name) for name in ("dataiku_iac", "dataiku_iac.sync")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for logger, level, handlers in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.fixture
def reader_key(dss: DSSEmulator) -> str:
    return dss.create_api_key(login="auditor", read_only=True)


def files_under(directory: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def folder_files(folder) -> Dict[str, bytes]:
    return {item["path"]: folder.get_file(item["path"]).content for item in folder.list_contents()["items"]}


def change_dss(dss: DSSEmulator, text: str) -> None:
    """Change a dataset description, so that a sync that could write would save a new serial."""
    settings = dss.client().get_project(KEY).get_dataset("raw_customers").get_settings()
    settings.get_raw()["description"] = text
    settings.save()


# -- CLI ----------------------------------------------------------------------------------------------------


def test_cli_with_a_wrong_key_6_runs_exit_1_in_one_line_write_nothing_print_no_key(dss, monkeypatch, capsys,
                                                                                   tmp_path, cli_logging):
    def cli(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    assert cli("sync", KEY).code == 0  # a state made with the right key: serial 1
    change_dss(dss, "changed: a sync would save serial 2")
    (tmp_path / "wrong.key").write_text(WRONG_KEY + "\n")
    before = files_under(tmp_path)
    monkeypatch.setenv("DKU_API_KEY", WRONG_KEY)
    runs: List[tuple] = [("sync", KEY), ("sync",), ("sync", "--all"), ("sync", KEY, "--env", "fresh"), ("drift", KEY)]
    for argv in runs:
        result = cli(*argv)
        assert result.code == 1, (argv, result)
        assert result.err.startswith("Error: DSS refused the API key") and result.err.count("\n") == 1, (argv, result)
        assert "DKU_API_KEY" in result.err and result.out == ""
        assert WRONG_KEY not in result.out + result.err
        assert files_under(tmp_path) == before, f"{argv} wrote into {tmp_path}"
    # The key from a file, with --debug (a traceback, still no key), and no key in the environment at all.
    monkeypatch.setenv("DKU_API_KEY", dss.api_key)
    debug = cli("--debug", "sync", KEY, "--api-key-file", "wrong.key")
    assert debug.code == 1 and "DSS refused the API key" in debug.err
    assert WRONG_KEY not in debug.out + debug.err and dss.api_key not in debug.out + debug.err
    assert files_under(tmp_path) == before
    runs.append(("--debug", "sync", KEY, "--api-key-file", "wrong.key"))
    assert not (tmp_path / ".dataiku" / "state" / "fresh.state.json").exists()
    print(f"\n{len(runs)} CLI runs with a wrong API key: {len(runs)} exit 1 ({len(runs) - 1} in one line, 1 with "
          f"--debug), 0 files written or changed, 0 keys printed")


# -- StateManager.refresh into a managed folder ---------------------------------------------------------------


def test_refresh_with_a_read_only_or_wrong_key_leaves_the_folder_unchanged_2_keys_x_2_folders(dss, reader_key,
                                                                                             caplog):
    caplog.set_level(logging.DEBUG, logger="dataiku_iac")
    admin = make_client(dss.url, dss.api_key, timeout=10.0, retries=1)
    project = admin.get_project(KEY)
    with_state, empty = project.create_managed_folder("iac_state"), project.create_managed_folder("iac_empty")
    StateManager(ManagedFolderBackend(with_state, "dev", lock_settle=0.0), admin, "dev").refresh([KEY])
    change_dss(dss, "changed: a refresh would save serial 2")
    failures = 0
    for key, expected in ((reader_key, StateWriteError), (WRONG_KEY, DSSError)):
        client = make_client(dss.url, key, timeout=10.0, retries=1)
        for folder in (with_state, empty):
            before = folder_files(folder)
            backend = ManagedFolderBackend.from_client(client, KEY, folder.id, "dev", lock_settle=0.0)
            with pytest.raises(DataikuIaCError) as caught:
                StateManager(backend, client, "dev").refresh([KEY])
            failures += 1
            message = str(caught.value)
            assert type(caught.value) is expected, message
            assert f"managed folder {KEY}.{folder.id}" in message and "\n" not in message
            if key == reader_key:
                assert "not writable by this user" in message and "read-only" in message
            else:
                assert "access refused by DSS" in message and "Invalid API key" in message
            assert key not in message and dss.api_key not in message
            assert folder_files(folder) == before, f"the refresh with {expected.__name__} wrote into the folder"
    assert reader_key not in caplog.text and WRONG_KEY not in caplog.text and dss.api_key not in caplog.text
    # A read-only key may still read what is stored.
    reader = ManagedFolderBackend.from_client(make_client(dss.url, reader_key), KEY, with_state.id, "dev")
    assert reader.load().serial == 1 and [e.serial for e in reader.history()] == [1]
    print(f"\nrefresh with 2 keys (read-only, wrong) x 2 folders (with a state, empty): {failures} clear errors "
          f"(StateWriteError, DSSError), 0 files written or changed, 0 keys in messages")


# -- plugin components --------------------------------------------------------------------------------------


def load_component(path: Path):
    """Load a component file as DSS does: by path, as a fresh module (a step runs on load)."""
    spec = importlib.util.spec_from_file_location(f"auth_component_{next(_modules)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_macro(path: Path, folder_id: str) -> str:
    module = load_component(path)
    return module.MyRunnable(KEY, {"state_folder": folder_id, "environment": "dev"}, {}).run(lambda _: None)


def run_step(monkeypatch: pytest.MonkeyPatch, folder_id: str) -> str:
    monkeypatch.setenv("DKU_PLUGIN_STEP_CONFIG", json.dumps({"state_folder": folder_id, "environment": "dev"}))
    try:
        load_component(DRIFT_STEP)
    except Exception as exc:  # a step fails the DSS scenario step by raising: its message is what users read
        return f"{type(exc).__name__}: {exc}"
    return "passed"


def test_macros_and_step_with_a_read_only_or_wrong_key_2_keys_x_3_components_write_nothing(dss, reader_key,
                                                                                             monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="dataiku_iac")
    admin = dss.client()
    folder = admin.get_project(KEY).create_managed_folder("iac_plugin_state")
    assert "State created as serial 1" in run_macro(SYNC_MACRO, folder.id)  # with the admin key
    change_dss(dss, "changed: drift to report, a serial 2 to save")
    before = folder_files(folder)
    runs = 0
    for key in (reader_key, WRONG_KEY):
        monkeypatch.setenv("DKU_API_KEY", key)
        outputs = {
            "sync-state": run_macro(SYNC_MACRO, folder.id),
            "detect-drift": run_macro(DRIFT_MACRO, folder.id),
            "check-drift": run_step(monkeypatch, folder.id),
        }
        for component, text in outputs.items():
            runs += 1
            assert "Traceback" not in text and 'File "' not in text, (component, text)
            assert key not in text and dss.api_key not in text, component
            assert key not in caplog.text and dss.api_key not in caplog.text, f"{component} logged a key"
            assert folder_files(folder) == before, f"{component} with a {key[:5]}... key wrote into the folder"
        sync_text = outputs["sync-state"]
        assert "State sync failed" in sync_text
        if key == reader_key:
            assert "not writable by this user" in sync_text and "ask for write access" in sync_text
            # A reader still sees the drift; only the stored copy of the report is missing, and it says why.
            assert "Drift" in outputs["detect-drift"] and "could not be saved" in outputs["detect-drift"]
            assert "Drift in environment 'dev'" in outputs["check-drift"]
            assert "could not be saved" in outputs["check-drift"]
        else:
            assert "DSS refused the API key" in sync_text and "check DKU_API_KEY" in sync_text
    print(f"\n2 keys (read-only, wrong) x 3 plugin components (sync-state, detect-drift, check-drift): {runs} "
          f"readable messages, 0 tracebacks, 0 keys shown or logged, 0 files written or changed")
