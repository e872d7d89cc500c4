"""Realistic synthetic states for benchmarks: DSS-like resources of a few KB each, deterministic per seed.

``generate_state(n, seed)`` builds a state of ``n`` resources spread over projects (datasets with params,
formatParams and a 10-40 column schema; python and SQL recipes with a few KB of code; step-based scenarios
with triggers, steps and reporters; managed folders; saved models). ``mutate(state, ...)`` derives an
independent copy in which a given fraction of resources is modified (the kinds of drift DSS users cause),
removed or added. The attribute shapes follow the real project trees in ``../shared/dss-projects``.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List

from dataiku_iac.models.state import Resource, ResourceMetadata, State, make_resource_id

RESOURCES_PER_PROJECT = 250
_BASE_TIME = datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
_USERS = ["alex", "pierrepetrella", "mkoto", "admin", "data_eng_bot", "jdoe"]
_WORDS = ["orders", "customers", "sales", "revenue", "events", "sessions", "products", "inventory",
          "web_logs", "clicks", "churn", "scores", "features", "training", "scoring", "stores"]
_STAGES = ["raw", "prepared", "enriched", "by_customer", "daily", "joined", "filtered", "scored"]
_COLUMN_TYPES = ["string", "bigint", "int", "double", "boolean", "date", "float", "array"]
_CONNECTIONS = ["filesystem_managed", "postgres_dwh", "snowflake_prod", "s3_datalake", "hdfs_main"]
_TYPE_WEIGHTS = [("dataset", 45), ("recipe", 35), ("scenario", 10), ("managed_folder", 5), ("saved_model", 5)]


def generate_state(n: int, seed: int = 0, environment: str = "bench") -> State:
    """A state of exactly ``n`` resources (one ``project`` resource per project of up to 250 members)."""
    rng = random.Random(seed)
    state = State(environment=environment, lineage=f"bench-{seed}", updated_at=_BASE_TIME)
    project_index = 0
    while len(state.resources) < n:
        project_key = f"PROJ_{project_index:03d}"
        members = min(RESOURCES_PER_PROJECT, n - len(state.resources)) - 1
        _add(state, rng, "project", project_key, None)
        for _ in range(members):
            _add(state, rng, _pick_type(rng), project_key, None)
        project_index += 1
    return state


def mutate(
    state: State,
    fraction_modified: float = 0.01,
    fraction_removed: float = 0.005,
    fraction_added: float = 0.005,
    seed: int = 1,
) -> State:
    """An independent copy of ``state`` with ``round(n * fraction)`` resources modified, removed and added.

    Modified and removed resources are distinct and never ``project`` resources; every modification
    really changes the attributes, so a diff must find exactly these counts.
    """
    rng = random.Random(seed)
    new = State.from_dict(copy.deepcopy(state.to_dict()))
    candidates = [rid for rid in sorted(new.resources) if not rid.startswith("project.")]
    n = len(state.resources)
    n_modified, n_removed = round(n * fraction_modified), round(n * fraction_removed)
    chosen = rng.sample(candidates, n_modified + n_removed)
    for rid in chosen[:n_modified]:
        resource = new.resources[rid]
        _MUTATIONS[resource.resource_type](rng, resource.attributes)
        resource.refresh_checksum()
        resource.metadata.last_modified_by = rng.choice(_USERS)
        resource.metadata.last_modified_at = _BASE_TIME + timedelta(days=30)
    for rid in chosen[n_modified:]:
        new.remove_resource(rid)
    projects = sorted({rid.split(".")[1] for rid in state.resources})
    for _ in range(round(n * fraction_added)):
        _add(new, rng, rng.choice(["dataset", "recipe", "scenario"]), rng.choice(projects), "added")
    return new


# -- generation --------------------------------------------------------------------------------------


def _pick_type(rng: random.Random) -> str:
    return rng.choices([t for t, _ in _TYPE_WEIGHTS], weights=[w for _, w in _TYPE_WEIGHTS])[0]


def _add(state: State, rng: random.Random, rtype: str, project_key: str, prefix: Any) -> None:
    name = None
    while True:
        if rtype == "project":
            name = None
        elif rtype in ("managed_folder", "saved_model"):
            name = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                           for _ in range(8))
        else:
            name = f"{rng.choice(_WORDS)}_{rng.choice(_STAGES)}_{rng.randrange(100000)}"
            name = f"{prefix}_{name}" if prefix else name
        rid = make_resource_id(rtype, project_key, name)
        if rid not in state.resources:
            break
    attributes = _BUILDERS[rtype](rng, project_key, name or project_key)
    metadata = ResourceMetadata(
        deployed_at=_BASE_TIME,
        deployed_by="bench",
        dataiku_internal_id=name,
        last_modified_by=rng.choice(_USERS),
        last_modified_at=_BASE_TIME - timedelta(seconds=rng.randrange(10**7)),
    )
    state.resources[rid] = Resource(rtype, rid, attributes, metadata)


def _tag(rng: random.Random) -> Dict[str, Any]:
    return {
        "versionNumber": rng.randrange(1, 40),
        "lastModifiedBy": {"login": rng.choice(_USERS)},
        "lastModifiedOn": 1600000000000 + rng.randrange(10**11),
    }


def _columns(rng: random.Random, count: int) -> List[Dict[str, Any]]:
    columns = []
    for index in range(count):
        column: Dict[str, Any] = {"name": f"{rng.choice(_WORDS)}_{index}", "type": rng.choice(_COLUMN_TYPES)}
        if rng.random() < 0.3:
            column["comment"] = f"{rng.choice(_WORDS)} {rng.choice(_STAGES)} value, as loaded upstream"
        if column["type"] == "string":
            column["maxLength"] = rng.choice([-1, 255, 1024])
        columns.append(column)
    return columns


def _dataset(rng: random.Random, project_key: str, name: str) -> Dict[str, Any]:
    connection = rng.choice(_CONNECTIONS)
    return {
        "type": rng.choice(["Filesystem", "PostgreSQL", "Snowflake", "S3", "HDFS"]),
        "managed": rng.random() < 0.6,
        "formatType": rng.choice(["csv", "parquet", "avro"]),
        "params": {
            "connection": connection,
            "path": f"/{project_key}/{name}",
            "table": name,
            "schema": "public",
            "mode": "table",
            "notReadyIfEmpty": False,
            "filesSelectionRules": {
                "mode": "ALL", "excludeRules": [], "includeRules": [], "explicitFiles": []
            },
        },
        "formatParams": {
            "style": "excel", "charset": "utf8", "separator": rng.choice([",", ";", "\t"]), "quoteChar": '"',
            "escapeChar": "\\", "dateSerializationFormat": "ISO", "arrayMapFormat": "json",
            "hiveSeparators": ["\u0002", "\u0003", "\u0004", "\u0005", "\u0006", "\u0007", "\b"],
            "skipRowsBeforeHeader": 0, "parseHeaderRow": True, "skipRowsAfterHeader": 0,
            "probableNumberOfRecords": rng.randrange(10**6), "normalizeBooleans": False,
            "normalizeDoubles": True, "readAdditionalColumnsBehavior": "INSERT_IN_DATA_WARNING",
            "readMissingColumnsBehavior": "DISCARD_SILENT", "compress": rng.choice(["", "gz", "snappy"]),
        },
        "partitioning": {
            "ignoreNonMatchingFile": False,
            "considerMissingRequestedPartitionsAsEmpty": False,
            "dimensions": [{"name": "day", "type": "time", "params": {"period": "DAY"}}]
            if rng.random() < 0.2 else [],
        },
        "schema": {"columns": _columns(rng, rng.randrange(10, 41)), "userModified": rng.random() < 0.3},
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL",
                        "crossProjectBuildBehavior": "DEFAULT"},
        "readWriteOptions": {"preserveOrder": False, "writeBuckets": 1, "forceSingleOutputFile": False,
                             "defaultReadOrdering": {"enabled": False, "rules": []}},
        "tags": sorted(rng.sample(_WORDS, 2)),
        "description": f"{name.replace('_', ' ')} for {project_key}",
        "customFields": {},
        "checklists": {"checklists": []},
        "versionTag": _tag(rng),
    }


_PYTHON_BODY = [
    "{out}_df['{col}'] = {out}_df['{col}'].fillna({num})",
    "{out}_df = {out}_df[{out}_df['{col}'] > {num}]",
    "{out}_df['{col}_ratio'] = {out}_df['{col}'] / ({out}_df['{col}'].max() + {num})",
    "logger.info('rows after {col} filter: %d', len({out}_df))",
    "{out}_df = {out}_df.merge(lookup_df, on='{col}', how='left')",
    "# keep only the {col} values seen in the last {num} days",
    "{out}_df['{col}_bucket'] = pd.cut({out}_df['{col}'], bins={num} % 10 + 2)",
]
_SQL_BODY = [
    "    , SUM(\"{col}\") AS \"{col}_total\"",
    "    , COUNT(DISTINCT \"{col}\") AS \"{col}_distinct\"",
    "    , AVG(\"{col}\") FILTER (WHERE \"{col}\" > {num}) AS \"{col}_avg\"",
    "    , MAX(\"{col}\") AS \"{col}_max\"",
    "    -- {col} is nullable upstream since release {num}",
]


def _python_code(rng: random.Random, source: str, output: str) -> str:
    lines = ["# -*- coding: utf-8 -*-", "import logging", "import dataiku",
             "import pandas as pd, numpy as np", "", "logger = logging.getLogger(__name__)", "",
             f"{source}_df = dataiku.Dataset(\"{source}\").get_dataframe()",
             f"lookup_df = dataiku.Dataset(\"{source}_lookup\").get_dataframe()",
             f"{output}_df = {source}_df.copy()", ""]
    for _ in range(rng.randrange(30, 80)):
        template = rng.choice(_PYTHON_BODY)
        lines.append(template.format(out=output, col=rng.choice(_WORDS), num=rng.randrange(1000)))
    lines += ["", f"dataiku.Dataset(\"{output}\").write_with_schema({output}_df)", ""]
    return "\n".join(lines)


def _sql_code(rng: random.Random, source: str, output: str) -> str:
    lines = [f"-- builds {output} from {source}", "SELECT", '    "customer_id"']
    for _ in range(rng.randrange(30, 90)):
        lines.append(rng.choice(_SQL_BODY).format(col=rng.choice(_WORDS), num=rng.randrange(1000)))
    lines += [f'FROM "{source}"', f"WHERE \"{rng.choice(_WORDS)}\" IS NOT NULL", 'GROUP BY "customer_id"', ""]
    return "\n".join(lines)


def _recipe(rng: random.Random, project_key: str, name: str) -> Dict[str, Any]:
    kind = rng.choice(["python", "sql_query"])
    source, output = f"{rng.choice(_WORDS)}_raw", f"{name}_out"
    code = _python_code(rng, source, output) if kind == "python" else _sql_code(rng, source, output)
    inputs = [{"ref": f"{source}_{i}", "deps": []} for i in range(rng.randrange(1, 4))]
    return {
        "type": kind,
        "neverRecomputeExistingPartitions": False,
        "optionalDependencies": False,
        "params": {"envSelection": {"envMode": rng.choice(["INHERIT", "EXPLICIT_ENV"])},
                   "containerSelection": {"containerMode": "INHERIT"}, "skipPrerunValidate": False},
        "inputs": {"main": {"items": inputs}},
        "outputs": {"main": {"items": [{"ref": output, "appendMode": False}]}},
        "redispatchPartitioning": False,
        "maxRunningActivities": 0,
        "variables": {},
        "labels": [],
        "tags": [rng.choice(_WORDS)],
        "customFields": {},
        "checklists": {"checklists": []},
        "versionTag": _tag(rng),
        "payload": code,
    }


def _scenario(rng: random.Random, project_key: str, name: str) -> Dict[str, Any]:
    triggers = [
        {"id": f"trg{i}{rng.randrange(10**5)}", "type": rng.choice(["ds_modified", "temporal"]),
         "name": f"When {rng.choice(_WORDS)} changes", "delay": rng.choice([60, 300, 900]), "active": True,
         "params": {"watches": [{"type": "DATASET", "itemId": rng.choice(_WORDS), "partitionsSpec": ""}],
                    "triggerWhenAllFire": False},
         "graceDelaySettings": {"delay": 120, "checkAgainAfterGraceDelay": True}}
        for i in range(rng.randrange(1, 4))
    ]
    steps = [
        {"id": f"build_{i}_{rng.choice(_WORDS)}", "type": "build_flowitem", "name": f"Build step {i}",
         "runConditionType": "RUN_IF_STATUS_MATCH", "runConditionStatuses": ["SUCCESS", "WARNING"],
         "resetScenarioStatus": False, "delayBetweenRetries": 10, "maxRetriesOnFail": rng.randrange(3),
         "params": {"builds": [{"type": "DATASET", "itemId": f"{rng.choice(_WORDS)}_{i}",
                                "partitionsSpec": ""}],
                    "jobType": "RECURSIVE_BUILD", "refreshHiveMetastore": True, "proceedOnFailure": False}}
        for i in range(rng.randrange(2, 7))
    ]
    reporters = [
        {"id": f"rep{i}{rng.randrange(10**5)}", "name": "Mail on failure", "active": True,
         "runConditionEnabled": True, "runCondition": "outcome == 'FAILED'",
         "messaging": {"type": "mail-scenario",
                       "configuration": {"recipient": f"{rng.choice(_USERS)}@corp.example",
                                         "subject": "${scenarioName}: ${outcome}"}}}
        for i in range(rng.randrange(0, 3))
    ]
    return {
        "type": "step_based", "name": name.replace("_", " "), "active": rng.random() < 0.7,
        "delayedTriggersBehavior": {"delayWhileRunning": True, "squashDelayedTriggers": True,
                                    "suppressTriggersWhileRunning": True},
        "triggers": triggers, "reporters": reporters, "params": {"steps": steps},
        "tags": [], "customFields": {}, "automationLocal": False, "versionTag": _tag(rng),
    }


def _managed_folder(rng: random.Random, project_key: str, name: str) -> Dict[str, Any]:
    return {
        "name": f"{rng.choice(_WORDS)} files", "type": "Filesystem",
        "params": {"connection": rng.choice(_CONNECTIONS), "path": f"{project_key}/{name}"},
        "partitioning": {"ignoreNonMatchingFile": False, "dimensions": []},
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL"},
        "metrics": {"probes": [{"type": "basic", "enabled": True, "computeOnBuildMode": "PARTITION",
                                "meta": {"name": "Basic data", "level": 0}, "configuration": {}}]},
        "tags": [], "checklists": {"checklists": []}, "versionTag": _tag(rng),
    }


def _saved_model(rng: random.Random, project_key: str, name: str) -> Dict[str, Any]:
    return {
        "name": f"Predict {rng.choice(_WORDS)}", "type": "PREDICTION",
        "activeVersion": f"initial-{rng.randrange(99)}",
        "miniTask": {"taskType": "PREDICTION", "targetVariable": rng.choice(_WORDS),
                     "predictionType": rng.choice(["BINARY_CLASSIFICATION", "REGRESSION"]),
                     "backendType": "PY_MEMORY", "guessPolicy": "DEFAULT"},
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL"},
        "publishPolicy": "UNCONDITIONAL", "tags": [], "versionTag": _tag(rng),
    }


def _project(rng: random.Random, project_key: str, name: str) -> Dict[str, Any]:
    owner = rng.choice(_USERS)
    return {
        "name": project_key.replace("_", " ").title(), "shortDesc": f"{rng.choice(_WORDS)} analytics",
        "description": "Flows that build the " + ", ".join(rng.sample(_WORDS, 4)) + " datasets.",
        "owner": owner, "tags": sorted(rng.sample(_WORDS, 3)),
        "permissions": [{"group": g, "readProjectContent": True, "writeProjectContent": g != "readers"}
                        for g in ("data_team", "readers")],
        "settings": {"flowBuildSettings": {"mergeSparkPipelines": True}, "limits": {"memSampleBytes": -1}},
        "variables": {"standard": {"env": "prod", "retention_days": rng.randrange(30, 400)}, "local": {}},
    }


_BUILDERS: Dict[str, Callable[[random.Random, str, str], Dict[str, Any]]] = {
    "project": _project, "dataset": _dataset, "recipe": _recipe, "scenario": _scenario,
    "managed_folder": _managed_folder, "saved_model": _saved_model,
}


# -- mutations: each one really changes the attributes ------------------------------------------------


def _mutate_dataset(rng: random.Random, attrs: Dict[str, Any]) -> None:
    columns = attrs["schema"]["columns"]
    choice = rng.randrange(3)
    if choice == 0:  # a column's type changed
        column = rng.choice(columns)
        column["type"] = rng.choice([t for t in _COLUMN_TYPES if t != column["type"]])
    elif choice == 1:  # a column inserted
        new_column = {"name": f"drift_col_{len(columns)}", "type": "string"}
        columns.insert(rng.randrange(len(columns) + 1), new_column)
    else:  # moved to another connection
        attrs["params"]["connection"] += "_v2"


def _mutate_recipe(rng: random.Random, attrs: Dict[str, Any]) -> None:
    lines = attrs["payload"].split("\n")
    lines.insert(rng.randrange(len(lines)), "# hotfix applied in production")
    attrs["payload"] = "\n".join(lines)


def _mutate_scenario(rng: random.Random, attrs: Dict[str, Any]) -> None:
    if rng.random() < 0.5:
        rng.choice(attrs["triggers"])["delay"] += 60
    else:
        attrs["active"] = not attrs["active"]


def _mutate_managed_folder(rng: random.Random, attrs: Dict[str, Any]) -> None:
    attrs["params"]["path"] += "/moved"


def _mutate_saved_model(rng: random.Random, attrs: Dict[str, Any]) -> None:
    attrs["activeVersion"] += "-retrained"


_MUTATIONS: Dict[str, Callable[[random.Random, Dict[str, Any]], None]] = {
    "dataset": _mutate_dataset, "recipe": _mutate_recipe, "scenario": _mutate_scenario,
    "managed_folder": _mutate_managed_folder, "saved_model": _mutate_saved_model,
}
