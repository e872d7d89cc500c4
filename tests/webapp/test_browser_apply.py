"""The Plans tab's Apply in headless Chromium, on a real stored plan of GIT_INTEGRATION_DEMO (``plan_demo.py``)
applied to the emulator through the real client: with permission (the result in place, DSS changed, the record
after a reload), without it (read-only serve: disabled with the reason, and the route refuses), a stale plan
and a moved state (refused with the reasons, nothing written), a failing operation whose error carries an XSS
probe (still text). ``DATAIKU_IAC_UPDATE_SCREENSHOT=1`` refreshes docs/drift-viewer-plans.png."""

from __future__ import annotations

import re
import threading
from typing import Any, Iterator, NamedTuple

import pytest
from werkzeug.serving import make_server

from dataiku_iac.plugin.applying import latest_records
from dataiku_iac.webapp import local_context, manager_factory_for
from dataiku_iac.webapp.context import plan_applier
from dataiku_iac.webapp.standalone import create_app

from .demo import PROJECT_KEY, RECIPE, XSS_DESCRIPTION, XSS_NAME
from .plan_demo import DemoPlan, build_demo_plan
from .test_browser import (  # noqa: F401
    ARTIFACTS,
    REPO_ROOT,
    Watched,
    browser,
    expand,
    row_with,
    rows,
    save_screenshot,
    shared_projects_path,
)
from .test_browser_plans import open_plans

pytestmark = pytest.mark.browser
VIEW = "#iac-plan-view"
PLANS_SCREENSHOT = REPO_ROOT / "docs" / "drift-viewer-plans.png"
SUMMARY = "Plan: 1 to add, 3 to change, 0 to replace, 0 to destroy."


class Served(NamedTuple):
    dss: Any
    plan: DemoPlan
    url: str


def serve(dss: Any, plan: DemoPlan, read_only: bool = False) -> Iterator[Served]:
    # The plan was made with no environment variables: apply reads the config with the same ones.
    # As 'serve' with a connection: live checks and apply through the same client.
    context = local_context(plan.state_dir, read_only=read_only, make_manager=manager_factory_for(dss.client()),
                            apply_plan=plan_applier(dss.client(), allow_directories=True, environ={}))
    server = make_server("127.0.0.1", 0, create_app(context, content_security_policy=False), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="drift-viewer-apply-test", daemon=True)
    thread.start()
    yield Served(dss, plan, f"http://127.0.0.1:{server.port}/")
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def fresh(browser: Any, emulator_pool: Any, shared_projects_path: Any, tmp_path: Any) -> Any:  # noqa: F811
    """A fresh emulator and stored plan per test: an apply changes both."""
    dss = emulator_pool.reset("bare")
    return dss, build_demo_plan(dss, shared_projects_path, tmp_path)


@pytest.fixture
def served(fresh: Any) -> Iterator[Served]:
    yield from serve(*fresh)


@pytest.fixture
def served_read_only(fresh: Any) -> Iterator[Served]:
    yield from serve(*fresh, read_only=True)


@pytest.fixture
def watched(browser: Any, request: Any) -> Iterator[Watched]:  # noqa: F811
    served = request.getfixturevalue("served_read_only" if "read_only" in request.node.name else "served")
    watch = open_plans(browser, served.url)
    yield watch
    watch.page.close()
    assert watch.dialogs == [], "the page opened a dialog (an injected script ran?)"
    assert watch.errors == [], "the page had script or network errors"


def description(dss: Any, name: str) -> str:
    return dss.client().get_project(PROJECT_KEY).get_dataset(name).get_settings().get_raw().get("description", "")


def assert_nothing_written(served: Served, serial: int) -> None:
    assert description(served.dss, "Customers") != XSS_DESCRIPTION
    assert not served.dss.client().get_project(PROJECT_KEY).get_dataset(XSS_NAME).exists()
    assert served.plan.backend.load().serial == serial and latest_records(served.plan.backend) == {}


def confirm_apply(page: Any) -> None:
    page.click("#iac-apply")
    page.wait_for_selector("#iac-apply-confirm", state="visible")
    page.click("#iac-apply-yes")


def forget_refusal(watched: Watched, status: int) -> None:
    """The browser logs the refusal the test asked for as a failed resource load: that one is expected."""
    expected = f"the server responded with a status of {status}"
    assert any(expected in error for error in watched.errors), watched.errors
    watched.errors[:] = [error for error in watched.errors if expected not in error]


def assert_inert(page: Any) -> None:
    page.wait_for_timeout(300)  # time for an injected handler to fire, if there were one
    assert page.evaluate("document.querySelectorAll('img, script:not([src]), b').length") == 0
    assert page.evaluate("document.querySelectorAll('[onerror], [onmouseover]').length") == 0


