"""Alert sentences in the board's language: the hub's own alert functions raise them (real data, stored
and sent as the hub does), the board writes each in English and Chinese from its facts, and falls back
to the hub's English message for what it has no sentence for."""

from __future__ import annotations

import json
import logging
import re
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from sync.hub import alerts as hub
from sync.hub.core import alert_body
from sync.orders import PlacedOrder
from sync.station.timing import OpEvent, derive
from terminal.dashboard.alert_text import SHARE, TEMPLATES, WHY, alert_text
from terminal.dashboard.model import AlertRow, _facts
from terminal.station import texts
from terminal.station.zh_cn import ZH_CN

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai, a Friday


@pytest.fixture(autouse=True)
def english():
    yield
    texts.use("en")


def raised() -> dict[str, hub.Candidate]:
    """One alert of each kind the board writes: from the hub's own alert functions where they are plain
    functions; promise, demand and stock alerts with the data those hub modules build (core, demand, stock)."""
    started = [OpEvent("op.started", NOW - timedelta(minutes=30), "E-0042")]
    state = derive(started, NOW, standard=600.0)  # 30 min of a 10 min standard
    qc = hub.QcWindow(minimum=5)
    for i in range(6):
        qc.add(NOW - timedelta(minutes=i), passed=i % 2 == 0)
    promise = datetime(2026, 12, 3, 23, 59, 59, tzinfo=SHANGHAI)  # a promise is the end of a site day
    found = {
        "overrun": hub.overruns([("K1-0001-02", 10, "ASSY", state)], {}, 1.2)[0],
        "qc_rate": qc.check("QC", NOW),
        "silent_station": hub.silent_stations({"st-weld-2": NOW - timedelta(minutes=12)}, NOW)[0],
        "order_late": hub.late_orders([("0b1c-uuid", promise, None, False)], NOW, {"0b1c-uuid": "K1-0007"})[0],
        "material_short": hub.material_shortages([("K1-0001-09", NOW, "MOTOR-MID-85", NOW + timedelta(days=5))],
                                             NOW, SHANGHAI)[0],
        "promise_later": hub.Candidate("promise_later:x", "promise_later", "warning", "K1-0003",
                                   "order K1-0003 will be ready Tue 15 Dec instead of Tue 08 Dec: ...",
                                   {"order_id": "x", "was": "2026-12-08T08:00:00+00:00",
                                    "promise": "2026-12-15T08:00:00+00:00", "reason": "QC is booked"}),
        # what the hub sends since a purchaser's review found the board dropped the why (sync.planning's facts)
        "promise_later_why": hub.Candidate(
            "promise_later:y", "promise_later", "warning", "K1-0002",
            "order K1-0002 will be ready Tue 02 Feb instead of Tue 12 Jan: MOTOR-MID-85 from Tokai arrives ...",
            {"order_id": "y", "was": "2027-01-12T15:59:59+00:00", "promise": "2027-02-02T15:59:59+00:00",
             "reason": "MOTOR-MID-85 from Tokai arrives Mon 01 Feb (45 of 58 days)",
             "why": {"kind": "material", "item": "MOTOR-MID-85", "supplier": "Tokai",
                     "until": "2027-02-01T14:00:00+08:00", "waited": 45, "of": 58, "unit": "days"}}),
        "demand_short": hub.Candidate("demand_short:BAT-750", "demand_short", "warning", "BAT-750", "BAT-750 runs short",
                                  {"item": "BAT-750", "runs_short_on": "2026-12-21", "order_by": "2026-12-09",
                                   "order_qty": 12.0, "supplier": "Giant Supply", "lead_time_days": 12}),
        "demand_short_passed": hub.Candidate("demand_short:RAIN-COVER", "demand_short", "critical", "RAIN-COVER",
                                         "RAIN-COVER runs short ... (that day has passed: order now and expedite)",
                                         {"item": "RAIN-COVER", "runs_short_on": "2026-12-05",
                                          "order_by": "2026-11-14", "order_qty": 1.0, "supplier": "Ningbo Carrier",
                                          "lead_time_days": 21, "order_by_passed": True}),
        "demand_capacity": hub.Candidate("demand_capacity:QC:2026-12-14", "demand_capacity", "warning", "QC 2026-12-14",
                                     "QC is loaded 112%", {"work_centre": "QC", "week": "2026-12-14", "load": 1.12}),
        "price_mismatch": hub.price_mismatch(
            PlacedOrder("0b1c-uuid", "CARGO", 3, {}, 1, Decimal("100"), "CNY"), "K1-0009", "kiosk-1",
            Decimal("12999"), "CNY"),
        "scrap": hub.scrapped("e1", "K1-0001-11", 10, "ASSY", 1, "Damaged part", "st-assy-1", []),
        "scrap_remade": hub.scrapped("e2", "K1-0001-11", 10, "ASSY", 2, "Damaged part", "st-assy-1", ["K1-0001-12"]),
        "stop": hub.stopped([("K1-0001-11", 10, "ASSY", derive(
            [*started, OpEvent("op.paused", NOW - timedelta(minutes=12), "E-0042", reason="Material missing")], NOW,
            standard=600.0))], lambda _wo, _op: "st-assy-1", SHANGHAI)[0],
        "stock_short": hub.Candidate("stock_short:BAT", "stock_short", "warning", "BAT-625", "BAT-625: 0 on hand ...",
                                 {"item": "BAT-625", "short": 2.0, "orders": ["K1-0001"]}),
    }
    assert all(c is not None for c in found.values())
    return found  # type: ignore[return-value]


