"""The Plans tab's routes through Flask's test client, on a real stored plan (``plan_demo.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dataiku_iac.webapp import local_context
from tests.dss_support import shared_projects_dir

from .conftest import make_client
from .demo import EDITOR, PROJECT_KEY, RECIPE, XSS_DESCRIPTION, XSS_NAME
from .plan_demo import PLANNER, DemoPlan, build_demo_plan


@pytest.fixture(scope="module")
def demo_plan(emulator_pool: Any, tmp_path_factory: Any) -> DemoPlan:
    return build_demo_plan(emulator_pool.reset("bare"), shared_projects_dir(), tmp_path_factory.mktemp("plans"))


@pytest.fixture
def client(demo_plan: DemoPlan) -> Any:
    return make_client(local_context(demo_plan.state_dir))


def test_plans_are_listed_with_who_and_when(client, demo_plan):
    data = client.get("/api/plans?env=dev").get_json()
    [entry] = data["plans"]
    assert entry["id"] == demo_plan.plan_id and entry["made_by"] == PLANNER
    assert entry["created_at"] == demo_plan.document["created_at"]
    assert entry["summary"]["update"] == 3 and entry["operations"] == 4


def test_a_plan_index_keeps_apply_order_and_reads_as_a_report(client, demo_plan):
    index = client.get(f"/api/plan?env=dev&id={demo_plan.plan_id}").get_json()
    assert index == client.get("/api/plan?env=dev").get_json()  # the newest by default
    assert index["source"] == {"kind": "plan", "environment": "dev", "id": demo_plan.plan_id}
    assert index["context"]["made_by"] == PLANNER
    expected = [op["resource_id"] for op in demo_plan.document["operations"]]
    assert [row["address"] for row in index["rows"]] == expected
    actions = {row["address"]: (row["action"], row["change"]) for row in index["rows"]}
    assert actions[f"dataset.{PROJECT_KEY}.{XSS_NAME}"] == ("create", "added")
    assert actions[f"recipe.{PROJECT_KEY}.{RECIPE}"] == ("update", "modified")
    orders = next(row for row in index["rows"] if row["name"] == "Orders")
    assert orders["last_modified_by"] == EDITOR and orders["paths"] == ["description"]
    assert index["counts_by_type"]["dataset"] == {"added": 1, "removed": 0, "modified": 2}


def test_an_operation_has_its_changes_code_diff_and_outside_note(client, demo_plan):
    def operation(address: str) -> Any:
        return client.get("/api/plan/operation", query_string={"env": "dev", "id": demo_plan.plan_id,
                                                                "address": address}).get_json()

    recipe = operation(f"recipe.{PROJECT_KEY}.{RECIPE}")
    [change] = recipe["attribute_changes"]
    assert change["path"] == "payload" and "+print('planned')" in change["text_diff"]
    orders = operation(f"dataset.{PROJECT_KEY}.Orders")
    assert orders["notes"][0].startswith(f"changed outside the config by {EDITOR} at ")
    created = operation(f"dataset.{PROJECT_KEY}.{XSS_NAME}")
    assert created["change"] == "added" and created["after"]["description"] == XSS_DESCRIPTION
    missing = client.get("/api/plan/operation", query_string={"env": "dev", "id": demo_plan.plan_id,
                                                              "address": "dataset.X.nope"})
    assert missing.status_code == 404


def test_unknown_or_absent_plans_are_clear_404s(client, tmp_path: Path):
    response = client.get("/api/plan?env=dev&id=plan-20990101T000000000000Z")
    assert response.status_code == 404 and "No stored plan named" in response.get_json()["error"]["message"]
    response = client.get("/api/plan?env=dev&id=../../etc/passwd")
    assert response.status_code == 404
    empty = make_client(local_context(tmp_path, default_environment="dev"))
    assert empty.get("/api/plans?env=dev").get_json()["plans"] == []
    message = empty.get("/api/plan?env=dev").get_json()["error"]["message"]
    assert "No stored plan at " in message and "dev.state.json.plans" in message and "plan from config" in message
