"""TEST STUB of ``dataiku.scenario``: the running scenario's handle; scenario variables are recorded in memory.

The real ``set_scenario_variables`` sends ``json.dumps(kwargs)`` to the backend, so values that are not JSON
fail there; the stub round-trips them through JSON to fail (and store) the same way.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

#: Scenario variables set in this process (the stub's stand-in for the scenario run), name -> value.
RECORDED_VARIABLES: Dict[str, Any] = {}
#: Report items added by custom steps, in order.
REPORT_ITEMS: List[Dict[str, Any]] = []


def reset_recorded_variables() -> None:
    """Stub only: forget the recorded variables and report items."""
    RECORDED_VARIABLES.clear()
    REPORT_ITEMS.clear()


class Scenario:
    """Handle to the current (running) scenario."""

    def __init__(self) -> None:
        self.project_key = os.environ.get("DKU_CURRENT_PROJECT_KEY")
        trigger_file = os.environ.get("DKU_CURRENT_SCENARIO_TRIGGER_FILE")
        if trigger_file:
            with open(trigger_file, encoding="utf-8") as handle:
                self.scenario_trigger: Optional[Dict[str, Any]] = json.load(handle)
        else:
            self.scenario_trigger = None

    def set_scenario_variables(self, **kwargs: Any) -> None:
        """Define additional variables in this scenario run."""
        RECORDED_VARIABLES.update(json.loads(json.dumps(kwargs)))

    def get_all_variables(self) -> Dict[str, Any]:
        """All variables of the run (the stub knows only the scenario variables set so far)."""
        return dict(RECORDED_VARIABLES)

    def add_report_item(self, object_ref: Any, partition: Any, report_item: Any) -> None:
        """When used in a custom step, adds a report item to the current step run."""
        REPORT_ITEMS.append({"objectRef": object_ref, "partition": partition, "reportItem": json.dumps(report_item)})

    def get_trigger_type(self) -> Optional[str]:
        return self.scenario_trigger["trigger"]["type"] if self.scenario_trigger is not None else None

    def get_trigger_name(self) -> Optional[str]:
        return self.scenario_trigger["trigger"].get("name") if self.scenario_trigger is not None else None

    def get_trigger_params(self) -> Optional[Dict[str, Any]]:
        return self.scenario_trigger["params"] if self.scenario_trigger is not None else None
