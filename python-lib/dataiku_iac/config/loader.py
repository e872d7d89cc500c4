"""Reading a config directory: ``dataiku-iac.yml``, ``projects/<KEY>/*.yml`` and their side files.

Layout::

    dataiku-iac.yml                 environments (DSS URL, API key variable, state, variables, connections)
    projects/<PROJECT_KEY>/*.yml    one project per directory; its files are merged (split them as you like)
    projects/<PROJECT_KEY>/...      side files (recipe code, scenario scripts) named by ``payload_file:``

Loading collects every problem it can (a broken file does not hide the others). Files are opened without
following symbolic links, and side files must lie inside their project directory, so a config checked out
from an untrusted branch cannot make the tool read (and send to DSS) a file elsewhere on the machine.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Optional, Tuple

from . import schema
from .errors import ConfigFileError, ConfigValidationError, Location, Problem
from .model import (
    ENVIRONMENTS_FILE,
    PROJECTS_DIR,
    RESOURCE_SECTIONS,
    Config,
    Environment,
    ProjectConfig,
    ResourceConfig,
)
from .yaml_loader import MAX_FILE_BYTES, YamlDocument, decode_text, load_yaml

_PROJECT_KEY = re.compile(r"[A-Z0-9_]+")
YAML_SUFFIXES = (".yml", ".yaml")


def load_config(root: Path) -> Tuple[Config, List[Problem]]:
    """The config at ``root`` and every problem found while reading it (schema included)."""
    root = Path(root)
    problems: List[Problem] = []
    config = Config(root=root)
    if not root.is_dir():
        raise ConfigFileError(Location(str(root)), "is not a directory: pass the config directory with --config")
    _load_environments(config, problems)
    projects_dir = root / PROJECTS_DIR
    if projects_dir.is_dir() and not projects_dir.is_symlink():
        for entry in sorted(os.scandir(projects_dir), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            where = Location(_display(root, Path(entry.path)))
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                problems.append(Problem(where, "a project is a directory projects/<PROJECT_KEY>/ (not a file or "
                                               "a symbolic link)"))
                continue
            if not _PROJECT_KEY.fullmatch(entry.name):
                problems.append(Problem(where, f"project directory {entry.name!r} is not a DSS project key "
                                               "(upper-case letters, digits and underscores)"))
                continue
            config.projects[entry.name] = _load_project(config, Path(entry.path), problems)
    elif projects_dir.is_symlink():
        problems.append(Problem(Location(_display(root, projects_dir)), "is a symbolic link: the projects "
                                                                        "directory must be a real directory"))
    elif not (root / ENVIRONMENTS_FILE).is_file():
        problems.append(Problem(Location(str(root)), f"no {ENVIRONMENTS_FILE} and no {PROJECTS_DIR}/ directory: "
                                                     "is this a dataiku-iac config?"))
    return config, sorted(problems, key=_order)


def read_config(root: Path) -> Config:
    """The config at ``root``; :class:`ConfigValidationError` listing every error when it has any."""
    config, problems = load_config(root)
    if any(problem.is_error for problem in problems):
        raise ConfigValidationError(problems)
    return config


def _order(problem: Problem) -> Tuple[str, int, int]:
    return problem.location.file, problem.location.line, problem.location.column


def _display(root: Path, path: Path) -> str:
    """How a file is named in messages: the config directory as the user gave it, then the relative path."""
    try:
        return str(root / path.relative_to(root))
    except ValueError:
        return str(path)


# -- files --------------------------------------------------------------------------------------------------

def read_regular_file(path: Path, shown: str) -> bytes:
    """The bytes of a regular file, opened without following a symbolic link; :class:`ConfigFileError` else."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ConfigFileError(Location(shown), "no such file") from None
    except OSError as exc:
        if path.is_symlink():
            raise ConfigFileError(Location(shown), "is a symbolic link: config files are read only as regular "
                                                   "files (copy the file into the config)") from None
        raise ConfigFileError(Location(shown), f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigFileError(Location(shown), "is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigFileError(Location(shown), f"is {info.st_size} bytes, more than the {MAX_FILE_BYTES} a "
                                                   "config file may hold")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_yaml(path: Path, shown: str, problems: List[Problem]) -> Optional[YamlDocument]:
    try:
        return load_yaml(read_regular_file(path, shown), shown)
    except ConfigFileError as exc:
        problems.append(exc.problem)
        return None


# -- environments -------------------------------------------------------------------------------------------

def _load_environments(config: Config, problems: List[Problem]) -> None:
    path = config.root / ENVIRONMENTS_FILE
    shown = _display(config.root, path)
    if not path.exists() and not path.is_symlink():
        problems.append(Problem(Location(shown), f"missing: a config starts with {ENVIRONMENTS_FILE}, which names "
                                                 "its environments (see docs/config.md)"))
        return
    document = _read_yaml(path, shown, problems)
    if document is None:
        return
    config.environments_document = document
    problems.extend(problem for _, problem in schema.check(document, "environmentsFile"))
    data = document.data if isinstance(document.data, dict) else {}
    if isinstance(data.get("variables"), dict):
        config.variables = dict(data["variables"])
    environments = data.get("environments")
    if not isinstance(environments, dict):
        return
    for name, body in environments.items():
        if not isinstance(body, dict):
            continue
        state = body.get("state")
        config.environments[name] = Environment(
            name=name,
            url=body.get("url") if isinstance(body.get("url"), str) else "",
            api_key_env=body.get("api_key_env") if isinstance(body.get("api_key_env"), str) else "",
            state=state if isinstance(state, str) and state else f".dataiku/state/{name}.state.json",
            variables=dict(body["variables"]) if isinstance(body.get("variables"), dict) else {},
            connections={k: v for k, v in (body.get("connections") or {}).items() if isinstance(v, str)}
            if isinstance(body.get("connections"), dict) else {},
            location=document.location(("environments", name), key=True),
        )


# -- projects -----------------------------------------------------------------------------------------------

def _load_project(config: Config, directory: Path, problems: List[Problem]) -> ProjectConfig:
    project = ProjectConfig(key=directory.name, directory=directory)
    files = sorted((entry for entry in os.scandir(directory)
                    if entry.name.endswith(YAML_SUFFIXES) and not entry.name.startswith(".")),
                   key=lambda entry: entry.name)
    if not files:
        problems.append(Problem(Location(_display(config.root, directory)),
                                "project directory holds no .yml file"))
    for entry in files:
        path = Path(entry.path)
        shown = _display(config.root, path)
        document = _read_yaml(path, shown, problems)
        if document is None:
            continue
        found = schema.check(document, "projectFile")
        problems.extend(problem for _, problem in found)
        # A resource with a schema error is left out of the project, so later checks meet only sound shapes.
        broken = {path[:1] if path[:1] == ("project",) else path[:2] for path, _ in found}
        if isinstance(document.data, dict):  # anything else is reported by the schema (None: empty file)
            _merge(project, document, broken, problems)
    return project


def _merge(project: ProjectConfig, document: YamlDocument, broken: set, problems: List[Problem]) -> None:
    data: Dict[str, Any] = document.data
    section = data.get("project")
    if isinstance(section, dict):
        if project.project is not None:
            first = project.project.location()
            problems.append(Problem(document.location(("project",), key=True),
                                    f"project {project.key} is defined twice: also at {first}; keep one "
                                    "'project:' section per project"))
        elif ("project",) not in broken:
            key = section.get("projectKey")
            if key is not None and key != project.key:
                problems.append(Problem(document.location(("project", "projectKey")),
                                        f"projectKey {key!r} differs from the directory name {project.key!r}: "
                                        "rename the directory or remove projectKey"))
            project.project = ResourceConfig("project", project.key, project.key, section, document, ("project",))
    for name, resource_type in RESOURCE_SECTIONS.items():
        entries = data.get(name)
        if not isinstance(entries, dict):
            continue
        for key, body in entries.items():
            existing = project.get(resource_type, key)
            resource = ResourceConfig(resource_type, project.key, key, body if isinstance(body, dict) else {},
                                      document, (name, key), broken=(name, key) in broken)
            if existing is not None:
                problems.append(Problem(resource.location(key=True),
                                        f"{resource.label} is defined twice: also at {existing.location(key=True)}"))
                continue
            _read_side_files(project, resource, problems)
            project.resources[(resource_type, key)] = resource


_SIDE_FIELDS = {"payload_file": "payload", "script_file": "script"}


def _read_side_files(project: ProjectConfig, resource: ResourceConfig, problems: List[Problem]) -> None:
    for file_field, target in _SIDE_FIELDS.items():
        relative = resource.body.get(file_field)
        if not isinstance(relative, str):
            continue
        where = resource.location(file_field)
        if target in resource.body:
            problems.append(Problem(where, f"{resource.label} gives both {target!r} and {file_field!r}: keep one"))
            continue
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or "\\" in relative or not pure.parts:
            problems.append(Problem(where, f"{file_field} {relative!r} must be a path inside the project "
                                           f"directory projects/{project.key}/ (relative, without '..')"))
            continue
        path = project.directory.joinpath(*pure.parts)
        if any(parent.is_symlink() for parent in _parents_below(project.directory, path)):
            problems.append(Problem(where, f"{file_field} {relative!r} goes through a symbolic link: side files "
                                           "are read only as regular files inside the project directory"))
            continue
        try:
            raw = read_regular_file(path, str(path))
            resource.side_texts[target] = decode_text(raw, str(path))
        except ConfigFileError as exc:
            detail = exc.problem.message
            problems.append(Problem(where, f"{file_field} {relative!r}: {detail}"))


def _parents_below(top: Path, path: Path) -> List[Path]:
    """``path``'s directories strictly below ``top`` (the file itself is opened without following links)."""
    parents = []
    current = path.parent
    while current != top and top in current.parents:
        parents.append(current)
        current = current.parent
    return parents
