"""Where the redaction key comes from: never the state, never its history (see :mod:`dataiku_iac.redaction`).

In this order:

1. a key given by the caller (``SyncRules(redaction_key=...)``, ``StateManager(..., redaction_key=...)``);
2. the ``DATAIKU_IAC_REDACTION_KEY`` environment variable (CI: a masked secret variable; 16 characters or more);
3. inside DSS, the plugin passes the run-as user's DSS secret ``dataiku-iac-redaction-key``
   (:func:`key_from_dss_user_secrets`; *Profile > My account > Other credentials*);
4. a key file, generated on first use: ``DATAIKU_IAC_REDACTION_KEY_FILE``, else
   ``$XDG_CONFIG_HOME/dataiku-iac/redaction.key`` (``~/.config/...``). It is created with ``O_EXCL|O_NOFOLLOW``
   and mode 0600; an existing one must be a regular file (not a symlink) that only its owner may read.

Every machine (or CI job) that compares states must use the same key, or markers differ: share the key the way
you share the API key. Losing it only costs a one-time notice (:class:`dataiku_iac.redaction.RekeyNotice`).
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
import threading
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from .exceptions import ConfigError
from .redaction import RedactionKey

logger = logging.getLogger("dataiku_iac.redaction")

ENV_KEY = "DATAIKU_IAC_REDACTION_KEY"
ENV_KEY_FILE = "DATAIKU_IAC_REDACTION_KEY_FILE"
DSS_SECRET_NAME = "dataiku-iac-redaction-key"
MIN_KEY_LENGTH = 16
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_cache: Dict[Tuple[str, str], RedactionKey] = {}
_cache_lock = threading.Lock()

KeyLike = Union[RedactionKey, str, bytes]


def key_from_text(text: Union[str, bytes], source: str) -> RedactionKey:
    """A key from its text (an environment variable, a secret, a key file); :class:`ConfigError` when too short."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    raw = raw.strip()
    if len(raw) < MIN_KEY_LENGTH:
        raise ConfigError(f"The redaction key from {source} is too short: use {MIN_KEY_LENGTH} characters or more "
                          "(e.g. the output of 'python3 -c \"import secrets; print(secrets.token_hex(32))\"')")
    return RedactionKey(raw, source)


def default_key_path(environ: Optional[Mapping[str, str]] = None) -> Path:
    """The key file: ``DATAIKU_IAC_REDACTION_KEY_FILE``, else the user's config dir."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY_FILE):
        return Path(env[ENV_KEY_FILE]).expanduser()
    config = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "dataiku-iac" / "redaction.key"


def load_or_create_key_file(path: Path) -> RedactionKey:
    """The key in ``path``, generated there (0600, never through a symlink) when the file does not exist."""
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW, 0o600)
    except FileExistsError:
        return _read_key_file(path)  # another process created it meanwhile: use theirs
    except OSError as exc:
        raise ConfigError(f"Cannot create the redaction key file {path} ({exc.strerror}): set {ENV_KEY}, or "
                          f"{ENV_KEY_FILE} to a writable place") from None
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    logger.info("generated a redaction key in %s (keep it: states compared elsewhere need the same key)", path)
    return _read_key_file(path)


def _read_key_file(path: Path) -> RedactionKey:
    try:
        fd = os.open(str(path), os.O_RDONLY | _O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise FileNotFoundError(str(path)) from None
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"The redaction key file {path} is a symlink: refused (it could point anywhere); "
                              "replace it with a regular file") from None
        raise ConfigError(f"Cannot read the redaction key file {path} ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"The redaction key file {path} is not a regular file: refused")
        if os.name == "posix" and info.st_mode & 0o077:
            raise ConfigError(f"The redaction key file {path} is readable or writable by others (mode "
                              f"{stat.S_IMODE(info.st_mode):o}): run 'chmod 600 {path}'")
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    return key_from_text(data, f"key file {path}")


def resolve_key(explicit: Optional[KeyLike] = None, environ: Optional[Mapping[str, str]] = None) -> RedactionKey:
    """The redaction key, by the order of the module docstring (the key file is read once per process)."""
    if isinstance(explicit, RedactionKey):
        return explicit
    if explicit is not None:
        return key_from_text(explicit, "the caller")
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY):
        return _cached(("env", env[ENV_KEY]), lambda: key_from_text(env[ENV_KEY], f"${ENV_KEY}"))
    path = default_key_path(env)
    return _cached(("file", str(path)), lambda: load_or_create_key_file(path))


def _cached(slot: Tuple[str, str], build: Any) -> RedactionKey:
    with _cache_lock:
        key = _cache.get(slot)
        if key is None:
            key = _cache[slot] = build()
        return key


def key_from_dss_user_secrets(client: Any, name: str = DSS_SECRET_NAME) -> Optional[RedactionKey]:
    """Inside DSS: the run-as user's DSS secret ``name`` as the key, or None when the user has none.

    ``client`` is ``dataiku.api_client()``; the plugin glue passes the result to the manager
    (``redaction_key=``). Reading the user's secrets needs no admin right.
    """
    try:
        info = client.get_auth_info(with_secrets=True)
    except Exception as exc:  # an older DSS, or no right: the key file is used instead
        logger.info("DSS user secrets are not readable (%s): using the redaction key file", type(exc).__name__)
        return None
    for entry in (info or {}).get("secrets") or []:
        if isinstance(entry, dict) and entry.get("key") == name and entry.get("value"):
            return key_from_text(str(entry["value"]), f"DSS user secret {name}")
    return None
