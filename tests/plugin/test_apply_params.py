"""The apply components' form parsing: plan ids, the confirmation and the deletion flags (pure units)."""

from __future__ import annotations

import pytest

from dataiku_iac.exceptions import ConfigError
from dataiku_iac.plugin.apply_components import apply_options
from dataiku_iac.plugin.config import parse_apply_config_params, parse_apply_params, parse_plan_id

PLAN_ID = "plan-20261201T225913000000Z"


def test_an_untouched_form_shows_the_newest_plan_and_allows_nothing():
    params = parse_apply_params({"state_folder": "f"}, "P")
    assert (params.plan_id, params.confirmed, params.drop_data, params.allow_project_delete) == (None, False, False,
                                                                                                 False)
    assert params.environment == "dev" and params.folder.value == "f"
    options = apply_options(params)
    assert (options.drop_data, options.allow_project_delete) == (False, False)


def test_the_flags_reach_the_apply_options():
    params = parse_apply_params({"state_folder": "f", "confirm_apply": "true", "drop_data": True,
                                 "allow_project_delete": True, "plan_id": PLAN_ID}, "P")
    assert params.confirmed and params.plan_id == PLAN_ID
    options = apply_options(params)
    assert options.drop_data and options.allow_project_delete


@pytest.mark.parametrize("value", [PLAN_ID, f"  {PLAN_ID}  ", f"{PLAN_ID}.json"])
def test_a_plan_id_as_shown_or_as_its_file_name(value):
    assert parse_plan_id(value) == PLAN_ID


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_empty_plan_id_is_the_newest(value):
    assert parse_plan_id(value) is None


@pytest.mark.parametrize("value", ["plan-1", "../states/dev.state", "report-20261201T225913000000Z", 7,
                                   f"{PLAN_ID}/../x", f"plans/dev/{PLAN_ID}"])
def test_anything_else_is_refused_naming_the_field(value):
    with pytest.raises(ConfigError, match=r"^Plan id: expected the id of a stored plan"):
        parse_plan_id(value)


def test_the_step_form_is_the_check_config_form_plus_the_deletion_flags():
    params = parse_apply_config_params({"config_folder": "c", "state_folder": "s", "config_path": "/config",
                                        "environment": "prod", "allow_deletions": True}, "P")
    assert params.allow_deletions and not params.drop_data and not params.allow_project_delete
    assert (params.plan.config_path, params.plan.environment) == ("/config", "prod")
    with pytest.raises(ConfigError, match=r"^Allow deletions: expected true or false"):
        parse_apply_config_params({"config_folder": "c", "state_folder": "s", "allow_deletions": "yes"}, "P")
    with pytest.raises(ConfigError, match=r"^Config folder: choose"):
        parse_apply_config_params({"state_folder": "s"}, "P")


def test_the_macro_bar_shows_the_reads_then_the_operations():
    from dataiku_iac.plugin.apply_components import phased_progress

    seen: list = []
    reads, operations = phased_progress(seen.append)
    reads(1, 4)
    reads(2, 8)  # the total grew as listings revealed more objects: the bar does not step back
    reads(8, 8)
    operations(0, 2)
    operations(1, 2)
    operations(2, 2)
    assert seen == [12, 50, 75, 100]
    seen.clear()
    reads, operations = phased_progress(seen.append)
    operations(0, 0)  # nothing to run
    assert seen == [100]
    assert phased_progress(None) == (None, None)
