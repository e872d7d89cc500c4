"""DSS scenario step "Dataiku IaC: check config": fail the scenario when live DSS differs from the config.

DSS runs this file top to bottom. Thin glue: the work is in ``dataiku_iac.plugin`` (python-lib), which plans
the config kept in a managed folder (storing nothing), sets the scenario variables ``iac_plan_count`` and
``iac_plan_summary``, and raises (failing the step) when the plan has changes and failing is on.
"""

from __future__ import annotations

import dataiku
from dataiku.customstep import get_step_config
from dataiku.scenario import Scenario

from dataiku_iac.dss.client import harden_client
from dataiku_iac.plugin import check_config_step


def main():
    """Run the check with this step's parameters."""
    client = harden_client(dataiku.api_client())
    scenario = Scenario()
    return check_config_step(client, dataiku.default_project_key(), get_step_config(), scenario.set_scenario_variables)


main()
