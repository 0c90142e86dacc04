"""Alert detectors and the stored raise → acknowledge → resolve lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from sync.errors import PlanningError
from sync.hub.alerts import AlertBook, QcWindow, late_orders, material_shortages, overruns, silent_stations
from sync.station.timing import OpEvent, derive

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def running_for(minutes: float, standard_min: float = 100):
    state = derive([OpEvent("op.started", T0, worker="ann")], T0 + timedelta(minutes=minutes),
                   standard=standard_min * 60)
    return [("WO-1", 10, "WELD", state)]


def test_overrun_fires_at_121_percent_while_the_operation_still_runs() -> None:
    assert overruns(running_for(119), {"WELD": 1.2}) == []
    found = overruns(running_for(121), {"WELD": 1.2})
    assert [c.key for c in found] == ["overrun:WO-1:10"] and "121%" in found[0].message


def test_overrun_threshold_is_per_work_centre() -> None:
    assert overruns(running_for(121), {"WELD": 1.5}) == []


def test_a_completed_operation_raises_no_overrun() -> None:
    events = [OpEvent("op.started", T0, worker="ann"),
              OpEvent("op.completed", T0 + timedelta(minutes=150), worker="ann", good=1, scrap=0)]
    state = derive(events, T0 + timedelta(minutes=200), standard=100 * 60)
    assert overruns([("WO-1", 10, "WELD", state)], {}) == []


def test_qc_fail_rate_over_threshold_in_the_window_raises_and_old_results_drop_out() -> None:
    window = QcWindow(size=10, span=timedelta(hours=1), threshold=0.2, minimum=5)
    for i, passed in enumerate([True, True, False, True, False]):
        window.add(T0 + timedelta(minutes=i), passed)
    alert = window.check("QC", T0 + timedelta(minutes=5))
    assert alert is not None and alert.key == "qc_rate:QC" and "40%" in alert.message
    assert window.check("QC", T0 + timedelta(hours=2)) is None


def test_silent_station_late_order_and_material_short() -> None:
    now = T0 + timedelta(minutes=10)
    assert [c.subject for c in silent_stations({"st-1": T0, "st-2": now}, now)] == ["st-1"]
    late = late_orders([("O1", T0, None, False), ("O2", now + timedelta(days=1), None, False),
                        ("O3", T0, None, True)], now)
    assert [c.subject for c in late] == ["O1"]
    # a promise is the end of a site day: the message names that day, not "23:59" nor the UTC date
    shanghai = ZoneInfo("Asia/Shanghai")
    promise = datetime(2026, 12, 3, 23, 59, 59, tzinfo=shanghai).astimezone(UTC)
    [late_one] = late_orders([("O4", promise, None, False)], promise + timedelta(hours=3), zone=shanghai)
    assert late_one.message == "order O4 will miss its promise of Thu 03 Dec 2026 by 3.0 h"
    short = material_shortages([("WO-1", T0, "TUBE", T0 + timedelta(days=2)),  # starts before it arrives
                                ("WO-2", now + timedelta(days=3), "BOLT", now + timedelta(days=2)),  # plan waits
                                ("WO-3", now, "NUT", now - timedelta(days=1))], now)  # due yesterday, not in
    assert [c.key for c in short] == ["short:WO-1:TUBE", "short:WO-3:NUT"]
    assert "TUBE arrives" in short[0].message and "was due" in short[1].message and "not booked in" in short[1].message


def test_an_open_alert_is_not_raised_twice_and_the_lifecycle_is_recorded(tmp_path: Path) -> None:
    book = AlertBook(sqlite_utils.Database(tmp_path / "hub.db"))
    candidate = overruns(running_for(130), {})[0]
    first = book.raise_(candidate, T0)
    assert first is not None and first["state"] == "raised"
    assert book.raise_(candidate, T0 + timedelta(seconds=1)) is None
    acked = book.acknowledge(first["id"], "sam", T0 + timedelta(minutes=1))
    assert (acked["state"], acked["acknowledged_by"]) == ("acknowledged", "sam")
    resolved = book.resolve(first["id"], "sam", T0 + timedelta(minutes=2))
    assert resolved["state"] == "resolved" and book.open_alerts() == []
    assert book.raise_(candidate, T0 + timedelta(minutes=3)) is not None, "a new occurrence after resolution"
    reopened = AlertBook(sqlite_utils.Database(tmp_path / "hub.db"))
    assert len(reopened.open_alerts()) == 1, "alerts are stored, not held in memory"


def test_cleared_conditions_auto_resolve_only_their_kind(tmp_path: Path) -> None:
    book = AlertBook(sqlite_utils.Database(tmp_path / "hub.db"))
    book.raise_(overruns(running_for(130), {})[0], T0)
    book.raise_(silent_stations({"st-1": T0}, T0 + timedelta(hours=1))[0], T0)
    cleared = book.resolve_cleared(set(), {"overrun"}, T0 + timedelta(minutes=5))
    assert len(cleared) == 1 and [a["kind"] for a in book.open_alerts()] == ["silent_station"]


def test_acknowledging_an_unknown_or_resolved_alert_says_so(tmp_path: Path) -> None:
    book = AlertBook(sqlite_utils.Database(tmp_path / "hub.db"))
    with pytest.raises(PlanningError, match="no alert with id 42"):
        book.acknowledge(42, "sam", T0)
    row = book.raise_(overruns(running_for(130), {})[0], T0)
    assert row is not None
    book.resolve(row["id"], "sam", T0)
    with pytest.raises(PlanningError, match="already resolved"):
        book.acknowledge(row["id"], "sam", T0)
