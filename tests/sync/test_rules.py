"""Unit tests of the sync rules: tracked fields, ignore rules, secret redaction, normalisation (pure)."""

from __future__ import annotations

import hashlib

import pytest

from dataiku_iac.exceptions import ConfigError
from dataiku_iac.models.state import RESOURCE_TYPES
from dataiku_iac.sync.rules import (
    DEFAULT_IGNORE_RULES,
    REDACTION_PREFIX,
    TRACKED_FIELDS,
    IgnoreRule,
    SyncRules,
    key_words,
    names_secret,
    normalise,
    redact_secrets,
    redaction_marker,
    to_rule,
)

TAG = {"versionNumber": 3, "lastModifiedBy": {"login": "jane"}, "lastModifiedOn": 1700000000000}


def dataset(**extra: object) -> dict:
    base = {
        "projectKey": "P", "name": "orders", "type": "Filesystem", "managed": False,
        "params": {"connection": "fs", "path": "/data/orders"}, "formatType": "csv",
        "formatParams": {"separator": ",", "probableNumberOfRecords": 1234},
        "schema": {"columns": [{"name": "id", "type": "bigint"}], "userModified": True},
        "metrics": {"probes": [], "displayedState": {"columns": ["a"]}},
        "metricsChecks": {"checks": [], "displayedState": {"checks": []}},
        "tags": ["b", "a", "b"], "versionTag": TAG, "creationTag": TAG, "lastBuild": 12,
    }
    base.update(extra)
    return base


def test_every_type_has_tracked_fields_and_every_default_rule_has_a_reason() -> None:
    assert set(TRACKED_FIELDS) == set(RESOURCE_TYPES)
    assert all(rule.reason.strip() for rule in DEFAULT_IGNORE_RULES)
    paths = {(rule.resource_type, rule.path) for rule in DEFAULT_IGNORE_RULES}
    assert ("*", "versionTag") in paths and ("*", "creationTag") in paths
    assert ("dataset", "formatParams.probableNumberOfRecords") in paths
    assert ("recipe", "payload.**.$*") in paths


def test_dataset_attributes_keep_configuration_and_drop_volatile_fields() -> None:
    attributes = SyncRules().attributes("dataset", dataset())
    assert list(attributes) == ["name", "type", "managed", "params", "formatType", "formatParams", "schema",
                                "metrics", "metricsChecks", "tags", "description", "shortDesc", "customFields",
                                "customMeta"]
    assert (attributes["description"], attributes["customMeta"]) == ("", {"kv": {}})  # absent: empty values
    assert attributes["formatParams"] == {"separator": ","}
    assert attributes["metrics"] == {"probes": []} and attributes["metricsChecks"] == {"checks": []}
    assert attributes["tags"] == ["a", "b"]
    assert "versionTag" not in attributes and "lastBuild" not in attributes and "projectKey" not in attributes


def test_null_metadata_takes_the_empty_value_and_other_nulls_stay() -> None:
    attributes = SyncRules().attributes("dataset", dataset(description=None, formatType=None))
    assert attributes["description"] == "" and attributes["formatType"] is None


def test_attributes_are_a_copy() -> None:
    source = dataset()
    attributes = SyncRules().attributes("dataset", source)
    attributes["params"]["path"] = "changed"
    attributes["schema"]["columns"].append({"name": "x"})
    assert source["params"]["path"] == "/data/orders" and len(source["schema"]["columns"]) == 1
    assert source["formatParams"]["probableNumberOfRecords"] == 1234  # ignored, not deleted from the source


def test_visual_payload_ui_state_is_ignored_at_any_depth() -> None:
    recipe = {
        "name": "prep", "type": "shaker", "inputs": {}, "outputs": {},
        "payload": {"steps": [{"type": "ColumnRenamer", "$idx": 1, "$selected": True,
                               "params": {"renamings": [{"from": "a", "to": "b", "$status": {"x": 1}}]}}],
                    "columnWidthsByName": {"a": 100}, "sorting": [{"column": "a"}], "explorationSampling": {},
                    "origin": "PREPARE_RECIPE"},
    }
    payload = SyncRules().attributes("recipe", recipe)["payload"]
    assert payload == {"steps": [{"type": "ColumnRenamer", "params": {"renamings": [{"from": "a", "to": "b"}]}}],
                       "origin": "PREPARE_RECIPE"}


def test_sorting_is_kept_outside_prepare_recipes() -> None:
    recipe = {"name": "s", "type": "sort", "payload": {"sorting": [{"column": "a"}], "columnWidthsByName": {}}}
    assert SyncRules().attributes("recipe", recipe)["payload"] == {"sorting": [{"column": "a"}]}


def test_user_rule_ignores_a_path_for_one_type_only() -> None:
    rules = SyncRules([{"type": "dataset", "path": "params.path", "reason": "differs per environment"}])
    assert "path" not in rules.attributes("dataset", dataset())["params"]
    folder = {"name": "f", "type": "Filesystem", "params": {"connection": "fs", "path": "/x"}}
    assert rules.attributes("managed_folder", folder)["params"]["path"] == "/x"
    assert rules.rules[-1] == IgnoreRule("dataset", "params.path", "differs per environment")


def test_rules_without_defaults_keep_everything_tracked() -> None:
    attributes = SyncRules(include_defaults=False).attributes("dataset", dataset())
    assert attributes["formatParams"]["probableNumberOfRecords"] == 1234


