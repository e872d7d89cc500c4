"""Secrets never leak: not into state files, history, reports, CLI output, the webapp, the macros or logs.

An emulated DSS project holds credentials in the places DSS keeps them: a dataset's ``params.password``, a
connection-like ``params.credentials`` block, a URL with a password in it, project variables (standard and
local), a scenario reporter's ``apiKey`` and a Slack webhook URL (the URL is the credential), a managed
folder's ``secretKey`` and a saved model's. Everything a user runs is run (CLI ``sync``, ``drift`` in every
format to stdout, to ``--output`` files and with ``--save-report``, ``show``, ``history``, ``diff``; every
webapp route through the app ``dataiku-iac serve`` builds, including a live check and an accept; both macros),
with DEBUG logging captured. Then every secret is rotated in DSS: each rotation must still show as a change
at its path, redacted on both sides with different markers. No secret text (before or after rotation, nor
the API key) may appear in any file the tool wrote, any output, or any log record.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

import pytest

from dataiku_iac.cli.main import main
from dataiku_iac.redaction_key import ENV_KEY, resolve_key
from dataiku_iac.sync.rules import REDACTION_PREFIX, SyncRules, redact_urls, redaction_marker
from dss_emulator import DSSEmulator
from dss_emulator.seed_types import ProjectSeed
from tests.dss_support import point_environment_at

KEY = "SECRETS"
STATE_FOLDER = "StateF01"
REPO = Path(__file__).resolve().parents[2]
SYNC_MACRO = REPO / "python-runnables" / "sync-state" / "runnable.py"
DETECT_MACRO = REPO / "python-runnables" / "detect-drift" / "runnable.py"
_modules = itertools.count()


@dataclass(frozen=True)
class Secret:
    """One credential held by a DSS object: where it is, and how a user changes it."""

    label: str
    resource_id: str
    path: str  # where the change shows in a drift report
    value: str
    rotated: str
    rotate: Callable[[Any, str], None]  # (dataikuapi project, new value)


def _edit_settings(handle: Any, edit: Callable[[Dict[str, Any]], None]) -> None:
    settings = handle.get_settings()
    edit(settings.get_raw())
    settings.save()


def _set_variable(scope: str, name: str) -> Callable[[Any, str], None]:
    def rotate(project: Any, value: str) -> None:
        variables = project.get_variables()
        variables[scope][name] = value
        project.set_variables(variables)

    return rotate


def _reporter_config(index: int, key: str, make: Callable[[str], str] = str) -> Callable[[Any, str], None]:
    def rotate(project: Any, value: str) -> None:
        _edit_settings(project.get_scenario("NOTIFY"),
                       lambda raw: raw["reporters"][index]["messaging"]["configuration"].update({key: make(value)}))

    return rotate


def _webhook(token: str) -> str:
    return f"https://hooks.slack.com/services/T0A1B2C3D/B0E4F5G6H/{token}"


def _ops_hook(token: str) -> str:
    return f"https://ops.example.com/hooks/dss?team=orders&access_token={token}"


def _partner_url(password: str) -> str:
    return f"https://svc-orders:{password}@api.partner.example.com/v1/orders.csv?format=csv"


def _git_url(token: str) -> str:
    return f"https://{token}@github.com/acme/exports.git"


def _azure_account(key: str) -> str:
    return f"DefaultEndpointsProtocol=https;AccountName=acmeexports;AccountKey={key};EndpointSuffix=core.windows.net"


def _azure_sas(signature: str) -> str:
    return (f"BlobEndpoint=https://acmeexports.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b"
            f"&srt=co&sp=rl&se=2027-01-01T00:00:00Z&sig={signature}")


def _sas_url(signature: str) -> str:
    return f"https://acmeexports.blob.core.windows.net/exports?sv=2022-11-02&sr=c&sp=rl&sig={signature}"


RECIPE_CODE = (
    "import dataiku\n"
    "import requests\n\n"
    'password = "{password}"\n'
    "API_TOKEN='{token}'\n"
    'settings = {{"secret": "{secret}", "timeout": 30}}\n'
    "rows = requests.get('https://api.example.com/orders', auth=('etl', password)).json()\n"
)
SCENARIO_SCRIPT = (
    "from dataiku.scenario import Scenario\n\n"
    "WEBHOOK_TOKEN = '{token}'\n"
    "Scenario().build_dataset('s3_exports')\n"
)


SECRETS: Tuple[Secret, ...] = (
    Secret("dataset params.password", f"dataset.{KEY}.pg_orders", "params.password",
           "pg-Pa55-q7Zr1xK", "pg-Pa55-ROTATED-w3Lm",
           lambda p, v: _edit_settings(p.get_dataset("pg_orders"), lambda raw: raw["params"].update(password=v))),
    Secret("dataset params.credentials block", f"dataset.{KEY}.s3_exports", "params.credentials",
           "s3-SecretAccess-9fQ2vB", "s3-SecretAccess-ROTATED-4nH8",
           lambda p, v: _edit_settings(p.get_dataset("s3_exports"),
                                       lambda raw: raw["params"]["credentials"].update(secretAccessKey=v))),
    Secret("password inside a URL", f"dataset.{KEY}.partner_orders", "params.url",
           "urlPw-Hx81kQz", "urlPw-ROTATED-b6Tn",
           lambda p, v: _edit_settings(p.get_dataset("partner_orders"),
                                       lambda raw: raw["params"].update(url=_partner_url(v)))),
    Secret("project variable standard.db_password", f"project.{KEY}", "variables.standard.db_password",
           "varDbPw-5sKx0c", "varDbPw-ROTATED-Ue2p", _set_variable("standard", "db_password")),
    Secret("project variable local.api_token", f"project.{KEY}", "variables.local.api_token",
           "varTok-2mWq8z", "varTok-ROTATED-Lr7d", _set_variable("local", "api_token")),
    Secret("scenario reporter apiKey", f"scenario.{KEY}.NOTIFY",
           "reporters[id=rep_pager].messaging.configuration.apiKey",
           "pagerKey-0dY6tE", "pagerKey-ROTATED-Nc4s", _reporter_config(0, "apiKey")),
    Secret("scenario reporter Slack webhook URL", f"scenario.{KEY}.NOTIFY",
           "reporters[id=rep_slack].messaging.configuration.webhookUrl",
           "slackHook-Jq3rV1", "slackHook-ROTATED-Xb5e", _reporter_config(1, "webhookUrl", _webhook)),
    Secret("token in a URL query", f"scenario.{KEY}.NOTIFY", "reporters[id=rep_hook].messaging.configuration.url",
           "hookTok-Vw0sL3", "hookTok-ROTATED-Ga2q", _reporter_config(2, "url", _ops_hook)),
    Secret("managed folder params.secretKey", f"managed_folder.{KEY}.Fd0Secr1", "params.secretKey",
           "folderSk-8aPz2W", "folderSk-ROTATED-Kd1o",
           lambda p, v: _edit_settings(p.get_managed_folder("Fd0Secr1"),
                                       lambda raw: raw["params"].update(secretKey=v))),
    Secret("saved model secretKey", f"saved_model.{KEY}.Sm0Secr1", "miniTask.customParams.secretKey",
           "modelSk-6tGh4R", "modelSk-ROTATED-Yv9i",
           lambda p, v: _edit_settings(p.get_saved_model("Sm0Secr1"),
                                       lambda raw: raw["miniTask"]["customParams"].update(secretKey=v))),
    # Forms the name-based rules missed (issue 10 #6): a token as a URL's user name, Azure connection strings,
    # SAS signatures, and literals assigned to secret-named variables in recipe and scenario code.
    Secret("token as a URL's user name", f"dataset.{KEY}.git_exports", "params.url",
           "ghp_Tk7Qw2Er9Ty4Ui1Op6As3Df8Gh5Jk0Lz2Xc", "ghp_ROTATEDw2Er9Ty4Ui1Op6As3Df8Gh5Jk0Lz",
           lambda p, v: _edit_settings(p.get_dataset("git_exports"),
                                       lambda raw: raw["params"].update(url=_git_url(v)))),
    Secret("Azure AccountKey in a connection string", f"dataset.{KEY}.azure_exports", "params.connectionString",
           "AzAcctKey0q9W8e7R6t5Y4u3I2o1P+/Zx==", "AzAcctKeyROTATED7R6t5Y4u3I2o+/Zx==",
           lambda p, v: _edit_settings(p.get_dataset("azure_exports"),
                                       lambda raw: raw["params"].update(connectionString=_azure_account(v)))),
    Secret("Azure SharedAccessSignature", f"dataset.{KEY}.azure_exports", "params.sasConnection",
           "SasSig1Qa2Ws3Ed4Rf%3D", "SasSigROTATED4Rf5Tg%3D",
           lambda p, v: _edit_settings(p.get_dataset("azure_exports"),
                                       lambda raw: raw["params"].update(sasConnection=_azure_sas(v)))),
    Secret("SAS sig= in a URL", f"managed_folder.{KEY}.Fd0Sas01", "params.url",
           "UrlSig9Ol8Ik7Uj6Yh%2B%3D", "UrlSigROTATED6Yh5Tg%2B%3D",
           lambda p, v: _edit_settings(p.get_managed_folder("Fd0Sas01"),
                                       lambda raw: raw["params"].update(url=_sas_url(v)))),
    Secret("password literal in recipe code", f"recipe.{KEY}.use_secrets", "payload",
           "hunter2-Recipe-Pw", "hunter2-ROTATED-Pw", lambda p, v: None),
    Secret("API_TOKEN literal in recipe code", f"recipe.{KEY}.use_secrets", "payload",
           "rcpTok-4Fg7Hj2K", "rcpTok-ROTATED-9Lm", lambda p, v: None),
    Secret('"secret": literal in recipe code', f"recipe.{KEY}.use_secrets", "payload",
           "rcpSecret-Qz81", "rcpSecret-ROTATED-Wx3", lambda p, v: None),
    Secret("token literal in a python scenario script", f"scenario.{KEY}.SCRIPTED", "script",
           "scnTok-Bv6Nm3Q", "scnTok-ROTATED-Ka7", lambda p, v: None),
)
CODE_SECRETS = {"password literal in recipe code", "API_TOKEN literal in recipe code",
                '"secret": literal in recipe code', "token literal in a python scenario script"}


def rotate(secret: Secret, project: Any) -> None:
    """Change the secret in DSS as a user would (code is edited as text: the literal replaced)."""
    if secret.label not in CODE_SECRETS:
        secret.rotate(project, secret.rotated)
    elif secret.resource_id.startswith("scenario."):
        settings = project.get_scenario("SCRIPTED").get_settings()
        settings.code = settings.code.replace(secret.value, secret.rotated)
        settings.save()
    else:
        settings = project.get_recipe("use_secrets").get_settings()
        settings.set_payload(settings.get_payload().replace(secret.value, secret.rotated))
        settings.save()


def secrets_project() -> ProjectSeed:
    """The project, every secret at its first value."""
    s = {secret.label: secret.value for secret in SECRETS}
    columns = {"columns": [{"name": "id", "type": "bigint"}, {"name": "amount", "type": "double"}]}
    reporter = {"active": True, "phase": "END", "runConditionEnabled": False}
    return ProjectSeed(
        key=KEY,
        params={"name": "Secrets", "owner": "admin", "projectStatus": "In use", "description": "holds secrets",
                "tags": ["secrets"], "permissions": []},
        variables={"env": "prod", "db_password": s["project variable standard.db_password"]},
        local_variables={"api_token": s["project variable local.api_token"]},
        datasets={
            "pg_orders": {"type": "PostgreSQL", "managed": False, "schema": columns,
                          "params": {"connection": "pg_prod", "table": "orders", "user": "etl",
                                     "password": s["dataset params.password"]}},
            "s3_exports": {"type": "S3", "managed": False, "schema": columns,
                           "params": {"bucket": "exports", "path": "/orders",
                                      "credentials": {"accessKey": "AKIAEXAMPLEKEYID",
                                                      "secretAccessKey": s["dataset params.credentials block"]}}},
            "partner_orders": {"type": "HTTP", "managed": False, "schema": columns,
                               "params": {"url": _partner_url(s["password inside a URL"])}},
            "git_exports": {"type": "HTTP", "managed": False, "schema": columns,
                            "params": {"url": _git_url(s["token as a URL's user name"])}},
            "azure_exports": {"type": "Azure", "managed": False, "schema": columns, "params": {
                "container": "exports",
                "connectionString": _azure_account(s["Azure AccountKey in a connection string"]),
                "sasConnection": _azure_sas(s["Azure SharedAccessSignature"])}},
        },
        recipes={
            "compute_totals": ({"type": "python", "inputs": {"main": {"items": [{"ref": "pg_orders"}]}},
                                "outputs": {"main": {"items": [{"ref": "s3_exports"}]}}},
                               "import dataiku\nprint('totals')\n"),
            "use_secrets": ({"type": "python", "inputs": {"main": {"items": [{"ref": "partner_orders"}]}},
                             "outputs": {"main": {"items": [{"ref": "git_exports"}]}}},
                            RECIPE_CODE.format(password=s["password literal in recipe code"],
                                               token=s["API_TOKEN literal in recipe code"],
                                               secret=s['"secret": literal in recipe code'])),
        },
        scenarios={"NOTIFY": ({
            "type": "step_based", "name": "Notify", "active": True, "triggers": [], "params": {"steps": []},
            "reporters": [
                dict(reporter, id="rep_pager", messaging={
                    "type": "pagerduty-scenario",
                    "configuration": {"service": "orders", "apiKey": s["scenario reporter apiKey"]}}),
                dict(reporter, id="rep_slack", messaging={
                    "type": "slack-scenario",
                    "configuration": {"mode": "WEBHOOK", "channel": "#orders",
                                      "webhookUrl": _webhook(s["scenario reporter Slack webhook URL"])}}),
                dict(reporter, id="rep_hook", messaging={
                    "type": "webhook-scenario",
                    "configuration": {"method": "POST", "url": _ops_hook(s["token in a URL query"])}}),
            ],
        }, None), "SCRIPTED": ({"type": "custom_python", "name": "Scripted", "active": False, "triggers": [],
                                "reporters": [], "params": {}},
                               SCENARIO_SCRIPT.format(token=s["token literal in a python scenario script"]))},
        managed_folders={
            "Fd0Secr1": {"name": "exports", "type": "S3",
                         "params": {"bucket": "exports", "accessKey": "AKIAEXAMPLEKEYID",
                                    "secretKey": s["managed folder params.secretKey"]}},
            "Fd0Sas01": {"name": "blob_exports", "type": "Azure", "params": {"url": _sas_url(s["SAS sig= in a URL"])}},
            STATE_FOLDER: {"name": "iac_state", "type": "Filesystem",
                           "params": {"connection": "filesystem_folders", "path": "${projectKey}/state"}},
        },
        saved_models={"Sm0Secr1": {"name": "scorer", "savedModelType": "DSS_MANAGED",
                                   "contentType": "prediction/py_memory",
                                   "miniTask": {"taskType": "PREDICTION", "backendType": "PY_MEMORY",
                                                "customParams": {"endpoint": "https://features.example.com",
                                                                 "secretKey": s["saved model secretKey"]}}}},
    )


# -- collecting everything the tool produced ------------------------------------------------------------


class Outputs:
    """Every text the tool produced, by label."""

    def __init__(self) -> None:
        self.texts: Dict[str, str] = {}

    def add(self, label: str, text: Any) -> str:
        text = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
        self.texts[f"{len(self.texts):03d} {label}"] = text
        return text


@pytest.fixture
def dss(bare_emulator: DSSEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DSSEmulator:
    """An emulator holding the secrets project only; the CLI pointed at it, working in tmp_path."""
    bare_emulator.load_project(secrets_project())
    monkeypatch.chdir(tmp_path)
    point_environment_at(bare_emulator, monkeypatch)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return bare_emulator


def run_cli(capsys: pytest.CaptureFixture, outputs: Outputs, *argv: str) -> Tuple[int, str, str]:
    code = main(["--debug", *argv])
    captured = capsys.readouterr()
    outputs.add(f"cli {' '.join(argv)} (stdout)", captured.out)
    outputs.add(f"cli {' '.join(argv)} (stderr)", captured.err)
    assert code in (0, 2), f"dataiku-iac {' '.join(argv)} exited {code}: {captured.err}"
    return code, captured.out, captured.err


def webapp_client(state_dir: Path) -> Any:
    """The Flask test client of the app ``dataiku-iac serve --state-dir DIR`` serves (DKU_* set: live checks on)."""
    from dataiku_iac.cli.serve import build_context
    from dataiku_iac.webapp.standalone import create_app

    args = argparse.Namespace(state_dir=str(state_dir), env="dev", read_only=False, project=None, folder=None,
                              dss_url=None, api_key_file=None)
    return create_app(build_context(args)).test_client()


def get_json(client: Any, outputs: Outputs, url: str) -> Any:
    response = client.get(url)
    outputs.add(f"GET {url}", response.get_data(as_text=True))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def run_job(client: Any, outputs: Outputs, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
    response = client.post(path, json=body)
    outputs.add(f"POST {path}", response.get_data(as_text=True))
    assert response.status_code == 202, response.get_data(as_text=True)
    job = get_json(client, outputs, f"/api/jobs/{response.get_json()['id']}?wait=10")
    assert job["status"] == "done", job
    return job


def exercise_webapp(client: Any, outputs: Outputs) -> None:
    """Every GET route over the stored state, history and reports, plus a live check and an accept."""
    for url in ("/", "/api/environments", "/api/viewer", "/api/state", "/api/history", "/api/reports"):
        response = client.get(url)
        outputs.add(f"GET {url}", response.get_data(as_text=True))
        assert response.status_code == 200
    serials = [entry["serial"] for entry in get_json(client, outputs, "/api/history")["history"]]
    state = get_json(client, outputs, "/api/state")
    run_job(client, outputs, "/api/check", {})
    for name in get_json(client, outputs, "/api/reports")["reports"]:
        index = get_json(client, outputs, f"/api/report?name={name}")
        for row in index["rows"]:
            get_json(client, outputs, f"/api/report/change?name={name}&address={row['address']}")
    first, last = serials[0], serials[-1]
    index = get_json(client, outputs, f"/api/compare?from={first}&to={last}")
    assert index["rows"], "the compared serials should differ (rotated secrets)"
    for row in index["rows"]:
        get_json(client, outputs, f"/api/compare/change?from={first}&to={last}&address={row['address']}")
    for secret in SECRETS:
        for serial in serials:
            get_json(client, outputs, f"/api/resource?address={secret.resource_id}&serial={serial}")
        get_json(client, outputs, f"/api/resource?address={secret.resource_id}")
    run_job(client, outputs, "/api/accept", {"expected_serial": state["serial"]})


def load_component(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"secrets_component_{next(_modules)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_macro(path: Path, outputs: Outputs, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a plugin macro as DSS would, with the ``dataiku`` stub pointed at the emulator."""
    import dataiku

    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", KEY)
    monkeypatch.setenv("DKU_PLUGIN_CONFIG", "{}")
    monkeypatch.delenv("DKU_API_TICKET", raising=False)
    dataiku.reset_stub()
    try:
        runnable = load_component(path).MyRunnable(KEY, {"state_folder": STATE_FOLDER, "environment": "dev"}, {})
        html = runnable.run(lambda percent: None)
    finally:
        dataiku.reset_stub()
    return outputs.add(f"macro {path.parent.name}", html)


