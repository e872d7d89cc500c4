"""``dataiku-iac validate`` through main([...]): every problem as file:line:column, exit 0 or 1."""

from __future__ import annotations

import json
from pathlib import Path

from tests.config.conftest import EXAMPLE_CONFIG

ENVIRONMENTS = "version: 1\nenvironments:\n  dev: {url: 'http://dev', api_key_env: K}\n"


def write(root: Path, files: dict) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def test_the_sample_config_is_valid(cli) -> None:
    result = cli("validate", "--config", str(EXAMPLE_CONFIG))
    assert result.code == 0, result.out
    assert result.out == f"Config {EXAMPLE_CONFIG} is valid: 0 error(s), 0 warning(s).\n"
    assert cli("validate", "--config", str(EXAMPLE_CONFIG), "--env", "prod").code == 0


def test_errors_and_warnings_are_listed_then_summed_up(cli, tmp_path: Path) -> None:
    root = write(tmp_path / "c", {"dataiku-iac.yml": ENVIRONMENTS, "projects/P/a.yml": """\
datasets:
  out: {type: Filesystem, tagz: [x]}
recipes:
  r: {type: python, inputs: [missing], outputs: [out]}
"""})
    result = cli("validate", "--config", str(root))
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{root}/projects/P/a.yml:2:27: unknown field 'tagz' in datasets.out: did you mean 'tags'?",
        f"{root}/projects/P/a.yml:4:30: warning: recipe 'r' refers to 'missing', which is no dataset or managed "
        "folder of the config: it must exist in DSS (--strict makes this an error)",
        f"Config {root} is invalid: 1 error(s), 1 warning(s).",
    ]


def test_strict_makes_warnings_fail(cli, tmp_path: Path) -> None:
    root = write(tmp_path / "c", {"dataiku-iac.yml": ENVIRONMENTS,
                                  "projects/P/a.yml": "recipes:\n  r: {type: python, inputs: [missing]}\n"})
    assert cli("validate", "--config", str(root)).code == 0
    strict = cli("validate", "--config", str(root), "--strict")
    assert strict.code == 1
    assert strict.out.splitlines()[-1] == (f"Config {root} is invalid: 0 error(s), 1 warning(s) "
                                           "(--strict: warnings count as errors).")


def test_secrets_are_checked_with_env_and_never_printed(cli, tmp_path: Path, monkeypatch) -> None:
    root = write(tmp_path / "c", {"dataiku-iac.yml": ENVIRONMENTS, "projects/P/a.yml":
                                  "datasets:\n  d: {type: PostgreSQL, params: {password: '${env:PG_PW}'}}\n"})
    missing = cli("validate", "--config", str(root), "--env", "dev")
    assert missing.code == 1 and "${env:PG_PW} is not set: export PG_PW before running" in missing.out
    monkeypatch.setenv("PG_PW", "hunter2-secret")
    found = cli("validate", "--config", str(root), "--env", "dev", "--format", "json")
    assert found.code == 0 and "hunter2" not in found.out + found.err
    assert json.loads(found.out) == {"valid": True, "strict": False, "problems": []}


def test_json_output_lists_each_problem(cli, tmp_path: Path) -> None:
    root = write(tmp_path / "c", {"dataiku-iac.yml": ENVIRONMENTS, "projects/P/a.yml": "datasets:\n  a: 3\n"})
    result = cli("validate", "--config", str(root), "--format", "json")
    assert result.code == 1
    assert json.loads(result.out)["problems"] == [{
        "file": f"{root}/projects/P/a.yml", "line": 2, "column": 6, "severity": "error",
        "message": "datasets.a must be a mapping, not a number"}]


def test_a_missing_directory_is_one_line(cli, tmp_path: Path) -> None:
    result = cli("validate", "--config", str(tmp_path / "nope"))
    assert result.code == 1
    assert result.out.splitlines()[0] == f"{tmp_path / 'nope'}: is not a directory: pass the config directory " \
                                         "with --config"


def test_names_with_terminal_escapes_are_shown_escaped(cli, tmp_path: Path) -> None:
    root = write(tmp_path / "c", {"dataiku-iac.yml": ENVIRONMENTS,
                                  "projects/P/a.yml": 'datasets:\n  "a\\e[31m": {type: F, bad: 1}\n'})
    result = cli("validate", "--config", str(root))
    assert "\x1b" not in result.out and "\\x1b[31m" in result.out
