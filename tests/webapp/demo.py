"""A real drift for the webapp tests: a shared real DSS project in the emulator, synced, changed, checked.

- serial 1: GIT_INTEGRATION_DEMO as loaded;
- serial 2: after round A (a dataset description, the python recipe's code), accepted as the baseline;
- the stored drift report: round B against serial 2, made by user ``alice``: a dataset added whose name is an
  XSS probe, a description holding another probe, a column added, the recipe code edited again, a dataset
  deleted, a scenario switched off, a project tag added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, NamedTuple

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.manager import StateManager

PROJECT_KEY = "GIT_INTEGRATION_DEMO"
RECIPE = "compute_python_recipe_output"
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_DESCRIPTION = "<script>alert(2)</script><b onmouseover=alert(3)>bold</b>"
EDITOR = "alice"


class DemoDrift(NamedTuple):
    """What the demo left in the state directory, and the report it stored."""

    state_dir: Path
    backend: LocalFileBackend
    report: Dict[str, Any]
    report_name: str


def build_demo_drift(dss: Any, shared_projects: Path, state_dir: Path) -> DemoDrift:
    """Load the project into ``dss`` (a running DSSEmulator), sync twice, drift, store the report."""
    dss.load_seed(shared_projects / PROJECT_KEY)
    admin = dss.client()
    backend = LocalFileBackend.for_environment("dev", state_dir)
    StateManager(backend, admin, "dev").refresh([PROJECT_KEY])

    project = admin.get_project(PROJECT_KEY)
    _edit_dataset(project, "Orders", lambda raw: raw.update(description="Orders, deduplicated every night"))
    _edit_code(project, "\n# round A: keep only paid orders\n")
    StateManager(backend, admin, "dev").refresh([PROJECT_KEY])

    editor = dss.client(dss.create_api_key(login=EDITOR))
    project = editor.get_project(PROJECT_KEY)
    project.create_dataset(XSS_NAME, "Filesystem", params={"connection": "filesystem_managed", "path": "probe"})
    _edit_dataset(project, "Customers", lambda raw: raw.update(description=XSS_DESCRIPTION))
    _edit_dataset(project, "Orders", lambda raw: raw["schema"]["columns"].append({"name": "discount",
                                                                                  "type": "double"}))
    _edit_code(project, "\n# round B: discounts\ndf['discount'] = 0.0\nprint(len(df))\n")
    project.get_dataset("scoring").delete()
    scenario = project.get_scenario("TEST").get_settings()
    scenario.get_raw()["active"] = not scenario.get_raw().get("active", False)
    scenario.save()
    metadata = project.get_metadata()
    metadata["tags"] = sorted(set(metadata.get("tags", [])) | {"audited"})
    project.set_metadata(metadata)

    report = StateManager(backend, admin, "dev").detect_drift().to_report()
    name = backend.save_report(report)
    return DemoDrift(state_dir, backend, report, name)


def _edit_dataset(project: Any, name: str, change: Any) -> None:
    settings = project.get_dataset(name).get_settings()
    change(settings.get_raw())
    settings.save()


def _edit_code(project: Any, extra: str) -> None:
    settings = project.get_recipe(RECIPE).get_settings()
    settings.set_payload(settings.get_payload() + extra)
    settings.save()
