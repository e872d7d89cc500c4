"""A real stored plan for the webapp tests: GIT_INTEGRATION_DEMO (a shared real project) in the emulator, its
config generated from DSS and adopted, then the config edited and DSS changed by hand, planned, stored.

- the config: the dataset Customers gets a description holding an XSS probe, the python recipe's code is
  edited (a code diff), a dataset named with an XSS probe is added (a create);
- DSS: ``alice`` edits the description of Orders outside the config, which the config also sets (the plan
  says "changed outside the config by alice at T").

The stored plan names its config directory (``config_source``), so the viewer's Apply can read it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, NamedTuple

import yaml

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli.generate import adopt
from dataiku_iac.config import read_config
from dataiku_iac.config.generate import environments_file, generate_config
from dataiku_iac.manager import StateManager
from dataiku_iac.planner import plan_environment
from dataiku_iac.plugin.plans import CONFIG_SOURCE, PlanStore, directory_source

from .demo import EDITOR, PROJECT_KEY, RECIPE, XSS_DESCRIPTION, XSS_NAME

PLANNER = "bob"
ORDERS_DESCRIPTION = "Orders, as the config says"
XSS_CODE = "\n# </pre><script>alert(4)</script>\nprint('planned')\n"


class DemoPlan(NamedTuple):
    state_dir: Path
    backend: LocalFileBackend
    document: Dict[str, Any]
    plan_id: str
    config_dir: Path


def write_config(dss: Any, state: Any, config_dir: Path) -> None:
    generated = generate_config(state)
    for relative, text in generated.files.items():
        path = config_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (config_dir / "dataiku-iac.yml").write_text(environments_file({"dev": (dss.url, "DKU_API_KEY")}),
                                                encoding="utf-8")


def edit_config(config_dir: Path) -> None:
    project_dir = config_dir / "projects" / PROJECT_KEY
    for path in sorted(project_dir.glob("*.yml")):
        body = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        datasets = body.get("datasets") or {}
        if "Customers" in datasets:
            datasets["Customers"]["description"] = XSS_DESCRIPTION
            datasets[XSS_NAME] = {"type": "Filesystem", "managed": False, "description": XSS_DESCRIPTION,
                                  "params": {"connection": "filesystem_managed", "path": "probe"}}
            datasets["Orders"]["description"] = ORDERS_DESCRIPTION
            path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    [code] = [p for p in project_dir.rglob(f"{RECIPE}.*") if p.suffix != ".yml"]
    code.write_text(code.read_text(encoding="utf-8") + XSS_CODE, encoding="utf-8")


def build_demo_plan(dss: Any, shared_projects: Path, root: Path) -> DemoPlan:
    """Load the project into ``dss``, make and adopt its config, edit both sides, plan, store the plan."""
    dss.load_seed(shared_projects / PROJECT_KEY)
    admin = dss.client()
    state_dir, config_dir = root / "state", root / "config"
    backend = LocalFileBackend.for_environment("dev", state_dir)
    live = StateManager(backend, admin, "dev").refresh([PROJECT_KEY]).state
    write_config(dss, live, config_dir)
    adopt(read_config(config_dir), "dev", live, [PROJECT_KEY], backend.state_file)

    editor = dss.client(dss.create_api_key(login=EDITOR))
    settings = editor.get_project(PROJECT_KEY).get_dataset("Orders").get_settings()
    settings.get_raw()["description"] = "changed by hand in DSS"
    settings.save()
    edit_config(config_dir)

    result = plan_environment(read_config(config_dir), "dev", admin, backend.load(), {}, dss_url=dss.url)
    document = result.plan.to_dict()
    # Where apply reads the config again (as 'plan --store' records it), so the viewer can apply this plan.
    document[CONFIG_SOURCE] = directory_source(str(config_dir.resolve()))
    document["config_dir"] = "config"  # as 'plan --config config' shows it (the temporary path is no one's)
    plan_id = PlanStore(backend).save(document, PLANNER)
    return DemoPlan(state_dir, backend, document, plan_id, config_dir)
