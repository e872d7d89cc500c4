"""``dataiku-iac emulator``: serves the sample project, writes the key to a private file, stops on Ctrl-C."""

from __future__ import annotations

import socket
import stat

import dataikuapi

from dataiku_iac.cli import emulator as emulator_command


def test_serves_until_ctrl_c_with_the_key_in_a_private_file(cli, monkeypatch, tmp_path):
    seen = {}

    def use_it_then_interrupt():
        # while it serves: the printed URL and the key file are all a client needs
        url = seen["url"] = next(line.split()[-1] for line in capture() if "listening on" in line)
        key = (tmp_path / ".dataiku/emulator/api-key").read_text().strip()
        seen["projects"] = dataikuapi.DSSClient(url, key).list_project_keys()
        seen["key"] = key
        raise KeyboardInterrupt

    outputs = []
    real_out = emulator_command.out

    def capture():
        return outputs

    def record(text=""):
        outputs.append(text)
        real_out(text)

    monkeypatch.setattr(emulator_command, "out", record)
    monkeypatch.setattr(emulator_command, "wait_forever", use_it_then_interrupt)
    result = cli("emulator", "--port", "0")
    assert result.code == 0, result.err
    assert seen["projects"] == ["CUSTOMER_ANALYTICS"]
    assert seen["key"] not in result.out  # the key is never printed
    assert "Admin API key written to .dataiku/emulator/api-key" in result.out
    assert f"  export DKU_DSS_URL={seen['url']}" in result.out
    assert result.out.rstrip().endswith("Stopped.")
    mode = stat.S_IMODE((tmp_path / ".dataiku/emulator/api-key").stat().st_mode)
    assert mode == 0o600


def test_seed_directories(cli, monkeypatch, tmp_path):
    from dss_emulator import sample_project_dir

    monkeypatch.setattr(emulator_command, "wait_forever", lambda: None)
    result = cli("emulator", "--port", "0", "--seed", str(sample_project_dir()), "--api-key-file", "k")
    assert result.code == 0 and "Projects: CUSTOMER_ANALYTICS" in result.out
    result = cli("emulator", "--port", "0", "--seed", "nowhere")
    assert result.code == 1 and "Seed nowhere is not a directory" in result.err


def test_busy_port(cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("emulator", "--port", str(port))
    assert result.code == 1 and f"Cannot listen on 127.0.0.1:{port}" in result.err


def test_unwritable_key_file(cli, monkeypatch, tmp_path):
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(emulator_command, "wait_forever", lambda: None)
    result = cli("emulator", "--port", "0", "--api-key-file", "file/key")
    assert result.code == 1 and "Cannot write the API key file file/key" in result.err


def test_connections_model_another_instance(cli, monkeypatch, tmp_path):
    seen = {}

    def use_it():
        url = next(line.split()[-1] for line in outputs if "listening on" in line)
        key = (tmp_path / "k").read_text().strip()
        seen["names"] = dataikuapi.DSSClient(url, key).list_connections_names("PostgreSQL")

    outputs = []
    monkeypatch.setattr(emulator_command, "out", outputs.append)
    monkeypatch.setattr(emulator_command, "wait_forever", use_it)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("emulator", "--port", "0", "--seed", str(empty), "--api-key-file", "k",
                 "--connection", "warehouse:PostgreSQL")
    assert result.code == 0, result.err
    assert seen["names"] == ["warehouse"]
    assert "Projects: (none)" in outputs
    assert any(line.startswith("Connections: ") and "warehouse (PostgreSQL)" in line for line in outputs)
    result = cli("emulator", "--port", "0", "--connection", "warehouse")
    assert result.code == 1
    assert "Invalid connection 'warehouse': expected NAME:TYPE" in result.err and "--connection" in result.err
