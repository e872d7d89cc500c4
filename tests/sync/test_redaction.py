"""Keyed redaction markers, the text rules (URLs, connection strings, signatures, code literals), the key's
sources (environment, key file, DSS user secret) and drift across a change of key (pure, with temp files)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from dataiku_iac.exceptions import ConfigError
from dataiku_iac.redaction import (
    MARKER,
    RedactionKey,
    TextRedactor,
    align_redaction_keys,
    is_marker,
    marker_key_ids,
)
from dataiku_iac.redaction_key import (
    DSS_SECRET_NAME,
    ENV_KEY,
    ENV_KEY_FILE,
    default_key_path,
    key_from_dss_user_secrets,
    load_or_create_key_file,
    resolve_key,
)
from dataiku_iac.sync.rules import SyncRules

KEY = RedactionKey(b"k" * 32, "test")
OTHER = RedactionKey(b"o" * 32, "other")


def redact(text: str, key: RedactionKey = KEY) -> str:
    return TextRedactor(key).redact(text)


# -- the marker --------------------------------------------------------------------------------------------

def test_the_marker_is_keyed_and_names_its_key_but_holds_neither_the_value_nor_the_key() -> None:
    marker = KEY.marker("hunter2")
    assert is_marker(marker) and marker.startswith(f"<redacted:hmac:{KEY.key_id}:") and "hunter2" not in marker
    assert marker == KEY.marker("hunter2") and marker != KEY.marker("hunter3")
    assert marker != OTHER.marker("hunter2")  # the same secret under another key: another marker
    # The old unsalted marker could be recomputed from a guess; this one cannot without the key.
    assert hashlib.sha256(b"hunter2").hexdigest()[:12] not in marker
    assert KEY.key_id not in repr(b"k" * 32) and "kkkk" not in repr(KEY)
    with pytest.raises(ValueError):
        RedactionKey(b"short")


# -- text rules --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, secret", [
    ("https://ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8@github.com/org/repo.git",
     "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ("https://3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a@github.com/org/repo.git",
     "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a"),
    ("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4+/Zm9v==;"
     "EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4+/Zm9v=="),
    ("BlobEndpoint=https://acme.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=Q1w2E3r4%3D",
     "Q1w2E3r4%3D"),
    ("Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=Xy9Zk3Lm8Qp2Rs7T=",
     "Xy9Zk3Lm8Qp2Rs7T="),
    ("https://acme.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=o&sp=r&sig=AbCdEf0123%2B%3D",
     "AbCdEf0123%2B%3D"),
    ("Server=tcp:db.example.com;Database=sales;User ID=etl;Password=Pa55-w0rd!;Encrypt=True", "Pa55-w0rd!"),
    ('password = "hunter2"', "hunter2"),
    ("API_TOKEN='tok-81Hq'", "tok-81Hq"),
    ('config = {"secret": "s3-Zx9", "region": "eu"}', "s3-Zx9"),
    ("db_pwd <- 'r-Pw0rd'", "r-Pw0rd"),
    ("client = connect(user='etl', password='kw-Pa55')", "kw-Pa55"),
    ("$conf = ['api_key' => 'php-K3y'];", "php-K3y"),
    ("export SLACK_TOKEN=xoxb-1234-abcd", "xoxb-1234-abcd"),
    ('if token == "cmp-T0k":', "cmp-T0k"),
])
def test_secrets_in_text_are_masked(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted and MARKER.search(redacted), redacted
    assert redact(redacted) == redacted  # markers are never redacted again
    assert redact(text.replace(secret, secret[:-1] + "Z")) != redacted  # a rotated secret changes the marker


@pytest.mark.parametrize("text", [
    "password = get_password()", 'token = os.environ["DSS_TOKEN"]', "secret = dataiku.get_custom_variables()['x']",
    'tokenizer = "bert-base"', 'name = "password"', "https://git@github.com/org/repo.git", "${db_password}",
    "password=${db_password}", "connect(password=pw)", 'print("the password was changed")', "a = b == c",
    "Server=db;Database=sales;Encrypt=True", "https://example.com/a?format=csv&sep=,", 'label: "Token usage"',
])
def test_code_and_text_without_secret_literals_stay_as_they_are(text: str) -> None:
    assert redact(text) == text


def test_a_code_diff_keeps_its_shape_with_the_literal_masked() -> None:
    code = ("import dataiku\n"
            "password = \"hunter2\"\n"
            "API_TOKEN = 'abc-123-xyz'  # rotated monthly\n"
            "df = dataiku.Dataset('orders').get_dataframe()\n")
    redacted = redact(code)
    lines = redacted.splitlines()
    assert len(lines) == 4 and lines[0] == "import dataiku" and lines[3] == code.splitlines()[3]
    assert lines[1] == f'password = "{KEY.marker("hunter2")}"'
    assert lines[2] == f"API_TOKEN = '{KEY.marker('abc-123-xyz')}'  # rotated monthly"


def test_recipe_payloads_and_scenario_scripts_are_masked_in_attributes() -> None:
    rules = SyncRules(redaction_key=KEY)
    recipe = rules.attributes("recipe", {"name": "r", "type": "python", "payload": 'pwd = "p-1"\nprint(pwd)\n'})
    scenario = rules.attributes("scenario", {"id": "s", "type": "custom_python", "script": "TOKEN='t-2'\n"})
    assert recipe["payload"] == f'pwd = "{KEY.marker("p-1")}"\nprint(pwd)\n'
    assert scenario["script"] == f"TOKEN='{KEY.marker('t-2')}'\n"
    dataset = rules.attributes("dataset", {"params": {"connectionString": "AccountName=a;AccountKey=ak-Secret-1"}})
    assert "ak-Secret-1" not in str(dataset) and rules.redaction_key is KEY


# -- where the key comes from ------------------------------------------------------------------------------

def test_the_environment_variable_comes_first_then_the_key_file(tmp_path: Path) -> None:
    env = {ENV_KEY: "an-environment-key-of-32-characters", ENV_KEY_FILE: str(tmp_path / "k")}
    from_env = resolve_key(environ=env)
    assert from_env.source == f"${ENV_KEY}" and not (tmp_path / "k").exists()
    from_file = resolve_key(environ={ENV_KEY_FILE: str(tmp_path / "k")})
    assert from_file != from_env and from_file.key_id != from_env.key_id
    with pytest.raises(ConfigError, match="too short"):
        resolve_key(environ={ENV_KEY: "short"})
    assert resolve_key(KEY) is KEY and resolve_key("a-caller-key-of-24-chars").source == "the caller"


def test_the_key_file_is_generated_once_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "dataiku-iac" / "redaction.key"
    first = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text().strip()) == 64
    assert load_or_create_key_file(path) == first  # generated on first use only
    assert default_key_path({"XDG_CONFIG_HOME": str(tmp_path / "conf")}) == path
    assert default_key_path({"HOME": "/nowhere", ENV_KEY_FILE: "~/k"}).name == "k"


def test_a_symlinked_or_shared_key_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "planted"
    target.write_text("attacker-chosen-key-material-123\n")
    os.chmod(target, 0o600)
    link = tmp_path / "redaction.key"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="symlink"):
        load_or_create_key_file(link)
    dangling = tmp_path / "dangling.key"
    dangling.symlink_to(tmp_path / "not-there")
    with pytest.raises(ConfigError, match="symlink"):  # O_EXCL|O_NOFOLLOW: never created through the link
        load_or_create_key_file(dangling)
    assert not (tmp_path / "not-there").exists()
    shared = tmp_path / "shared.key"
    shared.write_text("a-key-others-may-read-0123456789\n")
    os.chmod(shared, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_key_file(shared)


class FakeDSSClient:
    """What ``dataiku.api_client().get_auth_info(with_secrets=True)`` answers (a pure unit)."""

    def __init__(self, secrets: Any, fails: bool = False) -> None:
        self.secrets, self.fails = secrets, fails

    def get_auth_info(self, with_secrets: bool = False) -> dict:
        if self.fails:
            raise RuntimeError("no such endpoint")
        return {"authIdentifier": "jane", "secrets": self.secrets if with_secrets else []}


def test_inside_dss_the_key_is_a_user_secret() -> None:
    client = FakeDSSClient([{"key": "other", "value": "x"}, {"key": DSS_SECRET_NAME, "value": "dss-user-secret-0123"}])
    key = key_from_dss_user_secrets(client)
    assert key is not None and key.source == f"DSS user secret {DSS_SECRET_NAME}"
    assert key == RedactionKey(b"dss-user-secret-0123")
    assert key_from_dss_user_secrets(FakeDSSClient([])) is None
    assert key_from_dss_user_secrets(FakeDSSClient([], fails=True)) is None


# -- a changed key -------------------------------------------------------------------------------------------

def test_after_a_key_change_markers_are_not_compared_and_a_notice_says_why() -> None:
    def attributes(key: RedactionKey, region: str) -> dict:
        return {"params": {"password": key.marker("pw"), "url": f"https://u:{key.marker('x')}@h/{region}",
                           "region": region}}

    baseline = {"dataset.P.a": attributes(OTHER, "eu"), "dataset.P.b": attributes(OTHER, "eu")}
    live = {"dataset.P.a": attributes(KEY, "eu"), "dataset.P.b": attributes(KEY, "us")}
    aligned, notice = align_redaction_keys(baseline, live, KEY.key_id)
    assert aligned["dataset.P.a"] == live["dataset.P.a"]  # only the markers differed: taken as unchanged
    # Around the markers the URL changed: that still shows (and the plain field too).
    assert aligned["dataset.P.b"]["params"]["url"] == baseline["dataset.P.b"]["params"]["url"]
    assert aligned["dataset.P.b"]["params"]["region"] == "eu"
    assert notice is not None and notice.values == 3 and notice.old_key_ids == [OTHER.key_id]
    assert "redaction key changed" in notice.message() and KEY.key_id in notice.message()
    legacy = {"dataset.P.a": {"password": "<redacted:sha256:0123456789ab>"}}
    aligned, notice = align_redaction_keys(legacy, {"dataset.P.a": {"password": KEY.marker("pw")}}, KEY.key_id)
    assert notice is not None and "unkeyed sha256" in notice.message()
    assert marker_key_ids(KEY.marker("a")) == [KEY.key_id]
    same, none = align_redaction_keys(live, live, KEY.key_id)
    assert same is live and none is None  # one-time: once synced with the key, nothing to say
