"""The plan as data: ordered operations, each with its changes and what it expects to find in DSS.

``Plan.to_dict()`` is the plan document: the ``--out`` file, and the one form the text, JSON and HTML
renderers read (as drift reports are), so what is shown and what apply executes never disagree. It holds no
secret: values that came from ``${env:}`` and redaction markers are replaced by :data:`SENSITIVE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

PLAN_FORMAT_VERSION = 1

CREATE = "create"
UPDATE = "update"
REPLACE = "replace"
DELETE = "delete"
ADOPT = "adopt"
#: Actions in the order of the summary line, with their symbol in text output.
ACTIONS: Tuple[str, ...] = (ADOPT, CREATE, UPDATE, REPLACE, DELETE)
SYMBOLS: Mapping[str, str] = {CREATE: "+", UPDATE: "~", REPLACE: "-/+", DELETE: "-", ADOPT: "<="}

#: What the plan shows (and stores) instead of a secret or its redaction marker.
SENSITIVE = "(sensitive value)"
#: What the plan shows instead of a DSS id the server assigns on creation.
KNOWN_AFTER_APPLY = "(known after apply)"
#: Redaction markers start so (the sync's and the config's; any future marker keeps the prefix).
MARKER_PREFIX = "<redacted:"


@dataclass
class PlannedChange:
    """One managed path that differs: ``before`` is what DSS holds, ``after`` what the config says."""

    action: str  # added / removed / modified, as in the drift report
    path: str
    path_elements: List[Any]
    before: Any = None
    after: Any = None
    text_diff: Optional[str] = None
    sensitive: bool = False
    #: DSS differs here from what the state recorded at the last apply: someone changed it outside the config.
    outside: bool = False

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"action": self.action, "path": self.path, "path_elements": self.path_elements,
                                "before": self.before, "after": self.after, "sensitive": self.sensitive,
                                "outside": self.outside}
        if self.text_diff is not None:
            data["text_diff"] = self.text_diff
        return data


@dataclass
class Operation:
    """One thing apply will do to one DSS object."""

    action: str
    resource_id: str
    resource_type: str
    project_key: str
    config_key: Optional[str]
    #: False while a scenario's or folder's DSS id is unknown (``resource_id`` then holds ``new:KEY``).
    id_known: bool = True
    changes: List[PlannedChange] = field(default_factory=list)
    #: For a create: the managed attributes the object gets (secrets masked).
    after: Optional[Dict[str, Any]] = None
    #: For a replacement: immutable field -> why DSS cannot change it in place.
    replace_fields: Dict[str, str] = field(default_factory=dict)
    protected: bool = False
    #: Why the plan refuses this operation (``protect: true``), or None.
    refused: Optional[str] = None
    #: ``{"by", "at"}`` when the operation overwrites changes made in DSS outside the config.
    outside: Optional[Dict[str, Optional[str]]] = None
    #: What apply must find before it acts: ``{"exists": false}`` or the live object's checksum and versionTag.
    expect: Dict[str, Any] = field(default_factory=dict)
    dependencies: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "action": self.action,
            "resource_id": self.resource_id,
            "resource_type": self.resource_type,
            "project_key": self.project_key,
            "config_key": self.config_key,
            "id_known": self.id_known,
            "changes": [change.to_dict() for change in self.changes],
            "after": self.after,
            "replace_fields": dict(self.replace_fields),
            "protected": self.protected,
            "refused": self.refused,
            "outside": self.outside,
            "expect": dict(self.expect),
            "dependencies": sorted(self.dependencies),
            "notes": list(self.notes),
        }


@dataclass
class Plan:
    """Every operation of one plan, in the order apply runs them, and where the plan was made."""

    environment: str
    dss_url: str = ""
    state_lineage: Optional[str] = None
    state_serial: Optional[int] = None
    config_digest: str = ""
    #: The config directory the plan was made from (apply reads it again and checks the digest).
    config_dir: str = ""
    project_keys: List[str] = field(default_factory=list)
    operations: List[Operation] = field(default_factory=list)
    unmanaged: List[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: List[str] = field(default_factory=list)
    created_at: str = ""

    def summary(self) -> Dict[str, int]:
        """Counts by action (refused operations apart), as in the last line of the text output."""
        counts = {action: 0 for action in ACTIONS}
        counts["refused"] = 0
        for operation in self.operations:
            if operation.refused:
                counts["refused"] += 1
                continue
            counts[operation.action] += 1
            if operation.action == ADOPT and operation.changes:
                counts[UPDATE] += 1  # imported, then changed to what the config says (Terraform counts both)
        return counts

    @property
    def has_changes(self) -> bool:
        """True when apply would do anything."""
        return bool(self.operations)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "kind": "dataiku-iac plan",
            "created_at": self.created_at,
            "environment": self.environment,
            "dss_url": self.dss_url,
            "state": {"lineage": self.state_lineage, "serial": self.state_serial},
            "config_digest": self.config_digest,
            "config_dir": self.config_dir,
            "project_keys": list(self.project_keys),
            "summary": self.summary(),
            "unchanged": self.unchanged,
            "operations": [operation.to_dict() for operation in self.operations],
            "unmanaged": list(self.unmanaged),
            "warnings": list(self.warnings),
        }


def summary_line(summary: Mapping[str, int]) -> str:
    """``Plan: 1 to import, 1 to add, 2 to change, 0 to replace, 0 to destroy.`` (import only when any)."""
    parts = [f"{summary.get(ADOPT, 0)} to import"] if summary.get(ADOPT, 0) else []
    parts += [f"{summary.get(CREATE, 0)} to add", f"{summary.get(UPDATE, 0)} to change",
              f"{summary.get(REPLACE, 0)} to replace", f"{summary.get(DELETE, 0)} to destroy"]
    return "Plan: " + ", ".join(parts) + "."
