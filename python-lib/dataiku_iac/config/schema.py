"""The config's JSON Schema (``schemas/config_v1.schema.json``) and its errors as ``file:line:column`` problems.

The schema is published for editors (``# yaml-language-server: $schema=...``) and is the single description
of which fields exist; this module validates a parsed file against one of its definitions and maps each
jsonschema error back to where the YAML writes it, with the closest known field name for a typo.
"""

from __future__ import annotations

import difflib
import functools
import json
from importlib import resources
from typing import Any, Dict, Iterator, List, Tuple

import fastjsonschema
import jsonschema

from .errors import Problem
from .yaml_loader import PathKey, YamlDocument

SCHEMA_FILE = "config_v1.schema.json"
_JSON_TYPES = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}


@functools.lru_cache(maxsize=1)
def config_schema() -> Dict[str, Any]:
    """The published JSON Schema of config files."""
    text = resources.files("dataiku_iac.schemas").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=8)
def _validator(definition: str) -> jsonschema.protocols.Validator:
    schema = config_schema()
    root = dict(schema)
    root.pop("anyOf", None)
    root["$ref"] = f"#/$defs/{definition}"
    cls = jsonschema.validators.validator_for(schema)
    return cls(root)


@functools.lru_cache(maxsize=8)
def _fast_validator(definition: str) -> Any:
    """A compiled validator of the definition (draft 7 keywords suffice): the quick yes for a valid file."""
    root = dict(config_schema())
    root.pop("anyOf", None)
    root["$schema"] = "http://json-schema.org/draft-07/schema#"
    root["$ref"] = f"#/$defs/{definition}"
    return fastjsonschema.compile(root)


def known_fields(definition: str) -> List[str]:
    """The field names a definition of the schema allows (e.g. ``dataset``)."""
    return sorted(config_schema()["$defs"][definition].get("properties", {}))


def check(document: YamlDocument, definition: str) -> List[Tuple[PathKey, Problem]]:
    """Every schema problem of ``document`` against ``$defs/<definition>``, with the path it is about, in
    file order."""
    try:  # most files are valid: the compiled validator says so about 20 times faster
        _fast_validator(definition)(document.data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass  # collect every error, with its path, from jsonschema
    found = {(tuple(error.absolute_path), problem) for error in _validator(definition).iter_errors(document.data)
             for problem in _problems(document, error)}
    return sorted(found, key=lambda item: (item[1].location.line, item[1].location.column, item[1].message))


def _problems(document: YamlDocument, error: jsonschema.ValidationError) -> Iterator[Problem]:
    path = tuple(error.absolute_path)
    where = _describe(path)
    custom = error.schema.get("x-error") if isinstance(error.schema, dict) else None
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        for extra in sorted(set(error.instance) - set(allowed)):
            yield Problem(document.location((*path, extra), key=True), _unknown_field(extra, allowed, where))
    elif custom:
        yield Problem(document.location(path), f"{where}: {custom}")
    elif error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        found = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        yield Problem(document.location(path), f"{where} must be {_article(expected)}, not {found}")
    elif error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        fields = ", ".join(repr(name) for name in missing)
        yield Problem(document.location(path, key=True), f"{where} needs the field {fields}")
    elif error.validator in ("enum", "const"):
        allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
        shown = ", ".join(json.dumps(value) for value in allowed)
        yield Problem(document.location(path), f"{where} is {json.dumps(error.instance)}: expected {shown}")
    elif error.validator == "pattern":
        yield Problem(document.location(path), f"{where} {json.dumps(error.instance)} does not match "
                                               f"{error.validator_value} (letters, digits, underscores)")
    else:
        yield Problem(document.location(path), f"{where}: {error.message}")


def _unknown_field(extra: str, allowed: List[str], where: str) -> str:
    close = difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6)
    hint = f": did you mean {close[0]!r}?" if close else f" (known: {', '.join(allowed)})"
    return f"unknown field {extra!r} in {where}{hint}"


def _article(kind: str) -> str:
    words = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "a boolean",
             "integer": "an integer", "number": "a number", "null": "null"}
    return " or ".join(words.get(part.strip(), part) for part in kind.split(" or "))


def _describe(path: tuple) -> str:
    """A path as a reader says it: ``datasets.raw_customers.params``, ``the file`` for the root."""
    if not path:
        return "the file"
    return ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in path).replace(".[", "[")
