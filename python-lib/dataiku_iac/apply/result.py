"""What an apply did, operation by operation, and the one-line report ``N applied, failed X (why), ...``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

APPLIED = "applied"
FAILED = "failed"
NOT_ATTEMPTED = "not attempted"


@dataclass
class OperationOutcome:
    """One operation of the plan and what became of it."""

    action: str
    resource_id: str
    status: str = NOT_ATTEMPTED
    #: Why it failed (one line, no secret), or None.
    error: Optional[str] = None
    #: The resource id once DSS gave the object its id (a created scenario or folder), else ``resource_id``.
    final_id: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"action": self.action, "resource_id": self.resource_id, "status": self.status,
                "error": self.error, "final_id": self.final_id or self.resource_id}


@dataclass
class ApplyResult:
    """Every operation's outcome, in plan order, and the serial of the state that records them."""

    outcomes: List[OperationOutcome] = field(default_factory=list)
    state_serial: Optional[int] = None

    def with_status(self, status: str) -> List[OperationOutcome]:
        """The outcomes of one status, in plan order."""
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def ok(self) -> bool:
        """True when every operation was applied."""
        return all(outcome.status == APPLIED for outcome in self.outcomes)

    def summary_line(self) -> str:
        """``3 applied, failed dataset.K.x (why), not attempted 2`` (or ``Apply complete: 3 applied.``)."""
        applied = len(self.with_status(APPLIED))
        if self.ok:
            return f"Apply complete: {applied} applied."
        failed = "; ".join(f"{outcome.resource_id} ({outcome.error})" for outcome in self.with_status(FAILED))
        return f"{applied} applied, failed {failed or 'none'}, not attempted {len(self.with_status(NOT_ATTEMPTED))}"

    def to_dict(self) -> Dict[str, Any]:
        return {"ok": self.ok, "state_serial": self.state_serial, "summary": self.summary_line(),
                "operations": [outcome.to_dict() for outcome in self.outcomes]}