def as_board_gets_it(candidate: hub.Candidate, book: hub.AlertBook) -> AlertRow:
    """Stored in the hub's alert table, sent as its alert body, read back as the board's cache does."""
    row = book.raise_(candidate, NOW)
    assert row is not None
    body = json.loads(json.dumps(alert_body(row)))  # over MQTT and into the board's cache as JSON
    return AlertRow(int(body["id"]), body["kind"], body["severity"], body["subject"], body["message"], body["state"],
                    NOW, "", (), _facts(body.get("data")))


def test_every_kind_the_board_writes_reads_in_english_and_chinese_with_its_facts_in_the_site_zone() -> None:
    book = hub.AlertBook(sqlite_utils.Database(memory=True))
    alerts = {kind: as_board_gets_it(c, book) for kind, c in raised().items()}
    assert set(alerts) == set(TEMPLATES)
    facts = {"overrun": ["K1-0001-02", "10", "ASSY", "300%"], "qc_rate": ["QC", "50%", "6"],
             "silent_station": ["st-weld-2", "13:48"], "order_late": ["K1-0007"],
             "material_short": ["K1-0001-09", "MOTOR-MID-85"], "promise_later": ["K1-0003"],
             "promise_later_why": ["K1-0002", "MOTOR-MID-85", "Tokai", "45", "58"],
             "stock_short": ["BAT-625", "2"], "demand_short": ["BAT-750", "12"], "demand_capacity": ["QC", "112%"],
             "demand_short_passed": ["RAIN-COVER", "1"], "price_mismatch": ["K1-0009", "¥100", "¥12,999"],
             "scrap": ["K1-0001-11", "10", "ASSY", "1"], "scrap_remade": ["K1-0001-11", "2", "K1-0001-12"],
             "stop": ["K1-0001-11", "10", "st-assy-1", "13:48"]}
    for language in ("en", "zh_CN"):
        texts.use(language)
        for kind, alert in alerts.items():
            shown = alert_text(alert, SHANGHAI)
            assert shown != alert.message, (kind, "the hub's English was shown")
            for fact in facts[kind]:
                assert fact in shown, (language, kind, fact, shown)
            has_chinese = bool(re.search(r"[\u4e00-\u9fff]", shown))
            assert has_chinese == (language == "zh_CN"), (language, shown)
    texts.use("en")
    assert "Wed 9 Dec" in alert_text(alerts["material_short"], SHANGHAI)  # 5 days on, the site's day
    # a promise is a day: its end (23:59) is not a time anyone was promised
    assert alert_text(alerts["order_late"], SHANGHAI) == "Order K1-0007 will miss its promise of Thu 3 Dec"
    assert alert_text(alerts["promise_later"], SHANGHAI) == \
        "Order K1-0003 will be ready Tue 15 Dec instead of Tue 8 Dec: tell the customer"
    assert alert_text(alerts["promise_later_why"], SHANGHAI) == (
        "Order K1-0002 will be ready Tue 2 Feb instead of Tue 12 Jan: MOTOR-MID-85 from Tokai arrives Mon 1 Feb "
        "(45 of 58 days). Tell the customer")
    texts.use("zh_CN")
    assert "MOTOR-MID-85（Tokai）于 2月1日 周一 到货（占 58 天中的 45 天）" in alert_text(alerts["promise_later_why"], SHANGHAI)
    texts.use("en")
    texts.use("zh_CN")
    assert "12月9日 周三" in alert_text(alerts["material_short"], SHANGHAI)
    assert "12月9日 周三" in alert_text(alerts["demand_short"], SHANGHAI)  # a day, no zone shift
    texts.use("en")
    assert "Wed 9 Dec" in alert_text(alerts["demand_short"], SHANGHAI)
    # a day to order by that has passed is not shown as what to do: "order now", and the day it was due
    assert "now and expedite (it was due by Sat 14 Nov)" in alert_text(alerts["demand_short_passed"], SHANGHAI)
    assert "now" not in alert_text(alerts["demand_short"], SHANGHAI)
    texts.use("zh_CN")
    assert "请立即订购 1" in alert_text(alerts["demand_short_passed"], SHANGHAI)
    assert alert_text(alerts["scrap"], SHANGHAI) == "K1-0001-11 第 10 道工序（ASSY）报废 1 件：零件损坏"
    assert alert_text(alerts["stop"], SHANGHAI).endswith("在 st-assy-1 停工：缺料")
    texts.use("en")
    assert alert_text(alerts["stop"], SHANGHAI).endswith("13:48: Material missing")
    assert alert_text(alerts["scrap_remade"], SHANGHAI) == \
        "2 scrapped at operation 10 of K1-0001-11 (ASSY): Damaged part. Made again by K1-0001-12"


