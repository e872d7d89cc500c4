"""The plan file (``dataiku-iac plan --out FILE``): the plan document as JSON, and the config digest.

The document is ``Plan.to_dict()`` (``docs/plan.md`` describes every field). Apply reads it back with
:func:`read_plan_file`, which checks the format version and the fields apply relies on, and refuses a file
that is not a regular file (a symbolic link an attacker planted is not followed).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Dict, Union

from ..canonical import sha256_hex
from ..config.desired import DesiredState
from ..exceptions import ConfigError
from .model import ACTIONS, PLAN_FORMAT_VERSION

#: A plan file larger than this is refused unread (a plan of 10,000 objects is a few MB).
MAX_PLAN_BYTES = 256 * 1024 * 1024


class PlanFileError(ConfigError):
    """A plan file cannot be used (not JSON, another format version, a field missing)."""


def config_digest(desired: DesiredState) -> str:
    """SHA-256 of what the config asks of the environment: each resource's desired attributes (secrets are
    markers there, never values; the managed paths are their leaves), its dependencies and ``protect``. Equal
    configs give equal digests whatever their file layout; any change to a managed value changes it."""
    body = {
        "environment": desired.environment,
        "resources": {
            rid: {"attributes": res.resource.attributes, "dependencies": sorted(res.dependencies),
                  "protect": res.config.protected}
            for rid, res in sorted(desired.resources.items())
        },
    }
    return "sha256:" + sha256_hex(body)


def encode_plan(document: Dict[str, Any]) -> bytes:
    """The bytes of a plan file: indented JSON, sorted keys inside objects, final newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def decode_plan(data: bytes, location: str) -> Dict[str, Any]:
    """Parse and check a plan file's bytes; :class:`PlanFileError` saying what is wrong."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{location} is not a plan file (invalid JSON: {exc}); make one with "
                            "'dataiku-iac plan --out FILE'") from exc
    if not isinstance(document, dict) or document.get("kind") != "dataiku-iac plan":
        raise PlanFileError(f"{location} is not a dataiku-iac plan file; make one with 'dataiku-iac plan --out FILE'")
    version = document.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise PlanFileError(f"{location} has plan format version {version!r}; this dataiku-iac reads version "
                            f"{PLAN_FORMAT_VERSION}: make the plan again with this version")
    for name, kind in (("environment", str), ("operations", list), ("state", dict), ("config_digest", str)):
        if not isinstance(document.get(name), kind):
            raise PlanFileError(f"{location}: field {name!r} is missing or of the wrong type; make the plan again")
    for index, operation in enumerate(document["operations"]):
        if not isinstance(operation, dict) or operation.get("action") not in ACTIONS \
                or not isinstance(operation.get("resource_id"), str) or not isinstance(operation.get("expect"), dict):
            raise PlanFileError(f"{location}: operation {index} is malformed; make the plan again")
    return document


def read_plan_file(path: Union[str, Path]) -> Dict[str, Any]:
    """Read and check a plan file, without following a symbolic link at ``path``."""
    shown = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(shown, flags)
    except FileNotFoundError:
        raise PlanFileError(f"No plan file at {shown}: make one with 'dataiku-iac plan --out {shown}'") from None
    except OSError as exc:
        raise PlanFileError(f"Cannot open the plan file {shown}: {exc.strerror or exc} (symbolic links are "
                            "not followed)") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PlanFileError(f"{shown} is not a regular file: give the plan file itself")
        if info.st_size > MAX_PLAN_BYTES:
            raise PlanFileError(f"{shown} is larger than {MAX_PLAN_BYTES // (1024 * 1024)} MiB: not a plan file")
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            data = handle.read(MAX_PLAN_BYTES + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    return decode_plan(data, shown)
