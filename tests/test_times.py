"""sync.times: the one reader/writer of stored ISO times (naive means UTC; each caller keeps its format)."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync.times import from_iso, to_iso


def test_z_offset_and_naive_all_read_as_aware() -> None:
    assert from_iso("2026-11-25T10:02:00Z") == datetime(2026, 11, 25, 10, 2, tzinfo=UTC)
    assert from_iso("2026-11-25T18:02:00+08:00") == datetime(2026, 11, 25, 10, 2, tzinfo=UTC)
    naive = from_iso("2026-11-25T10:02:00")
    assert naive.tzinfo is UTC and naive == datetime(2026, 11, 25, 10, 2, tzinfo=UTC)


def test_not_a_time_is_value_error() -> None:
    with pytest.raises(ValueError):
        from_iso("yesterday")


def test_to_iso_keeps_zone_and_format_and_round_trips() -> None:
    at = datetime(2026, 11, 25, 18, 2, 3, 456789, tzinfo=timezone(timedelta(hours=8)))
    assert to_iso(at) == at.isoformat() == "2026-11-25T18:02:03.456789+08:00"
    assert to_iso(at, "seconds") == "2026-11-25T18:02:03+08:00"
    assert to_iso(None) is None
    assert from_iso(to_iso(at)) == at
