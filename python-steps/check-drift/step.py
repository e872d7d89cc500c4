"""DSS scenario step "Dataiku IaC: check drift": fail the scenario when the live DSS drifted from the state.

DSS runs this file top to bottom. Thin glue: the work is in ``dataiku_iac.plugin`` (python-lib), which saves
the report in the state folder, sets the scenario variables ``iac_drift_count`` and ``iac_drift_summary`` and
raises (failing the step, so the scenario's reporters alert) when drift is found and failing is on.
"""

from __future__ import annotations

import dataiku
from dataiku.customstep import get_step_config
from dataiku.scenario import Scenario

from dataiku_iac.dss.client import harden_client
from dataiku_iac.plugin import check_drift_step


def main():
    """Run the check with this step's parameters."""
    client = harden_client(dataiku.api_client())
    scenario = Scenario()
    return check_drift_step(client, dataiku.default_project_key(), get_step_config(), scenario.set_scenario_variables)


main()
