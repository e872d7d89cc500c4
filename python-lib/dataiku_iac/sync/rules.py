"""What a synced resource keeps of a DSS object: tracked fields, ignore rules, secret redaction, normalisation.

All of it is data in this one module, so a reviewer can read why each field is or is not compared:

- :data:`TRACKED_FIELDS`: per type, the top-level fields a user configures (what the server stamps is left out);
- :data:`DEFAULT_IGNORE_RULES`: paths inside those fields that change without a configuration edit, one
  :class:`IgnoreRule` per field with its reason (reference ``dss-rest-api.md`` §4); users add their own;
- secrets: values under keys that name credentials are replaced by a keyed marker that changes with the value,
  and so are the secrets the text rules of :mod:`dataiku_iac.redaction` find in any string (URL credentials,
  connection strings, signatures, literals assigned to secret-named variables in code);
- normalisation: sets DSS returns in its own order (tags, permissions) are sorted, and absent metadata fields
  take their empty value (:data:`FIELD_DEFAULTS`).

Path patterns are dotted keys; ``*`` matches any one key (and key globs such as ``$*`` work, via
``fnmatch``), ``**`` any number of levels; lists are transparent (a pattern applies to every item).
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple, Union

from ..canonical import canonical_json
from ..exceptions import ConfigError, StateFormatError
from ..models.state import RESOURCE_TYPES
from ..redaction import (
    MARKER,
    REDACTION_PREFIX,
    SECRET_WORDS,
    RedactionKey,
    TextRedactor,
    key_words,
    names_secret,
)
from ..redaction_key import KeyLike, resolve_key
from ..types import DESCRIPTORS, FIELD_DEFAULTS, tracked_fields

__all__ = [
    "DEFAULT_IGNORE_RULES", "FIELD_DEFAULTS", "REDACTION_PREFIX", "SECRET_WORDS", "TRACKED_FIELDS", "IgnoreRule",
    "SyncRules", "key_words", "names_secret", "normalise", "redact_secrets", "redact_urls", "redaction_marker",
    "to_rule",
]

ANY_TYPE = "*"


@dataclass(frozen=True)
class IgnoreRule:
    """Leave ``path`` out of the attributes of resources of ``resource_type`` (``*``: every type).

    ``subtypes`` restricts the rule to objects whose DSS ``type`` is one of them (e.g. ``shaker`` recipes).
    """

    resource_type: str
    path: str
    reason: str
    subtypes: Tuple[str, ...] = ()

    def applies_to(self, resource_type: str, subtype: Optional[str]) -> bool:
        """True when the rule concerns a resource of this type (and DSS subtype)."""
        if self.resource_type not in (ANY_TYPE, resource_type):
            return False
        return not self.subtypes or subtype in self.subtypes

    def to_dict(self) -> Dict[str, Any]:
        """JSON form (for reports and documentation)."""
        data: Dict[str, Any] = {"resource_type": self.resource_type, "path": self.path, "reason": self.reason}
        if self.subtypes:
            data["subtypes"] = list(self.subtypes)
        return data


#: Top-level fields kept per resource type, in display order (from the type descriptors, see
#: :mod:`dataiku_iac.types`). Fields absent from a DSS object are left out, except the metadata fields of
#: :data:`FIELD_DEFAULTS`, which take their empty value. ``payload`` (recipes), ``script`` (python scenarios),
#: ``permissions`` and ``variables`` (projects) come from other endpoints than the definition.
TRACKED_FIELDS: Mapping[str, Tuple[str, ...]] = tracked_fields()

#: The built-in ignore rules: what changes in DSS without anyone editing the configuration (the stamps every
#: type has, then each type's own, from its descriptor).
DEFAULT_IGNORE_RULES: Tuple[IgnoreRule, ...] = (
    IgnoreRule(ANY_TYPE, "versionTag", "bumped by DSS on every save, including saves that change nothing "
               "(recorded as last_modified_by/at in the metadata instead)"),
    IgnoreRule(ANY_TYPE, "creationTag", "stamped by the server at creation; differs between copies of an object"),
    *(IgnoreRule(name, ignored.path, ignored.reason, ignored.subtypes)
      for name, described in DESCRIPTORS.items() for ignored in described.ignored),
)

def redaction_marker(value: Any, key: Optional[KeyLike] = None) -> str:
    """``<redacted:hmac:KEYID:XXXXXXXXXXXX>``: a keyed hash of the value (the default key unless ``key``)."""
    return resolve_key(key).marker(value)


def redact_urls(text: str, extra_words: FrozenSet[str] = frozenset(), key: Optional[KeyLike] = None) -> str:
    """``text`` with the secrets the text rules find (URL credentials and signatures, connection strings, code
    literals) replaced by their marker (``https://etl:<redacted:hmac:...>@db/x?token=<redacted:...>``)."""
    return TextRedactor(resolve_key(key), frozenset(extra_words)).redact(text)


def _is_redactable(value: Any) -> bool:
    # Flags and counts under such keys ("useToken": true) hold no secret; empty values neither.
    return isinstance(value, (str, dict, list)) and len(value) > 0 and not (
        isinstance(value, str) and MARKER.fullmatch(value))


def redact_secrets(node: Any, extra_words: FrozenSet[str] = frozenset(), key: Optional[KeyLike] = None) -> Any:
    """A copy of ``node`` where values under credential-naming keys, and secrets in text, become markers."""
    return _transform(node, None, TextRedactor(resolve_key(key), frozenset(extra_words)))


def _split_path(path: str) -> Tuple[str, ...]:
    parts = tuple(path.split("."))
    if not path or any(not part for part in parts):
        raise ConfigError(f"Invalid ignore path {path!r}: use dotted keys, e.g. params.path or payload.**.$*")
    return parts


Pattern = Tuple[str, ...]
_MAX_MEMOISED_STEPS = 20000


class _PathMatcher:
    """Several ignore patterns matched together during one walk of a document.

    A matcher stands for the patterns still to match below a node; :meth:`step` says whether a key is
    ignored and which matcher applies below it. Matchers and steps are memoised (keys repeat a lot).
    """

    def __init__(self, patterns: FrozenSet[Pattern]) -> None:
        expanded = set()
        stack = list(patterns)
        while stack:  # "**" also matches zero levels: its rest applies here too
            pattern = stack.pop()
            if pattern not in expanded:
                expanded.add(pattern)
                if pattern and pattern[0] == "**":
                    stack.append(pattern[1:])
        self._deep = frozenset(p for p in expanded if p and p[0] == "**")
        self._literal: Dict[str, List[Pattern]] = {}
        self._globs: List[Tuple[str, Pattern]] = []
        for pattern in expanded:
            if pattern and pattern[0] != "**":
                if any(char in pattern[0] for char in "*?["):
                    self._globs.append((pattern[0], pattern[1:]))
                else:
                    self._literal.setdefault(pattern[0], []).append(pattern[1:])
        self._steps: Dict[str, Tuple[bool, Optional[_PathMatcher]]] = {}

    def step(self, key: str) -> Tuple[bool, Optional[_PathMatcher]]:
        """(ignored, matcher below ``key``)."""
        known = self._steps.get(key)
        if known is None:
            rests = list(self._literal.get(key, ()))
            rests += [rest for glob, rest in self._globs if fnmatch.fnmatchcase(key, glob)]
            if any(not rest for rest in rests):
                known = (True, None)
            else:
                below = frozenset(rests) | self._deep
                known = (False, _matcher(below) if below else None)
            if len(self._steps) < _MAX_MEMOISED_STEPS:  # bounded: a long-running webapp sees many keys
                self._steps[key] = known
        return known


@functools.lru_cache(maxsize=1024)
def _matcher(patterns: FrozenSet[Pattern]) -> _PathMatcher:
    return _PathMatcher(patterns)


def _transform(node: Any, matcher: Optional[_PathMatcher], redactor: TextRedactor) -> Any:
    """A copy of ``node`` without ignored paths, with secrets redacted (one pass; lists are transparent)."""
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            child = None
            if matcher is not None and isinstance(key, str):
                ignored, child = matcher.step(key)
                if ignored:
                    continue
            value = _transform(value, child, redactor)
            if isinstance(key, str) and names_secret(key, redactor.extra_words) and _is_redactable(value):
                value = redactor.key.marker(value)
            result[key] = value
        return result
    if isinstance(node, list):
        return [_transform(item, matcher, redactor) for item in node]
    if isinstance(node, str):
        return redactor.redact(node)
    return node


def _permission_key(entry: Any) -> str:
    if isinstance(entry, dict):
        return f"{entry.get('group') or ''}\x00{entry.get('user') or ''}"
    return canonical_json(entry)


def normalise(resource_type: str, attributes: Dict[str, Any]) -> Dict[str, Any]:
    """Sort what DSS returns in its own order: ``tags`` (a set) and project ``permissions`` (by group/user)."""
    tags = attributes.get("tags")
    if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
        attributes["tags"] = sorted(set(tags))
    permissions = attributes.get("permissions")
    if resource_type == "project" and isinstance(permissions, list):
        attributes["permissions"] = sorted(permissions, key=_permission_key)
    return attributes


RuleLike = Union[IgnoreRule, Mapping[str, Any]]


def to_rule(rule: RuleLike) -> IgnoreRule:
    """An :class:`IgnoreRule` from itself or a mapping ``{"resource_type"|"type", "path", "reason"[, "subtypes"]}``."""
    if isinstance(rule, IgnoreRule):
        result = rule
    elif isinstance(rule, Mapping):
        resource_type = rule.get("resource_type", rule.get("type"))
        result = IgnoreRule(str(resource_type), str(rule.get("path") or ""), str(rule.get("reason") or ""),
                            tuple(rule.get("subtypes") or ()))
    else:
        raise ConfigError(f"Invalid ignore rule {rule!r}: expected {{'resource_type', 'path', 'reason'}}")
    if result.resource_type != ANY_TYPE and result.resource_type not in RESOURCE_TYPES:
        raise ConfigError(f"Invalid ignore rule for type {result.resource_type!r}: expected one of "
                          f"{', '.join(RESOURCE_TYPES)} or '*'")
    if not result.reason.strip():
        raise ConfigError(f"Ignore rule {result.path!r} for {result.resource_type} needs a reason")
    _split_path(result.path)
    return result


class SyncRules:
    """The rules one sync applies: built-in ignore rules plus the user's, and extra secret key words.

    :meth:`attributes` turns a DSS object (definition plus extra parts) into a resource's attributes.
    """

    def __init__(self, ignore_rules: Iterable[RuleLike] = (), *, include_defaults: bool = True,
                 secret_words: Iterable[str] = (), redaction_key: Optional[KeyLike] = None) -> None:
        user_rules = tuple(to_rule(rule) for rule in ignore_rules)
        self.rules: Tuple[IgnoreRule, ...] = (DEFAULT_IGNORE_RULES if include_defaults else ()) + user_rules
        self.secret_words = frozenset(word.lower() for word in secret_words)
        self._roots: Dict[Tuple[str, Optional[str]], _PathMatcher] = {}
        self._given_key = redaction_key
        self._redactor: Optional[TextRedactor] = None

    @property
    def redaction_key(self) -> RedactionKey:
        """The key of the markers (resolved on first use: see :mod:`dataiku_iac.redaction_key`)."""
        return self.redactor.key

    @property
    def redactor(self) -> TextRedactor:
        """The text rules with this sync's key and secret words."""
        if self._redactor is None:
            self._redactor = TextRedactor(resolve_key(self._given_key), self.secret_words)
        return self._redactor

    def rules_for(self, resource_type: str, subtype: Optional[str] = None) -> List[IgnoreRule]:
        """The ignore rules that apply to a resource of this type and DSS subtype."""
        return [rule for rule in self.rules if rule.applies_to(resource_type, subtype)]

    def _root(self, resource_type: str, subtype: Optional[str]) -> _PathMatcher:
        root = self._roots.get((resource_type, subtype))
        if root is None:
            patterns = frozenset(_split_path(rule.path) for rule in self.rules_for(resource_type, subtype))
            root = self._roots[(resource_type, subtype)] = _matcher(patterns)
        return root

    def attributes(self, resource_type: str, source: Mapping[str, Any]) -> Dict[str, Any]:
        """Tracked fields of ``source`` (copied), minus ignored paths, normalised, with secrets redacted."""
        subtype = source.get("type") if isinstance(source.get("type"), str) else None
        selected = {}
        for key in TRACKED_FIELDS[resource_type]:
            value = source.get(key)
            if value is None and key in FIELD_DEFAULTS:
                value = FIELD_DEFAULTS[key]
            if value is not None or key in source:
                selected[key] = value
        try:
            attributes = _transform(selected, self._root(resource_type, subtype), self.redactor)
        except RecursionError:
            raise StateFormatError(f"{resource_type} attributes are nested too deeply to be recorded") from None
        return normalise(resource_type, attributes)
