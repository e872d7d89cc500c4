"""Timestamps: aware UTC only, ISO 8601 with Z or an offset."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dataiku_iac.timeutil import format_timestamp, from_epoch_millis, parse_timestamp, utc_now


def test_utc_now_is_aware():
    assert utc_now().tzinfo == timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T10:30:00Z", datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2025-01-15T10:30:00.5Z", datetime(2025, 1, 15, 10, 30, 0, 500000, tzinfo=timezone.utc)),
        ("2025-01-15T10:30:00.1234567+00:00", datetime(2025, 1, 15, 10, 30, 0, 123456, tzinfo=timezone.utc)),
        ("2025-01-15T12:30:00+02:00", datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2025-01-15T05:00:00-0530", datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)),
    ],
)
def test_parse_accepts_z_and_offsets(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo == timezone.utc


@pytest.mark.parametrize("text", ["2025-01-15T10:30:00", "2025-01-15", "yesterday", "", "2025-13-01T00:00:00Z",
                                  "2025-01-15T10:30:00+24:00", None, 17])
def test_parse_refuses_naive_and_garbage(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_format_round_trip_and_naive_refused():
    moment = datetime(2025, 1, 15, 10, 30, 0, 123, tzinfo=timezone.utc)
    assert format_timestamp(moment) == "2025-01-15T10:30:00.000123Z"
    assert parse_timestamp(format_timestamp(moment)) == moment
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2025, 1, 1))


def test_from_epoch_millis():
    assert from_epoch_millis(1664929397168) == datetime(2022, 10, 5, 0, 23, 17, 168000, tzinfo=timezone.utc)
