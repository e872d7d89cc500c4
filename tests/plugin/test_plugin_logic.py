"""dataiku_iac.plugin without DSS: parameter parsing, readable messages, HTML rendering."""

from __future__ import annotations

import pytest
import requests

from dataiku_iac.exceptions import (
    ConfigError,
    DSSError,
    DSSTimeoutError,
    DSSUnreachableError,
    LineageMismatchError,
    StateLockedError,
    StateNotFoundError,
    StateWriteError,
)
from dataiku_iac.plugin.config import (
    FolderRef,
    parse_bool,
    parse_check_params,
    parse_drift_params,
    parse_resource_types,
    parse_sync_params,
)
from dataiku_iac.plugin.messages import user_message
from dataiku_iac.plugin.render import counts_table, error_html, sync_summary_html

P = "SALES"


# -- parameters ---------------------------------------------------------------------------------------------


def test_sync_params_defaults():
    params = parse_sync_params({"state_folder": "Qx7mK2pA"}, P)
    assert params.folder == FolderRef(P, "Qx7mK2pA")
    assert (params.environment, params.scope, params.include_children) == ("dev", "project", True)


def test_sync_params_as_dss_sends_them():
    config = {"state_folder": " Qx7mK2pA ", "environment": "prod", "scope": "all", "include_children": False}
    params = parse_sync_params(config, P)
    assert (params.folder.value, params.environment, params.scope, params.include_children) == (
        "Qx7mK2pA", "prod", "all", False)


def test_drift_and_check_params_defaults():
    drift = parse_drift_params({"state_folder": "f", "environment": None}, P)
    assert drift.accept_live_as_baseline is False and drift.environment == "dev"
    check = parse_check_params({"state_folder": "f"}, P)
    assert check.fail_on_drift is True and check.ignored_types == ()
    check = parse_check_params({"state_folder": "f", "fail_on_drift": False,
                                "ignored_types": ["saved_model", "scenario", "saved_model"]}, P)
    assert check.fail_on_drift is False and check.ignored_types == ("saved_model", "scenario")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "State folder: choose the managed folder that holds the state"),
        ({"state_folder": "  "}, "State folder: choose the managed folder"),
        ({"state_folder": 3}, "State folder: expected a managed folder"),
        ({"state_folder": "f", "environment": "../etc"}, "Environment: Invalid environment name"),
        ({"state_folder": "f", "environment": 5}, "Environment: expected a name"),
        ({"state_folder": "f", "scope": "everything"}, "Scope: expected 'project'"),
        ({"state_folder": "f", "include_children": "maybe"}, "Include children: expected true or false"),
    ],
)
def test_sync_param_errors_name_the_field(config, message):
    with pytest.raises(ConfigError) as caught:
        parse_sync_params(config, P)
    assert str(caught.value).startswith(message)


def test_check_param_errors_name_the_field():
    with pytest.raises(ConfigError, match=r"^Resource types to ignore: unknown type 'pipeline'"):
        parse_check_params({"state_folder": "f", "ignored_types": ["pipeline"]}, P)
    with pytest.raises(ConfigError, match=r"^Fail the scenario on drift"):
        parse_check_params({"state_folder": "f", "fail_on_drift": 1}, P)
    with pytest.raises(ConfigError, match=r"^Accept the live state"):
        parse_drift_params({"state_folder": "f", "accept_live_as_baseline": "yes"}, P)
    with pytest.raises(ConfigError, match=r"^Parameters"):
        parse_drift_params(["not", "a", "dict"], P)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^Project"):
        parse_drift_params({"state_folder": "f"}, "")


def test_bools_and_types_in_their_other_forms():
    assert parse_bool("True", False, "x") is True and parse_bool(" false ", True, "x") is False
    assert parse_bool(None, True, "x") is True
    assert parse_resource_types("dataset, recipe,") == ("dataset", "recipe")
    with pytest.raises(ConfigError, match="list"):
        parse_resource_types(7)


def test_folder_reference_candidates():
    assert FolderRef(P, "Qx7mK2pA").candidates() == [(P, "Qx7mK2pA")]
    # PROJECT.id of another project: the local reading first (a folder may be named "OTHER.x").
    assert FolderRef(P, "OTHER.Qx7mK2pA").candidates() == [(P, "OTHER.Qx7mK2pA"), ("OTHER", "Qx7mK2pA")]
    assert FolderRef(P, "SALES.Qx7mK2pA").candidates()[0] == (P, "Qx7mK2pA")
    assert FolderRef(P, "my.folder").candidates() == [(P, "my.folder")]
    assert str(FolderRef(P, "x")) == "x"


