"""Purchasing as a buyer works it through the integration API (served for real on loopback, each answer checked
against docs/openapi.yaml): the five defects a purchaser's review of the live demo found, each pinned by a test."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sync.hub.api import ApiServer, create_app
from sync.hub.core import HubOptions
from tests.test_hub_core import MONDAY_8, SMALL, Hub, released_catalog
from tests.test_hub_integration_api import READ, WRITE, Api


def _lead(days: int, safety: int = 0) -> Callable[[str], str]:
    """An edit of the small catalog's items.yaml: the small battery (BATT-S) bought with ``days`` of lead time
    (and ``safety`` in safety stock)."""
    extra = f"lead_time_days: {days}, " + (f"safety_stock: {safety}, " if safety else "")

    def edit(text: str) -> str:
        old = "unit_cost: 900, supplier: Cells Inc"
        assert old in text, "the small catalog's small battery"
        return text.replace(old, f"unit_cost: 900, {extra}supplier: Cells Inc")
    return edit


class Site:
    """A hub over real SQLite files (tests.test_hub_core.Hub) with its API served on loopback; writes go through
    the API with the integrate token and an Idempotency-Key, at the moment ``at`` the test gives (the API's clock)."""

    def __init__(self, tmp_path: Path, edit: Callable[[str], str] | None = None, zone: tzinfo = UTC) -> None:
        if edit is not None:  # the small catalog with items.yaml edited, released as BIKE revision 1
            source = tmp_path / "catalog-source"
            shutil.copytree(SMALL, source)
            items = source / "items.yaml"
            items.write_text(edit(items.read_text(encoding="utf-8")), encoding="utf-8")
            released_catalog(tmp_path / "catalog.db", source).close()  # the Hub opens it again
        self.hub = Hub(tmp_path, HubOptions(zone=zone))
        self.now = MONDAY_8
        self.keys = 0
        self._serve()

    def _serve(self) -> None:
        app = create_app(self.hub.core, [READ], now=lambda: self.now, integrate_tokens=[WRITE])
        self.server = ApiServer(app).start()
        self.api = Api(f"http://127.0.0.1:{self.server.port}", self.hub, app)

    def post(self, path: str, body: dict[str, Any], at: datetime) -> dict[str, Any]:
        """One write at ``at``, answered 201."""
        self.now = at
        self.keys += 1  # unique over restarts: the store keeps every key it answered
        answer = self.api.call("POST", path, json_body=body, key=f"purchasing-{self.keys}")
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def get(self, path: str, **params: str) -> Any:
        answer = self.api.call("GET", path, params=params or None)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def requisitions(self) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/requisitions", status="all"))

    def order(self, order_id: str) -> dict[str, Any]:
        return next(o for o in self.get("/api/v1/orders") if o["id"] == order_id)

    def starts(self, order_id: str) -> dict[str, str]:
        """When each work order of the order starts, as stored (and sent to its stations)."""
        return {r["id"]: r["start"] for r in self.hub.store.query(
            "SELECT w.id, MIN(o.planned_start) AS start FROM work_orders w JOIN wo_ops o ON o.work_order = w.id "
            "WHERE w.order_id = ? GROUP BY w.id ORDER BY w.id", [order_id])}

    def restart(self) -> None:
        """The hub stops and starts again: it plans from what its store replays."""
        self.server.stop()
        self.hub.store.close()
        self.hub.open()
        self._serve()

    def close(self) -> None:
        self.server.stop()
        self.hub.store.close()


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    made: list[Site] = []

    def make(edit: Callable[[str], str] | None = None, zone: tzinfo = UTC) -> Site:
        made.append(Site(tmp_path, edit, zone))
        return made[-1]
    yield make
    for site in made:
        site.close()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_cancelling_a_cancelled_orders_requisition_buys_the_part_again_for_the_order_that_took_its_lot(
        make_site: Callable[..., Site]) -> None:
    """The review: a cancelled order's battery became a free lot the next order took; when the buyer then
    cancelled that requisition the planner returned nothing, and the next order stayed promised on a battery
    nobody buys (no requisition, no alert)."""
    site = make_site(_lead(20))
    site.hub.order("O1")
    (first,) = [r for r in site.requisitions() if r["item"] == "BATT-S"]
    with site.hub.store.transaction() as tx:  # the customer cancels at the kiosk: the battery is still on order
        site.hub.core.on_order_cancelled(tx, "ev-cancel", {"order_id": "O1"}, MONDAY_8 + timedelta(minutes=5))
    site.hub.order("O2", now=MONDAY_8 + timedelta(minutes=10))
    o2 = site.order("O2")
    assert [r for r in site.requisitions() if r["order_number"] == o2["number"]] == [], \
        "the second bike takes the cancelled order's lots: it buys nothing of its own"
    assert "BATT-S" in o2["promise_reason"], "it waits for the cancelled order's battery"

    answer = site.post(f"/api/v1/requisitions/{first['id']}/cancellation",
                       {"by": "buyer", "reason": f"order {first['order_number']} was cancelled"},
                       MONDAY_8 + timedelta(hours=1))

    coming = [r for r in site.requisitions() if r["item"] == "BATT-S" and r["status"] in ("open", "ordered")]
    assert len(coming) == 1, f"the second bike's battery is bought again: {coming}"
    (again,) = coming
    assert (again["order_number"], again["work_order"], again["qty"]) == (o2["number"], f"{o2['number']}-01", 1), \
        "one battery, for the final assembly of the second bike"
    assert answer["requisitions_raised"] == [again["id"]] and answer["replaced_by"] is None, \
        "raised for the order that took the lot; the cancelled order itself needs nothing"
    assert site.hub.store.query("SELECT replaces FROM requisitions WHERE id = ?", [again["id"]])[0]["replaces"] \
        == first["id"]
    start = site.starts("O2")[again["work_order"]]
    assert _at(start) >= _at(again["due_date"]), "its final assembly waits for the battery now bought"
    # a restart replays the same: still that one battery to come, neither lost nor bought twice
    site.restart()
    site.post("/api/v1/stock/counts", {"item": "RIM-26", "counted": 10, "by": "ann"},
              MONDAY_8 + timedelta(hours=1, minutes=5))
    assert [r["id"] for r in site.requisitions()
            if r["item"] == "BATT-S" and r["status"] in ("open", "ordered")] == [again["id"]]


def test_closing_a_part_received_requisition_short_frees_its_own_work_order_and_a_restart_plans_the_same(
        make_site: Callable[..., Site]) -> None:
    """The review: a requisition of two batteries (one for the bike, one safety stock) closed after the first
    came: the bike's assembly still waited for the old due date three weeks out, the reason still named that
    delivery, and a restarted hub planned otherwise."""
    site = make_site(_lead(20, safety=1))
    site.hub.order("O1")
    (batt,) = [r for r in site.requisitions() if r["item"] == "BATT-S"]
    due = MONDAY_8 + timedelta(days=20)  # 20 days' lead time from the order
    assert (batt["qty"], _at(batt["due_date"])) == (2, due), "one for the bike and one safety stock"
    own = batt["work_order"]
    assert _at(site.starts("O1")[own]) >= due and "BATT-S" in site.order("O1")["promise_reason"]

    site.post("/api/v1/receipts", {"requisition": batt["id"], "qty": 1, "by": "gate"}, MONDAY_8 + timedelta(hours=1))
    closed_at = MONDAY_8 + timedelta(hours=1, minutes=1)
    answer = site.post(f"/api/v1/requisitions/{batt['id']}/closing", {"by": "buyer", "reason": "rest not coming"},
                       closed_at)

    assert answer["requisitions_raised"] == [], "the one received is the one the bike needs: nothing bought again"
    live = site.starts("O1")
    assert _at(live[own]) < due, f"{own} no longer waits for the delivery closed short: starts {live[own]}"
    assert _at(live[own]).date() == closed_at.date(), "everything it needs is in: it starts the same day"
    reason = site.order("O1")["promise_reason"]
    assert "BATT-S" not in reason, reason
    # restarted, the hub replays the store and plans the same (a replan at the moment of the close)
    site.restart()
    site.post("/api/v1/stock/counts", {"item": "RIM-26", "counted": 10, "by": "ann"}, closed_at)
    assert site.starts("O1") == live
    assert site.order("O1")["promise_reason"] == reason


def test_a_part_receipt_that_covers_the_work_orders_need_lets_it_start_and_a_restart_plans_the_same(
        make_site: Callable[..., Site]) -> None:
    """The purchaser's review: 1 of 2 batteries came (1 for the bike, 1 safety stock), but a part receipt never
    served the order: its assembly waited three weeks for the rest and its station refused the start."""
    site = make_site(_lead(20, safety=1))
    site.hub.order("O1")
    (batt,) = [r for r in site.requisitions() if r["item"] == "BATT-S"]
    due = MONDAY_8 + timedelta(days=20)
    own = batt["work_order"]

    def awaiting() -> dict[str, str]:
        (row,) = site.hub.store.query("SELECT body FROM work_orders WHERE id = ?", [own])
        return json.loads(row["body"]).get("awaiting") or {}

    assert _at(site.starts("O1")[own]) >= due and "BATT-S" in awaiting()
    came = MONDAY_8 + timedelta(hours=1)
    answer = site.post("/api/v1/receipts", {"requisition": batt["id"], "qty": 1, "by": "gate"}, came)
    assert answer["status"] == "received", "the safety battery is still to come"
    live = site.starts("O1")
    assert _at(live[own]).date() == came.date(), f"{own} has its battery: it starts today, not {live[own]}"
    assert "BATT-S" not in awaiting() and "BATT-S" not in site.order("O1")["promise_reason"]
    assert [r["status"] for r in site.requisitions() if r["id"] == batt["id"]] == ["received"]
    site.restart()
    site.post("/api/v1/stock/counts", {"item": "RIM-26", "counted": 10, "by": "ann"}, came)
    assert site.starts("O1") == live and "BATT-S" not in awaiting()


def test_purchase_orders_list_what_is_still_to_come_per_supplier_and_site_day(make_site: Callable[..., Site]) -> None:
    """The review: GET /purchase-orders gave one entry per requisition's due moment (one PO per order), listed
    closed requisitions at their full quantity and a part-received one whole, and ignored the date and supplier
    that confirmed one."""
    site = make_site(zone=ZoneInfo("Asia/Shanghai"))  # the site's day: UTC+8
    placed = {"O1": datetime(2026, 11, 23, 20, 0, tzinfo=UTC),  # 24 Nov 04:00 at the site (still the 23rd in UTC)
              "O2": datetime(2026, 11, 24, 1, 0, tzinfo=UTC),  # 24 Nov 09:00
              "O3": datetime(2026, 11, 24, 2, 0, tzinfo=UTC)}  # 24 Nov 10:00
    for order_id, at in placed.items():
        site.hub.order(order_id, now=at)
    number = {o: site.order(o)["number"] for o in placed}
    req = {(r["order_number"], r["item"]): r for r in site.requisitions()}
    for order_id, at in placed.items():  # no lead times in the small catalog: each is due when its order came
        for item, qty in (("BOLT", 4), ("MOTOR-HUB", 1), ("BATT-S", 1)):
            assert (req[number[order_id], item]["qty"], _at(req[number[order_id], item]["due_date"])) == (qty, at)
    # 4 rims in stock: two bikes' worth; the third buys its 2
    assert [(r["order_number"], r["qty"]) for r in req.values() if r["item"] == "RIM-28"] == [(number["O3"], 2)]

    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 11:00 at the site
    site.post("/api/v1/receipts", {"requisition": req[number["O1"], "BOLT"]["id"], "qty": 4, "by": "gate"}, now)
    site.post("/api/v1/receipts", {"requisition": req[number["O2"], "BOLT"]["id"], "qty": 1, "by": "gate"}, now)
    site.post(f"/api/v1/requisitions/{req[number['O3'], 'MOTOR-HUB']['id']}/confirmation",
              {"po_number": "PO-7", "supplier": "Bafang Motors", "confirmed_date": "2026-12-02", "by": "buyer"}, now)
    site.post("/api/v1/receipts", {"requisition": req[number["O3"], "BATT-S"]["id"], "qty": 0.5, "by": "gate"}, now)
    closed = site.post(f"/api/v1/requisitions/{req[number['O3'], 'BATT-S']['id']}/closing", {"by": "buyer"}, now)
    (rebuy,) = [r for r in site.requisitions() if r["id"] == closed["replaced_by"]]
    assert (rebuy["qty"], _at(rebuy["due_date"])) == (0.5, now), "the half battery that did not come, bought again"

    found = site.get("/api/v1/purchase-orders")
    expected = [  # sorted by day, then supplier
        ("Bolts Co", "2026-11-24", {"BOLT": 0 + (4 - 1) + 4}),  # O1's received in full (closed), 1 of O2's in
        ("Cells Inc", "2026-11-24", {"BATT-S": 1 + 1 + 0 + 0.5}),  # O3's closed short: only its rebuy is to come
        ("Motors Co", "2026-11-24", {"MOTOR-HUB": 1 + 1}),  # O3's motor is confirmed elsewhere
        ("Rims Co", "2026-11-24", {"RIM-28": 2}),
        ("Bafang Motors", "2026-12-02", {"MOTOR-HUB": 1}),  # the confirmed day at the site (16:00 UTC on the 1st)
    ]
    assert [(p["supplier"], p["due_date"], {line["item"]: line["qty"] for line in p["lines"]}) for p in found] \
        == expected


@pytest.mark.parametrize("withdrawal", ["cancellation", "closing"])
def test_a_replacement_requisition_is_needed_when_its_work_order_needs_it_not_when_it_was_raised(
        make_site: Callable[..., Site], withdrawal: str) -> None:
    """The review: a requisition bought again (its first one cancelled, or closed short, while the order still
    needed the part) carried the moment it was raised as its need date, so every confirmation of it answered
    late: true, even one for the day the part was due."""
    site = make_site(_lead(20))
    site.hub.order("O1")
    (batt,) = [r for r in site.requisitions() if r["item"] == "BATT-S"]
    top = batt["work_order"]
    site.hub.build_parts(top, MONDAY_8)  # the wheels are built: the bike's assembly waits for its battery only
    raised_at = MONDAY_8 + timedelta(hours=1)
    if withdrawal == "closing":  # half a battery came, the supplier sends no more
        site.post("/api/v1/receipts", {"requisition": batt["id"], "qty": 0.5, "by": "gate"},
                  raised_at - timedelta(minutes=1))

    answer = site.post(f"/api/v1/requisitions/{batt['id']}/{withdrawal}", {"by": "buyer"}, raised_at)

    (again,) = [r for r in site.requisitions() if r["id"] == answer["replaced_by"]]
    due = raised_at + timedelta(days=20)  # Sunday 13 Dec 09:00: 20 days' lead time from the withdrawal
    assert (again["work_order"], again["qty"], _at(again["due_date"])) == \
        (top, 1 if withdrawal == "cancellation" else 0.5, due)
    # the assembly centre works Monday to Saturday from 08:00: the battery is needed on Monday 14 Dec at 08:00
    needed = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
    assert due.weekday() == 6 and needed - due == timedelta(hours=23)
    assert _at(site.starts("O1")[top]) == needed, "the bike's assembly waits for the replacement"
    assert _at(again["need_date"]) == needed, f"needed when its work order needs it, not {raised_at} (raised)"

    confirmed = site.post(f"/api/v1/requisitions/{again['id']}/confirmation",
                          {"po_number": "PO-2", "supplier": "Cells Inc", "confirmed_date": "2026-12-13", "by": "buyer"},
                          raised_at + timedelta(minutes=5))
    assert _at(confirmed["confirmed_date"]) < needed
    assert confirmed["late"] is False, "confirmed for the day before it is needed"


def test_orders_moved_names_only_the_orders_whose_stored_promise_changed(make_site: Callable[..., Site]) -> None:
    """The review: a confirmation that put a battery 53 minutes after its need answered orders_moved naming
    both orders, their promise to the customer unchanged (only the plan's internal finish had moved)."""
    site = make_site()
    site.hub.order("O1")
    site.hub.order("O2")
    batteries = {r["order_number"]: r for r in site.requisitions() if r["item"] == "BATT-S"}
    numbers = [site.order(o)["number"] for o in ("O1", "O2")]
    assert sorted(batteries) == numbers
    promised = {o["number"]: o["promise"] for o in site.get("/api/v1/orders")}
    first = batteries[numbers[0]]
    started = _at(site.starts("O1")[first["work_order"]])

    late = _at(first["need_date"]) + timedelta(minutes=53)
    answer = site.post(f"/api/v1/requisitions/{first['id']}/confirmation",
                       {"po_number": "PO-1", "supplier": "Cells Inc", "confirmed_date": late.isoformat(), "by": "buyer"},
                       MONDAY_8 + timedelta(minutes=5))
    assert answer["late"] is True
    assert _at(site.starts("O1")[first["work_order"]]) - started == timedelta(minutes=53), \
        "the assembly waits 53 minutes more for its battery"
    now = {o["number"]: o["promise"] for o in site.get("/api/v1/orders")}
    assert now == promised, "the same day: no customer's promise moved"
    assert answer["orders_moved"] == [], "no order's promise moved"

    # a battery three weeks late does move its order's promise: that order, and only it, is named
    answer = site.post(f"/api/v1/requisitions/{batteries[numbers[1]]['id']}/confirmation",
                       {"po_number": "PO-2", "supplier": "Cells Inc", "confirmed_date": "2026-12-07", "by": "buyer"},
                       MONDAY_8 + timedelta(minutes=6))
    after = {o["number"]: o["promise"] for o in site.get("/api/v1/orders")}
    assert after[numbers[1]][:10] >= "2026-12-07" and after[numbers[0]] == promised[numbers[0]]
    assert answer["orders_moved"] == [n for n in numbers if after[n] != now[n]] == [numbers[1]]
