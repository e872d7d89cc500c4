"""``dataiku-iac generate PROJECT_KEY... --out DIR [--env E] [--no-adopt]``: the config of live projects.

Reads the projects (all or nothing), writes their config files under ``DIR/projects/<KEY>/`` (and a
``dataiku-iac.yml`` naming the environment when ``DIR`` has none), and records the generated objects in the
environment's state as managed by the config, as ``terraform import`` does, so that the plan right after has
nothing to do. ``--no-adopt`` leaves the state alone: the first plan then lists the objects to adopt.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List

from ..exceptions import ConfigError, ResourceNotFoundError
from .common import DEFAULT_WORKERS, KEY_VARIABLE, add_connection_options, out, positive_int, progress_for
from .plan import environment_client, state_location

#: The files generate writes in a project directory (removed when a new generate has nothing for them).
GENERATED_FILES = ("project.yml", "datasets.yml", "managed_folders.yml", "recipes.yml", "scenarios.yml")


def add_parser(subparsers: Any) -> None:
    """Register the ``generate`` command."""
    parser = subparsers.add_parser(
        "generate", help="write the config of live DSS projects (and record them as managed)",
        description="Read live projects and write their config (YAML and code side files) into DIR; record the "
                    "objects in the environment's state as managed by the config (as terraform import), unless "
                    "--no-adopt. Writes nothing to DSS.",
    )
    parser.add_argument("project_keys", nargs="+", metavar="PROJECT_KEY", help="projects to generate")
    parser.add_argument("--out", required=True, metavar="DIR", help="the config directory to write")
    parser.add_argument("--env", metavar="E", default="dev", help="the environment (default: dev)")
    parser.add_argument("--state", metavar="PATH", help="the state file (default: the environment's)")
    parser.add_argument("--no-adopt", action="store_true",
                        help="do not record the objects in the state (the first plan then adopts them)")
    parser.add_argument("--include-output-schemas", action="store_true",
                        help="also write the schemas of datasets a recipe writes (DSS computes them)")
    parser.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                        help=f"concurrent DSS requests (default: {DEFAULT_WORKERS})")
    add_connection_options(parser)


def run(args: argparse.Namespace) -> int:
    """Read, write the files, adopt."""
    from ..backends.base import validate_environment_name
    from ..config import read_config
    from ..config.generate import environments_file, generate_config
    from ..models.state import State
    from ..planner import read_live
    from ..sync.rules import SyncRules

    validate_environment_name(args.env)
    root = Path(args.out)
    keys = list(dict.fromkeys(args.project_keys))
    existing = _existing_environment(root, args.env)
    client, url = environment_client(args, existing, args.workers)
    rules = SyncRules()  # the plan's default rules: the stamp adopt records lets the next plan read incrementally
    with progress_for(args) as progress:
        live = read_live(client, keys, workers=args.workers, progress=progress, rules=rules)
    missing = [key for key in keys if f"project.{key}" not in live.resources]
    if missing:
        raise ResourceNotFoundError(f"Project {', '.join(missing)} does not exist in DSS (or this API key cannot "
                                    "see it): check the key, which is case-sensitive")
    readable = State(resources={rid: r for rid, r in live.resources.items() if r.resource_type != "saved_model"})
    generated = generate_config(readable, include_output_schemas=args.include_output_schemas)
    files = dict(generated.files)
    if existing is None and not (root / "dataiku-iac.yml").exists():
        files["dataiku-iac.yml"] = environments_file({args.env: (url, KEY_VARIABLE)})
    written = write_config_files(root, files, keys)
    out(f"Wrote {len(written)} files for {len(keys)} project{'s' if len(keys) != 1 else ''} "
        f"({', '.join(keys)}) to {root}.")
    if generated.secrets:
        out("Secrets are ${env:NAME} placeholders; export these variables before 'dataiku-iac plan':")
        for name, where in sorted(generated.secrets.items()):
            out(f"    {name}  ({where})")
    if generated.skipped:
        out(f"Left out {len(generated.skipped)} field(s) the config has no place for (see docs/config.md).")
    if args.no_adopt:
        out("State left alone (--no-adopt): the first plan lists the objects to adopt.")
        return 0
    config = read_config(root)
    if args.env not in config.environments:
        raise ConfigError(f"{root / 'dataiku-iac.yml'} has no environment {args.env!r}: add it (url, api_key_env) "
                          "or pass --no-adopt")
    count, location, serial = adopt(config, args.env, live, keys, state_location(args, config, args.env), rules)
    out(f"Recorded {count} objects as managed by the config in {location} (serial {serial}): "
        f"'dataiku-iac plan --config {root} --env {args.env}' should now show no changes.")
    return 0


def _existing_environment(root: Path, name: str) -> Any:
    """The environment ``name`` of an existing ``DIR/dataiku-iac.yml`` (its URL and key variable), or None."""
    if not (root / "dataiku-iac.yml").exists():
        return None
    from ..config import load_config

    config, _ = load_config(root)
    return config.environments.get(name)


def write_config_files(root: Path, files: Dict[str, str], project_keys: List[str]) -> List[Path]:
    """Write ``files`` (relative path -> text) under ``root``, refusing symbolic links and paths outside it;
    a generated type file a project no longer needs is removed (it would describe objects gone from DSS)."""
    from ..fsutil import atomic_write, remove_quietly

    base = root.resolve() if root.exists() else root.absolute()
    written = []
    for relative, text in sorted(files.items()):
        target = root / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            raise ConfigError(f"Refusing to write {relative}: outside {root}")
        for parent in [target, *target.parents]:
            if parent == root or parent == root.parent:
                break
            if parent.is_symlink():
                raise ConfigError(f"Cannot write {target}: {parent} is a symbolic link, refused (it could "
                                  "point anywhere). Remove it or choose another --out.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not str(target.parent.resolve()).startswith(str(base)):
                raise ConfigError(f"Refusing to write {target}: it resolves outside {root}")
            atomic_write(target, text.encode("utf-8"))
        except OSError as exc:
            raise ConfigError(f"Cannot write {target}: {exc.strerror or exc}. Choose another --out.") from exc
        written.append(target)
    for key in project_keys:
        for name in GENERATED_FILES:
            relative = f"projects/{key}/{name}"
            if relative not in files and not (root / relative).is_symlink():
                remove_quietly(str(root / relative))
    return written


def adopt(config: Any, environment: str, live: Any, project_keys: List[str], location: Path,
          rules: Any = None) -> tuple:
    """Record the config's objects of ``project_keys`` that DSS holds as managed (origin ``adopted``), with
    their live attributes, under the state's lock. Returns (count, location, serial).

    ``rules``: those ``live`` was read with (a full read of ``project_keys``); the state then carries the
    sync stamp a full sync would record, so the next plan or drift check reads incrementally."""
    from ..backends.local import LocalFileBackend
    from ..config import identities_from_state
    from ..config.desired import DesiredStateBuilder
    from ..exceptions import StateNotFoundError
    from ..models.state import ManagedEntry, State
    from ..sync.incremental import SyncMode, stamp_after

    # ${env:} secrets stay unresolved: adoption records ids and keys, never values.
    desired = DesiredStateBuilder(config, config.environment(environment), None, identities_from_state(live)).build()
    scope = set(project_keys)
    backend = LocalFileBackend(location)
    with backend.lock("generate"):
        try:
            state = backend.load()
            previous: Any = state
        except StateNotFoundError:
            state, previous = State(environment=environment), None
        # Computed before the state changes: it depends on the projects the stored state held.
        stamp = stamp_after(previous, rules, SyncMode(False, "generate"), project_keys) if rules is not None else None
        state.environment = environment
        state.resources = {rid: r for rid, r in state.resources.items() if r.project_key not in scope}
        state.resources.update({rid: r for rid, r in live.resources.items()})
        state.resources = dict(sorted(state.resources.items()))
        managed = {rid: entry for rid, entry in state.managed.items() if rid.split(".")[1] not in scope}
        for rid, wanted in desired.resources.items():
            if wanted.resource.project_key in scope and rid in live.resources:
                previous = state.managed.get(rid)  # created by an apply: it stays so
                managed[rid] = ManagedEntry(wanted.config.key, previous.origin if previous else "adopted",
                                            tuple(sorted(wanted.dependencies)), wanted.config.protected)
        state.managed = dict(sorted(managed.items()))
        if stamp is not None:
            state.sync_stamp = stamp
        backend.save(state)
    return len([rid for rid in state.managed if rid.split(".")[1] in scope]), backend.location, state.serial
