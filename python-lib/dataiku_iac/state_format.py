"""The state file format: bytes <-> State, with the version sniff and schema validation (pure, no I/O).

Backends meet this module only at bytes, as Terraform's statefile and statemgr packages do: every backend
writes exactly what :func:`encode_state` returns and reads through :func:`decode_state`, so the rules
(schema, checksums, supported versions) hold for every storage.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources as importlib_resources
from typing import Any, Dict, List

from jsonschema import Draft202012Validator

from . import __version__
from .canonical import parse_json, pretty_json
from .exceptions import StateCorruptedError, StateFormatError
from .models.state import STATE_FORMAT_VERSION, State

SUPPORTED_VERSIONS = (STATE_FORMAT_VERSION,)
_MAX_PROBLEMS = 10


@cache
def state_schema(version: int = STATE_FORMAT_VERSION) -> Dict[str, Any]:
    """The JSON Schema of a state file format version (package data)."""
    text = importlib_resources.files("dataiku_iac.schemas").joinpath(f"state_v{version}.schema.json").read_text(
        encoding="utf-8"
    )
    return json.loads(text)


@cache
def _validator(version: int) -> Draft202012Validator:
    return Draft202012Validator(state_schema(version))


def schema_problems(document: Any, version: int = STATE_FORMAT_VERSION) -> List[str]:
    """The first schema violations of ``document``, each prefixed with its JSON path (empty when valid)."""
    problems = []
    for error in _validator(version).iter_errors(document):
        problems.append(f"{error.json_path}: {error.message}")
        if len(problems) >= _MAX_PROBLEMS:
            break
    return sorted(problems)


def encode_state(state: State) -> bytes:
    """Serialise ``state`` to the on-disk form: validated, sorted, indented, final newline, UTF-8.

    Raises :class:`StateCorruptedError` (nothing to write) when the state violates the schema.
    """
    document = state.to_dict()
    document["tool_version"] = __version__
    problems = schema_problems(document)
    if problems:
        raise StateCorruptedError("<state being saved>", problems)
    return pretty_json(document).encode("utf-8")


def read_document(data: bytes, location: str) -> Dict[str, Any]:
    """Parse state bytes into a JSON object and check its format version, before any full validation.

    The version is sniffed first (as Terraform does) so a file from a newer tool gets a message that says
    so, rather than a list of schema errors.
    """
    try:
        document = parse_json(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise StateCorruptedError(location, [f"$: invalid JSON ({exc})"]) from exc
    if not isinstance(document, dict):
        raise StateCorruptedError(location, [f"$: expected a JSON object, found {type(document).__name__}"])
    version = document.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > max(SUPPORTED_VERSIONS):
        raise StateCorruptedError(
            location,
            [f"$.version: format version {version} was written by a newer dataiku-iac; upgrade to read it"],
        )
    return document


def decode_state(data: bytes, location: str) -> State:
    """Parse and fully validate state bytes (JSON, version, schema, model rules, checksums)."""
    document = read_document(data, location)
    problems = schema_problems(document)
    if problems:
        raise StateCorruptedError(location, problems)
    try:
        state = State.from_dict(document)
    except StateFormatError as exc:
        raise StateCorruptedError(location, [str(exc)]) from exc
    _check_checksums(state, location)
    return state


def _check_checksums(state: State, location: str) -> None:
    """Refuse a file whose attributes were edited by hand without their checksum (or vice versa)."""
    problems = [
        f"$.resources[{rid!r}].metadata.checksum: does not match the attributes (edited by hand?)"
        for rid, resource in sorted(state.resources.items())
        if resource.metadata.checksum != resource.compute_checksum()
    ]
    if problems:
        raise StateCorruptedError(location, problems[:_MAX_PROBLEMS])
