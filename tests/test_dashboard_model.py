"""The dashboard's cache and model, fed with real inbox messages into a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.dashboard_cache import DashboardCache
from sync.protocol.envelope import Envelope
from sync.store import Inbox, Outbox, Store
from terminal.dashboard.model import DashboardModel

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def alert(alert_id: int, state: str = "raised", severity: str = "warning", **extra: Any) -> dict[str, Any]:
    return {"id": alert_id, "key": f"k{alert_id}", "kind": "overrun", "severity": severity, "subject": "WO-1/10",
            "message": f"alert {alert_id}", "state": state, "raised_at": (NOW - timedelta(minutes=42)).isoformat(),
            "acknowledged_by": None, **extra}


def orders_body(alerts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"at": NOW.isoformat(),
            "orders": [{"id": "O2", "product": "BIKE", "quantity": 1, "placed_at": NOW.isoformat(), "status": "planned",
                        "percent": 0, "promise": "2026-11-27T17:00:00+00:00", "eta": "2026-11-26T12:00:00+00:00",
                        "late": False},
                       {"id": "O1", "product": "BIKE", "quantity": 2, "placed_at": NOW.isoformat(),
                        "status": "in_progress", "percent": 40.0, "promise": "2026-11-24T17:00:00+00:00",
                        "eta": "2026-11-25T09:00:00+00:00", "late": True}],
            "alerts": alerts if alerts is not None else [alert(1), alert(2, severity="critical")],
            "load": {"WHEEL": {"today_min": 300, "week_min": 900, "today_capacity_min": 480, "week_capacity_min": 2400}},
            "kpis": {"oee": [{"work_centre": "WHEEL", "availability": 0.9, "performance": 0.8, "quality": 1.0,
                              "oee": 0.72}], "on_time_delivery": 0.9, "first_pass_yield": 0.95,
                     "history": [{"date": f"2026-11-{17 + d}", "oee": {"WHEEL": 0.5 + d / 20},
                                  "on_time_delivery": 0.9, "first_pass_yield": 0.95} for d in range(7)],
                     "promise_margin": {"orders": 12, "needed_days": 2, "by_product": {
                         "BIKE": {"orders": 12, "declared_days": 1, "needed_days": 2}}}}}


def centre_body(code: str = "WHEEL") -> dict[str, Any]:
    def op(wo: str, n: int, status: str, workers: list[str], elapsed: int, scrap: int = 0) -> dict[str, Any]:
        return {"order_id": "O1", "work_order": wo, "item": "WHEEL-28", "qty": 2, "op": n, "code": f"OP{n}",
                "status": status, "workers": workers, "elapsed_s": elapsed, "standard_s": 1800, "good": 2 if
                status == "done" else 0, "scrap": scrap, "planned_start": NOW.isoformat(), "eta": None,
                "station": "st-wheel-1"}
    return {"at": NOW.isoformat(), "work_centre": code,
            "operations": [op("WO-1", 10, "done", ["ann"], 1700, scrap=1), op("WO-1", 20, "running", ["bob"], 2400),
                           op("WO-2", 10, "queued", [], 0), op("WO-3", 10, "paused", ["cy"], 600)]}


class Feed:
    """Sends hub-shaped down messages through a real Inbox."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.seqs: dict[str, int] = {}

    def send(self, stream: str, type_: str, body: dict[str, Any], seq: int | None = None) -> None:
        self.seqs[stream] = seq if seq is not None else self.seqs.get(stream, 0) + 1
        self.inbox.receive(Envelope(f"{stream}-{self.seqs[stream]}", "hub", self.seqs[stream], NOW.isoformat(),
                                    type_, body, stream))


@pytest.fixture
def parts(tmp_path: Path) -> tuple[DashboardModel, Feed, Clock, Store]:
    store = Store(tmp_path / "dash.db", device_id="dash-1")
    clock = Clock()
    cache = DashboardCache(store, clock=clock)
    inbox = Inbox(store)
    cache.register(inbox)
    return DashboardModel(cache, clock=clock), Feed(inbox), clock, store


