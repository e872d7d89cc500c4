"""Plan: desired state + live DSS + stored state -> the ordered operations apply will run (pure).

- :func:`make_plan` (``engine``): the operations, see the engine's docstring for the rules;
  :func:`plan_with_desired` gives also the desired state apply writes (references to replaced objects);
- :class:`Plan`, :class:`Operation` (``model``): the plan as data; ``Plan.to_dict()`` is the plan document
  that the ``--out`` file holds and every renderer reads;
- ``plan_file``: writing and reading plan files, and the config digest.

``docs/plan.md`` documents the output and the file format.
"""

from __future__ import annotations

from .engine import SecretView, make_plan, plan_with_desired
from .model import (
    ACTIONS,
    ADOPT,
    CREATE,
    DELETE,
    KNOWN_AFTER_APPLY,
    PLAN_FORMAT_VERSION,
    REPLACE,
    SENSITIVE,
    UPDATE,
    Operation,
    Plan,
    PlannedChange,
    summary_line,
)

__all__ = [
    "ACTIONS", "ADOPT", "CREATE", "DELETE", "KNOWN_AFTER_APPLY", "PLAN_FORMAT_VERSION", "REPLACE", "SENSITIVE",
    "UPDATE", "Operation", "Plan", "PlannedChange", "SecretView", "make_plan", "plan_with_desired",
    "summary_line",
]