def test_a_writer_applies_the_plan_and_sees_the_result_in_place(watched: Watched, served: Served):
    page = watched.page
    serial = served.plan.backend.load().serial
    assert page.is_enabled("#iac-apply") and page.is_hidden("#iac-apply-note")
    assert page.is_hidden("#iac-plan-applied") and not page.query_selector_all(f"{VIEW} .iac-apply-status")
    page.click("#iac-apply")
    confirm = page.inner_text("#iac-apply-confirm-text")
    assert f"Apply plan {served.plan.plan_id} to environment \u201cdev\u201d" in confirm and "4 operations" in confirm
    assert page.inner_text("#iac-apply-confirm-summary") == SUMMARY
    assert_nothing_written(served, serial)  # the confirmation alone writes nothing
    page.click("#iac-apply-yes")
    page.wait_for_selector("#iac-apply-result.iac-apply-ok")
    assert page.inner_text("#iac-apply-result") == "Applied: Apply complete: 4 applied."
    # DSS changed, read back through the client; the state moved and the header shows it.
    assert description(served.dss, "Customers") == XSS_DESCRIPTION
    assert description(served.dss, XSS_NAME) == XSS_DESCRIPTION
    moved = served.plan.backend.load().serial
    assert moved > serial
    page.wait_for_function(f"document.getElementById('iac-serial').textContent === '{moved}'")
    page.wait_for_function(f"document.querySelectorAll('{VIEW} [data-apply-status=applied]').length === 4")
    assert page.inner_text("#iac-plan-applied").endswith(": Apply complete: 4 applied.")
    assert_inert(page)  # the probes in the applied names and descriptions stay text
    page.reload()
    page.wait_for_selector("#iac-env option", state="attached")
    page.click("#iac-tab-plans-button")
    page.wait_for_selector("#iac-plan-applied:not([hidden])")
    login = latest_records(served.plan.backend)[served.plan.plan_id]["applied_by"]
    assert page.inner_text("#iac-plan-applied").startswith(f"Applied by {login} at ")
    statuses = [row.query_selector(".iac-apply-status").inner_text() for row in rows(page, VIEW)]
    assert statuses == ["applied"] * 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "drift-viewer-applied.png"), full_page=True)  # for a reviewer's eyes


def test_a_stale_plan_is_refused_with_its_reasons_and_nothing_written(watched: Watched, served: Served):
    page = watched.page
    settings = served.dss.client().get_project(PROJECT_KEY).get_dataset("Customers").get_settings()
    settings.get_raw()["description"] = "Edited by hand after the plan"
    settings.save()
    serial = served.plan.backend.load().serial
    confirm_apply(page)
    page.wait_for_selector("#iac-apply-result.iac-apply-failed")
    assert page.inner_text("#iac-apply-result .iac-apply-headline").startswith(
        "Refused: The plan is stale, nothing was written")
    reasons = [item.inner_text() for item in page.query_selector_all("#iac-apply-result .iac-apply-reasons li")]
    assert any("Customers was changed in DSS since the plan" in reason for reason in reasons), reasons
    assert description(served.dss, "Customers") == "Edited by hand after the plan"
    assert not served.dss.client().get_project(PROJECT_KEY).get_dataset(XSS_NAME).exists()
    assert served.plan.backend.load().serial == serial and latest_records(served.plan.backend) == {}
    assert page.is_enabled("#iac-apply")  # the page stays usable


def test_a_state_moved_since_the_page_loaded_is_refused_at_once(watched: Watched, served: Served):
    page = watched.page
    backend = served.plan.backend
    shown = backend.load().serial
    state = backend.load()  # another sync saved a new serial meanwhile
    recorded = state.resources[f"dataset.{PROJECT_KEY}.Orders"]
    recorded.attributes["description"] = "synced meanwhile"
    recorded.refresh_checksum()
    backend.save(state)
    serial = backend.load().serial
    assert serial == shown + 1
    confirm_apply(page)
    page.wait_for_selector("#iac-apply-result.iac-apply-failed")
    text = page.inner_text("#iac-apply-result")
    assert text.startswith("Refused: The state of environment 'dev' moved since this page loaded it")
    assert_nothing_written(served, serial)
    forget_refusal(watched, 409)


def test_a_failed_operation_shows_why_and_its_probe_stays_text(watched: Watched, served: Served):
    page = watched.page
    served.dss.inject_fault("POST", rf"/projects/{PROJECT_KEY}/datasets/?$", status=400, count=5,
                            message="refused <img src=x onerror=alert(5)>")
    confirm_apply(page)
    page.wait_for_selector("#iac-apply-result.iac-apply-failed")
    headline = page.inner_text("#iac-apply-result .iac-apply-headline")
    assert re.fullmatch(r"Apply failed: [0-3] applied, 1 failed, [0-3] not attempted\.", headline), headline
    [failure] = page.query_selector_all("#iac-apply-result .iac-apply-reasons li")
    assert failure.inner_text().startswith(f"dataset.{PROJECT_KEY}.{XSS_NAME}: ")
    page.wait_for_selector(f"{VIEW} [data-apply-status=failed]")
    failed = row_with(page, XSS_NAME, VIEW).query_selector(".iac-apply-status").inner_text()
    assert failed.startswith("failed (")
    assert not served.dss.client().get_project(PROJECT_KEY).get_dataset(XSS_NAME).exists()
    assert_inert(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "drift-viewer-apply-failed.png"), full_page=True)


def test_read_only_the_button_is_disabled_with_the_reason_and_the_route_refuses(watched: Watched,
                                                                                served_read_only: Served):
    page = watched.page
    served = served_read_only
    serial = served.plan.backend.load().serial
    assert page.is_disabled("#iac-apply")
    assert "--read-only" in page.inner_text("#iac-apply-note") and "--read-only" in page.get_attribute(
        "#iac-apply", "title")
    answer = page.evaluate("""id => fetch('/api/plan/apply?env=dev', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({id: id})})
        .then(r => r.json().then(body => [r.status, body.error.message]))""", served.plan.plan_id)
    assert answer[0] == 403 and "may not apply plan" in answer[1]
    assert_nothing_written(served, serial)
    forget_refusal(watched, 403)


def test_screenshot(watched: Watched):
    """The README's picture of the Plans tab: the plan's attribute changes and code diff, the Apply button."""
    page = watched.page
    expand(row_with(page, f"{PROJECT_KEY}.Orders", VIEW))
    expand(row_with(page, RECIPE, VIEW))
    save_screenshot(page, PLANS_SCREENSHOT)
