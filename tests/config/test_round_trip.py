"""The key acceptance test for plan: a config written by hand for the emulator's sample project yields a
desired state that DiffEngine finds equal, on the managed paths, to what the sync reads from DSS."""

from __future__ import annotations

from typing import List

from dataiku_iac.config import build_desired_state, identities_from_state, read_config, restrict
from dataiku_iac.config.desired import DesiredState
from dataiku_iac.diff import DiffEngine
from dataiku_iac.dss.client import make_client
from dataiku_iac.models.diff import ChangeType, ResourceDiff
from dataiku_iac.models.state import Resource, State
from dataiku_iac.sync.engine import SyncEngine
from tests.config.conftest import EXAMPLE_CONFIG
from tests.dss_support import SAMPLE_KEY


def live_state(dss) -> State:
    client = make_client(dss.url, dss.api_key, timeout=20.0)
    state = State(environment="dev")
    for resource in SyncEngine(client).sync([SAMPLE_KEY]).resources:
        state.add_resource(resource)
    return state


def managed_diffs(desired: DesiredState, live: State) -> List[ResourceDiff]:
    """Desired against live, each resource restricted to its managed paths."""
    engine = DiffEngine()
    diffs = []
    for resource_id, wanted in desired.resources.items():
        found = live.get_resource(resource_id)
        old = None if found is None else Resource(found.resource_type, resource_id,
                                                  restrict(found.attributes, wanted.managed_paths))
        new = Resource(wanted.resource.resource_type, resource_id,
                       restrict(wanted.resource.attributes, wanted.managed_paths))
        diffs.append(engine.diff_resource(old, new))
    return diffs


def changed(diffs: List[ResourceDiff]) -> List[str]:
    return [f"{d.resource_id}: {[c.path_str for c in d.changes] or d.change_type.value}"
            for d in diffs if d.change_type is not ChangeType.UNCHANGED]


def test_the_sample_config_equals_the_live_sample_project_on_its_managed_paths(emulator) -> None:
    live = live_state(emulator)
    desired = build_desired_state(read_config(EXAMPLE_CONFIG), "dev", environ={},
                                  identities=identities_from_state(live))
    # Every object of the config is found (folders and scenarios matched by name), and nothing differs.
    assert set(desired.resources) == {rid for rid in live.resources if not rid.startswith("saved_model.")}
    assert all(res.id_known for res in desired.resources.values())
    assert changed(managed_diffs(desired, live)) == []
    # The desired state holds every type with the attribute shapes of the sync (not a vacuous comparison).
    recipe = desired.resources[f"recipe.{SAMPLE_KEY}.compute_customers_prepared"]
    assert recipe.resource.attributes["payload"] == live.resources[recipe.resource_id].attributes["payload"]
    assert ("inputs", "main", "items") in recipe.managed_paths


def test_edits_in_dss_show_on_managed_paths_only(emulator) -> None:
    client = emulator.client()
    project = client.get_project(SAMPLE_KEY)
    settings = project.get_dataset("raw_customers").get_settings()
    settings.get_raw()["params"]["path"] = "/data/crm/v2"          # managed by the config
    settings.get_raw()["formatParams"]["skipRowsBeforeHeader"] = 3  # not set by the config
    settings.save()
    live = live_state(emulator)
    desired = build_desired_state(read_config(EXAMPLE_CONFIG), "dev", environ={},
                                  identities=identities_from_state(live))
    assert changed(managed_diffs(desired, live)) == [f"dataset.{SAMPLE_KEY}.raw_customers: ['params.path']"]


def test_prod_differs_from_dev_by_its_variables_and_connections(emulator) -> None:
    live = live_state(emulator)
    desired = build_desired_state(read_config(EXAMPLE_CONFIG), "prod", environ={},
                                  identities=identities_from_state(live))
    assert sorted(changed(managed_diffs(desired, live))) == [
        f"dataset.{SAMPLE_KEY}.customers_prepared: ['params.connection']",
        f"managed_folder.{SAMPLE_KEY}.Qx7mK2pA: ['params.connection']",
        f"project.{SAMPLE_KEY}: ['variables.standard.crm_export_path', 'variables.standard.env']",
    ]
