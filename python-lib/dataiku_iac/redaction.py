"""Secrets in what a state records: which values are secrets, and the keyed marker that replaces them.

A secret is replaced by ``<redacted:hmac:KKKKKKKK:DDDDDDDDDDDD>``: ``DDDDDDDDDDDD`` is 12 hex digits of
HMAC-SHA256(redaction key, value), so a changed secret changes its marker (drift shows it) while nobody without
the key can test guesses against a state file (the former ``<redacted:sha256:...>`` markers were unsalted:
a weak password could be found offline). ``KKKKKKKK`` is the key id, the first 8 hex digits of
HMAC-SHA256(key, "key-id"): a state tells which key made its markers without holding the key, so a drift check
under another key says "the redaction key changed" instead of reporting every secret as changed
(:func:`align_redaction_keys`). Where the key comes from: :mod:`dataiku_iac.redaction_key`.

What is a secret (all pure text rules, applied to every string of a synced object):

- a value under a key that names a credential (``password``, ``dbPassword``, ``api_key``, ``sasToken``...);
- in a URL: the password of its user-info, a user name that is a token (``https://ghp_...@github.com``), query
  parameters that name credentials (``?access_token=``) and signatures (SAS ``sig=``);
- in connection strings: ``Password=``, ``AccountKey=``, ``SharedAccessKey=``, ``SharedAccessSignature=`` values;
- in code (recipe payloads, scenario scripts): literals assigned to secret-named variables or keys
  (``password = "hunter2"``, ``API_TOKEN='...'``, ``"secret": "..."``): the literal is masked, the code keeps
  its shape, so a code diff still reads as code.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from .canonical import canonical_json

REDACTION_PREFIX = "<redacted:"
#: A marker: legacy unkeyed (``sha256``) or keyed (``hmac:<key id>``).
MARKER = re.compile(r"<redacted:(?:sha256|hmac:(?P<key_id>[0-9a-f]{8})):[0-9a-f]{12}>")
LEGACY_KEY_ID = "sha256"

#: Words that, as a word of a key (``dbPassword``, ``api_key``, ``sasToken``...), mark its value as a secret.
SECRET_WORDS: FrozenSet[str] = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "apikey", "credential",
    "credentials", "privatekey", "authorization",
    "webhookurl",  # Slack and Teams webhook URLs: whoever holds the URL may post
    "accountkey", "sharedaccesskey", "sharedaccesssignature",  # Azure storage and Service Bus
})
#: Query and connection-string parameters that are signatures: whoever holds them holds the access.
SIGNATURE_NAMES: FrozenSet[str] = frozenset({"sig", "signature", "x-amz-signature", "x-goog-signature"})
_KEY_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


class RedactionKey:
    """The secret of the markers (never printed: its repr shows the key id and where it came from)."""

    def __init__(self, secret: bytes, source: str = "given") -> None:
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise ValueError("a redaction key needs at least 16 bytes")
        self._secret = secret
        self.source = source
        self.key_id = hmac.new(secret, b"key-id", hashlib.sha256).hexdigest()[:8]

    def marker(self, value: Any) -> str:
        """The marker of ``value`` (a string, or any JSON value by its canonical form)."""
        text = value if isinstance(value, str) else canonical_json(value)
        digest = hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).hexdigest()[:12]
        return f"{REDACTION_PREFIX}hmac:{self.key_id}:{digest}>"

    def __repr__(self) -> str:
        return f"RedactionKey(key_id={self.key_id!r}, source={self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RedactionKey) and hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.key_id)


def is_marker(value: Any) -> bool:
    """True when ``value`` is exactly one marker."""
    return isinstance(value, str) and MARKER.fullmatch(value) is not None


def key_words(key: str) -> List[str]:
    """The lower-case words of a key: ``dbPassword`` -> ``["db", "password"]``, ``API_KEY`` -> ``["api", "key"]``."""
    return [word.lower() for word in _KEY_WORDS.findall(key)]


@functools.lru_cache(maxsize=4096)
def names_secret(key: str, extra_words: FrozenSet[str] = frozenset()) -> bool:
    """True when a key names a credential: one of its words, or two adjacent words joined, is a secret word."""
    words = key_words(key)
    vocabulary = SECRET_WORDS | extra_words
    joined_pairs = (a + b for a, b in zip(words, words[1:]))
    compact = key.lower().replace("_", "").replace("-", "")
    return compact in vocabulary or any(w in vocabulary for w in words) or any(p in vocabulary for p in joined_pairs)


def _names_parameter_secret(name: str, extra_words: FrozenSet[str]) -> bool:
    return name.lower() in SIGNATURE_NAMES or names_secret(name, extra_words)


# -- text rules ---------------------------------------------------------------------------------------------

# A URL, and inside it its user-info and its query parameters.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_URL_USERINFO = re.compile(r"^(?P<scheme>[^/?#]*://)(?P<user>[^\s/?#@:]*)(?::(?P<password>[^\s/?#@]+))?(?=@)")
_QUERY_PARAMETER = re.compile(r"(?P<head>[?&;](?P<name>[^=&#;?]+)=)(?P<value>[^&#;]+)")
# A user name that is a token: a known token prefix, or long and made of letters and digits mixed.
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xoxa-")
_TOKEN_LIKE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-.~%+=]{20,}$")
# ``Name=value`` in connection strings (``;``-separated): the value runs to ``;``, a quote, a space or the end.
# Values that look like code (calls, indexing, ``${variables}``) are left alone.
_PAIR = re.compile(r"(?:^|(?<=[;\s\"'?&,(]))(?P<name>[A-Za-z][\w.-]*)=(?P<value>[^;\s\"'<>(){}\[\],$]+)"
                   r"(?=[;\"'\s]|$)")
# A literal assigned (or mapped, compared) to a secret-named variable or key, in most languages' syntax:
# ``password = "x"``, ``API_TOKEN='x'``, ``"secret": "x"``, ``'pwd' => 'x'``, ``token <- "x"``, ``pw := "x"``.
_ASSIGNED_LITERAL = re.compile(
    r"(?P<name>\b[A-Za-z_][\w.]*|\"[^\"\n]{1,64}\"|'[^'\n]{1,64}')"
    r"(?P<op>\s*(?:==|:=|=>|<-|=|:)\s*)"
    r"(?P<prefix>[rRuUbB]{0,2})"
    r"(?P<quote>\"|')(?P<value>(?:\\.|(?!(?P=quote))[^\\\n])*)(?P=quote)"
)
# A secret-named variable or parameter holds one of these (``names_secret`` then decides): a string without any
# (most strings, code included) is spared the pair and literal rules.
_HINTS = ("pass", "pwd", "secret", "token", "key", "credential", "authoriz", "hook", "sig")


@dataclass(frozen=True)
class TextRedactor:
    """The text rules with one key and one vocabulary (see the module docstring)."""

    key: RedactionKey
    extra_words: FrozenSet[str] = frozenset()

    def __post_init__(self) -> None:
        hints = tuple(sorted(set(_HINTS) | {word.lower() for word in self.extra_words}))
        object.__setattr__(self, "_hints", hints)

    def redact(self, text: str) -> str:
        """``text`` with every secret the text rules find replaced by its marker (markers are kept as they are)."""
        if "://" in text:
            text = _URL.sub(self._url, text)
        if "=" in text or ":" in text or "<-" in text:
            lowered = text.lower()
            if any(hint in lowered for hint in self._hints):
                if "=" in text:
                    text = _PAIR.sub(self._pair, text)
                if "'" in text or '"' in text:
                    text = _ASSIGNED_LITERAL.sub(self._literal, text)
        return text

    def _url(self, match: re.Match) -> str:
        url = _URL_USERINFO.sub(self._userinfo, match.group(), count=1)
        return _QUERY_PARAMETER.sub(self._parameter, url) if "=" in url else url

    def _userinfo(self, match: re.Match) -> str:
        user, password = match["user"], match["password"]
        if user and _looks_like_token(user):
            user = self.key.marker(user)
        if password is None:
            return f"{match['scheme']}{user}"
        return f"{match['scheme']}{user}:{self.key.marker(password)}"

    def _parameter(self, match: re.Match) -> str:
        value = match["value"]
        if _names_parameter_secret(match["name"], self.extra_words) and not value.startswith(REDACTION_PREFIX):
            return match["head"] + self.key.marker(value)
        return match.group()

    def _pair(self, match: re.Match) -> str:
        if _names_parameter_secret(match["name"], self.extra_words):
            return f"{match['name']}={self.key.marker(match['value'])}"
        return match.group()

    def _literal(self, match: re.Match) -> str:
        value = match["value"]
        if not value or MARKER.fullmatch(value) or not names_secret(match["name"].strip("\"'"), self.extra_words):
            return match.group()
        quote = match["quote"]
        return f"{match['name']}{match['op']}{match['prefix']}{quote}{self.key.marker(value)}{quote}"


def _looks_like_token(user: str) -> bool:
    return user.lower().startswith(_TOKEN_PREFIXES) or _TOKEN_LIKE.match(user) is not None


# -- a drift check across a change of key ---------------------------------------------------------------------


@dataclass
class RekeyNotice:
    """What :func:`align_redaction_keys` did: markers of other keys it could not compare."""

    old_key_ids: List[str]
    key_id: str
    values: int

    def message(self) -> str:
        """The notice a report shows once (the next sync records the markers with the current key)."""
        old = ", ".join("unkeyed sha256" if k == LEGACY_KEY_ID else k for k in self.old_key_ids)
        return (f"The redaction key changed since the baseline was recorded (key id {old} -> {self.key_id}): "
                f"{self.values} redacted value(s) could not be compared and are shown as unchanged. Sync (or "
                "accept) once to record them with the current key.")


def marker_key_ids(text: str) -> List[str]:
    """The key ids of the markers in ``text`` (``sha256`` for legacy unkeyed ones)."""
    return [match["key_id"] or LEGACY_KEY_ID for match in MARKER.finditer(text)]


def align_redaction_keys(baseline: Dict[str, Any], live: Dict[str, Any],
                         key_id: str) -> Tuple[Dict[str, Any], Optional[RekeyNotice]]:
    """``baseline`` (resource id -> attributes) made comparable with ``live`` when its markers came from another key.

    Where a baseline string holds markers of another key than ``key_id`` and equals the live string once every
    marker is set aside, the live string replaces it: the secret's change cannot be known without the old key,
    and reporting every secret as changed would hide the real drift. Anything else stays as it was (a value
    whose text around the markers changed still shows). Returns the (copied where changed) baseline and a
    notice, or None when no marker of another key was met.
    """
    counter: Dict[str, int] = {}
    aligned = {rid: _align(attributes, live.get(rid), key_id, counter) if rid in live else attributes
               for rid, attributes in baseline.items()}
    if not counter:
        return baseline, None
    return aligned, RekeyNotice(sorted(counter), key_id, sum(counter.values()))


def _align(old: Any, new: Any, key_id: str, counter: Dict[str, int]) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: _align(v, new[k], key_id, counter) if k in new else v for k, v in old.items()}
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [_align(a, b, key_id, counter) for a, b in zip(old, new)]
    if isinstance(old, str) and isinstance(new, str) and old != new and REDACTION_PREFIX in old:
        foreign = [k for k in marker_key_ids(old) if k != key_id]
        if foreign and MARKER.sub("<redacted>", old) == MARKER.sub("<redacted>", new):
            for k in foreign:
                counter[k] = counter.get(k, 0) + 1
            return new
    return old
