"""``dataiku-iac serve`` and the standalone page: the shell, the shim, headers, host checks, the CLI command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import ClassVar

import pytest

from dataiku_iac.cli import serve
from dataiku_iac.cli.main import main
from dataiku_iac.exceptions import ConfigError
from dataiku_iac.webapp import local_context
from dataiku_iac.webapp.standalone import PAGE_FILES, STATIC_DIR, create_app

REPO_ROOT = Path(__file__).resolve().parents[2]
DSS_WEBAPP = REPO_ROOT / "webapps" / "drift-viewer"


def test_serve_uses_the_dss_webapp_files():
    """DSS serves webapps/drift-viewer/; from a checkout ``serve`` reads the very same files (one copy)."""
    assert DSS_WEBAPP.resolve() == STATIC_DIR
    for name in PAGE_FILES:
        assert (STATIC_DIR / name).is_file()


def test_the_page_never_writes_html_from_data():
    """app.js builds markup only with createElement/textContent: no innerHTML, outerHTML, insertAdjacentHTML,
    document.write or eval anywhere, and no external resource in the page."""
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script
    for name in PAGE_FILES:
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


@pytest.fixture
def page_client(state_dir):
    return create_app(local_context(state_dir)).test_client()


def test_page_shell(page_client):
    page = page_client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert (STATIC_DIR / "body.html").read_text(encoding="utf-8") in text
    assert text.index('src="shim.js"') < text.index('src="app.js"')  # the shim defines the function app.js calls
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    for name, mimetype in (("app.js", "text/javascript"), ("style.css", "text/css"), ("shim.js", "text/javascript")):
        response = page_client.get(f"/{name}")
        assert response.status_code == 200 and response.mimetype == mimetype
    assert "getWebAppBackendUrl" in page_client.get("/shim.js").get_data(as_text=True)
    assert page_client.get("/favicon.ico").status_code == 204
    assert page_client.get("/api/state?env=dev").get_json()["serial"] == 2


def test_other_host_names_are_refused(page_client, state_dir):
    response = page_client.get("/", headers={"Host": "evil.example:8080"})
    assert response.status_code == 403 and "--allowed-host" in response.get_json()["error"]["message"]
    assert page_client.get("/", headers={"Host": "localhost:8080"}).status_code == 200
    assert page_client.get("/", headers={"Host": "[::1]:8080"}).status_code == 200
    listed = create_app(local_context(state_dir), allowed_hosts={"dss-tools.example"}).test_client()
    assert listed.get("/", headers={"Host": "dss-tools.example"}).status_code == 200
    assert listed.get("/", headers={"Host": "localhost"}).status_code == 403


def test_csp_can_be_turned_off_for_the_escaping_tests(state_dir):
    client = create_app(local_context(state_dir), content_security_policy=False).test_client()
    assert "Content-Security-Policy" not in client.get("/").headers


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


def test_serve_options_defaults():
    parsed = args()
    assert (parsed.host, parsed.port, parsed.env, parsed.state_dir) == ("127.0.0.1", 8080, "dev", None)


def test_serve_local_state_without_dss(monkeypatch, state_dir):
    monkeypatch.delenv("DKU_DSS_URL", raising=False)
    monkeypatch.delenv("DKU_API_KEY", raising=False)
    context = serve.build_context(args("--state-dir", str(state_dir), "--env", "prod"))
    assert context.make_manager is None and context.default_environment == "prod"
    assert context.environments() == ["dev", "prod"] and context.check_origin


def test_serve_local_state_with_dss(monkeypatch, state_dir):
    monkeypatch.setenv("DKU_DSS_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("DKU_API_KEY", "k")
    assert serve.build_context(args("--state-dir", str(state_dir))).make_manager is not None


@pytest.mark.parametrize(("argv", "message"), [
    (("--project", "P"), "both --project KEY and --folder ID"),
    (("--folder", "F"), "both --project KEY and --folder ID"),
    (("--project", "P", "--folder", "F", "--state-dir", "x"), "not both"),
])
def test_serve_refuses_incomplete_sources(argv, message):
    with pytest.raises(ConfigError, match=message):
        serve.build_context(args(*argv))


def test_serve_folder_needs_a_connection(monkeypatch):
    monkeypatch.delenv("DKU_DSS_URL", raising=False)
    monkeypatch.delenv("DKU_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="No DSS URL"):
        serve.build_context(args("--project", "P", "--folder", "F"))
    monkeypatch.setenv("DKU_DSS_URL", "http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="No API key"):
        serve.build_context(args("--project", "P", "--folder", "F"))
    monkeypatch.setenv("DKU_API_KEY", "k")
    with pytest.raises(ConfigError, match="must start with http"):
        serve.dss_client(args("--dss-url", "dss:11200"), required=True)


def test_serve_runs_until_interrupted(monkeypatch, state_dir, capsys):
    served = []

    def interrupt(self, *a, **k):
        served.append(self.port)
        raise KeyboardInterrupt

    from werkzeug.serving import BaseWSGIServer

    monkeypatch.setattr(BaseWSGIServer, "serve_forever", interrupt)
    monkeypatch.delenv("DKU_DSS_URL", raising=False)
    monkeypatch.delenv("DKU_API_KEY", raising=False)
    assert main(["serve", "--state-dir", str(state_dir), "--port", "0"]) == 0
    output = capsys.readouterr().out
    assert f"http://127.0.0.1:{served[0]}/" in output and "Live checks and apply are off" in output


def test_serve_reports_a_busy_port(monkeypatch, state_dir, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["serve", "--state-dir", str(state_dir), "--port", str(port)]) == 1
    assert "Cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_serve_port_must_be_a_port():
    with pytest.raises(SystemExit):
        args("--port", "70000")


# -- DNS rebinding and writes off loopback (issue 11 #7), through serve's real arguments ------------------------

class FakeServer:
    """Stands in for werkzeug's server: records the app ``serve`` built, then stops at once."""

    port = 8080
    apps: ClassVar[list] = []

    def __init__(self, host, port, app, threaded):
        self.apps.append((host, app))

    def serve_forever(self):
        raise KeyboardInterrupt

    def server_close(self):
        pass


