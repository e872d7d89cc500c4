"""``POST /api/plan/apply`` through Flask's test client: a real stored plan of GIT_INTEGRATION_DEMO
(``plan_demo.py``) applied to the emulator through the real client, and every refusal, each leaving DSS,
the state and the plan's records as they were."""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from dataiku_iac.apply.executor import ApplyRefusedError, StalePlanError
from dataiku_iac.exceptions import ApplyError, PermissionDeniedError
from dataiku_iac.plugin.applying import latest_records
from dataiku_iac.webapp import Viewer, local_context
from dataiku_iac.webapp.context import plan_applier
from dataiku_iac.webapp.dss import dss_admins_only
from dataiku_iac.webapp.errors import describe
from dataiku_iac.webapp.routes import _authorize_apply
from tests.dss_support import shared_projects_dir

from .conftest import make_client, viewer_is
from .demo import PROJECT_KEY, XSS_DESCRIPTION, XSS_NAME
from .plan_demo import DemoPlan, build_demo_plan

WRITER = Viewer(login="wendy", may_write=True)
READER = Viewer(login="rita", may_write=False, reason="rita has no write access to project OPS")


@pytest.fixture
def demo(emulator_pool: Any, tmp_path: Any) -> Iterator[Any]:
    """A fresh emulator and plan per test: an apply changes both."""
    dss = emulator_pool.reset("bare")
    plan = build_demo_plan(dss, shared_projects_dir(), tmp_path)
    yield dss, plan


def context_of(dss: Any, plan: DemoPlan, viewer: Viewer = WRITER, applier: bool = True) -> Any:
    # The plan was made with no environment variables: apply reads the config with the same ones.
    applies = plan_applier(dss.client(), allow_directories=True, environ={}) if applier else None
    return viewer_is(local_context(plan.state_dir, apply_plan=applies), viewer)


def post_apply(client: Any, body: Dict[str, Any]) -> Any:
    return client.post("/api/plan/apply?env=dev", json=body)


def finished(client: Any, response: Any) -> Dict[str, Any]:
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    while job["status"] == "running":
        job = client.get(f"/api/jobs/{job['id']}?wait=10").get_json()
    return job


def description(dss: Any, name: str) -> str:
    return dss.client().get_project(PROJECT_KEY).get_dataset(name).get_settings().get_raw().get("description", "")


def untouched(dss: Any, plan: DemoPlan, serial: int) -> None:
    """Nothing of the plan reached DSS, the state or the records."""
    assert description(dss, "Customers") != XSS_DESCRIPTION
    assert not dss.client().get_project(PROJECT_KEY).get_dataset(XSS_NAME).exists()
    assert plan.backend.load().serial == serial
    assert latest_records(plan.backend) == {}


def test_a_writer_applies_the_plan_and_the_record_shows_on_the_plan(demo):
    dss, plan = demo
    client = make_client(context_of(dss, plan))
    serial = plan.backend.load().serial
    job = finished(client, post_apply(client, {"id": plan.plan_id, "expected_serial": serial}))
    assert job["status"] == "done" and job["kind"] == "apply" and job["subject"] == plan.plan_id
    result = job["result"]
    assert result["ok"] is True and result["counts"] == {"applied": 4, "failed": 0, "not attempted": 0}
    assert result["applied_by"] == WRITER.login and result["record_id"].startswith("apply-")
    assert job["done"] == job["total"] == 4  # progress counts operations
    # DSS changed, read back through the client; the state moved.
    assert description(dss, "Customers") == XSS_DESCRIPTION
    assert description(dss, XSS_NAME) == XSS_DESCRIPTION
    assert plan.backend.load().serial > serial
    # The plan list and the plan carry the record; each row its outcome.
    [entry] = client.get("/api/plans?env=dev").get_json()["plans"]
    assert entry["applied"]["applied_by"] == WRITER.login and entry["applied"]["ok"] is True
    assert entry["applied"]["summary"] == "Apply complete: 4 applied."
    index = client.get(f"/api/plan?env=dev&id={plan.plan_id}").get_json()
    assert index["applied"]["id"] == result["record_id"]
    assert [row["apply_status"] for row in index["rows"]] == ["applied"] * 4
    operation = client.get("/api/plan/operation", query_string={
        "env": "dev", "id": plan.plan_id, "address": f"dataset.{PROJECT_KEY}.Customers"}).get_json()
    assert operation["apply_status"] == "applied" and operation["apply_error"] is None
    # Applying it again: the plan is now stale (the state moved), refused with the reason in the job.
    again = finished(client, post_apply(client, {"id": plan.plan_id}))
    assert again["status"] == "failed" and again["error"]["status"] == 409
    assert any("the state moved" in reason for reason in again["error"]["reasons"])