def test_orders_come_late_first_with_promise_against_eta(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    assert {"orders", "load", "kpis", "alerts"} <= model.refresh()
    assert [o.id for o in model.orders] == ["O1", "O2"]
    assert model.orders[0].slip == timedelta(hours=16) and model.orders[0].percent == 40.0
    assert model.load[0].week_capacity_min == 2400
    assert model.kpis.oee_trend["WHEEL"][-1] == pytest.approx(0.8) and len(model.kpis.dates) == 7


def test_the_board_says_what_promise_margin_kept_nine_in_ten_on_time(parts: Any) -> None:
    from terminal.dashboard.model import margin_text
    from terminal.station.texts import use

    model, feed, _clock, _store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    model.refresh()
    assert (model.kpis.margin_needed, model.kpis.margin_declared) == (2, (1,))
    assert margin_text(2, (1,)) == "Promise margin that kept 9 in 10 on time (4 weeks): 2 working days (set: 1)"
    assert margin_text(0, (0, 2)).endswith("0 working days (set: 0–2)") and margin_text(None, (1,)) == ""
    assert margin_text(1, ()).endswith("1 working day"), "one day, not 'days' (seen on the live demo)"
    use("zh_CN")
    try:
        assert margin_text(2, (1,)) == "近4周九成订单准时所需的承诺余量：2 个工作日（当前设定：1）"
    finally:
        use("en")
    body = orders_body()
    body["kpis"]["promise_margin"]["needed_days"] = 2.5  # not a whole number of days: nothing said
    feed.send("dashboard/orders", "dashboard.orders", body)
    model.refresh()
    assert model.kpis.margin_needed is None and model.kpis.margin_declared == (1,)


def test_a_late_joiner_applies_the_newest_snapshot_and_skips_the_gap(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body(), seq=517)
    model.refresh()
    assert len(model.orders) == 2


def test_station_boards_group_operations_with_operator_and_elapsed_against_standard(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    assert model.refresh() >= {"centres"}
    groups = model.groups("WHEEL")
    assert [len(groups[s]) for s in ("running", "paused", "queued", "done")] == [1, 1, 1, 1]
    running = groups["running"][0]
    assert running.workers == ("bob",) and running.over_standard
    assert list(model.by_station()) == ["st-wheel-1"]


def test_an_idle_station_counts_the_work_of_its_centres_not_yet_started_anywhere(parts: Any) -> None:
    model, feed, _clock, _store = parts
    body = centre_body()
    for row in body["operations"]:
        if row["status"] == "queued":
            row["station"] = None  # not started anywhere: on the centre's board, as the hub sends it
    body["operations"].append({**body["operations"][2], "work_order": "WO-4"})
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", body)
    other = centre_body("PAINT")
    for row in other["operations"]:
        row["station"] = "st-paint-1" if row["status"] != "queued" else None
    feed.send("dashboard/centre/PAINT", "dashboard.centre", other)
    model.refresh()
    boards = {(b.station, b.unassigned): b for b in model.stations}
    assert sum(r.status == "queued" for r in boards[("st-wheel-1", False)].operations) == 0
    assert model.waiting_at(boards[("st-wheel-1", False)]) == 2  # WO-2 and WO-4 of WHEEL, not PAINT's
    assert model.waiting_at(boards[("st-paint-1", False)]) == 1
    assert model.waiting_at(boards[("WHEEL", True)]) == 2


def test_drill_down_goes_from_order_to_work_orders_to_operations_with_scrap(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    model.refresh()
    drill = model.drill_down("O1")
    assert [w.id for w in drill] == ["WO-1", "WO-2", "WO-3"]
    assert [(o.op, o.scrap, o.workers) for o in drill[0].operations] == [(10, 1, ("ann",)), (20, 0, ("bob",))]
    assert model.drill_down("nope") == []


def test_only_the_changed_parts_are_reported(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    model.refresh()
    assert model.refresh() == set()
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    assert model.refresh() == {"centres", "stations", "alerts"}


def test_alert_events_between_snapshots_raise_change_and_resolve(parts: Any) -> None:
    model, feed, clock, _store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    feed.send("alerts", "alert.raised", alert(3, severity="critical"))
    model.refresh()
    assert [a.id for a in model.alerts] == [2, 3, 1]  # critical first
    assert model.alerts[0].age(clock()) == timedelta(minutes=42)
    feed.send("alerts", "alert.changed", alert(2, state="resolved"))
    model.refresh()
    assert [a.id for a in model.alerts] == [3, 1]


def test_acknowledge_goes_to_the_outbox_and_shows_pending_until_the_hub_confirms(parts: Any) -> None:
    model, feed, _clock, store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    model.refresh()
    model.acknowledge(1, " Mei ")
    (event,) = Outbox(store).after(0, 10)
    assert event.type == "alert.acknowledged" and event.body == {"alert_id": 1, "by": "Mei"}
    model.refresh()
    assert next(a for a in model.alerts if a.id == 1).pending == ("acknowledge",)
    feed.send("alerts", "alert.changed", alert(1, state="acknowledged", acknowledged_by="Mei"))
    model.refresh()
    shown = next(a for a in model.alerts if a.id == 1)
    assert shown.pending == () and shown.acknowledged_by == "Mei"


def test_a_nameless_acknowledgement_is_refused_and_nothing_is_queued(parts: Any) -> None:
    from sync.errors import ProtocolError

    model, _feed, _clock, store = parts
    with pytest.raises(ProtocolError, match="named"):
        model.acknowledge(1, "  ")
    assert Outbox(store).pending_count() == 0


def test_a_malformed_snapshot_is_recorded_as_failed_and_the_cached_state_stays(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    feed.send("dashboard/orders", "dashboard.orders", {"at": "x", "orders": "not a list"})
    model.refresh()
    assert len(model.orders) == 2
    assert feed.inbox.failures()[0]["stream"] == "dashboard/orders"


def test_stale_when_the_snapshot_is_old_or_the_link_is_down(parts: Any) -> None:
    model, feed, clock, _store = parts
    link = {"up": True}
    model.link_up = lambda: link["up"]
    assert model.stale_since() is None  # nothing received yet but the link is up: not stale, just empty
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    model.refresh()
    assert model.stale_since() is None
    clock.now = NOW + timedelta(seconds=16)
    assert model.stale_since() == NOW and "Stale since" in model.stale_text()
    clock.now = NOW + timedelta(seconds=5)
    link["up"] = False
    assert "hub link is down" in model.stale_text()


def test_work_orders_by_station_count_each_status_and_keep_unstarted_work_on_its_centre(parts: Any) -> None:
    model, feed, _clock, _store = parts
    frame = centre_body("FRAME")
    for op in frame["operations"]:
        op["station"] = "st-frame-1" if op["status"] != "queued" else None
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    feed.send("dashboard/centre/FRAME", "dashboard.centre", frame)
    assert "stations" in model.refresh()
    boards = {b.title: b for b in model.stations}
    assert list(boards) == ["st-frame-1", "st-wheel-1", "FRAME · not started"]
    assert dict(boards["st-wheel-1"].counts) == {"running": 1, "paused": 1, "queued": 1, "done": 1}
    assert [r.workers for r in boards["st-wheel-1"].running] == [("bob",)]
    assert [r.work_order for r in boards["FRAME · not started"].operations] == ["WO-2"]
    assert [b.title for b in model.station_boards("FRAME")] == ["st-frame-1", "FRAME · not started"]


def test_a_read_off_the_ui_thread_leaves_the_shown_state_until_applied(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    state, changed = model.read()
    assert model.orders == [] and "orders" in changed  # nothing shown yet: the UI thread applies it
    model.apply(state, changed)
    assert [o.id for o in model.orders] == ["O1", "O2"]
    assert model.read() == (state, set())  # nothing new in the cache: no work, no repaint


def test_a_station_serving_two_work_centres_shows_both_running_first(parts: Any) -> None:
    model, feed, _clock, _store = parts
    frame = centre_body("FRAME")
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    feed.send("dashboard/centre/FRAME", "dashboard.centre", frame)  # same station st-wheel-1
    model.refresh()
    (board,) = model.stations
    assert board.work_centres == ("FRAME", "WHEEL") and board.counts["running"] == 2
    assert [r.status for r in board.operations] == ["running"] * 2 + ["paused"] * 2 + ["queued"] * 2 + ["done"] * 2
    feed.send("dashboard/centre/FRAME", "dashboard.centre", {**frame, "operations": frame["operations"][:1]})
    model.refresh()  # only FRAME was grouped again; WHEEL's part is kept
    assert dict(model.stations[0].counts) == {"running": 1, "paused": 1, "queued": 1, "done": 2}


def test_a_board_row_with_a_bad_number_is_refused_naming_the_row_and_the_board_shown_stays(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    model.refresh()
    bad = centre_body()
    bad["operations"][2]["qty"] = "two"
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", bad)
    assert model.refresh() == set()  # nothing stored, nothing to repaint
    (failure,) = feed.inbox.failures()
    assert "operations[2]" in failure["error"] and "'qty' must be a number, got 'two'" in failure["error"]
    assert len(model.centres["WHEEL"]) == 4 and model.centres["WHEEL"][2].qty == 2
    assert feed.inbox.applied_seq("dashboard/centre/WHEEL") == 2  # the stream moved on; the next snapshot applies


def test_a_resent_board_reparses_only_the_operations_that_moved(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    model.refresh()
    before = {(r.work_order, r.op): r for r in model.centres["WHEEL"]}
    moved = centre_body()
    moved["operations"][1]["elapsed_s"] = 2405  # bob's running operation ticked on
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", moved)
    model.refresh()
    after = {(r.work_order, r.op): r for r in model.centres["WHEEL"]}
    assert after[("WO-1", 20)].elapsed_s == 2405 and after[("WO-1", 20)] is not before[("WO-1", 20)]
    assert all(after[k] is before[k] for k in before if k != ("WO-1", 20))


def test_every_station_the_catalog_declares_gets_a_board_also_with_nothing_on_it(parts: Any) -> None:
    model, feed, _clock, _store = parts
    body = centre_body()
    body["stations"] = ["st-wheel-1", "st-wheel-2"]  # st-wheel-2 has no operation of an open order
    body["operations"][2]["station"] = None  # WO-2 not started anywhere yet
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", body)
    model.refresh()
    boards = {(b.station, b.unassigned): b for b in model.stations}
    assert set(boards) == {("st-wheel-1", False), ("st-wheel-2", False), ("WHEEL", True)}
    idle = boards[("st-wheel-2", False)]
    assert idle.operations == () and idle.work_centres == ("WHEEL",) and not any(idle.counts.values())
    assert model.waiting_at(idle) == 1  # WO-2 could start there
    assert [b.station for b in model.station_boards("WHEEL")][:2] == ["st-wheel-1", "st-wheel-2"]


def test_a_board_with_a_bad_station_list_is_refused_naming_it_and_the_board_shown_stays(parts: Any) -> None:
    model, feed, _clock, _store = parts
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    model.refresh()
    for bad_list in ("st-wheel-1", [3], [""], [None]):
        feed.send("dashboard/centre/WHEEL", "dashboard.centre", {**centre_body(), "stations": bad_list})
        assert model.refresh() == set()
    failures = feed.inbox.failures()
    assert len(failures) == 4 and all("'stations' must be a list of station ids" in f["error"] for f in failures)
    assert [b.station for b in model.stations] == ["st-wheel-1"]
