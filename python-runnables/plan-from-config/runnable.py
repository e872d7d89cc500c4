"""DSS macro "Dataiku IaC: plan from config": plan the config kept in a managed folder against this DSS.

Thin glue: the work is in ``dataiku_iac.plugin`` (python-lib), which reads and validates the config, plans,
stores the plan in the state folder and returns the plan as HTML, or the config's problems with file and
line, or a short readable message.
"""

from __future__ import annotations

import dataiku
from dataiku.runnables import Runnable

from dataiku_iac.dss.client import harden_client
from dataiku_iac.plugin import PROGRESS_TARGET, plan_macro


class MyRunnable(Runnable):
    """The plan-from-config macro."""

    def get_progress_target(self):
        return PROGRESS_TARGET  # a percentage of the objects read

    def run(self, progress_callback):
        client = harden_client(dataiku.api_client())
        return plan_macro(client, self.project_key, self.config, progress_callback)