def served_app(monkeypatch, state_dir, *argv):
    """The Flask app ``dataiku-iac serve --state-dir DIR *argv`` would serve (no socket is opened)."""
    import werkzeug.serving

    FakeServer.apps = []
    monkeypatch.setattr(werkzeug.serving, "make_server", FakeServer)
    monkeypatch.delenv("DKU_DSS_URL", raising=False)
    monkeypatch.delenv("DKU_API_KEY", raising=False)
    assert main(["serve", "--state-dir", str(state_dir), *argv]) == 0
    return FakeServer.apps[-1][1].test_client()


def accept(client, host, origin=None):
    headers = {"Host": host, **({"Origin": origin} if origin else {})}
    return client.post("/api/accept?env=dev", json={"expected_serial": 2}, headers=headers)


def test_a_rebinding_page_is_refused_even_on_all_interfaces(monkeypatch, state_dir, capsys):
    client = served_app(monkeypatch, state_dir, "--host", "0.0.0.0", "--allowed-host", "tools.example",
                        "--allow-writes")
    # The attack: evil.example resolves to this server, its page posts to its own origin.
    assert accept(client, "evil.example:8080", "http://evil.example:8080").status_code == 403
    assert accept(client, "tools.example:8080", "http://evil.example:8080").status_code == 403
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 403
    assert client.get("/", headers={"Host": "tools.example:8080"}).status_code == 200
    assert accept(client, "tools.example:8080", "http://tools.example:8080").status_code == 202


def test_off_loopback_the_page_is_read_only_unless_asked(monkeypatch, state_dir, capsys):
    client = served_app(monkeypatch, state_dir, "--host", "0.0.0.0", "--allowed-host", "tools.example")
    assert "--allow-writes" in capsys.readouterr().err
    viewer = client.get("/api/viewer", headers={"Host": "tools.example"}).get_json()
    assert viewer["may_write"] is False and "without --allow-writes" in viewer["reason"]
    response = accept(client, "tools.example", "http://tools.example")
    assert response.status_code == 403 and "without --allow-writes" in response.get_json()["error"]["message"]


def test_on_loopback_writes_stay_allowed_and_only_loopback_names_are(monkeypatch, state_dir):
    client = served_app(monkeypatch, state_dir)
    assert accept(client, "tools.example", "http://tools.example").status_code == 403
    assert accept(client, "127.0.0.1:8080", "http://127.0.0.1:8080").status_code == 202


def test_a_specific_listening_address_is_an_allowed_host(monkeypatch, state_dir):
    client = served_app(monkeypatch, state_dir, "--host", "192.0.2.7")
    assert client.get("/", headers={"Host": "192.0.2.7:8080"}).status_code == 200
    assert serve.allowed_hosts(args("--host", "::", "--allowed-host", "[2001:db8::1]")) == [
        "127.0.0.1", "2001:db8::1", "::1", "localhost"]


@pytest.mark.parametrize("name", ["tools.example:8080", "http://x", "a b", ""])
def test_allowed_host_must_be_a_bare_name(name):
    with pytest.raises(ConfigError, match="--allowed-host"):
        serve.allowed_hosts(args("--allowed-host", name))


def test_read_only_and_allow_writes_exclude_each_other():
    with pytest.raises(SystemExit):
        args("--read-only", "--allow-writes")