def test_each_chinese_sentence_takes_exactly_the_facts_of_its_english_one() -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for kind, (english, _facts_of) in TEMPLATES.items():
        assert english in ZH_CN, f"{kind}: no Chinese sentence"
        assert fields(ZH_CN[english]) == fields(english), kind
    for english in (*WHY.values(), *SHARE.values()):  # the parts of a moved promise's reason
        assert english in ZH_CN and fields(ZH_CN[english]) == fields(english), english


def test_an_alert_without_a_sentence_or_with_other_data_shows_the_hubs_message_and_logs_why(caplog) -> None:
    plain = AlertRow(1, "hub_fault", "warning", "hub", "hub restarted its ingest loop", "raised", NOW, "", (), {"x": 1})
    assert alert_text(plain, SHANGHAI) == "hub restarted its ingest loop"
    odd = AlertRow(2, "overrun", "warning", "WO/10", "operation 10 of WO ran long", "raised", NOW, "", (),
                   {"work_order": "WO"})  # an older hub's data, without the ratio
    with caplog.at_level(logging.WARNING, logger="floorlink.dashboard"):
        assert alert_text(odd, SHANGHAI) == "operation 10 of WO ran long"
    assert "does not fit its sentence" in caplog.text
    old = AlertRow(3, "overrun", "warning", "WO/10", "from a hub that sends no data", "raised", NOW, "", ())
    assert alert_text(old, SHANGHAI) == "from a hub that sends no data"
    assert _facts("not json") == {} and _facts('{"a": 1}') == {"a": 1} and _facts([1]) == {}


def test_an_alert_and_the_orders_tab_write_the_same_day_alike() -> None:
    """The wall board wrote a promise as 12月9日 周三 and the alert about it as 12月9日（周三）; one way now,
    without brackets (a moved promise's cell brackets the first date after it: no brackets inside brackets)."""
    from terminal.dashboard.model import site_time

    promise = datetime(2026, 12, 9, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    for language, day in (("en", "Wed 9 Dec"), ("zh_CN", "12月9日 周三")):
        texts.use(language)
        assert site_time(promise, SHANGHAI, clock=False) == day
        assert site_time(promise, SHANGHAI).startswith(day) and site_time(promise, SHANGHAI).endswith("23:59")
        shortage = as_board_gets_it(raised()["material_short"], hub.AlertBook(sqlite_utils.Database(memory=True)))
        assert day in alert_text(shortage, SHANGHAI)
