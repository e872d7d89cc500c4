"""Synthetic, realistic DSS projects of any size, for benchmarks and scale tests.

``generate_project("BENCH", datasets=500, recipes=400, scenarios=20, folders=10)`` returns a
:class:`~dss_emulator.seed_types.ProjectSeed`: source datasets (files and SQL tables) feed
python, SQL and visual (grouping, prepare/shaker, join) recipes, each reading datasets that
already exist and writing one new dataset, so the recipes form a flow. Schemas have 10-40
columns and each dataset definition weighs a few KB, like real ones. The output depends only
on the arguments: the same key, sizes and ``seed`` give the same project, byte for byte.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any, Optional, Union

from .models.projects import default_project_settings
from .models.scenarios import derive_scenario_id
from .seed import write_tree
from .seed_types import JSONDict, ProjectSeed

# Fixed epoch so timestamps are deterministic (2023-11-14).
BASE_MS = 1_700_000_000_000
USERS = ["alice.martin", "bob.nguyen", "chen.li", "dana.kowalski", "emeka.obi"]
DOMAINS = ["customers", "orders", "products", "sessions", "invoices", "tickets", "shipments", "campaigns",
           "payments", "stores", "suppliers", "returns"]
COLUMN_POOL: list[tuple[str, str]] = [
    ("id", "bigint"), ("customer_id", "string"), ("order_id", "string"), ("product_id", "string"),
    ("store_id", "string"), ("country", "string"), ("region", "string"), ("city", "string"),
    ("postal_code", "string"), ("channel", "string"), ("segment", "string"), ("status", "string"),
    ("currency", "string"), ("amount", "double"), ("quantity", "int"), ("unit_price", "double"),
    ("discount", "double"), ("tax", "double"), ("margin", "double"), ("score", "float"),
    ("created_at", "date"), ("updated_at", "date"), ("event_date", "date"), ("age", "int"),
    ("is_active", "boolean"), ("is_test", "boolean"), ("email_domain", "string"), ("device", "string"),
    ("browser", "string"), ("session_length_s", "int"), ("page_views", "int"), ("category", "string"),
    ("subcategory", "string"), ("brand", "string"), ("weight_kg", "double"), ("warehouse", "string"),
    ("carrier", "string"), ("delivery_days", "int"), ("rating", "int"), ("comment", "string"),
    ("campaign", "string"), ("utm_source", "string"), ("utm_medium", "string"), ("cost", "double"),
    ("clicks", "bigint"), ("impressions", "bigint"), ("payment_method", "string"), ("risk_flag", "boolean"),
]
SQL_CONNECTIONS = ["pg_warehouse", "snowflake_analytics"]
RECIPE_WEIGHTS = [("python", 30), ("shaker", 25), ("grouping", 20), ("sql_query", 15), ("join", 10)]


def _tag(rng: random.Random, number: Optional[int] = None, offset_days: int = 0) -> JSONDict:
    """A plausible version tag (fixed epoch plus a random offset)."""
    return {"versionNumber": rng.randint(0, 40) if number is None else number,
            "lastModifiedBy": {"login": rng.choice(USERS)},
            "lastModifiedOn": BASE_MS + offset_days * 86_400_000 + rng.randint(0, 86_400_000)}


def _random_id(rng: random.Random, taken: set[str]) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(rng.choice(alphabet) for _ in range(8))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _schema(rng: random.Random, count: int, must: tuple[str, ...] = ()) -> list[JSONDict]:
    """``count`` distinct columns (10-40), drawn from the pool, then numbered extras."""
    pool = dict(COLUMN_POOL)
    names = [m for m in must if m in pool]
    others = [n for n, _ in COLUMN_POOL if n not in names]
    rng.shuffle(others)
    names += others[: max(0, count - len(names))]
    i = 0
    while len(names) < count:
        i += 1
        names.append(f"feature_{i:02d}")
    columns = []
    for name in names[:count]:
        col: JSONDict = {"name": name, "type": pool.get(name, "double")}
        if col["type"] == "string":
            col["maxLength"] = -1
        columns.append(col)
    return columns


def _clamp_columns(columns: list[JSONDict]) -> list[JSONDict]:
    """Keep derived schemas inside the 10-40 columns real flows show."""
    seen: dict[str, JSONDict] = {}
    for col in columns:
        seen.setdefault(col["name"], col)
    result = list(seen.values())[:40]
    n = 0
    while len(result) < 10:
        n += 1
        result.append({"name": f"derived_{n:02d}", "type": "double"})
    return result


def _dataset_common(rng: random.Random) -> JSONDict:
    """The bulky boilerplate of every dataset (metrics, checks, options)."""
    return {
        "partitioning": {"ignoreNonMatchingFile": False, "considerMissingRequestedPartitionsAsEmpty": False,
                         "dimensions": []},
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL", "crossProjectBuildBehavior": "DEFAULT"},
        "readWriteOptions": {"preserveOrder": False, "writeBuckets": 1, "forceSingleOutputFile": False,
                             "defaultReadOrdering": {"enabled": False, "rules": []}},
        "metrics": {
            "probes": [
                {"type": "basic", "enabled": True, "computeOnBuildMode": "PARTITION",
                 "meta": {"name": "Basic data", "level": 0}, "configuration": {}},
                {"type": "records", "enabled": True, "computeOnBuildMode": "NO",
                 "meta": {"name": "Record count", "level": 0}, "configuration": {}},
            ],
            "engineConfig": {"padRunsWithMetrics": False, "hive": {"active": True, "extraConf": []},
                             "basic": {}, "dss": {"active": True, "selection": {
                                 "useMemTable": False, "filter": {"distinct": False, "enabled": False},
                                 "partitionSelectionMethod": "ALL", "latestPartitionsN": 1,
                                 "ordering": {"enabled": False, "rules": []}, "samplingMethod": "FULL",
                                 "maxRecords": -1, "targetRatio": 0.02, "withinFirstN": -1,
                                 "maxReadUncompressedBytes": -1}},
                             "sql": {"active": True}, "impala": {"active": True}, "spark": {"active": True,
                                                                                            "extraConf": []},
                             "python": {}},
            "displayedState": {"columns": [], "metrics": ["basic:COUNT_COLUMNS", "records:COUNT_RECORDS"]},
        },
        "metricsChecks": {"runOnBuild": False, "checks": [], "displayedState": {"checks": []}},
        "checks": [], "dkuProperties": [], "customFields": {}, "customMeta": {"kv": {}},
        "checklists": {"checklists": []},
        "tags": sorted(rng.sample(["raw", "curated", "pii", "finance", "marketing", "ops", "gold"], rng.randint(0, 2))),
        "versionTag": _tag(rng, offset_days=rng.randint(30, 300)),
        "creationTag": _tag(rng, 0, offset_days=rng.randint(0, 29)),
    }


def _file_dataset(rng: random.Random, name: str, columns: list[JSONDict], managed: bool) -> JSONDict:
    parquet = managed and rng.random() < 0.5
    d: JSONDict = {
        "type": "Filesystem", "managed": managed,
        "params": {"connection": "filesystem_managed" if managed else "filesystem_root",
                   "path": "${projectKey}/" + name if managed else f"/data/landing/{name}",
                   "notReadyIfEmpty": False,
                   "filesSelectionRules": {"mode": "ALL", "excludeRules": [], "includeRules": [],
                                           "explicitFiles": []}},
        "formatType": "parquet" if parquet else "csv",
        "formatParams": ({"parquetLowerCaseIdentifiers": False, "parquetCompressionMethod": "SNAPPY",
                          "parquetFlavor": "HIVE", "parquetBlockSizeMB": 128} if parquet else
                         {"style": "excel", "charset": "utf8", "separator": ",", "quoteChar": "\"",
                          "escapeChar": "\\", "dateSerializationFormat": "ISO", "arrayMapFormat": "json",
                          "skipRowsBeforeHeader": 0, "parseHeaderRow": True, "skipRowsAfterHeader": 0,
                          "probableNumberOfRecords": rng.randint(100, 5_000_000), "normalizeBooleans": False,
                          "normalizeDoubles": True, "compress": rng.choice(["", "gz"])}),
        "schema": {"columns": columns, "userModified": not managed},
    }
    d.update(_dataset_common(rng))
    return d


def _sql_dataset(rng: random.Random, name: str, columns: list[JSONDict], connection: str,
                 managed: bool) -> JSONDict:
    d: JSONDict = {
        "type": "PostgreSQL" if connection.startswith("pg") else "Snowflake", "managed": managed,
        "params": {"connection": connection, "mode": "table", "notReadyIfEmpty": False,
                   "table": "${projectKey}_" + name if managed else name.upper(),
                   "schema": "analytics" if managed else "landing", "tableCreationMode": "auto",
                   "writeInsertBatchSize": 10000, "writeJDBCBadDataBehavior": "DISCARD_ROW",
                   "readColsWithUnknownTzAsDates": False, "readSQLDateColsAsDSSDates": True,
                   "partitioningType": "custom", "normalizeDoubles": True},
        "schema": {"columns": columns, "userModified": not managed},
    }
    d.update(_dataset_common(rng))
    return d


def _ref_items(names: list[str]) -> JSONDict:
    return {"main": {"items": [{"ref": n, "deps": []} for n in names]}}


def _recipe_definition(rng: random.Random, recipe_type: str, inputs: list[str], output: str) -> JSONDict:
    code = recipe_type in ("python", "sql_query")
    params: JSONDict = ({"envSelection": {"envMode": "INHERIT"}, "containerSelection": {"containerMode": "INHERIT"},
                         "skipPrerunValidate": False} if code else
                        {"engineParams": {"maxThreads": 8, "containerSelection": {"containerMode": "INHERIT"},
                                          "sparkSQL": {"useGlobalMetastore": False, "pipelineAllowMerge": True,
                                                       "executionEngine": "SPARK_SUBMIT"},
                                          "hive": {"skipPrerunValidate": False, "hiveconf": []},
                                          "sqlPipelineParams": {"pipelineAllowMerge": True,
                                                                "pipelineAllowStart": True}}})
    return {
        "type": recipe_type, "neverRecomputeExistingPartitions": False, "optionalDependencies": False,
        "params": params, "customMeta": {"kv": {}}, "redispatchPartitioning": False, "maxRunningActivities": 0,
        "variables": {}, "dkuProperties": [], "inputs": _ref_items(inputs),
        "outputs": {"main": {"items": [{"ref": output, "appendMode": False}]}},
        "labels": [], "tags": [], "customFields": {}, "checklists": {"checklists": []},
        "versionTag": _tag(rng, offset_days=rng.randint(30, 300)),
        "creationTag": _tag(rng, 0, offset_days=rng.randint(0, 29)),
    }


def _python_payload(inputs: list[str], output: str, out_cols: list[JSONDict]) -> str:
    reads = "\n".join(f'{n} = dataiku.Dataset("{n}").get_dataframe()' for n in inputs)
    first = inputs[0]
    numeric = [c["name"] for c in out_cols if c["type"] in ("double", "float", "int", "bigint")][:3]
    lines = [
        "# -*- coding: utf-8 -*-",
        f'"""Build {output} from {", ".join(inputs)}."""',
        "import dataiku",
        "import numpy as np",
        "import pandas as pd",
        "",
        reads,
        "",
        f"df = {first}.copy()",
        "df = df.drop_duplicates()",
    ]
    for col in numeric:
        lines.append(f'if "{col}" in df.columns:')
        lines.append(f'    df["{col}"] = pd.to_numeric(df["{col}"], errors="coerce").fillna(0)')
    lines += [
        'df["load_ts"] = pd.Timestamp.now(tz="UTC").isoformat()',
        "",
        f'out = dataiku.Dataset("{output}")',
        "out.write_with_schema(df)",
        "",
    ]
    return "\n".join(lines)


def _sql_payload(inputs: list[str], out_cols: list[JSONDict]) -> str:
    cols = ",\n    ".join(f'"{c["name"]}"' for c in out_cols[:12])
    return (f'-- Incremental extract of {inputs[0]}\nSELECT\n    {cols}\nFROM "${{projectKey}}_{inputs[0]}"\n'
            "WHERE \"is_test\" IS NOT TRUE\n  AND \"updated_at\" >= CURRENT_DATE - INTERVAL '30 days'\n")


def _grouping_payload(rng: random.Random, key: str, in_cols: list[JSONDict]) -> str:
    values = []
    for idx, col in enumerate(in_cols):
        if col["name"] == key:
            continue
        numeric = col["type"] in ("double", "float", "int", "bigint")
        values.append({"column": col["name"], "type": col["type"], "count": False, "countDistinct": not numeric,
                       "sum": numeric and rng.random() < 0.6, "avg": numeric and rng.random() < 0.4,
                       "min": False, "max": numeric and rng.random() < 0.2, "first": False, "last": False,
                       "concat": False, "stddev": False, "$idx": idx})
    payload = {"keys": [{"column": key, "type": "string", "count": False, "sum": False}],
               "values": values, "globalCount": True,
               "preFilter": {"distinct": False, "enabled": False}, "computedColumns": [],
               "outputColumnNameOverrides": {}, "postFilter": {"enabled": False},
               "enableAutoCastInJoinConditions": False}
    return json.dumps(payload, indent=2)


def _shaker_payload(rng: random.Random, in_cols: list[JSONDict]) -> str:
    names = [c["name"] for c in in_cols]
    steps: list[JSONDict] = [
        {"type": "ColumnsSelector", "params": {"keep": False, "appliesTo": "COLUMNS",
                                              "columns": rng.sample(names, min(2, len(names)))}},
        {"type": "FillEmptyWithValue", "params": {"appliesTo": "SINGLE_COLUMN", "columns": [names[0]],
                                                 "value": "unknown"}},
        {"type": "CreateColumnWithGREL", "params": {"column": "row_hash",
                                                   "expression": f"md5(toString({names[0]}))",
                                                   "errorColumn": ""}},
        {"type": "FilterOnValue", "params": {"appliesTo": "SINGLE_COLUMN", "columns": [names[-1]],
                                            "action": "REMOVE_ROW", "values": ["", "N/A"],
                                            "matchingMode": "FULL_STRING", "normalizationMode": "EXACT"}},
    ]
    for step in steps:
        step.update({"metaType": "PROCESSOR", "preview": False, "disabled": False, "alwaysShowComment": False})
    payload = {"columnsSelection": {"mode": "ALL"}, "explorationSampling": {"_refreshTrigger": 0,
               "selection": {"samplingMethod": "HEAD_SEQUENTIAL", "maxRecords": 10000}, "autoRefreshSample": False},
               "vizSampling": {"_refreshTrigger": 0, "autoRefreshSample": False},
               "exploreUIParams": {"autoRefresh": True}, "globalSearchQuery": "",
               "coloring": {"scheme": "MEANING_AND_STATUS_ERRORS"}, "sorting": [], "analysisColumnData": {},
               "columnWidthsByName": {n: rng.choice([100, 120, 150, 200]) for n in names},
               "steps": steps, "maxProcessedMemTableBytes": -1, "previewMode": "ALL_ROWS", "origin": "PREPARE_RECIPE"}
    return json.dumps(payload, indent=2)


def _join_payload(left_cols: list[JSONDict], right_cols: list[JSONDict], key: str) -> str:
    payload = {
        "virtualInputs": [{"index": 0, "preFilter": {"distinct": False, "enabled": False}, "computedColumns": []},
                          {"index": 1, "preFilter": {"distinct": False, "enabled": False}, "computedColumns": []}],
        "joins": [{"table1": 0, "table2": 1, "type": "LEFT", "conditionsMode": "AND", "rightLimit": {},
                   "on": [{"column1": {"table": 0, "name": key}, "column2": {"table": 1, "name": key},
                           "type": "EQ", "dateDiffUnit": "DAY", "maxDistance": 0, "caseInsensitive": False,
                           "normalizeText": False, "strict": False}]}],
        "selectedColumns": ([{"name": c["name"], "table": 0, "type": c["type"]} for c in left_cols] +
                            [{"name": c["name"], "table": 1, "type": c["type"]} for c in right_cols
                             if c["name"] != key][:10]),
        "computedColumns": [], "postFilter": {"enabled": False}, "enableAutoCastInJoinConditions": False,
        "engineParams": {"hive": {"skipPrerunValidate": False}, "sqlPipelineParams": {"pipelineAllowMerge": True}},
    }
    return json.dumps(payload, indent=2)


def _scenario(rng: random.Random, index: int, name: str, targets: list[str], sources: list[str],
              python: bool) -> tuple[JSONDict, Optional[str]]:
    triggers: list[JSONDict] = [{"id": _random_id(rng, set()), "type": "temporal", "name": "Nightly",
                                 "delay": 5, "active": rng.random() < 0.7,
                                 "params": {"repeatFrequency": 1,
                                            "frequency": rng.choice(["Daily", "Hourly", "Weekly"]),
                                            "daysOfWeek": ["Monday"], "hour": rng.randint(0, 6),
                                            "minute": rng.choice([0, 15, 30, 45]), "timezone": "SERVER"}}]
    if sources and rng.random() < 0.5:
        triggers.append({"id": _random_id(rng, set()), "type": "ds_modified", "name": "Sources changed",
                         "delay": 900, "active": True,
                         "params": {"watches": [{"type": "DATASET", "itemId": s, "partitionsSpec": ""}
                                                for s in sources[:2]], "triggerWhenAllFire": False},
                         "graceDelaySettings": {"delay": 120, "checkAgainAfterGraceDelay": True}})
    reporters = [] if rng.random() < 0.3 else [{
        "id": _random_id(rng, set()), "active": True, "phase": "END", "runConditionEnabled": True,
        "runCondition": "outcome != 'SUCCESS'",
        "messaging": {"type": "mail-scenario", "configuration": {"sender": "dss@example.com",
                      "recipient": "data-alerts@example.com", "subject": "${scenarioName}: ${outcome}",
                      "templateName": "default.ftl", "attachments": []}}}]
    steps = [{"id": f"build_{i}_true_d_{t}", "type": "build_flowitem", "name": f"Build {t}",
              "runConditionType": "RUN_IF_STATUS_MATCH", "runConditionStatuses": ["SUCCESS", "WARNING"],
              "resetScenarioStatus": False, "delayBetweenRetries": 10, "maxRetriesOnFail": 0,
              "params": {"builds": [{"type": "DATASET", "itemId": t, "partitionsSpec": ""}],
                         "jobType": "RECURSIVE_BUILD", "refreshHiveMetastore": True, "proceedOnFailure": False}}
             for i, t in enumerate(targets)]
    definition: JSONDict = {
        "type": "custom_python" if python else "step_based", "name": name, "active": rng.random() < 0.6,
        "triggers": triggers, "reporters": reporters,
        "params": {"envSelection": {"envMode": "INHERIT"}} if python else {"steps": steps},
        "delayedTriggersBehavior": {"delayWhileRunning": True, "squashDelayedTriggers": True,
                                    "suppressTriggersWhileRunning": True},
        "automationLocal": False, "tags": [], "customFields": {}, "checklists": {"checklists": []},
        "versionTag": _tag(rng, offset_days=rng.randint(30, 300)),
        "creationTag": _tag(rng, 0, offset_days=rng.randint(0, 29)),
    }
    script = None
    if python:
        builds = "\n".join(f'scenario.build_dataset("{t}", build_mode="RECURSIVE_BUILD")' for t in targets)
        script = ("from dataiku.scenario import Scenario\n\nscenario = Scenario()\n"
                  f"{builds}\nscenario.set_scenario_variables(last_run_index={index})\n")
    return definition, script


def _pick_inputs(rng: random.Random, available: int, n: int) -> list[int]:
    """Indexes of ``n`` distinct existing datasets, biased towards recent ones (deep flows)."""
    chosen: list[int] = []
    while len(chosen) < min(n, available):
        recent = rng.random() < 0.6
        idx = rng.randrange(max(0, available - 8), available) if recent else rng.randrange(available)
        if idx not in chosen:
            chosen.append(idx)
    return chosen


def generate_project(key: str, datasets: int = 10, recipes: int = 8, scenarios: int = 2, folders: int = 1,
                     seed: int = 0) -> ProjectSeed:
    """A synthetic project: ``datasets`` datasets, of which ``recipes`` are recipe outputs.

    Raises ``ValueError`` unless ``0 <= recipes < datasets`` (every recipe writes its own
    dataset and at least one dataset must be a source).
    """
    if datasets < 1 or recipes < 0 or scenarios < 0 or folders < 0:
        raise ValueError("sizes must be non-negative and datasets at least 1")
    if recipes >= datasets:
        raise ValueError(f"recipes ({recipes}) must be fewer than datasets ({datasets}): each writes one dataset")
    rng = random.Random(f"{key}:{seed}")
    owner = rng.choice(USERS)
    project = ProjectSeed(key=key, params=_project_params(rng, key, owner))
    project.variables = {"env": "bench", "lookback_days": 30, "alert_email": "data-alerts@example.com"}
    project.local_variables = {"debug": False}

    names: list[str] = []
    schemas: list[list[JSONDict]] = []
    connections: list[Optional[str]] = []  # SQL connection of each dataset, None for files
    n_sources = datasets - recipes
    for i in range(n_sources):
        domain = DOMAINS[i % len(DOMAINS)]
        name = f"raw_{domain}_{i:04d}"
        cols = _schema(rng, rng.randint(10, 40), must=("id", "updated_at", "is_test"))
        connection = rng.choice(SQL_CONNECTIONS) if rng.random() < 0.4 else None
        project.datasets[name] = (_sql_dataset(rng, name, cols, connection, managed=False) if connection
                                  else _file_dataset(rng, name, cols, managed=False))
        names.append(name)
        schemas.append(cols)
        connections.append(connection)

    for j in range(recipes):
        _add_recipe(rng, project, j, names, schemas, connections)

    _add_scenarios(rng, project, scenarios, names, n_sources)
    taken: set[str] = set()
    for f in range(folders):
        folder_id = _random_id(rng, taken)
        project.managed_folders[folder_id] = _folder(rng, f"{DOMAINS[f % len(DOMAINS)]}_exports_{f:03d}")
    return project


def _project_params(rng: random.Random, key: str, owner: str) -> JSONDict:
    return {
        "projectType": "REGULAR", "projectAppType": "REGULAR", "name": f"Synthetic {key.lower()}",
        "owner": owner, "projectStatus": rng.choice(["Sandbox", "In use", "Production"]),
        "description": "Generated by dss_emulator.synthetic for benchmarks.", "shortDesc": "Synthetic project",
        "tags": ["synthetic"], "customFields": {}, "checklists": {"checklists": []}, "permissionsVersion": "V2",
        "permissions": [{"group": "data_team", "admin": False, "readProjectContent": True,
                         "writeProjectContent": True, "runScenarios": True}],
        "exposedObjects": {"objects": []},
        "dashboardAuthorizations": {"allAuthorized": False, "authorizations": []},
        "settings": default_project_settings(),
        "versionTag": _tag(rng, offset_days=300), "creationTag": _tag(rng, 0),
    }


def _choose_type(rng: random.Random, input_conn: Optional[str], available: int) -> str:
    if input_conn is not None and rng.random() < 0.5:
        return "sql_query"  # SQL inputs mostly feed SQL recipes in real flows
    recipe_type = rng.choices([t for t, _ in RECIPE_WEIGHTS], weights=[w for _, w in RECIPE_WEIGHTS])[0]
    if recipe_type == "sql_query" and input_conn is None:
        return "python"
    if recipe_type == "join" and available < 2:
        return "shaker"
    return recipe_type


def _add_recipe(rng: random.Random, project: ProjectSeed, j: int, names: list[str],
                schemas: list[list[JSONDict]], connections: list[Optional[str]]) -> None:
    """Recipe ``j`` reads existing datasets and writes dataset number ``len(names)``."""
    available = len(names)
    first = _pick_inputs(rng, available, 1)[0]
    recipe_type = _choose_type(rng, connections[first], available)
    inputs = [first]
    if recipe_type == "join":
        inputs += [i for i in _pick_inputs(rng, available, 3) if i != first][:1]
    in_names = [names[i] for i in inputs]
    in_cols = schemas[first]
    base = in_names[0].replace("raw_", "").rsplit("_", 1)[0]
    group_key = next((c["name"] for c in in_cols if c["type"] == "string"), in_cols[0]["name"])
    suffix = {"python": "enriched", "shaker": "prepared", "grouping": f"by_{group_key}",
              "sql_query": "extract", "join": "joined"}[recipe_type]
    output = f"{base}_{suffix}_{available:04d}"

    if recipe_type == "grouping":
        out_cols = _clamp_columns([{"name": group_key, "type": "string"}, {"name": "count", "type": "bigint"}] +
                                  [{"name": f"{c['name']}_sum", "type": "double"} for c in in_cols
                                   if c["type"] in ("double", "int", "bigint")])
        payload = _grouping_payload(rng, group_key, in_cols)
    elif recipe_type == "join":
        right = schemas[inputs[1]] if len(inputs) > 1 else in_cols
        key = next((c["name"] for c in in_cols if c["name"] in {r["name"] for r in right}), in_cols[0]["name"])
        out_cols = _clamp_columns(in_cols + right)
        payload = _join_payload(in_cols, right, key)
    elif recipe_type == "shaker":
        out_cols = _clamp_columns([*in_cols, {"name": "row_hash", "type": "string"}])
        payload = _shaker_payload(rng, in_cols)
    elif recipe_type == "sql_query":
        out_cols = _clamp_columns(in_cols[:12])
        payload = _sql_payload(in_names, out_cols)
    else:
        out_cols = _clamp_columns([*in_cols, {"name": "load_ts", "type": "string"}])
        payload = _python_payload(in_names, output, out_cols)

    # SQL-engine recipes write next to their input, which keeps SQL chains going downstream.
    out_conn = connections[first] if recipe_type in ("sql_query", "grouping", "join") else None
    project.datasets[output] = (_sql_dataset(rng, output, out_cols, out_conn, managed=True) if out_conn
                                else _file_dataset(rng, output, out_cols, managed=True))
    names.append(output)
    schemas.append(out_cols)
    connections.append(out_conn)
    recipe_name = f"compute_{output}"
    project.recipes[recipe_name] = (_recipe_definition(rng, recipe_type, in_names, output), payload)


def _add_scenarios(rng: random.Random, project: ProjectSeed, count: int, names: list[str], n_sources: int) -> None:
    outputs = names[n_sources:] or names
    sources = names[:n_sources]
    for s in range(count):
        domain = DOMAINS[s % len(DOMAINS)]
        name = f"Rebuild {domain} {s}"
        scenario_id = derive_scenario_id(name)
        targets = rng.sample(outputs, min(len(outputs), rng.randint(1, 3)))
        project.scenarios[scenario_id] = _scenario(rng, s, name, targets, sources, python=(s % 4 == 3))


def _folder(rng: random.Random, name: str) -> JSONDict:
    return {
        "name": name, "type": "Filesystem",
        "params": {"connection": "filesystem_folders", "path": "${projectKey}/${odbId}", "notReadyIfEmpty": False,
                   "filesSelectionRules": {"mode": "ALL", "excludeRules": [], "includeRules": [], "explicitFiles": []}},
        "partitioning": {"dimensions": []},
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL", "crossProjectBuildBehavior": "DEFAULT"},
        "metrics": {"probes": [], "displayedState": {"partition": "NP",
                                                     "metrics": ["basic:COUNT_FILES", "basic:SIZE"]}},
        "checks": {"runOnBuild": False, "checks": [], "displayedState": {"partition": "NP", "checks": []}},
        "tags": [], "customFields": {}, "checklists": {"checklists": []},
        "versionTag": _tag(rng, offset_days=rng.randint(30, 300)),
        "creationTag": _tag(rng, 0, offset_days=rng.randint(0, 29)),
    }


def generate_tree(parent: Union[str, Path], key: str, **sizes: Any) -> Path:
    """Generate a project and write it as a git-integration tree under ``parent``; returns its path."""
    return write_tree(generate_project(key, **sizes), parent)
