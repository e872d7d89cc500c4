"""Timezone-aware UTC timestamps and their ISO 8601 text form (pure, no I/O)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_ISO_8601 = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[T ](?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
    r"(?P<fraction>\.\d+)?(?P<zone>Z|z|[+-]\d{2}:?\d{2})"
)


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, e.g. ``2025-01-15T10:30:00.123456Z``.

    Naive datetimes are refused: the library never guesses a time zone.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime refused: use a timezone-aware UTC datetime")
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """Parse ISO 8601 with ``Z`` or a UTC offset into an aware UTC datetime.

    Written by hand because ``datetime.fromisoformat`` on Python 3.9/3.10 accepts neither ``Z`` nor
    fractions of other than 3 or 6 digits. Raises ``ValueError`` on anything else, including naive times.
    """
    match = _ISO_8601.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"not an ISO 8601 timestamp with a time zone: {text!r}")
    fraction = (match["fraction"] or ".0")[1:]
    fields = [int(match[name]) for name in ("year", "month", "day", "hour", "minute", "second")]
    moment = datetime(*fields, int(fraction[:6].ljust(6, "0")), tzinfo=_zone(match["zone"]))
    return moment.astimezone(timezone.utc)


def _zone(text: str) -> timezone:
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= timedelta(hours=24):
        raise ValueError(f"UTC offset out of range: {text}")
    return timezone(sign * offset)


def from_epoch_millis(millis: int | float) -> datetime:
    """Convert DSS's epoch milliseconds (``versionTag.lastModifiedOn``) to an aware UTC datetime."""
    return datetime.fromtimestamp(millis / 1000.0, tz=timezone.utc)
