"""Kiosk insights: what the real kiosk flow records (funnel, wishes, unclear options) reaches the
hub, is checked on ingest, counted in the report (API and CLI) and raises feedback alerts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.events import MemorySink
from kiosk.flow import KioskModel, Screen
from sync.catalog import load_catalog
from sync.errors import ProtocolError
from sync.hub.insights import FeedbackThresholds, check_body, feedback_warnings, insight_report
from sync.hub.insights import __main__ as insights_cli
from sync.hub.service import HubConfig, HubService
from tests.test_hub_core import SMALL, released_catalog
from tests.test_hub_service import Edge
from tests.test_kiosk_flow import Clock, find_conflict

TOKEN = "insight-token"


def kiosk_sessions() -> tuple[list[tuple[str, dict[str, Any]]], tuple[str, str, str, str]]:
    """Three customers on the real kiosk flow: one orders, one walks away, one asks three times for a refused option."""
    clock = Clock()
    model = KioskModel(load_catalog(SMALL, deep=False), MemorySink(), idle_timeout_s=60, clock=clock,
                       today=lambda: date(2026, 11, 25))
    model.start()
    model.select_product(model.products()[0].code)
    while model.screen == Screen.OPTIONS:
        clock.now += 5
        model.next()
    model.to_details()
    model.set_field("name", "Li Wei")
    model.set_field("phone", "13800138000")
    assert model.place_order() is not None
    model.reset("placed")

    model.start()
    model.select_product(model.products()[0].code)
    clock.now += 20
    model.next()
    clock.now += 61
    assert model.tick()  # walked away on the second options screen

    model.start()
    model.select_product(model.products()[0].code)
    conflict = find_conflict(model)
    a, a_opt, b, b_opt = conflict
    model.tap_option(a, a_opt)
    for _ in range(3):
        model.ask_for_combination(b, b_opt)
    model.flag_unclear(a, a_opt)
    model.reset()
    sink = model.sink
    assert isinstance(sink, MemorySink)
    return [(t, b) for t, b in sink.events if t in ("kiosk.funnel", "kiosk.feedback")], conflict


def rows(events: list[tuple[str, dict[str, Any]]], at: str = "2026-11-25T10:00:00Z") -> list[dict[str, Any]]:
    return [{"type": t, "device_id": "kiosk-1", "occurred_at": at, "body": json.dumps(b), "status": "ok"}
            for t, b in events]


SINCE, UNTIL = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def test_report_counts_sessions_conversion_and_the_screen_customers_left_from() -> None:
    events, _ = kiosk_sessions()
    report = insight_report(rows(events), SINCE, UNTIL)
    funnel = report["funnel"]
    assert funnel["sessions"] == 3
    assert funnel["outcomes"] == {"placed": 1, "abandoned": 2}
    assert funnel["conversion"] == pytest.approx(1 / 3, abs=0.001)
    screens = {s["screen"]: s for s in funnel["screens"]}
    assert screens["gallery"]["reached"] == 3
    left = [s["screen"] for s in funnel["screens"] if s["left_here"]]
    assert any(name.startswith("options:") for name in left)
    assert "details" in screens and screens["details"]["left_here"] == 0  # the customer who got there ordered
    assert funnel["screens"][0]["screen"] == "gallery"  # in the order customers meet them


def test_report_ranks_wished_combinations_with_the_choices_they_clashed_with() -> None:
    events, (a, a_opt, b, b_opt) = kiosk_sessions()
    report = insight_report(rows(events), SINCE, UNTIL)
    (wish,) = report["combination_requests"]
    assert (wish["attribute"], wish["option"], wish["count"]) == (b, b_opt, 3)
    assert wish["with"][0] == {"choice": f"{a}={a_opt}", "count": 3}
    assert report["unclear_options"] == [{"product": wish["product"], "attribute": a, "option": a_opt, "count": 1}]


def test_events_outside_the_period_or_rejected_are_not_counted() -> None:
    events, _ = kiosk_sessions()
    old = rows(events, at="2026-10-01T10:00:00Z")
    rejected = [{**r, "status": "rejected"} for r in rows(events)]
    report = insight_report(old + rejected, SINCE, UNTIL)
    assert report["funnel"]["sessions"] == 0 and report["combination_requests"] == []


def test_feedback_warnings_need_the_threshold() -> None:
    events, _ = kiosk_sessions()
    report = insight_report(rows(events), SINCE, UNTIL)
    assert [w["key"].split(":")[1] for w in feedback_warnings(report, FeedbackThresholds())] == ["wish"]
    keys = [w["key"].split(":")[1] for w in feedback_warnings(report, FeedbackThresholds(4, 1))]
    assert keys == ["unclear"]


@pytest.mark.parametrize("type_, body, field", [
    ("kiosk.funnel", {"session": "s", "outcome": "placed", "product": None, "steps": "gallery"}, "steps"),
    ("kiosk.funnel", {"session": "s", "outcome": "placed", "steps": [{"screen": "gallery", "seconds": -1}]},
     "seconds"),
    ("kiosk.funnel", {"outcome": "placed", "steps": []}, "session"),
    ("kiosk.feedback", {"kind": "praise", "product": "BIKE"}, "kind"),
    ("kiosk.feedback", {"kind": "combination_request", "product": "BIKE", "wanted": {"a": "x", "b": "y"},
                        "choices": {}}, "wanted"),
    ("kiosk.feedback", {"kind": "unclear_option", "product": "BIKE", "attribute": "colour"}, "option"),
])
def test_a_malformed_body_is_refused_naming_the_field(type_: str, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ProtocolError, match=field):
        check_body(type_, body)


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Any) -> Iterator[tuple[HubService, Edge, Path]]:
    released_catalog(tmp_path / "catalog.db").close()
    service = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                                   devices=["kiosk-1"], tick_seconds=0.2, api_port=0, api_tokens=[TOKEN])).start()
    assert service.wait_ready(20)
    kiosk = Edge(tmp_path, "kiosk-1", mosquitto.port)
    kiosk.sync.start()
    yield service, kiosk, tmp_path
    kiosk.sync.stop()
    service.stop()


@pytest.mark.broker
def test_kiosk_feedback_through_the_hub_raises_one_alert_and_shows_in_the_api(
        hub: tuple[HubService, Edge, Path]) -> None:
    service, kiosk, _ = hub
    events, (_, _, b, b_opt) = kiosk_sessions()
    acks = [kiosk.ack(kiosk.send(t, body)) for t, body in events]
    assert [a.status for a in acks] == ["ok"] * len(acks)
    bad = kiosk.ack(kiosk.send("kiosk.funnel", {"session": "x", "outcome": "placed", "steps": "nope"}))
    assert bad.status == "rejected" and "steps" in bad.reason
    feedback = service.store.query("SELECT * FROM alerts WHERE kind = 'feedback'")
    assert len(feedback) == 1 and f"{b}={b_opt}" in feedback[0]["subject"]  # raised once, not on every wish
    assert feedback[0]["severity"] == "info"
    assert service.api is not None
    reply = requests.get(f"http://127.0.0.1:{service.api.port}/api/v1/insights",
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10,
                         params={"since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()})
    assert reply.status_code == 200
    report = reply.json()
    assert report["funnel"]["sessions"] == 3  # the rejected one is not counted
    assert report["combination_requests"][0]["count"] == 3


@pytest.mark.broker
def test_insights_cli_prints_the_report_and_names_a_missing_database(
        hub: tuple[HubService, Edge, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, kiosk, tmp_path = hub
    events, (_, _, b, b_opt) = kiosk_sessions()
    for t, body in events:
        kiosk.ack(kiosk.send(t, body))
    assert insights_cli.main(["--db", str(tmp_path / "hub.db")]) == 0
    text = capsys.readouterr().out
    assert "Sessions: 3" in text and f"3 × BIKE {b}={b_opt}" in text
    assert insights_cli.main(["--db", str(tmp_path / "hub.db"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["funnel"]["outcomes"] == {"placed": 1, "abandoned": 2}
    assert insights_cli.main(["--db", str(tmp_path / "nowhere.db")]) == 2
    err = capsys.readouterr().err
    assert "no hub database" in err and "nowhere.db" in err
    assert not (tmp_path / "nowhere.db").exists()
    assert insights_cli.main(["--db", str(tmp_path / "hub.db"), "--since", "last tuesday"]) == 2
    assert "--since" in capsys.readouterr().err


@pytest.mark.parametrize("command, argv, named", [
    (insights_cli.main, ["--since", "2026-12-10", "--until", "2026-12-01"], "is not before --until"),
    (insights_cli.demand_main, ["--at", "9999-12-31T00:00:00Z"], "--at"),  # an OverflowError traceback
    (insights_cli.demand_main, ["--at", "1900-01-01"], "outside 2000-01-01"),  # an empty report, silently
])
def test_the_cli_refuses_a_period_or_moment_the_api_refuses_naming_the_argument(
        command: Any, argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A planner's review: the API refused these with 400; the command line printed an empty report or crashed."""
    assert command(["--db", str(tmp_path / "hub.db"), *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err, err


@pytest.mark.parametrize("days", ["0", "-5"])
def test_popular_refuses_a_period_of_no_days(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        insights_cli.popular_main(["--days", days])
    assert exit_.value.code == 2 and "--days must be at least 1" in capsys.readouterr().err

