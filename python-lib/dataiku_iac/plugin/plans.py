"""Stored plans: the plan documents the plan macro made, kept beside the state for review and (next) apply.

A plan is ``plans/<env>/plan-<UTC time>.json`` in the state folder (beside ``reports/<env>/``): the document of
:mod:`dataiku_iac.plan.plan_file` (what ``plan --out`` writes) plus ``made_by`` (the DSS login of whoever made
it). Its id is the file name without ``.json``. The store is a :class:`~dataiku_iac.backends.reports.ReportStore`
of kind ``plan`` on the state's own blob store and lock, under a sibling prefix, so saves and pruning (the
newest ``limit`` kept) follow the reports' rules. Apply will load a plan by id (or the newest) with
:meth:`PlanStore.load`, which checks the document as ``read_plan_file`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from ..backends.base import StoredStateBackend
from ..backends.reports import ReportStore
from ..canonical import pretty_json_bytes
from ..exceptions import StateNotFoundError
from ..plan.plan_file import decode_plan
from .config import SOURCE_FOLDER

PLAN_KIND = "plan"
DEFAULT_PLAN_LIMIT = 50
MADE_BY = "made_by"
#: The ``kind`` of a plan made from a local config directory (``dataiku-iac plan --store``).
SOURCE_DIRECTORY = "directory"
#: The stored plan's field naming where its config is, so apply can read it again (digest, secrets).
CONFIG_SOURCE = "config_source"


def folder_source(project_key: str, folder_id: str, path: str) -> Dict[str, Any]:
    """The ``config_source`` of a plan made from a managed folder's config."""
    return {"kind": SOURCE_FOLDER, "project_key": project_key, "folder_id": folder_id, "path": path}


def directory_source(path: str) -> Dict[str, Any]:
    """The ``config_source`` of a plan made from a local config directory (``dataiku-iac serve``)."""
    return {"kind": SOURCE_DIRECTORY, "path": str(path)}


def plans_prefix(backend: StoredStateBackend) -> str:
    """Where a backend's plans live: ``reports/<env>/`` becomes ``plans/<env>/`` (``dev.state.json.reports/``
    of a local state becomes ``dev.state.json.plans/``)."""
    reports = backend.layout.reports
    head, found, tail = reports.rpartition("reports")
    return f"{head}plans{tail}" if found else f"{reports}plans/"


@dataclass(frozen=True)
class PlanEntry:
    """One stored plan, as the Plans tab lists it."""

    plan_id: str
    environment: str
    created_at: Optional[str]
    made_by: Optional[str]
    summary: Dict[str, Any]
    operations: int

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.plan_id, "environment": self.environment, "created_at": self.created_at,
                "made_by": self.made_by, "summary": self.summary, "operations": self.operations}


class PlanStore:
    """The plans of one environment's state."""

    def __init__(self, backend: StoredStateBackend, limit: int = DEFAULT_PLAN_LIMIT) -> None:
        self.backend = backend
        self.prefix = plans_prefix(backend)
        #: The blobs under ``plans/<env>/``: the plans, and the records of their applies (kind ``apply``).
        self.records = ReportStore(backend.store, self.prefix, backend.lock, limit=limit)

    def save(self, document: Dict[str, Any], made_by: Optional[str]) -> str:
        """Store a plan document (with who made it); returns its id. Errors are the store's write errors."""
        return self.records.save(dict(document, **{MADE_BY: made_by}), kind=PLAN_KIND)

    def ids(self) -> List[str]:
        """The stored plans' ids, newest first."""
        return list(reversed(self.records.list(PLAN_KIND)))

    def resolve(self, plan_id: Optional[str] = None) -> str:
        """``plan_id``, or the newest plan's id when None; :class:`StateNotFoundError` when none is stored."""
        if plan_id is not None:
            return plan_id
        ids = self.ids()
        if not ids:
            raise StateNotFoundError(f"No stored plan at {self.backend.store.location(self.prefix)} yet: "
                                     "run the macro 'Dataiku IaC: plan from config' first")
        return ids[0]

    def load(self, plan_id: Optional[str] = None) -> Dict[str, Any]:
        """The plan ``plan_id`` (the newest by default), checked as a plan file is."""
        plan_id = self.resolve(plan_id)
        if not isinstance(plan_id, str) or not plan_id.startswith(PLAN_KIND + "-"):
            raise StateNotFoundError(f"No stored plan named {plan_id!r}: plan ids look like plan-<time>")
        try:
            document = self.records.load(plan_id)
        except StateNotFoundError:
            raise StateNotFoundError(f"No stored plan named {plan_id!r} at "
                                     f"{self.backend.store.location(self.prefix)}") from None
        # A stored plan is checked as a plan file is: apply must never act on a malformed one.
        return decode_plan(pretty_json_bytes(document), self.location(plan_id))

    def entries(self) -> List[PlanEntry]:
        """The stored plans with who made them and their summaries, newest first (bounded by the limit)."""
        found = []
        for plan_id in self.ids():
            document = self.records.load(plan_id)
            found.append(PlanEntry(
                plan_id, str(document.get("environment") or ""), _text(document.get("created_at")),
                _text(document.get(MADE_BY)), dict(document.get("summary") or {}),
                len(document.get("operations") or []),
            ))
        return found

    def location(self, plan_id: str) -> str:
        """Where plan ``plan_id`` is stored, for messages."""
        return self.records.location(plan_id)


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None
