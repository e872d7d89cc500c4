"""DSS scenario step "Dataiku IaC: apply config": plan the config kept in a managed folder and apply it.

DSS runs this file top to bottom. Thin glue: the work is in ``dataiku_iac.plugin`` (python-lib), which plans
and applies in one run as the scenario's run-as user, sets the ``iac_apply_*`` scenario variables, and raises
(failing the step, with the summary) when an operation failed, the apply was refused or could not run.
"""

from __future__ import annotations

import dataiku
from dataiku.customstep import get_step_config
from dataiku.scenario import Scenario

from dataiku_iac.dss.client import harden_client
from dataiku_iac.plugin import apply_config_step


def main():
    """Apply the config with this step's parameters."""
    client = harden_client(dataiku.api_client())
    scenario = Scenario()
    return apply_config_step(client, dataiku.default_project_key(), get_step_config(), scenario.set_scenario_variables)


main()
