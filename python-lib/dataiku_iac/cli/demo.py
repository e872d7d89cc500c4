"""``dataiku-iac demo``: the whole story on an embedded DSS emulator, with nothing to install or configure.

Starts the emulator in-process (127.0.0.1, sample project ``CUSTOMER_ANALYTICS``), then runs the seed's demo
flow: sync, save, reload, diff (no changes), a drift check right away (no false drift), a few edits made
through the real ``dataikuapi`` client as a user would make them in the DSS UI, the drift check that finds
them, the Terraform-like report, and the HTML report written to a file.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, NamedTuple

from ..exceptions import DataikuIaCError
from ..report.common import summary_sentence
from .common import describe_counts, out, use_color, write_file
from .emulator import load_emulator_class

if TYPE_CHECKING:
    from ..backends.local import LocalFileBackend

DEFAULT_DEMO_DIR = Path(".dataiku") / "demo"
DEMO_ENVIRONMENT = "demo"
DEMO_USER = "alex.analyst"  # the login the emulator records as author of the demo's edits


class Edit(NamedTuple):
    """One change the demo makes in DSS: what a user did, and the resource it should show up on."""

    description: str
    address: str


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the drift demo on an embedded, emulated DSS",
        description="Start an emulated DSS with a sample project, record its state, change it through the API "
                    "as a user would in the DSS UI, and show the drift report (text and HTML). Needs no DSS.",
    )
    parser.add_argument("--state-dir", default=str(DEFAULT_DEMO_DIR), metavar="DIR",
                        help="where the demo's state and reports go; replaced on each run "
                             f"(default: {DEFAULT_DEMO_DIR})")


def run(args: argparse.Namespace) -> int:
    """Run the demo end to end; 0 when every edit was detected as drift."""
    emulator_class = load_emulator_class()
    from dss_emulator import SAMPLE_PROJECT_KEY

    from ..backends.local import LocalFileBackend

    state_dir = Path(args.state_dir)
    backend = LocalFileBackend(clear_previous_run(state_dir) / f"{DEMO_ENVIRONMENT}.state.json")
    with emulator_class(samples=True) as dss:
        return DemoRun(dss, backend, SAMPLE_PROJECT_KEY, state_dir, use_color(args)).run()


def clear_previous_run(state_dir: Path) -> Path:
    """Remove what an earlier demo left in ``state_dir`` (only the demo's own files), so each run starts clean."""
    state_dir.mkdir(parents=True, exist_ok=True)
    for name in (f"{DEMO_ENVIRONMENT}.state.json.history", f"{DEMO_ENVIRONMENT}.state.json.reports",
                 f"{DEMO_ENVIRONMENT}.history", f"{DEMO_ENVIRONMENT}.reports"):  # the last two: earlier layout
        shutil.rmtree(state_dir / name, ignore_errors=True)
    for name in (f"{DEMO_ENVIRONMENT}.state.json", f"{DEMO_ENVIRONMENT}.state.json.lock",
                 f"{DEMO_ENVIRONMENT}.state.json.lock.info", "drift-report.html"):
        (state_dir / name).unlink(missing_ok=True)
    return state_dir


class DemoRun:
    """The demo's steps, printed as they run."""

    def __init__(self, dss: Any, backend: LocalFileBackend, project_key: str, state_dir: Path, color: bool) -> None:
        from ..dss.client import make_client
        from ..manager import StateManager

        self.dss = dss
        self.backend = backend
        self.project_key = project_key
        self.state_dir = state_dir
        self.color = color
        self.manager = StateManager(backend, make_client(dss.url, dss.api_key), DEMO_ENVIRONMENT)
        self.step_number = 0

    def step(self, title: str) -> None:
        self.step_number += 1
        out("")
        out(f"[{self.step_number}/7] {title}")

    def run(self) -> int:
        """All the steps; returns the exit code."""
        out(f"dataiku-iac demo: DSS emulator at {self.dss.url} with the sample project {self.project_key}")
        state = self.sync_and_save()
        self.reload_and_compare(state)
        self.step("Drift check right after the sync (read-only)")
        out("    " + summary_sentence(self.manager.detect_drift([self.project_key]).to_report()))
        edits = self.edit_dss()
        return self.detect_and_report(edits)

    def sync_and_save(self) -> Any:
        """Steps 1 and 2: sync the project and save it as the baseline."""
        self.step(f"Sync {self.project_key} from DSS")
        state = self.manager.sync_project(self.project_key, include_children=True)
        out(f"    {len(state.resources)} resources: {describe_counts(state.counts_by_type())}")
        for resource in state.list_resources():
            out(f"      - {resource.resource_id}")
        self.step("Save the state")
        self.manager.save_state(state)
        out(f"    Saved to {self.backend.state_file} (serial {state.serial})")
        return state

    def reload_and_compare(self, state: Any) -> None:
        """Step 3: reload the saved state and diff it with the synced one (no changes)."""
        from ..diff import DiffEngine
        from ..report.json_report import diffs_to_json

        self.step("Reload it and compare with what was synced")
        loaded = self.manager.load_state()
        report = diffs_to_json(DiffEngine().diff(state, loaded))
        out(f"    Loaded {len(loaded.resources)} resources. {summary_sentence(report)}")

    def edit_dss(self) -> List[Edit]:
        """Step 5: change DSS through the API with another user's key, as edits in the DSS UI would."""
        self.step(f"Change DSS through its API, as {DEMO_USER} would in the DSS UI")
        client = self.dss.client(self.dss.create_api_key(login=DEMO_USER))
        project = client.get_project(self.project_key)
        edits = []
        for edit in _EDITS:
            done = edit(project)
            out(f"    - {done.description}")
            edits.append(done)
        return edits

    def detect_and_report(self, edits: List[Edit]) -> int:
        """Steps 6 and 7: detect the drift, print the report, write the HTML and JSON reports."""
        from ..report.html import render_html
        from ..report.text import render_text

        self.step("Detect drift: compare DSS with the saved state")
        report = self.manager.detect_drift([self.project_key]).to_report()
        out("")
        out(render_text(report, color=self.color))
        self.step("Reports")
        html_path = write_file(str(self.state_dir / "drift-report.html"), render_html(report))
        name = self.backend.save_report(report)
        out(f"    State:       {self.backend.state_file}")
        out(f"    HTML report: {html_path}  (open file://{html_path.resolve()})")
        out(f"    JSON report: {self.backend.reports_dir / (name + '.json')}")
        missed = sorted({edit.address for edit in edits} - {c["address"] for c in report["resource_changes"]})
        if missed:
            raise DataikuIaCError(f"The demo's edits of {', '.join(missed)} were not detected as drift.")
        out(f"    In the drift viewer: dataiku-iac serve --state-dir {self.state_dir} --env {DEMO_ENVIRONMENT}  "
            "(then open http://127.0.0.1:8080)")
        out("")
        out("Every edit was detected. Next: 'dataiku-iac emulator' serves this DSS for your own tries; "
            "docs/cli.md lists the commands.")
        return 0


# -- the edits: each takes a dataikuapi DSSProject and returns what it did ------------------------------------

def _edit_recipe_code(project: Any) -> Edit:
    recipe = project.get_recipe("compute_customers_prepared")
    settings = recipe.get_settings()
    code = settings.get_code()
    write = 'dataiku.Dataset("customers_prepared").write_with_schema'
    added = "# Test accounts are not customers\ndf = df[~df[\"customer_id\"].str.startswith(\"TEST\")]\n"
    settings.set_code(code.replace(write, added + write, 1) if write in code else code + "\n" + added)
    settings.save()
    return Edit("recipe compute_customers_prepared: edited its Python code", f"recipe.{project.project_key}."
                "compute_customers_prepared")


def _edit_schema(project: Any) -> Edit:
    dataset = project.get_dataset("customers_prepared")
    schema = dataset.get_schema()
    schema["columns"].append({"name": "churn_score", "type": "double"})
    dataset.set_schema(schema)
    return Edit("dataset customers_prepared: added the column churn_score (double)",
                f"dataset.{project.project_key}.customers_prepared")


def _edit_path(project: Any) -> Edit:
    settings = project.get_dataset("raw_customers").get_settings()
    settings.get_raw_params()["path"] = "/data/crm/exports/v2"
    settings.save()
    return Edit("dataset raw_customers: path changed to /data/crm/exports/v2",
                f"dataset.{project.project_key}.raw_customers")


def _disable_trigger(project: Any) -> Edit:
    settings = project.get_scenario("REFRESH_CUSTOMERS").get_settings()
    trigger = settings.raw_triggers[0]
    trigger["active"] = False
    settings.save()
    return Edit(f"scenario REFRESH_CUSTOMERS: disabled the trigger '{trigger.get('name', trigger.get('id'))}'",
                f"scenario.{project.project_key}.REFRESH_CUSTOMERS")


def _edit_description(project: Any) -> Edit:
    metadata = project.get_metadata()
    metadata["description"] = "Cleans the CRM export, scores churn risk and publishes weekly churn reports."
    project.set_metadata(metadata)
    return Edit("project: description rewritten", f"project.{project.project_key}")


def _add_folder(project: Any) -> Edit:
    folder = project.create_managed_folder("churn_exports")
    return Edit(f"managed folder churn_exports added (id {folder.id})",
                f"managed_folder.{project.project_key}.{folder.id}")


_EDITS: List[Callable[[Any], Edit]] = [
    _edit_recipe_code, _edit_schema, _edit_path, _disable_trigger, _edit_description, _add_folder,
]
