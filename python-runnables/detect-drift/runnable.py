"""DSS macro "Dataiku IaC: detect drift": compare live DSS with the saved state and show the drift report.

Thin glue: the work is in ``dataiku_iac.plugin`` (python-lib), which saves the report JSON in the state folder
and returns the HTML report, or a short readable message when something the user can fix went wrong.
"""

from __future__ import annotations

import dataiku
from dataiku.runnables import Runnable

from dataiku_iac.dss.client import harden_client
from dataiku_iac.plugin import PROGRESS_TARGET, detect_drift_macro


class MyRunnable(Runnable):
    """The detect-drift macro."""

    def get_progress_target(self):
        return PROGRESS_TARGET  # a percentage of the objects read

    def run(self, progress_callback):
        client = harden_client(dataiku.api_client())
        return detect_drift_macro(client, self.project_key, self.config, progress_callback)