def test_rule_globs_and_subtypes() -> None:
    rules = SyncRules([IgnoreRule("recipe", "params.engine*", "engine tuning is per instance", subtypes=("join",))],
                      include_defaults=False)
    join = {"name": "j", "type": "join", "params": {"engineParams": {}, "engineX": 1, "keep": True}}
    python = {"name": "p", "type": "python", "params": {"engineParams": {}}}
    assert rules.attributes("recipe", join)["params"] == {"keep": True}
    assert rules.attributes("recipe", python)["params"] == {"engineParams": {}}
    assert [r.path for r in rules.rules_for("recipe", "join")] == ["params.engine*"]
    assert rules.rules_for("recipe", "python") == []


@pytest.mark.parametrize("rule", [
    {"type": "dataset", "path": "params.path"},  # no reason
    {"type": "widget", "path": "x", "reason": "r"},
    {"type": "dataset", "path": "a..b", "reason": "r"},
    {"type": "dataset", "path": "", "reason": "r"},
    "params.path",
])
def test_invalid_user_rules_are_config_errors(rule: object) -> None:
    with pytest.raises(ConfigError):
        to_rule(rule)  # type: ignore[arg-type]


def test_rule_to_dict() -> None:
    assert IgnoreRule("recipe", "payload.sorting", "ui", ("shaker",)).to_dict() == {
        "resource_type": "recipe", "path": "payload.sorting", "reason": "ui", "subtypes": ["shaker"]}
    assert "subtypes" not in IgnoreRule("*", "versionTag", "bumped").to_dict()


@pytest.mark.parametrize("key", ["password", "dbPassword", "db_password", "PASSWORD", "api_key", "apiKey", "APIKEY",
                                 "clientSecret", "secretKey", "sasToken", "accessToken", "credentials",
                                 "privateKey", "private_key", "passphrase", "Authorization"])
def test_credential_keys(key: str) -> None:
    assert names_secret(key)


@pytest.mark.parametrize("key", ["tokenizer", "maxTokens", "keys", "projectKey", "dashboardAuthorizations",
                                 "passthrough", "connection", "hadoopConfigKeys", "secretary_name"])
def test_ordinary_keys(key: str) -> None:
    assert not names_secret(key)


def test_key_words_split_camel_and_snake_case() -> None:
    assert key_words("dbPassword") == ["db", "password"]
    assert key_words("API_KEY") == ["api", "key"]
    assert key_words("sasToken2") == ["sas", "token", "2"]


def test_redaction_marker_changes_with_the_value_and_never_holds_it() -> None:
    marker = redaction_marker("hunter2")
    assert marker.startswith(f"{REDACTION_PREFIX}hmac:")  # keyed: an unsalted hash could be guessed offline
    assert hashlib.sha256(b"hunter2").hexdigest()[:12] not in marker
    assert marker == redaction_marker("hunter2") and marker != redaction_marker("hunter3")
    assert "hunter2" not in marker
    assert redaction_marker({"user": "u", "password": "p"}).startswith(REDACTION_PREFIX)


def test_redaction_of_nested_values_leaves_flags_and_empty_values() -> None:
    document = {"params": {"password": "s3cret", "useToken": True, "token": "", "credentials": {"user": "u"},
                           "list": [{"apiKey": "k-123"}], "host": "db"}}
    redacted = redact_secrets(document)
    assert redacted["params"]["password"] == redaction_marker("s3cret")
    assert redacted["params"]["useToken"] is True and redacted["params"]["token"] == ""
    assert redacted["params"]["credentials"] == redaction_marker({"user": "u"})
    assert redacted["params"]["list"][0]["apiKey"] == redaction_marker("k-123")
    assert redacted["params"]["host"] == "db"
    assert document["params"]["password"] == "s3cret"  # a copy: the source is untouched
    assert redact_secrets(redacted) == redacted  # markers are not redacted again


def test_extra_secret_words() -> None:
    rules = SyncRules(secret_words=["pin"])
    attributes = rules.attributes("project", {"variables": {"standard": {"pin": "1234", "region": "eu"}}})
    assert attributes["variables"]["standard"] == {"pin": redaction_marker("1234"), "region": "eu"}


def test_normalise_sorts_tags_and_project_permissions() -> None:
    attributes = {"tags": ["z", "a", "a"], "permissions": [{"group": "b"}, {"user": "u"}, {"group": "a"}, "x"]}
    normalise("project", attributes)
    assert attributes["tags"] == ["a", "z"]
    assert attributes["permissions"] == [{"user": "u"}, "x", {"group": "a"}, {"group": "b"}]
    other = {"tags": ["b", 1], "permissions": [{"group": "b"}, {"group": "a"}]}
    normalise("dataset", other)
    assert other == {"tags": ["b", 1], "permissions": [{"group": "b"}, {"group": "a"}]}


def test_matching_works_once_the_step_memo_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataiku_iac.sync import rules as rules_module

    monkeypatch.setattr(rules_module, "_MAX_MEMOISED_STEPS", 0)
    rules = SyncRules([{"type": "dataset", "path": "params.**.secretPath", "reason": "test"}])
    source = dataset(params={"connection": "fs", "nested": {"secretPath": "x", "keep": 1}})
    assert rules.attributes("dataset", source)["params"] == {"connection": "fs", "nested": {"keep": 1}}
