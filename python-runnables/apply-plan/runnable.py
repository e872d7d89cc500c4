"""DSS macro "Dataiku IaC: apply plan": apply a stored plan to this DSS, after an explicit confirmation.

Thin glue: the work is in ``dataiku_iac.plugin`` (python-lib), which loads the plan from the state folder,
refuses it when it is stale or its user may not write what it changes (nothing written), applies it under the
state lock and returns what became of every operation as HTML (without the confirmation: the plan only).
"""

from __future__ import annotations

import dataiku
from dataiku.runnables import Runnable

from dataiku_iac.dss.client import harden_client
from dataiku_iac.plugin import PROGRESS_TARGET, apply_plan_macro


class MyRunnable(Runnable):
    """The apply-plan macro."""

    def get_progress_target(self):
        return PROGRESS_TARGET  # a percentage of the operations completed

    def run(self, progress_callback):
        client = harden_client(dataiku.api_client())
        return apply_plan_macro(client, self.project_key, self.config, progress_callback)
