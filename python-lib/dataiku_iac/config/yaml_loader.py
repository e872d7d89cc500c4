"""A strict YAML reader for config files: JSON-shaped data plus the line and column of every value.

PyYAML's loaders are too lenient for a config that is reviewed in git and applied to DSS:

- a duplicate key silently overwrites the first one: here it is an error naming both lines;
- YAML 1.1 reads ``no``, ``off``, ``y`` as booleans and ``2024-06-03`` as a date: here only ``true``/``false``
  are booleans and dates stay strings (as in DSS's JSON), as in YAML 1.2's core schema; numbers are those
  both versions read as numbers (``1e5``, ``0o17`` stay strings, as PyYAML reads and writes them);
- aliases are expanded lazily, so a few lines ("billion laughs") can stand for billions of nodes: here the
  nodes that aliases add are counted against a budget and the document is refused once it is spent;
- nesting, file size, tags, merge keys (``<<``) and non-string keys are bounded or refused.

The document is built from libyaml's event stream (a state machine, no recursion), so a deeply nested input
cannot exhaust the stack. Every failure is a :class:`ConfigFileError` with the file, line and column.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

import yaml

from .errors import ConfigFileError, Location

try:  # libyaml's parser when PyYAML was built with it (the wheels are): about ten times faster
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

PathKey = Tuple[Union[str, int], ...]

#: Largest config file read (YAML or side file): far above any real project file, small enough to refuse junk.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Deepest nesting of mappings and sequences (DSS's JSON objects nest about 10 levels).
MAX_DEPTH = 64
#: Nodes aliases may add to a document, in total (a few anchors for repeated blocks stay far below it).
MAX_ALIAS_NODES = 10_000

# Numbers are what both YAML 1.1 (PyYAML, whose dumper quotes only the strings 1.1 would misread) and 1.2
# read as numbers: so a string PyYAML writes unquoted ("1e5", "0o17") is read back as a string here too.
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?")
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_MAYBE_TYPED = frozenset("+-.0123456789~nNtTfF")
_SPECIAL_FLOATS = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_STR_TAG = "tag:yaml.org,2002:str"
_KNOWN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
               "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
               "tag:yaml.org,2002:seq"}


@dataclass
class YamlDocument:
    """A parsed file: ``data`` (JSON types only) and, per path, where its value and its key start."""

    file: str
    data: Any
    value_marks: Dict[PathKey, Tuple[int, int]] = field(default_factory=dict)
    key_marks: Dict[PathKey, Tuple[int, int]] = field(default_factory=dict)

    def location(self, path: PathKey, key: bool = False) -> Location:
        """Where ``path`` is written (its key with ``key=True``); the nearest enclosing value otherwise."""
        marks = self.key_marks if key else self.value_marks
        probe = tuple(path)
        while probe:
            found = marks.get(probe) or self.value_marks.get(probe)
            if found:
                return Location(self.file, *found)
            probe = probe[:-1]
        found = self.value_marks.get(())
        return Location(self.file, *found) if found else Location(self.file, 1, 1)


def decode_text(raw: bytes, file: str) -> str:
    """UTF-8 text without its BOM; a clear error at the line of the first byte that is not UTF-8."""
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigFileError(Location(file), f"file is {len(raw)} bytes, more than the {MAX_FILE_BYTES} a "
                                              "config file may hold: split it or move content to side files")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigFileError(Location(file, 1, 1), "file is UTF-16: save it as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigFileError(Location(file, line, column),
                              f"byte 0x{raw[exc.start]:02x} is not UTF-8: save the file as UTF-8") from None
    return text[1:] if text.startswith("\ufeff") else text


def load_yaml(source: Union[str, bytes], file: str) -> YamlDocument:
    """Parse one YAML document (an empty file is ``None``); raises :class:`ConfigFileError`."""
    text = decode_text(source, file) if isinstance(source, bytes) else source
    builder = _Builder(file)
    try:
        for event in yaml.parse(text, Loader=_Parser):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        message = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        if mark is not None and _tab_at(text, mark.index):
            message += " (a tab: YAML indents with spaces, not tabs)"
        raise ConfigFileError(Location(file, line, column), f"invalid YAML: {message}") from None
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        position = getattr(exc, "position", None)
        line, column = _line_column(text, position) if isinstance(position, int) else (0, 0)
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise ConfigFileError(Location(file, line, column), f"invalid YAML: {reason}") from None
    return builder.document()


def _tab_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index] == "\t"


def _line_column(text: str, position: int) -> Tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


@dataclass
class _Open:
    """A mapping or sequence being built, with its path and (for mappings) the key waiting for its value."""

    value: Union[Dict[str, Any], List[Any]]
    path: PathKey
    anchor: Optional[str]
    size: int = 1
    key: Optional[str] = None
    has_key: bool = False


class _Builder:
    """Turns parse events into the document, checking every rule of the module docstring on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.stack: List[_Open] = []
        self.anchors: Dict[str, Tuple[Any, int]] = {}  # anchor -> (value, node count)
        self.alias_nodes = 0
        self.result: Any = None
        self.documents = 0
        self.value_marks: Dict[PathKey, Tuple[int, int]] = {}
        self.key_marks: Dict[PathKey, Tuple[int, int]] = {}

    def document(self) -> YamlDocument:
        return YamlDocument(self.file, self.result, self.value_marks, self.key_marks)

    def fail(self, mark: Any, message: str) -> None:
        raise ConfigFileError(Location(self.file, mark.line + 1, mark.column + 1), message)

    # -- events ---------------------------------------------------------------------------------------------

    def feed(self, event: Any) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _document_start(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            self.fail(event.start_mark, "a config file holds one YAML document: remove the '---' separator")

    def _scalar_event(self, event: Any) -> None:
        # The hot path (most events are scalars): _expects_key, _child_path and _add_value inlined.
        if event.tag is not None:
            self._check_tag(event)
        top = self.stack[-1] if self.stack else None
        if top is None:
            path: PathKey = ()
        elif isinstance(top.value, dict):
            if not top.has_key:
                self._take_key(event)
                return
            path = (*top.path, top.key)  # type: ignore[arg-type]
        else:
            path = (*top.path, len(top.value))
        mark = event.start_mark
        self.value_marks[path] = (mark.line + 1, mark.column + 1)
        self._attach(self._scalar(event), 1, event.anchor)

    def _collection_start(self, event: Any) -> None:
        self._check_tag(event)
        if self._expects_key():
            self.fail(event.start_mark, "a mapping key must be a plain string, not a mapping or a list")
        if len(self.stack) >= MAX_DEPTH:
            self.fail(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        path = self._child_path()
        self.value_marks[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        value: Union[Dict[str, Any], List[Any]] = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.stack.append(_Open(value, path, event.anchor))

    def _collection_end(self, event: Any) -> None:
        done = self.stack.pop()
        self._attach(done.value, done.size, done.anchor)

    def _expects_key(self) -> bool:
        top = self.stack[-1] if self.stack else None
        return top is not None and isinstance(top.value, dict) and not top.has_key

    def _child_path(self) -> PathKey:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, dict):
            return (*top.path, top.key)  # type: ignore[arg-type]
        return (*top.path, len(top.value))

    def _check_tag(self, event: Any) -> None:
        tag = getattr(event, "tag", None)
        if tag is None or tag == "!" or tag in _KNOWN_TAGS:
            return
        self.fail(event.start_mark, f"YAML tag {tag} is not supported: config values are plain JSON values")

    def _take_key(self, event: Any) -> None:
        top = self.stack[-1]
        key = self._scalar(event)
        if event.anchor:
            self.fail(event.start_mark, "anchors on mapping keys are not supported")
        if key == "<<" and event.implicit[0]:
            self.fail(event.start_mark, "merge keys (<<) are not supported: write the fields out, or anchor "
                                        "a whole value and reuse it with an alias")
        if not isinstance(key, str):
            self.fail(event.start_mark, f"mapping key {event.value!r} must be a string: quote it")
        assert isinstance(top.value, dict)
        path = (*top.path, key)
        if key in top.value:
            first = self.key_marks.get(path, (0, 0))[0]
            self.fail(event.start_mark, f"duplicate key {key!r} (first defined at line {first}): "
                                        "each name may appear once")
        top.key, top.has_key = key, True
        self.key_marks[path] = (event.start_mark.line + 1, event.start_mark.column + 1)

    def _scalar(self, event: Any) -> Any:
        text = event.value
        tag = event.tag
        if tag in (None, "!") and event.implicit[0]:
            return _resolve_plain(text, event.start_mark, self)
        if tag in (None, "!", _STR_TAG):
            return text
        resolved = _resolve_plain(text, event.start_mark, self)
        expected = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": (int, float),
                    "tag:yaml.org,2002:bool": bool, "tag:yaml.org,2002:null": type(None)}.get(tag)
        if expected is None or not isinstance(resolved, expected):
            self.fail(event.start_mark, f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}")
        return float(resolved) if tag.endswith(":float") else resolved

    def _alias(self, event: Any) -> None:
        if event.anchor not in self.anchors:
            self.fail(event.start_mark, f"alias *{event.anchor} names no anchor defined before it")
        if self._expects_key():
            self.fail(event.start_mark, "an alias cannot be a mapping key")
        value, size = self.anchors[event.anchor]
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            self.fail(event.start_mark, f"aliases expand to more than {MAX_ALIAS_NODES} nodes: refusing the "
                                        "document (an alias bomb?); write the repeated content out")
        depth = len(self.stack) + _depth(value)
        if depth > MAX_DEPTH:
            self.fail(event.start_mark, f"nested more than {MAX_DEPTH} levels deep (through alias *{event.anchor})")
        self._add_value(copy.deepcopy(value), size, None, event.start_mark)

    def _add_value(self, value: Any, size: int, anchor: Optional[str], mark: Any) -> None:
        self.value_marks[self._child_path()] = (mark.line + 1, mark.column + 1)
        self._attach(value, size, anchor)

    def _attach(self, value: Any, size: int, anchor: Optional[str]) -> None:
        if anchor:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.result = value
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, dict):
            top.value[top.key] = value  # type: ignore[index]
            top.key, top.has_key = None, False
        else:
            top.value.append(value)