def test_a_plan_never_applied_has_no_record_nor_row_status(demo):
    dss, plan = demo
    client = make_client(context_of(dss, plan))
    [entry] = client.get("/api/plans?env=dev").get_json()["plans"]
    assert entry["applied"] is None
    index = client.get("/api/plan?env=dev").get_json()
    assert index["applied"] is None and all("apply_status" not in row for row in index["rows"])


def test_a_stale_plan_fails_the_job_with_every_reason_and_writes_nothing(demo):
    dss, plan = demo
    settings = dss.client().get_project(PROJECT_KEY).get_dataset("Customers").get_settings()
    settings.get_raw()["description"] = "Edited by hand after the plan"
    settings.save()
    client = make_client(context_of(dss, plan))
    serial = plan.backend.load().serial
    job = finished(client, post_apply(client, {"id": plan.plan_id, "expected_serial": serial}))
    assert job["status"] == "failed"
    error = job["error"]
    assert error["status"] == 409 and error["message"].startswith("The plan is stale, nothing was written")
    assert any("Customers was changed in DSS since the plan" in reason for reason in error["reasons"])
    assert description(dss, "Customers") == "Edited by hand after the plan"
    assert plan.backend.load().serial == serial and latest_records(plan.backend) == {}
    assert not dss.client().get_project(PROJECT_KEY).get_dataset(XSS_NAME).exists()


def test_a_moved_state_is_refused_at_once(demo):
    dss, plan = demo
    client = make_client(context_of(dss, plan))
    serial = plan.backend.load().serial
    response = post_apply(client, {"id": plan.plan_id, "expected_serial": serial - 1})
    assert response.status_code == 409
    message = response.get_json()["error"]["message"]
    assert f"(serial {serial - 1}, now {serial})" in message and "nothing was applied" in message
    untouched(dss, plan, serial)


def test_a_reader_is_refused_before_anything(demo):
    dss, plan = demo
    client = make_client(context_of(dss, plan, viewer=READER))
    serial = plan.backend.load().serial
    response = post_apply(client, {"id": plan.plan_id, "expected_serial": serial})
    assert response.status_code == 403
    message = response.get_json()["error"]["message"]
    assert message == f"rita may not apply plan {plan.plan_id} ({READER.reason})"
    untouched(dss, plan, serial)


def test_an_unidentified_viewer_is_refused(demo):
    dss, plan = demo
    client = make_client(context_of(dss, plan, viewer=Viewer(login=None, reason="no session")))
    response = post_apply(client, {"id": plan.plan_id})
    assert response.status_code == 401 and "nothing was applied (no session)" in response.get_json()["error"]["message"]
    untouched(dss, plan, plan.backend.load().serial)


def test_without_an_applier_apply_is_unavailable_and_says_why(demo):
    dss, plan = demo
    client = make_client(context_of(dss, plan, applier=False))
    response = post_apply(client, {"id": plan.plan_id})
    assert response.status_code == 503
    message = response.get_json()["error"]["message"]
    assert message.startswith("Apply is not available here: this viewer has no DSS connection") and \
        "DKU_DSS_URL" in message


def test_malformed_requests_are_refused(demo):
    dss, plan = demo
    client = make_client(context_of(dss, plan))
    assert client.post("/api/plan/apply?env=dev", data="id=x").status_code == 415
    for body in ({}, {"id": ""}, {"id": 3}, {"id": "x" * 300}, {"id": plan.plan_id, "expected_serial": True},
                 {"id": plan.plan_id, "expected_serial": "2"}):
        assert post_apply(client, body).status_code == 400, body
    for missing in ("plan-20990101T000000000000Z", "../../etc/passwd", "plan-../../../etc/passwd"):
        response = post_apply(client, {"id": missing})
        assert response.status_code == 404 and "No stored plan named" in response.get_json()["error"]["message"]
    cross_site = client.post("/api/plan/apply?env=dev", json={"id": plan.plan_id},
                             headers={"Origin": "http://evil.example"})
    assert cross_site.status_code == 403
    untouched(dss, plan, plan.backend.load().serial)


