"""``${var:NAME}`` and ``${env:NAME}`` in config values; DSS's own ``${name}`` passes through untouched.

- ``${var:NAME}``: a value of the environment's ``variables`` (or the config-wide default). A string that is
  exactly one reference takes the variable's value with its type (``threshold: ${var:t}`` can be a number);
  inside a longer string the value is written as text.
- ``${env:NAME}``: the process environment variable ``NAME``, read at plan time, for secrets. The resolved
  value is never kept in the attributes: they hold its redaction marker (the one the sync records for
  secrets), and the value itself is kept apart, by path, for the code that sends it to DSS.
- ``$${...}`` writes a literal ``${...}``. Any other ``${...}`` (``${projectKey}``, ``${odbId}``...) is DSS's
  and stays as written: DSS stores it unexpanded and the sync records it so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import orjson

from ..redaction_key import KeyLike, resolve_key

PathKey = Tuple[Any, ...]

_REFERENCE = re.compile(r"\$(\$?)\{(var|env):([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


@dataclass
class Resolution:
    """The outcome of resolving one value: the value (secrets as markers), the secrets apart, the problems."""

    value: Any
    secrets: Dict[PathKey, str] = field(default_factory=dict, repr=False)
    problems: List[Tuple[PathKey, str]] = field(default_factory=list)


class Resolver:
    """Resolves references for one environment.

    ``environ`` is None when secrets are not to be read (validation without ``--env``): ``${env:}``
    references are then left as written and not reported; ``variables`` None does the same for ``${var:}``.
    """

    def __init__(self, variables: Optional[Mapping[str, Any]], environ: Optional[Mapping[str, str]],
                 environment_name: str = "", redaction_key: Optional[KeyLike] = None) -> None:
        self.variables = None if variables is None else dict(variables)
        self.environ = environ
        self.environment_name = environment_name
        self.redaction_key = redaction_key

    def marker(self, secret: str) -> str:
        """The redaction marker of ``secret``, the sync's own (same key), so desired and live compare equal.

        The key is resolved only when a secret is met: a config without ``${env:}`` never needs one."""
        return resolve_key(self.redaction_key).marker(secret)

    def resolve(self, value: Any) -> Resolution:
        """``value`` with every reference resolved (a new structure; ``value`` is not changed)."""
        result = Resolution(None)
        if isinstance(value, dict):  # walk only the fields that hold a reference; copy the others whole
            result.value = {key: self._field(item, (key,), result) for key, item in value.items()}
        else:
            result.value = self._field(value, (), result)
        return result

    def _field(self, value: Any, path: PathKey, result: Resolution) -> Any:
        if isinstance(value, (dict, list)):
            try:  # most values hold no reference: a copy through orjson is many times faster than the walk
                text = orjson.dumps(value)
            except (TypeError, orjson.JSONEncodeError):
                text = b"${"
            if b"${" not in text:
                return orjson.loads(text)
        return self._walk(value, path, result)

    def _walk(self, value: Any, path: PathKey, result: Resolution) -> Any:
        if isinstance(value, dict):
            return {key: self._walk(item, (*path, key), result) for key, item in value.items()}
        if isinstance(value, list):
            return [self._walk(item, (*path, index), result) for index, item in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self._string(value, path, result)
        return value

    def _string(self, text: str, path: PathKey, result: Resolution) -> Any:
        whole = _REFERENCE.fullmatch(text)
        if whole and not whole.group(1):
            found = self._lookup(whole.group(2), whole.group(3), path, result)
            if found is _MISSING:
                return text
            value, secret = found
            if secret:
                result.secrets[path] = value
                return self.marker(value)
            return value
        secret_parts: List[bool] = []

        def replace(match: re.Match) -> str:
            if match.group(1):  # $${...}: the literal ${...}
                return match.group()[1:]
            found = self._lookup(match.group(2), match.group(3), path, result)
            if found is _MISSING:
                return match.group()
            value, secret = found
            secret_parts.append(secret)
            return value if isinstance(value, str) else json.dumps(value)

        expanded = _REFERENCE.sub(replace, text)
        if any(secret_parts):
            result.secrets[path] = expanded
            return self.marker(expanded)
        return expanded

    def _lookup(self, kind: str, name: str, path: PathKey, result: Resolution) -> Any:
        if not _NAME.fullmatch(name):
            result.problems.append((path, f"${{{kind}:{name}}} is not a valid reference: write ${{{kind}:NAME}}"))
            return _MISSING
        if kind == "var":
            if self.variables is None:
                return _MISSING
            if name not in self.variables:
                result.problems.append((path, undefined_variable_message(name, self.environment_name)))
                return _MISSING
            return self._variable(name, path, result)
        if self.environ is None:
            return _MISSING
        if name not in self.environ:
            result.problems.append((path, f"${{env:{name}}} is not set: export {name} before running"))
            return _MISSING
        return self.environ[name], True

    def _variable(self, name: str, path: PathKey, result: Resolution) -> Any:
        """A variable's value; a variable may itself hold ``${env:...}`` (a secret chosen per environment)."""
        value = self.variables[name]  # type: ignore[index]
        if isinstance(value, str) and "${env:" in value:
            inner = Resolver({}, self.environ, self.environment_name, self.redaction_key)
            resolution = inner.resolve(value)
            result.problems.extend((path, message) for _, message in resolution.problems)
            if resolution.secrets:
                return resolution.secrets[()], True
            return resolution.value, False
        return value, False


_MISSING = object()


def undefined_variable_message(name: str, environment: str = "") -> str:
    """The problem of a ``${var:NAME}`` that an environment does not define."""
    where = f" of environment {environment!r}" if environment else ""
    return f"${{var:{name}}} is not defined: add {name} to the variables{where} (or the defaults) in dataiku-iac.yml"


def references(value: Any, kinds: Tuple[str, ...] = ("var", "env")) -> List[Tuple[PathKey, str, str]]:
    """Every ``(path, kind, name)`` referenced in ``value`` (literal ``$${...}`` excluded)."""
    found: List[Tuple[PathKey, str, str]] = []
    try:
        if b"${" not in orjson.dumps(value):  # the usual case, at C speed
            return found
    except (TypeError, orjson.JSONEncodeError):
        pass
    _collect(value, (), kinds, found.append)
    return found


def _collect(value: Any, path: PathKey, kinds: Tuple[str, ...],
             add: Callable[[Tuple[PathKey, str, str]], None]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _collect(item, (*path, key), kinds, add)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, (*path, index), kinds, add)
    elif isinstance(value, str) and "${" in value:
        for match in _REFERENCE.finditer(value):
            if not match.group(1) and match.group(2) in kinds:
                add((path, match.group(2), match.group(3)))
