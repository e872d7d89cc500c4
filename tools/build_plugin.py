#!/usr/bin/env python3
"""Build the DSS plugin zip, ``dist/dss-plugin-<id>-<version>.zip``, from committed files only.

Like Dataiku's own ``make plugin`` (``git archive HEAD``), the zip holds what is committed at a git revision
(``HEAD`` by default), never the working tree, so a build is reproducible from a commit. Only what DSS loads
goes in: ``plugin.json`` and the component and library folders below; tests, the emulator, benchmarks,
examples, docs and dev files stay out, as do ``__pycache__``, ``*.pyc`` and ``*.egg-info``. Files are written in
path order with a fixed timestamp, so the same commit always gives the same bytes.

Usage: ``python tools/build_plugin.py [--ref HEAD] [--output-dir dist]``
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
#: Top-level entries DSS reads from a plugin; everything else in the repository is development material.
SHIPPED_FILES = ("plugin.json",)
SHIPPED_DIRS = (
    "python-lib",
    "python-runnables",
    "python-steps",
    "python-triggers",
    "webapps",
    "parameter-sets",
    "code-env",
    "resource",
)
_EXCLUDED_PARTS = re.compile(r"(^|/)(__pycache__|[^/]*\.egg-info)(/|$)")
_EXCLUDED_SUFFIXES = (".pyc", ".pyo")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_VERSION_LINE = re.compile(r'^version\s*=\s*"([^"]+)"\s*$', re.MULTILINE)


class BuildError(Exception):
    """The plugin cannot be built from this revision (the message says why)."""


def git(*args: str, cwd: Path = REPO) -> bytes:
    """Run git and return its stdout; a failure becomes a BuildError with git's own message."""
    try:
        done = subprocess.run(["git", *args], cwd=str(cwd), capture_output=True, check=False)
    except FileNotFoundError:
        raise BuildError("git is not installed: the plugin is built from committed files with git") from None
    if done.returncode != 0:
        raise BuildError(f"git {' '.join(args)} failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def committed_files(ref: str, repo: Path = REPO) -> List[Tuple[str, str]]:
    """(path, mode) of every file committed at ``ref``."""
    entries = []
    for record in git("ls-tree", "-r", "-z", "--full-tree", ref, cwd=repo).split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, _ = meta.decode().split(" ")
        if kind == "blob":
            entries.append((path.decode("utf-8"), mode))
    return entries


def is_shipped(path: str) -> bool:
    """True when ``path`` (relative, '/'-separated) belongs in the plugin zip."""
    if _EXCLUDED_PARTS.search(path) or path.endswith(_EXCLUDED_SUFFIXES):
        return False
    top = path.split("/", 1)[0]
    return path in SHIPPED_FILES or (top in SHIPPED_DIRS and "/" in path)


def read_committed(ref: str, path: str, repo: Path = REPO) -> bytes:
    """The committed bytes of one file."""
    return git("show", f"{ref}:{path}", cwd=repo)


def read_many(ref: str, paths: Sequence[str], repo: Path = REPO) -> Dict[str, bytes]:
    """The committed bytes of many files, through one ``git cat-file --batch``."""
    request = "".join(f"{ref}:{path}\n" for path in paths).encode("utf-8")
    done = subprocess.run(["git", "cat-file", "--batch"], cwd=str(repo), input=request, capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise BuildError(f"git cat-file failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    output, position, contents = done.stdout, 0, {}
    for path in paths:
        end = output.index(b"\n", position)
        header = output[position:end].decode("utf-8").split(" ")
        if len(header) != 3 or header[1] != "blob":
            raise BuildError(f"cannot read {path} at {ref}: {' '.join(header)}")
        size = int(header[2])
        contents[path] = output[end + 1 : end + 1 + size]
        position = end + 1 + size + 1  # the blob is followed by a newline
    return contents


def plugin_descriptor(ref: str, repo: Path = REPO) -> Dict[str, object]:
    """The committed plugin.json, which must be strict JSON with an id and a version."""
    try:
        descriptor = json.loads(read_committed(ref, "plugin.json", repo))
    except ValueError as exc:
        raise BuildError(f"plugin.json at {ref} is not valid JSON: {exc}") from None
    for key in ("id", "version"):
        if not isinstance(descriptor.get(key), str) or not descriptor[key]:
            raise BuildError(f"plugin.json at {ref} has no {key!r}")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", str(descriptor["id"])):
        raise BuildError(f"plugin.json at {ref}: invalid plugin id {descriptor['id']!r}")
    return descriptor


def check_versions(ref: str, plugin_version: str, repo: Path = REPO) -> None:
    """The committed pyproject.toml must carry the plugin's version (one version for library and plugin)."""
    match = _VERSION_LINE.search(read_committed(ref, "pyproject.toml", repo).decode("utf-8"))
    if not match:
        raise BuildError(f"pyproject.toml at {ref} has no version line")
    if match.group(1) != plugin_version:
        raise BuildError(
            f"plugin.json version {plugin_version} differs from pyproject.toml version {match.group(1)}: "
            "bump both together"
        )


def uncommitted_changes(repo: Path = REPO) -> List[str]:
    """Shipped paths with changes that are not committed (they are not in the zip: worth a warning)."""
    status = git("status", "--porcelain", "-z", "--", *SHIPPED_FILES, *SHIPPED_DIRS, cwd=repo).decode("utf-8")
    return sorted({entry[3:] for entry in status.split("\0") if len(entry) > 3 and is_shipped(entry[3:])})


def build(ref: str = "HEAD", output_dir: Optional[Path] = None, repo: Path = REPO) -> Path:
    """Write the plugin zip of ``ref`` into ``output_dir`` (default ``<repo>/dist``) and return its path."""
    descriptor = plugin_descriptor(ref, repo)
    version = str(descriptor["version"])
    check_versions(ref, version, repo)
    files = sorted((path, mode) for path, mode in committed_files(ref, repo) if is_shipped(path))
    if not any(path.startswith("python-lib/") for path, _ in files):
        raise BuildError(f"nothing under python-lib/ is committed at {ref}")
    target_dir = Path(output_dir) if output_dir is not None else repo / "dist"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"dss-plugin-{descriptor['id']}-{version}.zip"
    temporary = target.with_name(target.name + ".tmp")
    contents = read_many(ref, [path for path, _ in files], repo)
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path, mode in files:
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if mode == "100755" else 0o100644) << 16
            archive.writestr(info, contents[path])
    temporary.replace(target)
    return target


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry point (``make plugin``)."""
    parser = argparse.ArgumentParser(description="Build the DSS plugin zip from committed files.")
    parser.add_argument("--ref", default="HEAD", help="git revision to build (default: HEAD)")
    parser.add_argument("--output-dir", type=Path, default=None, help="where to write the zip (default: dist/)")
    options = parser.parse_args(argv)
    try:
        target = build(options.ref, options.output_dir)
        pending = uncommitted_changes() if options.ref == "HEAD" else []
    except BuildError as exc:
        print(f"build_plugin: {exc}", file=sys.stderr)
        return 1
    if pending:
        print(f"build_plugin: note: {len(pending)} uncommitted change(s) are not in the zip, e.g. {pending[0]}",
              file=sys.stderr)
    with zipfile.ZipFile(target) as archive:
        count = len(archive.namelist())
    print(f"Built {target} ({count} files) from {options.ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
