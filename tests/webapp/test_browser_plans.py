"""The drift viewer's Plans tab in headless Chromium, on a real stored plan of GIT_INTEGRATION_DEMO
(``plan_demo.py``): the listing, the operations in apply order, details (code diff, changed outside the
config), filters and search, and the XSS probes in names, descriptions and code staying text."""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from dataiku_iac.webapp import local_context
from dataiku_iac.webapp.standalone import create_app

from .demo import EDITOR, PROJECT_KEY, RECIPE, XSS_DESCRIPTION, XSS_NAME
from .plan_demo import PLANNER, DemoPlan, build_demo_plan
from .test_browser import Watched, browser, expand, row_with, rows, shared_projects_path  # noqa: F401

pytestmark = pytest.mark.browser
VIEW = "#iac-plan-view"


@pytest.fixture(scope="module")
def demo_plan(browser: Any, emulator_pool: Any, shared_projects_path: Any,  # noqa: F811
              tmp_path_factory: Any) -> DemoPlan:
    return build_demo_plan(emulator_pool.reset("bare"), shared_projects_path, tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="module")
def base_url(demo_plan: DemoPlan) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(local_context(demo_plan.state_dir),
                                                    content_security_policy=False), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="drift-viewer-plans-test", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def open_plans(browser: Any, url: str) -> Watched:  # noqa: F811
    """A new page on the Plans tab, once its rows and the viewer (who may apply) are shown."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20000)
    watch = Watched(page)
    page.goto(url)
    page.wait_for_selector("#iac-env option", state="attached")
    page.click("#iac-tab-plans-button")
    page.wait_for_selector(f"{VIEW} .iac-row")
    page.wait_for_function("document.getElementById('iac-viewer').textContent !== '\\u2013'")  # viewer known
    return watch


@pytest.fixture
def watched(browser: Any, base_url: str) -> Iterator[Watched]:  # noqa: F811
    watch = open_plans(browser, base_url)
    yield watch
    watch.page.close()
    assert watch.dialogs == [], "the page opened a dialog (an injected script ran?)"
    assert watch.errors == [], "the page had script or network errors"


def test_the_plan_is_listed_with_who_and_when_and_its_operations_in_order(watched: Watched, demo_plan: DemoPlan):
    page = watched.page
    assert page.is_hidden("#iac-tab-drift") and page.is_visible("#iac-tab-plans")
    option = page.inner_text("#iac-plan option")
    assert option.startswith("Latest: " + demo_plan.document["created_at"][:10]) and option.endswith(f"by {PLANNER}")
    assert page.inner_text("#iac-plan-made-by") == PLANNER
    assert page.inner_text("#iac-plan-summary") == "Plan: 1 to add, 3 to change, 0 to replace, 0 to destroy."
    shown = [row.query_selector(".iac-name").get_attribute("title") for row in rows(page, VIEW)]
    assert shown == [op["resource_id"] for op in demo_plan.document["operations"]]
    assert page.inner_text(f"{VIEW} [data-count=update] .iac-count-value") == "3"
    assert page.inner_text(f"{VIEW} .iac-count") == "Showing 1–4 of 4 changes"
    # This server has no DSS connection: Apply shows, disabled, with the reason next to it.
    assert page.is_visible("#iac-plan-actions") and page.is_disabled("#iac-apply")
    assert page.inner_text("#iac-apply-note").startswith("Apply is not available here: this viewer has no DSS "
                                                         "connection")
    assert page.is_hidden("#iac-plan-applied")


def test_details_show_the_code_diff_and_who_changed_it_outside_the_config(watched: Watched):
    page = watched.page
    recipe = expand(row_with(page, RECIPE, VIEW))
    assert recipe.query_selector(".iac-path").inner_text() == "payload"
    added = [line.inner_text().rstrip("\n") for line in recipe.query_selector_all(".iac-code-diff .iac-diff-add")]
    assert "+print('planned')" in added
    orders = expand(row_with(page, f"{PROJECT_KEY}.Orders", VIEW))
    assert orders.query_selector(".iac-attribution").inner_text().startswith(
        f"Changed outside the config by {EDITOR} at ")
    assert "as the config says" in orders.query_selector(".iac-new").inner_text()
    assert "changed by hand in DSS" in orders.query_selector(".iac-old").inner_text()


def test_filters_and_search(watched: Watched):
    page = watched.page
    page.select_option(f"{VIEW} .iac-filter-change", "create")
    assert [r.get_attribute("data-action") for r in rows(page, VIEW)] == ["create"]
    page.select_option(f"{VIEW} .iac-filter-change", "")
    page.select_option(f"{VIEW} .iac-filter-type", "recipe")
    assert [r.get_attribute("data-type") for r in rows(page, VIEW)] == ["recipe"]
    page.select_option(f"{VIEW} .iac-filter-type", "")
    page.fill(f"{VIEW} .iac-search", EDITOR)
    page.wait_for_function(f"document.querySelectorAll('{VIEW} .iac-row').length === 1")
    assert rows(page, VIEW)[0].query_selector(".iac-name").inner_text() == f"{PROJECT_KEY}.Orders"


def test_the_xss_probes_stay_text(watched: Watched):
    page = watched.page
    probe = row_with(page, XSS_NAME, VIEW)
    assert probe.query_selector(".iac-name").inner_text() == f"{PROJECT_KEY}.{XSS_NAME}"
    assert XSS_DESCRIPTION in expand(probe).query_selector(".iac-value").inner_text()
    customers = expand(row_with(page, f"{PROJECT_KEY}.Customers", VIEW))
    assert customers.query_selector(".iac-new").inner_text() == f'"{XSS_DESCRIPTION}"'
    code = expand(row_with(page, RECIPE, VIEW)).inner_text()
    assert "<script>alert(4)</script>" in code
    page.wait_for_timeout(300)  # time for an injected handler to fire, if there were one
    assert page.evaluate("document.querySelectorAll('img, script:not([src]), b').length") == 0
    assert page.evaluate("document.querySelectorAll('[onerror], [onmouseover]').length") == 0
