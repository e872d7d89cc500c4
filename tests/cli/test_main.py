"""The entry point: parsing, dispatch, the one error handler and its exit codes."""

from __future__ import annotations

import argparse
import os
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
    assert result.code == 1 and "argument --format: invalid choice (choose from" in result.err
    assert result.err.count("\n") == 1 and "dataiku-iac drift --help" in result.err
    for misuse in (("sync", "--workers", "0"), ("nosuchcommand",), ("diff", "only-one.json"), ("show", "--type")):
        result = cli(*misuse)
        assert result.code == 1 and result.err.startswith("Error: ") and result.err.count("\n") == 1, misuse


@pytest.mark.parametrize("argv", [
    ("--api-key", "s3cret-value", "sync"),  # issue 11 #3: answered "invalid choice: 's3cret-value'"
    ("state", "--api-key", "s3cret-value"),
    ("-k", "s3cret-value", "sync"),
    ("-ks3cret-value", "sync"),
    ("drift", "--api-key", "s3cret-value"),
    ("drift", "--api-key=s3cret-value"),
    ("sync", "P", "--api_key", "s3cret-value"),
    ("sync", "--token", "s3cret-value", "P"),
    ("--debug", "show", "--password=s3cret-value"),
])
def test_api_key_options_are_refused_whatever_their_position(cli, argv):
    result = cli(*argv)
    assert result.code == 1 and result.err.count("\n") == 1
    assert "s3cret-value" not in result.err + result.out
    assert "is refused" in result.err and "DKU_API_KEY or pass --api-key-file PATH" in result.err


@pytest.mark.parametrize("argv", [
    ("s3cret-value",),  # an unknown command
    ("--debug", "s3cret-value", "sync"),
    ("state", "s3cret-value"),  # an unknown action
    ("sync", "--workers", "s3cret-value"),
    ("sync", "--timeout", "s3cret-value"),
    ("drift", "--format", "s3cret-value"),
    ("show", "--type", "s3cret-value"),
    ("sync", "--debug=s3cret-value"),
    ("sync", "P", "--x=s3cret-value"),
    ("sync", "P", "-xs3cret-value"),
    ("diff", "a.json", "b.json", "s3cret-value"),
    ("state", "restore", "--serial", "s3cret-value"),
])
def test_usage_errors_never_echo_a_value(cli, argv):
    result = cli(*argv)
    assert result.code == 1 and result.err.startswith("Error: ") and result.err.count("\n") == 1, result.err
    assert "s3cret-value" not in result.err + result.out


def test_usage_errors_keep_the_cli_s_own_words():
    vocabulary = {"sync", "drift", "--format", "text", "json", "html"}
    message = "argument --format: invalid choice: 'xml' (choose from 'text', 'json', 'html')"
    assert cli_main.without_values(message, ["drift", "--format", "xml"], vocabulary) == (
        "argument --format: invalid choice (choose from 'text', 'json', 'html')")
    assert cli_main.without_values("unrecognized arguments: --x=1 -kABC", ["--x=1", "-kABC"], vocabulary) == (
        "unrecognized arguments: --x -k")
    assert cli_main.without_values("unrecognized arguments: --x=1 abc", ["--x=1", "abc"], vocabulary) == (
        "unrecognized arguments: --x and 1 more")
    assert cli_main.without_values("unrecognized arguments: abc", ["abc"], vocabulary) == (
        "unrecognized arguments: (value not shown)")
    # forms not rewritten by name: typed values are masked anyway
    assert cli_main.without_values("odd: 'abc' and secret123.", ["abc", "secret123"], vocabulary) == (
        "odd: (value not shown) and (value not shown).")
    # ...as whole words only: argparse's own words stay readable
    assert cli_main.without_values("the following arguments are required: NEW", ["argument"], vocabulary) == (
        "the following arguments are required: NEW")


def test_help_lists_every_command_as_its_module_registers_it():
    """--help lists the commands without importing them: the summaries are the ones the modules register."""
    assert cli_main.build_parser(load=()).format_help() == cli_main.build_parser().format_help()


HEAVY_MODULES = ("dataikuapi", "requests", "flask", "rich", "jsonschema", "fastjsonschema", "filelock")


def imported_modules(*argv: str, env=None) -> set:
    """The heavy modules imported by running ``main(argv)`` in a fresh interpreter, and its exit code."""
    code = (
        "import sys\n"
        "from dataiku_iac.cli.main import main\n"
        f"code = main({list(argv)!r})\n"
        f"print(code, *sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO,
                            env=env)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split("\n")[-2].split())


def test_version_and_help_import_no_heavy_module():
    assert imported_modules("--version") == {"0"}
    assert imported_modules("--help") == {"0"}


def test_a_command_s_help_imports_only_what_parsing_needs():
    # Parsing needs no DSS client, no web framework, no terminal library and no schema validator.
    for command in ("sync", "drift", "diff", "show", "emulator", "demo"):
        assert imported_modules(command, "--help") == {"0"}, command


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


def test_a_sync_imports_neither_the_web_framework_nor_the_terminal_library_nor_jsonschema(dss, tmp_path):
    # rich only draws the progress bar on a terminal; jsonschema only lists the problems of an invalid state.
    env = {**os.environ, "DKU_DSS_URL": dss.url, "DKU_API_KEY": dss.api_key}
    state = str(tmp_path / "dev.state.json")
    assert imported_modules("sync", "CUSTOMER_ANALYTICS", "--state", state, env=env) == {
        "0", "dataikuapi", "requests", "fastjsonschema", "filelock"}
    assert imported_modules("drift", "--state", state, env=env) == {
        "0", "dataikuapi", "requests", "fastjsonschema", "filelock"}


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
