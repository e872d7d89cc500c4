"""The entry point: parsing, dispatch, the one error handler and its exit codes."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from dataiku_iac import __version__
from dataiku_iac.cli import main as cli_main
from dataiku_iac.exceptions import ConfigError, StateNotFoundError

REPO = Path(__file__).resolve().parents[2]


def test_version_and_help(cli):
    assert cli("--version") == (0, f"dataiku-iac {__version__}\n", "")
    result = cli("--help")
    assert result.code == 0
    for command in ("sync", "drift", "diff", "show", "history", "state", "emulator", "demo"):
        assert f"    {command} " in result.out


def test_no_command_says_so_in_one_line_and_fails(cli):
    result = cli()
    assert result.code == 1 and result.err == "Error: name a command. Run 'dataiku-iac --help' for the list.\n"


def test_usage_errors_exit_1_not_2_with_one_line(cli):
    # argparse's own status 2 would read as "drift detected" in CI
    result = cli("drift", "--format", "yaml")
    assert result.code == 1 and "invalid choice: 'yaml'" in result.err
    assert result.err.count("\n") == 1 and "dataiku-iac drift --help" in result.err
    for misuse in (("sync", "--workers", "0"), ("nosuchcommand",), ("diff", "only-one.json"), ("show", "--type")):
        result = cli(*misuse)
        assert result.code == 1 and result.err.startswith("Error: ") and result.err.count("\n") == 1, misuse


def test_api_key_is_never_an_argument_nor_echoed(cli):
    misuses = (
        ("drift", "--api-key", "s3cret-value"),
        ("drift", "--api-key=s3cret-value"),
        ("sync", "P", "--x=s3cret-value"),
    )
    for args in misuses:
        result = cli(*args)
        assert result.code == 1 and "unrecognized arguments" in result.err
        assert "s3cret-value" not in result.err + result.out


def run_with(error: BaseException, *flags: str) -> argparse.Namespace:
    def run(args):
        raise error

    return cli_main.run_command(run, argparse.Namespace(debug="--debug" in flags))


def test_library_errors_are_one_line_and_exit_1(capsys):
    assert run_with(ConfigError("Bad thing: do this.")) == 1
    assert capsys.readouterr().err == "Error: Bad thing: do this.\n"


def test_debug_adds_the_traceback(capsys):
    assert run_with(StateNotFoundError("nope"), "--debug") == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: nope\n") and "Traceback (most recent call last)" in err


def test_ctrl_c_is_130(capsys):
    assert run_with(KeyboardInterrupt()) == 130
    assert capsys.readouterr().err == "Interrupted.\n"


def test_bugs_exit_3_with_a_short_message(capsys):
    assert run_with(ZeroDivisionError("division by zero")) == 3
    err = capsys.readouterr().err
    assert err.splitlines() == ["Unexpected error: ZeroDivisionError: division by zero",
                                "This is a bug in dataiku-iac: re-run with --debug and report the traceback."]
    assert run_with(ZeroDivisionError("x"), "--debug") == 3
    assert "Traceback" in capsys.readouterr().err


def test_http_errors_escaping_the_dss_layer_are_connection_errors(capsys):
    assert run_with(requests.ConnectionError("refused")) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: Cannot reach DSS") and "Traceback" not in err


def test_debug_flag_works_before_and_after_the_command(cli):
    assert "Traceback" in cli("--debug", "show", "missing.json").err
    assert "Traceback" in cli("show", "missing.json", "--debug").err
    assert "Traceback" not in cli("show", "missing.json").err


def test_broken_pipe_is_quiet(monkeypatch, tmp_path):
    target = tmp_path / "out"
    handle = target.open("w")
    monkeypatch.setattr(sys, "stdout", handle)
    monkeypatch.setattr(cli_main.os, "dup2", lambda *args: None)
    assert run_with(BrokenPipeError()) == 1
    handle.close()


def test_optional_serve_module(monkeypatch):
    real_import = cli_main.importlib.import_module

    def missing(name, *args):
        if name.endswith(".serve"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args)

    monkeypatch.setattr(cli_main.importlib, "import_module", missing)
    assert all(module.__name__ != "dataiku_iac.cli.serve" for module in cli_main.command_modules())


def test_serve_with_a_broken_dependency_explains_itself(monkeypatch, cli):
    real_import = cli_main.importlib.import_module

    def broken(name, *args):
        if name.endswith(".serve"):
            raise ModuleNotFoundError("No module named 'flask'", name="flask")
        return real_import(name, *args)

    monkeypatch.setattr(cli_main.importlib, "import_module", broken)
    result = cli("serve")
    assert result.code == 1
    assert result.err == "Error: The 'serve' command is unavailable here: No module named 'flask'.\n"


def test_installed_entry_point_smoke(tmp_path):
    """The console script of the .venv runs and maps exit codes (one subprocess test; the rest use main)."""
    script = Path(sys.executable).with_name("dataiku-iac")
    if not script.exists():
        pytest.skip(f"no console script beside {sys.executable}")
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert (version.returncode, version.stdout.strip()) == (0, f"dataiku-iac {__version__}")
    missing = subprocess.run([str(script), "show", str(tmp_path / "none.json")], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: No state file at")