def folder_files(dss: DSSEmulator, outputs: Outputs) -> None:
    folder = dss.client().get_project(KEY).get_managed_folder(STATE_FOLDER)
    for item in folder.list_contents()["items"]:
        outputs.add(f"managed folder {item['path']}", folder.get_file(item["path"]).content.decode("utf-8"))


def files_under(directory: Path, outputs: Outputs) -> int:
    count = 0
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            outputs.add(f"file {path.relative_to(directory)}", path.read_bytes().decode("utf-8", "replace"))
            count += 1
    return count


def log_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), record.exc_text or ""]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


# -- the test -----------------------------------------------------------------------------------------------


def test_secrets_never_leak_and_rotations_are_reported(dss, tmp_path, capsys, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    outputs = Outputs()
    state_dir = tmp_path / ".dataiku" / "state"
    project = dss.client().get_project(KEY)

    # Baseline: sync, look at it every way, check there is no drift.
    run_cli(capsys, outputs, "sync", KEY)
    run_cli(capsys, outputs, "show")
    run_cli(capsys, outputs, "show", "--format", "json")
    for resource_id in sorted({secret.resource_id for secret in SECRETS}):
        run_cli(capsys, outputs, "show", "--resource", resource_id)
    assert run_cli(capsys, outputs, "drift")[0] == 0
    run_macro(SYNC_MACRO, outputs, monkeypatch)

    # Rotate every secret in DSS, as a user would.
    for secret in SECRETS:
        rotate(secret, project)

    code, out, _ = run_cli(capsys, outputs, "drift", "--format", "json", "--save-report")
    assert code == 2
    report = json.loads(out)
    for fmt in ("text", "html"):
        assert run_cli(capsys, outputs, "drift", "--format", fmt, "--save-report")[0] == 2
    for fmt in ("text", "json", "html"):
        assert run_cli(capsys, outputs, "drift", "--format", fmt, "--output", f"out/drift.{fmt}")[0] == 2
    run_macro(DETECT_MACRO, outputs, monkeypatch)

    # Each rotation is reported at its path, redacted on both sides, with different markers.
    changes = {(change["address"], attribute["path"]): attribute
               for change in report["resource_changes"] for attribute in change["attribute_changes"]}
    reported = []
    for secret in SECRETS:
        change = changes.get((secret.resource_id, secret.path))
        if change is not None and change["action"] == "modified":
            before, after = str(change["before"]), str(change["after"])
            if REDACTION_PREFIX in before and REDACTION_PREFIX in after and before != after:
                reported.append(secret.label)
    missed = [secret.label for secret in SECRETS if secret.label not in reported]

    # Record the rotated state, then compare the two serials every way.
    run_cli(capsys, outputs, "sync")
    run_cli(capsys, outputs, "history")
    run_cli(capsys, outputs, "history", "--format", "json")
    snapshot = ".dataiku/state/dev.state.json.history/serial-00000001.json"
    for fmt in ("text", "json", "html"):
        assert run_cli(capsys, outputs, "diff", snapshot, ".dataiku/state/dev.state.json", "--format", fmt)[0] == 2
    assert run_cli(capsys, outputs, "diff", snapshot, ".dataiku/state/dev.state.json", "--format", "html",
                   "--output", "out/diff.html")[0] == 2

    exercise_webapp(webapp_client(state_dir), outputs)
    folder_files(dss, outputs)
    written = files_under(tmp_path, outputs)
    for record in caplog.records:
        if not record.name.startswith("dss_emulator"):
            outputs.add(f"log {record.name}:{record.levelname}", log_text(record))

    forbidden = {f"{secret.label} (value)": secret.value for secret in SECRETS}
    forbidden.update({f"{secret.label} (rotated)": secret.rotated for secret in SECRETS})
    forbidden["the API key"] = dss.api_key
    forbidden["the redaction key"] = resolve_key().__dict__["_secret"].decode()
    leaks = [(label, where) for label, text in forbidden.items() for where, body in outputs.texts.items()
             if text in body]
    log_count = sum(1 for label in outputs.texts if label.split(" ", 2)[1] == "log")
    print(f"\n{len(SECRETS)} secrets (+ {len(SECRETS)} rotated values + the API key) x {len(outputs.texts)} outputs "
          f"({written} files written, {log_count} log records): {len(leaks)} leaks; "
          f"{len(reported)}/{len(SECRETS)} secret changes reported")
    assert not leaks, "secrets leaked:\n" + "\n".join(f"  {label} in {where}" for label, where in leaks[:30])
    assert not missed, f"rotations not reported as a redacted change: {missed}"
    assert any(REDACTION_PREFIX in body for body in outputs.texts.values())
    # The checks looked at real content: the state, reports and the macro's folder hold the redacted values.
    assert written >= 8 and any(label.split(" ", 1)[1].startswith("managed folder") for label in outputs.texts)


@pytest.mark.parametrize("text, secret", [
    ("https://etl:Pa55@db.example.com:5432/x", "Pa55"),
    ("jdbc:postgresql://etl:S3c:ret@db:5432/orders?ssl=true&password=abc", "S3c:ret"),
    ("see ftp://me:pw0rd@ftp.example.com/ and https://h.example.com/?sig=1&api_token=tok123#top", "pw0rd"),
    ("see ftp://me:pw0rd@ftp.example.com/ and https://h.example.com/?sig=1&api_token=tok123#top", "tok123"),
])
def test_4_url_forms_lose_their_credentials_and_keep_the_rest(text, secret):
    redacted = redact_urls(text)
    assert secret not in redacted and REDACTION_PREFIX in redacted
    assert redact_urls(redacted) == redacted  # markers are not redacted again
    assert redacted != redact_urls(text.replace(secret, secret + "x"))  # a changed secret changes the marker
    assert "example.com" in redacted or "db:5432" in redacted


def test_urls_without_credentials_are_left_alone():
    for text in ("https://example.com/a?format=csv&sep=,", "http://h:8080/p@x", "user:pw@host", "${url}",
                 "https://git@example.com/org/repo.git"):
        assert redact_urls(text) == text
    attributes = SyncRules().attributes("dataset", {"params": {"url": "https://u:p@h/x", "webhookUrl": "https://x"}})
    assert attributes["params"] == {"url": f"https://u:{redaction_marker('p')}@h/x",
                                    "webhookUrl": redaction_marker("https://x")}


def test_a_changed_redaction_key_gives_a_notice_not_a_drift_of_every_secret(dss, capsys, monkeypatch):
    outputs = Outputs()
    monkeypatch.setenv(ENV_KEY, "first-redaction-key-0123456789abcdef")
    run_cli(capsys, outputs, "sync", KEY)
    monkeypatch.setenv(ENV_KEY, "second-redaction-key-0123456789abcdef")
    code, out, _ = run_cli(capsys, outputs, "drift", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["summary"]["modified"] == 0, report["resource_changes"]
    notice = report["context"]["redaction_notice"]
    assert "redaction key changed" in notice and "could not be compared" in notice
    code, text, _ = run_cli(capsys, outputs, "drift")
    assert code == 0 and "redaction key changed" in text
    # A change outside the secrets still shows under the new key (a secret rotated in the same window cannot
    # be told apart: the notice says so), and a sync records the new markers: the notice is one-time.
    _edit_settings(dss.client().get_project(KEY).get_dataset("pg_orders"), lambda raw: raw.update(description="v2"))
    code, out, _ = run_cli(capsys, outputs, "drift", "--format", "json")
    changed = {c["address"] for c in json.loads(out)["resource_changes"]}
    assert code == 2 and changed == {f"dataset.{KEY}.pg_orders"}
    run_cli(capsys, outputs, "sync")
    code, out, _ = run_cli(capsys, outputs, "drift", "--format", "json")
    assert code == 0 and "redaction_notice" not in json.loads(out)["context"]
    keys = ("first-redaction-key-0123456789abcdef", "second-redaction-key-0123456789abcdef")
    assert not [where for where, body in outputs.texts.items() if any(key in body for key in keys)]
