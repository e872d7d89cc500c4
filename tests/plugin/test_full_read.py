"""The "Full read" parameter of the sync and detect-drift macros and the check-drift step, end to end."""

from __future__ import annotations

import pytest
from dataiku import scenario as dku_scenario

from dataiku_iac.backends.managed_folder import ManagedFolderBackend
from dataiku_iac.plugin import DriftFoundError
from dss_emulator import SAMPLE_PROJECT_KEY
from tests.plugin.test_components import DETECT, FOLDER, dss, folder, run_macro, run_step, sync  # noqa: F401


def edit_without_a_new_tag(emulator) -> None:
    """Change a definition in DSS's store without bumping its version tag (what incremental reads miss)."""
    dataset = emulator.backend.project(SAMPLE_PROJECT_KEY).datasets.get("raw_customers")
    dataset.definition["description"] = "changed behind DSS's back"


def test_the_macro_finds_an_untagged_edit_only_with_full_read(dss, folder):  # noqa: F811
    sync()
    sync()  # the first sync records the stamp; reads are incremental from then on
    edit_without_a_new_tag(dss)
    assert "No drift" in run_macro(DETECT, {"state_folder": FOLDER})[0]
    html, _, _ = run_macro(DETECT, {"state_folder": FOLDER, "full_read": True})
    assert "No drift" not in html and "raw_customers" in html


def test_the_step_finds_an_untagged_edit_only_with_full_read(dss, folder, monkeypatch):  # noqa: F811
    sync()
    edit_without_a_new_tag(dss)
    run_step(monkeypatch, {"state_folder": FOLDER, "environment": "dev"})
    assert dku_scenario.Scenario().get_all_variables()["iac_drift_count"] == 0
    with pytest.raises(DriftFoundError):
        run_step(monkeypatch, {"state_folder": FOLDER, "environment": "dev", "full_read": True})
    assert dku_scenario.Scenario().get_all_variables()["iac_drift_count"] == 1


def test_the_sync_macro_records_an_untagged_edit_only_with_full_read(dss, folder):  # noqa: F811
    def recorded_description() -> str:
        state = ManagedFolderBackend(folder, "dev", lock_settle=0).load()
        return state.get_resource(f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers").attributes.get("description")

    sync()
    sync()
    edit_without_a_new_tag(dss)
    sync()
    assert recorded_description() != "changed behind DSS's back"
    sync({"full_read": True})
    assert recorded_description() == "changed behind DSS's back"
