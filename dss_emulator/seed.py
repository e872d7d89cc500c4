"""Read (and write) project trees in the layout DSS's git integration writes.

A tree is a folder named by the project key holding ``params.json``, optional
``variables.json`` / ``localvariables.json`` and the ``datasets/``, ``recipes/``,
``scenarios/``, ``managed_folders/`` and ``saved_models/`` folders. Anything else
(zones, tags.json, notebooks...) is ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Union

from .seed_types import JSONDict, ProjectSeed

PathLike = Union[str, Path]


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_json_dir(folder: Path) -> dict[str, JSONDict]:
    """``<stem>.json`` files of a folder, keyed by stem (the object's name or id)."""
    if not folder.is_dir():
        return {}
    return {p.name[: -len(".json")]: _read_json(p) for p in sorted(folder.glob("*.json")) if p.is_file()}


def is_project_tree(path: PathLike) -> bool:
    """A folder is a project tree when it holds ``params.json``."""
    return (Path(path) / "params.json").is_file()


def find_project_trees(path: PathLike) -> list[Path]:
    """The tree itself, or every project tree directly inside ``path``."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"Seed directory not found: {root}")
    if is_project_tree(root):
        return [root]
    return [child for child in sorted(root.iterdir()) if child.is_dir() and is_project_tree(child)]


def _recipe_payload_files(recipes_dir: Path, names: list[str]) -> dict[str, Path]:
    """Match each payload file to its recipe.

    The payload of recipe ``R`` is ``R.<ext>`` where ext is anything (``py``, ``grouping``,
    ``CustomCode_nlp-visualization-wordcloud``...). Names may themselves contain dots, so a
    file goes to the *longest* recipe name it starts with, followed by a dot.
    """
    by_length = sorted(names, key=len, reverse=True)
    found: dict[str, list[Path]] = {}
    for path in sorted(recipes_dir.iterdir()):
        if not path.is_file() or path.suffix == ".json":
            continue
        owner = next((n for n in by_length if path.name.startswith(n + ".")), None)
        if owner is not None:
            found.setdefault(owner, []).append(path)
    return {name: paths[0] for name, paths in found.items()}


def _load_recipes(recipes_dir: Path) -> dict[str, tuple[JSONDict, Optional[str]]]:
    definitions = _read_json_dir(recipes_dir)
    if not definitions:
        return {}
    payloads = _recipe_payload_files(recipes_dir, list(definitions))
    result: dict[str, tuple[JSONDict, Optional[str]]] = {}
    for name, definition in definitions.items():
        payload_path = payloads.get(name)
        payload = payload_path.read_text(encoding="utf-8") if payload_path else None
        result[name] = (definition, payload)
    return result


def _load_scenarios(scenarios_dir: Path) -> dict[str, tuple[JSONDict, Optional[str]]]:
    result: dict[str, tuple[JSONDict, Optional[str]]] = {}
    for scenario_id, definition in _read_json_dir(scenarios_dir).items():
        script_path = scenarios_dir / f"{scenario_id}.py"
        script = script_path.read_text(encoding="utf-8") if script_path.is_file() else None
        result[scenario_id] = (definition, script)
    return result


def load_tree(path: PathLike, key: Optional[str] = None) -> ProjectSeed:
    """Read one project tree; the project key is the folder name unless ``key`` is given."""
    root = Path(path)
    if not is_project_tree(root):
        raise FileNotFoundError(f"Not a DSS project tree (no params.json): {root}")
    variables_path, local_path = root / "variables.json", root / "localvariables.json"
    return ProjectSeed(
        key=key or root.name,
        params=_read_json(root / "params.json"),
        variables=_read_json(variables_path) if variables_path.is_file() else {},
        local_variables=_read_json(local_path) if local_path.is_file() else {},
        datasets=_read_json_dir(root / "datasets"),
        recipes=_load_recipes(root / "recipes"),
        scenarios=_load_scenarios(root / "scenarios"),
        managed_folders=_read_json_dir(root / "managed_folders"),
        saved_models=_read_json_dir(root / "saved_models"),
    )


def load_trees(path: PathLike) -> list[ProjectSeed]:
    """Every project under ``path`` (or ``path`` itself when it is a tree)."""
    return [load_tree(tree) for tree in find_project_trees(path)]


# Extension for code recipe payloads; visual recipes use their type as the extension.
CODE_EXTENSIONS = {"python": "py", "pyspark": "py", "r": "r", "sparkr": "r", "sql_query": "sql",
                   "sql_script": "sql", "hive": "sql", "impala": "sql", "spark_sql_query": "sql",
                   "shell": "sh", "spark_scala": "scala"}

_IDENTITY = ("projectKey", "name", "id")


def _dump(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _strip_identity(definition: JSONDict, keep_name: bool = False) -> JSONDict:
    """On disk, identity is implied by the folder and file name (scenarios/folders keep ``name``)."""
    return {k: v for k, v in definition.items() if k not in _IDENTITY or (keep_name and k == "name")}


def write_tree(seed: ProjectSeed, parent: PathLike) -> Path:
    """Write ``seed`` as ``<parent>/<key>/...`` in the git-integration layout; returns the tree path."""
    root = Path(parent) / seed.key
    _dump(root / "params.json", seed.params)
    if seed.variables:
        _dump(root / "variables.json", seed.variables)
    if seed.local_variables:
        _dump(root / "localvariables.json", seed.local_variables)
    for name, definition in seed.datasets.items():
        _dump(root / "datasets" / f"{name}.json", _strip_identity(definition))
    for name, (definition, payload) in seed.recipes.items():
        _dump(root / "recipes" / f"{name}.json", _strip_identity(definition))
        if payload is not None:
            recipe_type = str(definition.get("type", "txt"))
            ext = CODE_EXTENSIONS.get(recipe_type, recipe_type)
            (root / "recipes" / f"{name}.{ext}").write_text(payload, encoding="utf-8")
    for scenario_id, (definition, script) in seed.scenarios.items():
        _dump(root / "scenarios" / f"{scenario_id}.json", _strip_identity(definition, keep_name=True))
        if script is not None:
            (root / "scenarios" / f"{scenario_id}.py").write_text(script, encoding="utf-8")
    for folder_id, definition in seed.managed_folders.items():
        _dump(root / "managed_folders" / f"{folder_id}.json", _strip_identity(definition, keep_name=True))
    for model_id, definition in seed.saved_models.items():
        _dump(root / "saved_models" / f"{model_id}.json", _strip_identity(definition, keep_name=True))
    return root
