"""The wall board speaks the site's language: the hub's time zone, order numbers, customers by given name.

A real hub (Asia/Shanghai) plans numbered orders; its real snapshots feed the real dashboard widgets
offscreen on a machine whose own zone is not Shanghai; the Orders tab and a drill-down are saved as PNGs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sync.hub.core import HubOptions
from sync.hub.dashboard_feed import centre_bodies, orders_body
from sync.orders import short_name
from terminal.dashboard.model import site_time
from terminal.qt import Qt
from tests.test_hub_core import MONDAY_8, Hub

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("name, shown", [
    ("Anna Schmidt", "Anna S."), ("Mary Ann O'Neil", "Mary O."), ("Madonna", "Madonna"),
    ("王伟", "王*"), ("李小娜", "李*娜"), ("欧阳娜娜", "欧阳*娜"), ("司马相如", "司马*如"),
    ("阿依古丽·买买提", "阿依古丽 M."), ("王", "王"), ("  ", ""),
])
def test_a_customer_shows_as_given_name_and_initial_or_masked_the_chinese_way(name: str, shown: str) -> None:
    assert short_name(name) == shown


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(tmp_path, HubOptions(zone=SHANGHAI))
    h.first = h.order("56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02", number="K1-0042")  # type: ignore[attr-defined]
    h.order("9a1b7c3d-0000-4000-8000-000000000001", number="K2-0007", colour="red")
    with h.store.transaction() as tx:  # two real customers (the helper orders as Li Wei)
        tx.execute("UPDATE orders SET customer = ? WHERE number = 'K1-0042'",
                   [json.dumps({"name": "Anna Schmidt", "phone": "13800138000"})])
        tx.execute("UPDATE orders SET customer = ? WHERE number = 'K2-0007'",
                   [json.dumps({"name": "王伟", "phone": "13912345678"}, ensure_ascii=False)])
    yield h
    h.store.close()


def bodies(hub: Hub, now: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    progress = hub.core.orders_progress(now)
    return orders_body(hub.core, progress, now, None), centre_bodies(hub.core, progress, now)


def test_the_feed_carries_the_site_zone_numbers_and_short_names_never_the_full_name_or_phone(hub: Hub) -> None:
    now = MONDAY_8 + timedelta(days=30)  # both orders late: the alerts name them too
    late = {o.number for o in hub.core.orders_progress(now) if o.late}
    assert late == {"K1-0042", "K2-0007"}
    hub.core.tick(now)  # nothing started for a month: planned again, and someone must tell both customers
    orders, centres = bodies(hub, now)
    assert orders["zone"] == "Asia/Shanghai"
    assert {(o["number"], o["customer"]) for o in orders["orders"]} == {("K1-0042", "Anna S."), ("K2-0007", "王*")}
    later = {a["subject"] for a in orders["alerts"] if a["kind"] == "promise_later"}
    assert later == {"K1-0042", "K2-0007"}, "an order is named by its number, not its UUID"
    assert {o["order_number"] for c in centres.values() for o in c["operations"]} == {"K1-0042", "K2-0007"}
    sent = json.dumps([orders, centres], ensure_ascii=False)
    for secret in ("Schmidt", "王伟", "13800138000", "13912345678", "Li Wei"):
        assert secret not in sent


def test_the_board_shows_times_in_the_hubs_zone_and_orders_by_number(hub: Hub, qtbot: Any, tmp_path: Path,
                                                                     artifacts: Path) -> None:
    from tests.test_dashboard_ui import open_screen

    started = MONDAY_8 + timedelta(minutes=5)  # 16:05 in Shanghai
    wheel = hub.first["work_orders"][0]  # type: ignore[attr-defined]
    hub.op("op.started", wheel, 10, started)
    now = MONDAY_8 + timedelta(hours=1)
    orders, centres = bodies(hub, now)
    screen = open_screen(qtbot, tmp_path / "dash")  # this node has no zone set: the machine's would be used
    try:
        with qtbot.waitSignal(screen.win.repainted, timeout=5000):
            screen.feed.send("dashboard/orders", "dashboard.orders", orders)
        for code, body in centres.items():
            with qtbot.waitSignal(screen.win.repainted, timeout=5000):
                screen.feed.send(f"dashboard/centre/{code}", "dashboard.centre", body)
        assert screen.win.wait_idle()
        win = screen.win
        win.tabs.setCurrentIndex(win.tab_index("orders"))
        qtbot.wait(30)
        win.grab().save(str(artifacts / "dashboard_site_orders.png"))
        table = win.orders.rows
        headers = [table.headerData(c, Qt.Orientation.Horizontal) for c in range(table.columnCount())]
        cells = [{headers[c]: table.data(table.index(r, c)) for c in range(table.columnCount())}
                 for r in range(table.rowCount())]
        by_number = {row["Order"]: row for row in cells}
        assert set(by_number) == {"K1-0042", "K2-0007"}
        assert by_number["K1-0042"]["Customer"] == "Anna S." and by_number["K2-0007"]["Customer"] == "王*"
        promise = next(o for o in win.model.orders if o.number == "K1-0042").promise
        assert promise is not None
        assert promise.astimezone(SHANGHAI).strftime("%H:%M") == "23:59", "promised for the end of a Shanghai day"
        assert by_number["K1-0042"]["Promise"] == site_time(promise, SHANGHAI, clock=False), "that day, no clock"
        screen.clock.now = now  # the board's clock: the same day, so the time alone
        dialog = win.open_order("56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02")
        assert dialog.windowTitle() == "Order K1-0042 · Anna S."
        rows = [dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())]
        top = next(item for item in rows if item.text(0).startswith(wheel))
        assert top.child(0).text(6) == "16:05", "started at 08:05 UTC: 16:05 on the site's clocks"
        assert site_time(started, SHANGHAI) == "Mon 23 Nov 16:05"
        dialog.grab().save(str(artifacts / "dashboard_site_drilldown.png"))
        screen.link["up"] = False
        snapshot = win.model.state.snapshot_at
        assert snapshot is not None and snapshot.utcoffset() == timedelta(0)
        assert win.model.stale_text().startswith(f"Stale since {snapshot.astimezone(SHANGHAI):%H:%M} "), \
            "the banner speaks site time too"
    finally:
        screen.win.close()
        screen.feed.inbox.store.close()