_HANDLERS = {
    yaml.DocumentStartEvent: _Builder._document_start,
    yaml.ScalarEvent: _Builder._scalar_event,
    yaml.MappingStartEvent: _Builder._collection_start,
    yaml.SequenceStartEvent: _Builder._collection_start,
    yaml.MappingEndEvent: _Builder._collection_end,
    yaml.SequenceEndEvent: _Builder._collection_end,
    yaml.AliasEvent: _Builder._alias,
}


def _depth(value: Any) -> int:
    """Nesting depth of a built value (aliases reuse values already checked, so this stays small)."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _resolve_plain(text: str, mark: Any, builder: _Builder) -> Any:
    """A plain scalar as YAML 1.2's core schema reads it (dates and yes/no stay strings)."""
    if text and text[0] not in _MAYBE_TYPED:  # most strings: no other rule can apply
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if not text or text[0] not in "+-.0123456789":
        return text
    if _INT.fullmatch(text):
        cleaned = text.replace("_", "")
        if cleaned.startswith("0x"):
            return int(cleaned[2:], 16)
        return int(cleaned)
    if _FLOAT.fullmatch(text) and any(char.isdigit() for char in text):
        number = float(text.replace("_", ""))
        if math.isinf(number):
            builder.fail(mark, f"{text} is too large for a number: quote it to keep it as text")
        return number
    if _SPECIAL_FLOATS.fullmatch(text):
        builder.fail(mark, f"{text} (infinity or not-a-number) has no JSON form: quote it to keep it as text")
    return text
