"""Key files and reports (issue 11 #2, #8): symlinks are refused, a world-writable key file is refused, a
readable one warned about, reports are written 0600 like states, and the emulator's key never goes through a
planted link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dataiku_iac.cli import emulator as emulator_command
from dataiku_iac.cli.common import DEFAULT_STATE_FILE
from dss_emulator import SAMPLE_PROJECT_KEY as KEY


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def key_file(dss, tmp_path, monkeypatch):
    """A private file holding the emulator's key, and no key in the environment."""
    monkeypatch.delenv("DKU_API_KEY")
    path = tmp_path / "key"
    path.write_text(dss.api_key + "\n")
    path.chmod(0o600)
    return path


def test_a_private_key_file_is_used_silently(cli, key_file):
    result = cli("sync", KEY, "--api-key-file", str(key_file))
    assert result.code == 0, result.err
    assert result.err == ""


def test_a_symlinked_key_file_is_refused(cli, key_file, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(key_file)
    result = cli("sync", KEY, "--api-key-file", str(link))
    assert result.code == 1 and result.err.count("\n") == 1
    assert f"The API key file {link} is a symbolic link, refused" in result.err
    assert key_file.read_text().strip() not in result.err + result.out


def test_a_world_writable_key_file_is_refused(cli, key_file):
    key_file.chmod(0o666)
    result = cli("sync", KEY, "--api-key-file", str(key_file))
    assert result.code == 1
    assert "is writable by every user (mode 0666), refused: run 'chmod 600" in result.err
    assert not Path(".dataiku").exists()  # refused before anything is read or written


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_may_read_works_with_a_warning(cli, key_file, mode):
    key_file.chmod(mode)
    result = cli("sync", KEY, "--api-key-file", str(key_file))
    assert result.code == 0, result.err
    assert result.err == (f"Warning: the API key file {key_file} is accessible to other users (mode {mode:04o}): "
                          f"run 'chmod 600 {key_file}'.\n")


def test_a_key_file_that_is_not_a_file_is_refused(cli, dss, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)  # opening it for reading would block until a writer came
    result = cli("sync", KEY, "--api-key-file", str(fifo))
    assert result.code == 1 and "is not a regular file" in result.err
    result = cli("sync", KEY, "--api-key-file", str(tmp_path))
    assert result.code == 1 and "is not a regular file" in result.err


def test_a_huge_key_file_is_not_read_whole(cli, dss, tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"k" * (1024 * 1024))
    big.chmod(0o600)
    result = cli("sync", KEY, "--api-key-file", str(big))
    assert result.code == 1 and "should hold only the key, on one line" in result.err


def test_reports_are_written_owner_only_and_replace_a_readable_file(cli, dss, tmp_path):
    cli("sync", KEY)
    old = tmp_path / "drift.json"
    old.write_text("old")
    old.chmod(0o644)
    for fmt, name in (("json", "drift.json"), ("html", "drift.html"), ("text", "sub/drift.txt")):
        result = cli("drift", "--format", fmt, "--output", name)
        assert result.code == 0, result.err
        assert mode_of(tmp_path / name) == 0o600, name
    assert old.read_text().startswith("{")


def test_a_symlink_at_the_output_path_is_refused_and_its_target_untouched(cli, dss, tmp_path):
    cli("sync", KEY)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "report.html").symlink_to(victim)
    result = cli("drift", "--format", "html", "--output", "report.html")
    assert result.code == 1 and result.err.count("\n") == 1
    assert "Cannot write report.html: it is a symbolic link, refused" in result.err
    assert victim.read_text() == "precious" and (tmp_path / "report.html").is_symlink()


def test_the_emulator_refuses_a_symlinked_key_file(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(emulator_command, "wait_forever", lambda: None)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    victim.chmod(0o644)
    key_path = tmp_path / ".dataiku" / "emulator" / "api-key"
    key_path.parent.mkdir(parents=True)
    key_path.symlink_to(victim)
    result = cli("emulator", "--port", "0")
    assert result.code == 1
    assert "Cannot write the API key file .dataiku/emulator/api-key: it is a symbolic link, refused" in result.err
    assert victim.read_text() == "precious" and mode_of(victim) == 0o644


def test_the_emulator_key_file_is_replaced_owner_only(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(emulator_command, "wait_forever", lambda: None)
    key_path = tmp_path / "k"
    key_path.write_text("old key\n")
    key_path.chmod(0o644)
    assert cli("emulator", "--port", "0", "--api-key-file", "k").code == 0
    assert mode_of(key_path) == 0o600 and key_path.read_text() != "old key\n"


def test_the_help_s_default_state_file_is_the_backend_s():
    from dataiku_iac.backends.local import DEFAULT_STATE_DIR

    assert f"{DEFAULT_STATE_DIR.as_posix()}/<env>.state.json" == DEFAULT_STATE_FILE


def test_the_cli_names_the_variables_the_dss_client_reads():
    from dataiku_iac.cli.common import KEY_VARIABLE, URL_VARIABLE
    from dataiku_iac.dss.client import ENV_API_KEY, ENV_URL

    assert (URL_VARIABLE, KEY_VARIABLE) == (ENV_URL, ENV_API_KEY)
