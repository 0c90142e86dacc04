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


@pytest.fixture
def machine_in_new_york(monkeypatch: pytest.MonkeyPatch):
    """The machine's own zone far from UTC: a naive time read as local time would show up as hours off."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_dashboard_reads_a_naive_time_as_utc_not_the_machines_zone(machine_in_new_york: None) -> None:
    from terminal.dashboard.model import _time

    assert _time("2026-11-25T10:02:00") == datetime(2026, 11, 25, 10, 2, tzinfo=UTC)
    assert _time("2026-11-25T10:02:00Z") == _time("2026-11-25T18:02:00+08:00") == _time("2026-11-25T10:02:00")
    assert [_time(v) for v in (None, "", 7, "yesterday")] == [None] * 4


def test_the_kiosk_staff_panel_reads_a_naive_time_as_utc_not_the_machines_zone(machine_in_new_york: None,
                                                                               tmp_path) -> None:
    from zoneinfo import ZoneInfo

    from kiosk.status import read_status, site_date, site_time
    from sync.store import Store

    shanghai = ZoneInfo("Asia/Shanghai")
    assert site_time("2026-11-25T10:02:00", shanghai) == site_time("2026-11-25T10:02:00Z", shanghai) == \
        "2026-11-25 18:02"
    assert site_date("2026-11-25T20:00:00", shanghai) == "2026-11-26", "20:00 UTC is the next morning in Shanghai"
    assert site_time("not a time", shanghai) == "not a time"
    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
    try:
        with store.transaction() as tx:
            tx.outbox("order.placed", {"order_id": "o-1", "number": "K1-0001"})
            tx.execute("UPDATE outbox SET occurred_at = '2026-11-25T10:02:00'")  # written naive by older code
        status = read_status(store, None, shanghai, {}, now=datetime(2026, 11, 25, 10, 32, tzinfo=UTC))
        assert status.oldest_pending_s == 30 * 60
    finally:
        store.close()