# -- messages -----------------------------------------------------------------------------------------------


def test_no_state_says_run_the_sync_macro():
    message = user_message(StateNotFoundError("No state at x: run a sync first"), environment="prod", folder="f")
    assert "run the sync macro" in message and "'prod'" in message and "'f'" in message


def test_no_report_says_run_the_drift_detection():
    message = user_message(StateNotFoundError("No drift report at x yet: run a drift check first"))
    assert "drift detection" in message


def test_folder_not_writable_and_other_write_errors():
    assert "not writable" in user_message(StateWriteError("Cannot write x: the folder is not writable by this user"))
    assert user_message(StateWriteError("disk full")).startswith("The state could not be written")


def test_dss_unreachable_and_secrets_masked():
    message = user_message(DSSError("Refused key s3cr3t-key-value (api_key=abc123)"),
                           secrets=["s3cr3t-key-value", None, ""])
    assert message.startswith("DSS refused the request") and "s3cr3t" not in message and "abc123" not in message
    # Classified by type (and host attribute), not by the words of the message.
    unreachable = user_message(DSSUnreachableError("Cannot reach DSS while listing: check DKU_DSS_URL",
                                                   host="http://dss:11200"))
    assert unreachable == (
        "DSS is unreachable: cannot connect to http://dss:11200. Check that DSS is running, then retry.")
    slow = user_message(DSSTimeoutError("no answer while reading x", host="https://dss.example.com"))
    assert slow.startswith("DSS at https://dss.example.com did not answer in time")
    assert user_message(DSSError("DSS at http://x did not answer in time")).startswith("DSS refused the request")
    # The state folder's errors are raised from the transport failure: that cause decides.
    backend = DSSError("Cannot read managed folder P.F:/x: DSS at http://h:1 is unreachable or did not answer")
    backend.__cause__ = requests.ConnectionError(
        "refused", request=requests.Request("GET", "http://user:pw@h:1/dip/publicapi/x").prepare())
    assert user_message(backend).startswith("DSS is unreachable: cannot connect to http://h:1.")


def test_lock_message_says_which_file_to_delete():
    message = user_message(StateLockedError("loc", {"who": "bob", "id": "1"}), environment="prod")
    assert "locks/prod.lock" in message and "bob" in message


def test_other_errors_keep_their_message_and_are_shortened():
    assert "lineage" in user_message(LineageMismatchError("a", "b", "loc"))
    assert len(user_message(ConfigError("x" * 5000))) <= 1500


# -- html ---------------------------------------------------------------------------------------------------


def test_sync_summary_escapes_everything():
    html = sync_summary_html(environment="<dev>", saved=True, serial=3, lineage="l<1>", location="f:/<x>",
                             counts={"dataset": 2, "<script>": 1}, project_keys=["A"], changes=1)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;dev&gt;" in html
    assert "serial 3" in html and "1 resource change" in html


def test_sync_summary_variants():
    created = sync_summary_html(environment="d", saved=True, serial=1, lineage=None, location="x", counts={},
                                project_keys=[], changes=7, created=True)
    assert "State created as serial 1" in created
    same = sync_summary_html(environment="d", saved=False, serial=4, lineage="l", location="x", counts={},
                             project_keys=[], changes=0)
    assert "Nothing changed since serial 4" in same


def test_counts_table_has_a_total():
    assert "<th>Total</th><td class=\"diac-num\">3</td>" in counts_table({"dataset": 2, "recipe": 1})


def test_error_html_is_escaped_and_has_no_traceback():
    html = error_html("Sync failed", "bad <b>thing</b>\nsecond line")
    assert "&lt;b&gt;" in html and "<p>second line</p>" in html and "Traceback" not in html


def test_macro_progress_is_a_percentage_that_never_steps_back():
    from dataiku_iac.plugin.actions import percent_progress

    seen: list = []
    report = percent_progress(seen.append)
    for done, total in [(0, 0), (1, 2), (3, 4), (3, 5), (4, 5), (4, 5), (5, 5)]:
        report(done, total)
    assert seen == [0, 50, 75, 80, 100]
    assert percent_progress(None) is None