def test_a_plan_without_operations_is_not_applied(demo):
    dss, plan = demo
    from dataiku_iac.plugin.plans import PlanStore

    empty = dict(plan.document, operations=[], summary={key: 0 for key in plan.document["summary"]})
    empty_id = PlanStore(plan.backend).save(empty, "bob")
    client = make_client(context_of(dss, plan))
    response = post_apply(client, {"id": empty_id})
    assert response.status_code == 422 and "has no operations" in response.get_json()["error"]["message"]


def test_a_plan_creating_projects_needs_the_hosts_creation_right():
    document = {"operations": [
        {"resource_type": "project", "action": "create", "project_key": "NEW", "resource_id": "project.NEW"},
        {"resource_type": "dataset", "action": "create", "project_key": "NEW", "resource_id": "dataset.NEW.d"},
        {"resource_type": "dataset", "action": "update", "project_key": "OLD", "resource_id": "dataset.OLD.d"},
    ]}
    asked = []
    context = local_context("/nonexistent")
    context.authorize = lambda viewer, keys, action: asked.append(keys)
    context.authorize_creation = dss_admins_only
    _authorize_apply(context, Viewer(login="root", may_write=True, dss_admin=True), "plan-1", document)
    with pytest.raises(PermissionDeniedError, match="only a DSS administrator may create projects"):
        _authorize_apply(context, WRITER, "plan-1", document)
    assert asked == [["OLD"], ["OLD"]]  # existing projects are checked first, for everyone
    serve = local_context("/nonexistent")  # serve: any writer may create projects
    _authorize_apply(serve, WRITER, "plan-1", document)
    with pytest.raises(PermissionDeniedError, match="rita may not apply plan plan-1"):
        _authorize_apply(serve, READER, "plan-1", document)


def test_apply_errors_answer_their_statuses_with_every_reason():
    reasons = [f"dataset.K.d{index}: changed in DSS since the plan" for index in range(12)]
    body, status = describe(StalePlanError(reasons))
    assert status == 409 and body["error"]["reasons"] == reasons and "(and 2 more)" in body["error"]["message"]
    assert describe(ApplyRefusedError("Apply refused, nothing was written: protected"))[1] == 422
    assert describe(PermissionDeniedError("rita may not apply"))[1] == 403
    assert describe(ApplyError("dataset.K.d: a redaction marker would be sent"))[1] == 422
    assert "reasons" not in describe(PermissionDeniedError("no"))[0]["error"]


def test_the_plans_view_spells_not_attempted_as_apply_does():
    from dataiku_iac.apply.result import NOT_ATTEMPTED
    from dataiku_iac.webapp import plans

    assert plans.NOT_ATTEMPTED == NOT_ATTEMPTED


def test_one_job_per_environment_a_second_apply_of_the_same_plan_joins_another_is_refused():
    import threading

    from dataiku_iac.webapp.errors import ConflictError
    from dataiku_iac.webapp.jobs import JobRunner

    runner, gate = JobRunner(), threading.Event()

    def work(progress):
        assert gate.wait(10)
        return {}

    first = runner.start("apply", "dev", work, requested_by="wendy", subject="plan-1")
    try:
        assert runner.start("apply", "dev", work, subject="plan-1") is first
        with pytest.raises(ConflictError, match="An apply of plan-1 job is already running for environment 'dev'"):
            runner.start("apply", "dev", work, subject="plan-2")
        with pytest.raises(ConflictError, match="already running"):
            runner.start("check", "dev", work)
        assert runner.start("apply", "prod", work, subject="plan-2") is not first
    finally:
        gate.set()
    assert runner.get(first.id, 10).status == "done" and first.to_dict()["subject"] == "plan-1"
