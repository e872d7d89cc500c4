"""DSS macro "Dataiku IaC: sync state": record the project's resources as the environment's state.

Thin glue: the work is in ``dataiku_iac.plugin`` (python-lib), which returns the HTML summary, or a short
readable message when something the user can fix went wrong.
"""

from __future__ import annotations

import dataiku
from dataiku.runnables import Runnable

from dataiku_iac.dss.client import harden_client
from dataiku_iac.plugin import PROGRESS_TARGET, sync_macro


class MyRunnable(Runnable):
    """The sync-state macro."""

    def get_progress_target(self):
        return PROGRESS_TARGET  # a percentage of the objects read

    def run(self, progress_callback):
        client = harden_client(dataiku.api_client())
        return sync_macro(client, self.project_key, self.config, progress_callback)
