"""Builders of drift reports for the renderer tests: real engine output, not hand-written dicts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Optional

from dataiku_iac.diff import DiffEngine
from dataiku_iac.models.state import Resource, ResourceMetadata, State
from dataiku_iac.report.json_report import diffs_to_json

T0 = datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
T1 = datetime(2025, 2, 1, 8, 0, tzinfo=timezone.utc)

CODE_V1 = "import dataiku\n\ndf = dataiku.Dataset('raw').get_dataframe()\ndf = df.dropna()\nout.write(df)\n"
CODE_V2 = "import dataiku\n\ndf = dataiku.Dataset('raw').get_dataframe()\ndf = df.fillna(0)\nout.write(df)\n"
XSS = "<img src=x onerror=alert(1)>"


def resource(rid: str, attributes: Dict[str, Any], who: Optional[str] = None, when: Optional[datetime] = None
             ) -> Resource:
    """A resource whose type is taken from its id, with DSS attribution."""
    metadata = ResourceMetadata(deployed_at=T0, last_modified_by=who, last_modified_at=when)
    return Resource(rid.split(".")[0], rid, attributes, metadata)


def state(*resources: Resource) -> State:
    return State(environment="dev", resources={r.resource_id: r for r in resources})


def dataset(path: str, *columns: str, **extra: Any) -> Dict[str, Any]:
    cols = [dict(zip(("name", "type"), spec.split(":"))) for spec in columns]
    return {"type": "Filesystem", "params": {"connection": "fs", "path": path}, "schema": {"columns": cols}, **extra}


def drift_report(**context: Any) -> Dict[str, Any]:
    """One of each: a modified dataset (path, type, column added), modified recipe code, an added folder,
    a removed dataset, an unchanged project."""
    old = state(
        resource("project.P", {"name": "P", "description": "old"}),
        resource("dataset.P.orders", dataset("/a", "id:string", "qty:int")),
        resource("dataset.P.legacy", dataset("/l", "x:string"), who="bob", when=T0),
        resource("recipe.P.compute_orders", {"type": "python", "payload": CODE_V1}),
    )
    new = state(
        resource("project.P", {"name": "P", "description": "old"}),
        resource("dataset.P.orders", dataset("/b", "id:bigint", "qty:int", "email:string"), who="jane.doe", when=T1),
        resource("recipe.P.compute_orders", {"type": "python", "payload": CODE_V2}, who="jane.doe", when=T1),
        resource("managed_folder.P.Ab12", {"name": "exports", "type": "Filesystem", "params": {"path": "/x"}}),
    )
    ctx = {"environment": "dev", "baseline_serial": 3, "baseline_lineage": "abc",
           "baseline_updated_at": "2025-01-15T10:30:00Z", "checked_at": "2025-02-01T08:00:00Z",
           "project_keys": ["P"], "has_drift": True}
    ctx.update(context)
    return diffs_to_json(DiffEngine().diff(old, new), context=ctx)


def no_drift_report() -> Dict[str, Any]:
    same = state(resource("project.P", {"name": "P"}))
    return diffs_to_json(DiffEngine().diff(same, same), context={"environment": "dev", "baseline_serial": 7,
                                                                 "has_drift": False})


def hostile_report() -> Dict[str, Any]:
    """Every DSS-supplied string carries markup or terminal escapes."""
    name = f"dataset.P.{XSS}"
    old = state(resource(name, {"description": XSS, "payload": f"a\n{XSS}\n" * 3}))
    new = state(resource(name, {"description": XSS + "!", "payload": f"b\n{XSS}\n" * 3, XSS: "\x1b[2J"},
                         who=f"{XSS}\x1b[31m", when=T1),
                resource(f"recipe.P.{XSS}", {"type": XSS}))
    return diffs_to_json(DiffEngine().diff(old, new), context={"environment": "dev", "project_keys": [XSS],
                                                               "has_drift": True})
