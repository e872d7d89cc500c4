"""The drift viewer page in headless Chromium (Debian's ``chromium``, driven by Playwright's sync API).

The page shows a real drift: the shared real project GIT_INTEGRATION_DEMO in the DSS emulator, synced twice,
then changed through ``dataikuapi`` (see ``demo.py``), with the report a real drift check stored. The server
is ``dataiku-iac serve``'s app on 127.0.0.1, port 0, in a thread, without its Content-Security-Policy: the XSS
probe must be stopped by the page's own text-only rendering, as it must inside DSS.

Skipped when Chromium (or Playwright) is missing; failed instead when ``DATAIKU_IAC_REQUIRE_BROWSER=1`` (CI).
``DATAIKU_IAC_CHROMIUM`` overrides the browser path; ``DATAIKU_IAC_UPDATE_SCREENSHOT=1`` also refreshes the
README's screenshot (docs/drift-viewer.png).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from werkzeug.serving import make_server

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.diff import DiffEngine
from dataiku_iac.models.state import Resource, ResourceMetadata, State
from dataiku_iac.report.json_report import diffs_to_json
from dataiku_iac.webapp import local_context, manager_factory_for
from dataiku_iac.webapp.standalone import create_app
from dss_emulator import DSSEmulator
from tests.dss_support import REQUIRE_BROWSER_ENV, EmulatorPool, shared_projects_dir, skip_unless_required, switch_is_on

from .demo import PROJECT_KEY, RECIPE, XSS_DESCRIPTION, XSS_NAME, DemoDrift, build_demo_drift

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
README_SCREENSHOT = REPO_ROOT / "docs" / "drift-viewer.png"
CHROMIUM = os.environ.get("DATAIKU_IAC_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
BIG = 5000


def _unavailable(reason: str) -> None:
    skip_unless_required(reason, REQUIRE_BROWSER_ENV, "install Debian's chromium package, or set DATAIKU_IAC_CHROMIUM")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system (nothing is downloaded)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shared_projects_path() -> Path:
    return shared_projects_dir()  # skips, or fails in CI, when absent


@pytest.fixture(scope="module")
def emulator(emulator_pool: EmulatorPool) -> DSSEmulator:
    """The session's empty emulator, reset once: this module's tests share the demo drift loaded into it."""
    return emulator_pool.reset("bare")


@pytest.fixture(scope="module")
def demo(browser: Any, emulator: DSSEmulator, shared_projects_path: Path, tmp_path_factory: Any) -> DemoDrift:
    state_dir = tmp_path_factory.mktemp("browser") / "state"
    drift = build_demo_drift(emulator, shared_projects_path, state_dir)
    write_big_environment(state_dir)
    return drift


@pytest.fixture(scope="module")
def base_url(demo: DemoDrift, emulator: DSSEmulator) -> Iterator[str]:
    """The viewer on 127.0.0.1 (port 0), with live checks against the emulator."""
    context = local_context(demo.state_dir, make_manager=manager_factory_for(emulator.client()))
    server = make_server("127.0.0.1", 0, create_app(context, content_security_policy=False), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="drift-viewer-test", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


class Watched:
    """A page plus what it did that it must not: dialogs (alert, confirm...), script errors, failed calls."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: List[str] = []
        self.errors: List[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def watched(browser: Any, base_url: str) -> Iterator[Watched]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    watch = Watched(page)
    page.goto(base_url)
    page.wait_for_selector("#iac-drift-view .iac-row")
    yield watch
    page.close()
    assert watch.dialogs == [], "the page opened a dialog (an injected script ran?)"
    assert watch.errors == [], "the page had script or network errors"


def rows(page: Any, view: str = "#iac-drift-view") -> List[Any]:
    return page.query_selector_all(f"{view} .iac-row")


def row_with(page: Any, address_part: str, view: str = "#iac-drift-view") -> Any:
    for row in rows(page, view):
        if address_part in row.query_selector(".iac-name").inner_text():
            return row
    raise AssertionError(f"no row for {address_part!r}")


def expand(row: Any) -> Any:
    row.query_selector(".iac-row-head").click()
    details = row.query_selector(".iac-details")
    details.wait_for_selector(".iac-attribution")
    return details


def shown_count(page: Any, kind: str, view: str = "#iac-drift-view") -> int:
    return int(page.inner_text(f"{view} [data-count={kind}] .iac-count-value"))


# -- the tests ----------------------------------------------------------------------------------------------

def test_header_counts_and_rows_match_the_report(watched: Watched, demo: DemoDrift):
    page = watched.page
    baseline = demo.backend.load()
    assert page.inner_text("#iac-serial") == str(baseline.serial) == "2"
    assert page.inner_text("#iac-baseline-at").startswith(baseline.updated_at.strftime("%Y-%m-%d %H:%M:%S"))
    assert page.inner_text("#iac-checked-at").startswith(demo.report["context"]["checked_at"][:10])
    assert page.inner_text("#iac-resource-count") == str(len(baseline.resources))
    for kind in ("added", "removed", "modified", "unchanged"):
        assert shown_count(page, kind) == demo.report["summary"][kind]
    assert demo.report["summary"] == {"added": 1, "removed": 1, "modified": 5, "unchanged": 19}
    expected: Dict[str, Dict[str, int]] = {}
    for change in demo.report["resource_changes"]:
        per_type = expected.setdefault(change["type"], {"added": 0, "removed": 0, "modified": 0})
        per_type[change["change"]] += 1
    for rtype, counts in expected.items():
        for kind, count in counts.items():
            assert page.inner_text(f"#iac-drift-view tr[data-type={rtype}] td[data-kind={kind}]") == str(count)
    assert len(rows(page)) == len(demo.report["resource_changes"]) == 7
    assert page.inner_text("#iac-drift-view .iac-count") == "Showing 1–7 of 7 changes"


def test_a_row_expands_into_its_changes_and_code_diff(watched: Watched):
    page = watched.page
    recipe = expand(row_with(page, RECIPE))
    assert recipe.query_selector(".iac-attribution").inner_text().startswith("Changed by alice at ")
    assert recipe.query_selector(".iac-path").inner_text() == "payload"
    added = [line.inner_text().rstrip("\n") for line in recipe.query_selector_all(".iac-code-diff .iac-diff-add")]
    assert "+# round B: discounts" in added and "+df['discount'] = 0.0" in added
    context = [line.inner_text() for line in recipe.query_selector_all(".iac-code-diff .iac-diff-context")]
    assert any("round A: keep only paid orders" in line for line in context)

    orders = expand(row_with(page, f"{PROJECT_KEY}.Orders"))
    [path] = [cell.inner_text() for cell in orders.query_selector_all(".iac-path")]
    assert path == "schema.columns[name=discount]"
    assert '"double"' in orders.query_selector(".iac-new").inner_text()
    orders.query_selector(".iac-show-attributes").click()
    recorded = orders.wait_for_selector(".iac-attributes .iac-value").inner_text()
    assert '"schema"' in recorded and "discount" not in recorded  # serial 2 predates the column

    removed = expand(row_with(page, f"{PROJECT_KEY}.scoring"))
    assert "Deleted from DSS since the baseline" in removed.inner_text()
    head = row_with(page, f"{PROJECT_KEY}.scoring").query_selector(".iac-row-head")
    head.click()
    assert head.get_attribute("aria-expanded") == "false"


def test_filters_and_search(watched: Watched, demo: DemoDrift):
    page = watched.page
    datasets = [c for c in demo.report["resource_changes"] if c["type"] == "dataset"]
    page.select_option("#iac-drift-view .iac-filter-type", "dataset")
    assert len(rows(page)) == len(datasets) == 4
    page.select_option("#iac-drift-view .iac-filter-change", "removed")
    assert [r.query_selector(".iac-name").inner_text() for r in rows(page)] == [f"{PROJECT_KEY}.scoring"]
    page.select_option("#iac-drift-view .iac-filter-type", "")
    page.select_option("#iac-drift-view .iac-filter-change", "")
    page.fill("#iac-drift-view .iac-search", "columns[name=discount")
    page.wait_for_function("document.querySelectorAll('#iac-drift-view .iac-row').length === 1")
    assert rows(page)[0].query_selector(".iac-name").inner_text() == f"{PROJECT_KEY}.Orders"
    page.fill("#iac-drift-view .iac-search", "nothing matches this")
    page.wait_for_selector("#iac-drift-view .iac-rows .iac-empty")
    assert page.inner_text("#iac-drift-view .iac-count") == "0 of 7 changes"
    page.fill("#iac-drift-view .iac-search", "")
    page.click("#iac-drift-view tr[data-type=scenario] button")  # a type in the counts table filters too
    assert [r.get_attribute("data-type") for r in rows(page)] == ["scenario"]


def test_history_compares_two_serials(watched: Watched):
    page = watched.page
    page.click("#iac-tab-history-button")
    assert [r.get_attribute("data-serial") for r in page.query_selector_all("#iac-history-rows tr")] == ["2", "1"]
    assert page.input_value("#iac-from") == "1" and page.input_value("#iac-to") == "2"
    page.click("#iac-compare")
    page.wait_for_selector("#iac-compare-view .iac-row")
    names = sorted(r.query_selector(".iac-name").inner_text() for r in rows(page, "#iac-compare-view"))
    assert names == [f"{PROJECT_KEY}.Orders", f"{PROJECT_KEY}.{RECIPE}"]
    assert shown_count(page, "modified", "#iac-compare-view") == 2
    details = expand(row_with(page, f"{PROJECT_KEY}.Orders", "#iac-compare-view"))
    assert details.query_selector(".iac-path").inner_text() == "description"
    assert "deduplicated every night" in details.query_selector(".iac-new").inner_text()
    assert details.query_selector(".iac-attribution").inner_text().startswith("Changed by admin")


def test_the_xss_probes_stay_text(watched: Watched):
    page = watched.page
    probe = row_with(page, XSS_NAME)
    assert probe.query_selector(".iac-name").inner_text() == f"{PROJECT_KEY}.{XSS_NAME}"
    details = expand(probe)
    assert XSS_NAME in details.query_selector(".iac-value").inner_text()
    customers = expand(row_with(page, f"{PROJECT_KEY}.Customers"))
    assert customers.query_selector(".iac-new").inner_text() == f'"{XSS_DESCRIPTION}"'
    page.fill("#iac-drift-view .iac-search", "<img")
    page.wait_for_function("document.querySelectorAll('#iac-drift-view .iac-row').length === 1")
    page.wait_for_timeout(300)  # time for an injected onerror handler to fire, if there were one
    assert page.evaluate("document.querySelectorAll('img, script:not([src]), b').length") == 0
    assert page.evaluate("document.querySelectorAll('[onerror], [onmouseover]').length") == 0
    # `watched` asserts no dialog opened and no script error happened.


def test_check_now_shows_progress_then_the_new_report(watched: Watched, emulator: DSSEmulator, demo: DemoDrift):
    page = watched.page
    emulator.set_latency(0.05)  # a sync slow enough to watch its progress
    try:
        page.click("#iac-check")
        page.wait_for_selector("#iac-progress", state="visible")
        assert page.is_disabled("#iac-check")
        page.wait_for_function(
            "/\\d+ \\/ \\d+ objects read/.test(document.getElementById('iac-progress-text').textContent)")
        page.wait_for_selector("#iac-progress", state="hidden", timeout=30000)
    finally:
        emulator.set_latency(0)
    page.wait_for_selector(".iac-message-info")
    assert "Drift found" in page.inner_text("#iac-message")
    page.wait_for_function("document.querySelectorAll('#iac-report option').length === 2")  # reloaded after
    page.wait_for_function("document.querySelectorAll('#iac-drift-view .iac-row').length === 7")
    assert shown_count(page, "modified") == 5
    assert len(demo.backend.list_reports()) == 2


def test_five_thousand_changes_stay_responsive(watched: Watched):
    page = watched.page
    started = time.monotonic()
    page.select_option("#iac-env", "big")
    page.wait_for_function(
        "document.querySelector('#iac-drift-view .iac-count').textContent === 'Showing 1–100 of 5000 changes'")
    loaded = time.monotonic() - started
    assert len(rows(page)) == 100 and page.inner_text("#iac-drift-view .iac-page") == "Page 1 of 50"
    page.click("#iac-drift-view .iac-next")
    assert page.inner_text("#iac-drift-view .iac-count").startswith("Showing 101–200 of")
    started = time.monotonic()
    page.fill("#iac-drift-view .iac-search", "table_04999")
    page.wait_for_function("document.querySelectorAll('#iac-drift-view .iac-row').length === 1")
    searched = time.monotonic() - started
    print(f"5,000 changes: loaded in {loaded:.2f} s, searched in {searched:.2f} s")
    assert loaded < 5.0 and searched < 2.0, (loaded, searched)


def test_screenshot(watched: Watched):
    """The README's picture: the drift report with the recipe's code diff and the hostile description open."""
    page = watched.page
    expand(row_with(page, RECIPE))
    expand(row_with(page, f"{PROJECT_KEY}.Customers"))
    save_screenshot(page, README_SCREENSHOT)



def test_accept_live_as_baseline(watched: Watched, demo: DemoDrift):
    """Last, since it moves the baseline: the confirmation, the job, then no drift against serial 3."""
    page = watched.page
    assert page.is_enabled("#iac-accept")
    page.click("#iac-accept")
    assert "7 changes" in page.inner_text("#iac-confirm-text")
    page.click("#iac-confirm-yes")
    page.wait_for_selector(".iac-message-info")
    assert "is now serial 3 (7 changes accepted)" in page.inner_text("#iac-message")
    page.wait_for_function("document.getElementById('iac-serial').textContent === '3'")
    assert page.inner_text("#iac-drift-view .iac-verdict") == "No drift: the live objects match the baseline."
    assert rows(page) == [] and page.is_disabled("#iac-accept")
    assert demo.backend.load().serial == 3

# -- the 5,000-change environment ----------------------------------------------------------------------------

def write_big_environment(state_dir: Path) -> None:
    """``big``: a baseline of 5,000 datasets and a stored report in which every one of them changed."""
    when = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)

    def dataset(index: int, path: str) -> Resource:
        attributes = {"type": "Filesystem", "params": {"connection": "fs", "path": path},
                      "schema": {"columns": [{"name": "id", "type": "bigint"}]}}
        metadata = ResourceMetadata(last_modified_by=f"user{index % 7}", last_modified_at=when)
        return Resource("dataset", f"dataset.BIG.table_{index:05d}", attributes, metadata)

    baseline = State(environment="big", resources={r.resource_id: r for r in (dataset(i, "/a") for i in range(BIG))})
    live = State(environment="big", resources={r.resource_id: r for r in (dataset(i, "/b") for i in range(BIG))})
    backend = LocalFileBackend.for_environment("big", state_dir)
    backend.save(baseline)
    report = diffs_to_json(DiffEngine().diff(baseline, live), context={
        "environment": "big", "baseline_serial": baseline.serial, "checked_at": "2025-06-01T12:05:00Z",
        "has_drift": True})
    assert re.fullmatch(r"report-\d{8}T\d{12}Z", backend.save_report(report))


# -- without live checks (issue 14) ------------------------------------------------------------------------------

def test_check_now_is_disabled_and_says_why_without_live_checks(browser: Any, demo: DemoDrift):
    """``serve`` without DKU_DSS_URL: *Check now* cannot work, so it is disabled with the reason on the page."""
    server = make_server("127.0.0.1", 0, create_app(local_context(demo.state_dir)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="drift-viewer-no-dss", daemon=True)
    thread.start()
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{server.port}/")
        page.wait_for_selector("#iac-check-note:not([hidden])")
        assert page.is_disabled("#iac-check")
        assert "no DSS connection" in page.inner_text("#iac-check-note")
        assert "no DSS connection" in page.get_attribute("#iac-check", "title")
    finally:
        page.close()
        server.shutdown()
        server.server_close()
        thread.join(5)


def save_screenshot(page: Any, readme_copy: Path) -> None:
    """The whole page, as a CI artifact named as the README's picture; with ``DATAIKU_IAC_UPDATE_SCREENSHOT``
    on, the README's picture too."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / readme_copy.name
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    if switch_is_on("DATAIKU_IAC_UPDATE_SCREENSHOT"):
        shutil.copyfile(target, readme_copy)
