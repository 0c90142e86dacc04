"""The read-only HTTP API, served for real on loopback, over a hub with orders and events."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.hub.api import ApiServer, create_app
from tests.test_hub_core import MONDAY_8, Hub

TOKEN = "s3cret-token"


def hub_with_progress(folder: Path) -> tuple[Hub, datetime]:
    """A hub with two orders, the first one's first operation done in 40 minutes; the API's "now"."""
    hub = Hub(folder)
    result = hub.order("O1")
    hub.order("O2", colour="red")
    wo = result["work_orders"][0]
    hub.op("op.started", wo, 10, MONDAY_8)
    hub.op("op.completed", wo, 10, MONDAY_8 + timedelta(minutes=40), good=2, scrap=0)
    return hub, MONDAY_8 + timedelta(hours=1)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, Hub]]:
    hub, now = hub_with_progress(tmp_path)
    server = ApiServer(create_app(hub.core, [TOKEN], now=lambda: now)).start()
    yield f"http://127.0.0.1:{server.port}/api/v1", hub
    server.stop()
    hub.store.close()


def get(url: str, token: str | None = TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, headers=headers, timeout=10)


def test_requests_without_the_right_token_are_refused(api: tuple[str, Hub]) -> None:
    base, _ = api
    assert get(f"{base}/orders", token=None).status_code == 401
    assert get(f"{base}/orders", token="wrong").status_code == 401
    assert get(f"{base}/health", token=None).json()["ok"] is True


def test_orders_list_and_detail_show_progress_from_the_events(api: tuple[str, Hub]) -> None:
    base, _ = api
    orders = get(f"{base}/orders").json()
    assert {o["id"] for o in orders} == {"O1", "O2"}
    o1 = get(f"{base}/orders/O1").json()
    assert o1["status"] == "in_progress" and 0 < o1["percent"] < 100
    lace = o1["work_orders"][0]["operations"][0]
    assert (lace["status"], lace["good"]) == ("done", 2)
    assert get(f"{base}/orders/NOPE").status_code == 404


def test_orders_are_listed_with_what_was_ordered_and_filtered_by_placing_time_status_and_lateness(
        api: tuple[str, Hub]) -> None:
    """An ERP polls ``?since=`` for new orders (the list held every order ever placed, each derived again)."""
    base, hub = api
    ack = hub.order("O3", now=MONDAY_8 + timedelta(minutes=30), colour="red")
    every = {o["id"]: o for o in get(f"{base}/orders").json()}
    # a planner asks why an order is promised when it is: the reason the kiosk's ack carried, on every order
    assert ack["reason"] and every["O3"]["promise_reason"] == ack["reason"]
    assert all(o["promise_reason"] for o in every.values())
    assert set(every) == {"O1", "O2", "O3"}
    o1 = every["O1"]
    assert (o1["product"], o1["quantity"], o1["placed_at"]) == ("BIKE", 1, MONDAY_8.isoformat())
    assert o1["first_promise"] == o1["promise"], "nothing moved the kiosk's date yet"
    assert every["O3"]["promise_date"] == ack["promise_date"] == every["O3"]["promise"][:10], "the day, as the ack said"
    # what an ERP invoices: the price the customer was shown (none stated: the list price), against which revision
    assert (o1["price"], o1["currency"], o1["revision"]) == ("5000", "CNY", 1)
    assert every["O3"]["price"] == "5200", "red is +200 in the small catalog"
    detail = get(f"{base}/orders/O3").json()
    assert detail["configuration"]["colour"] == "red" and detail["price"] == "5200"
    assert detail["promise_reason"] == ack["reason"]
    # who ordered it, whole (the ERP's sales order needs it); the wall board's feed keeps a short name only
    assert every["O3"]["customer"] == detail["customer"] == {"name": "Li Wei", "phone": "13800138000"}
    with hub.store.transaction() as tx:  # a row written by an old hub or by hand: {} rather than a 500
        tx.execute("UPDATE orders SET customer = 'not json' WHERE order_id = 'O2'")
    try:
        assert get(f"{base}/orders/O2").json()["customer"] == {}
    finally:
        with hub.store.transaction() as tx:
            tx.execute("UPDATE orders SET customer = ? WHERE order_id = 'O2'", [json.dumps(every["O2"]["customer"])])
    since = (MONDAY_8 + timedelta(minutes=10)).isoformat().replace("+", "%2B")
    assert [o["id"] for o in get(f"{base}/orders?since={since}").json()] == ["O3"]
    # typed into a URL as is, the + of the zone arrives as a space: still that moment, not a 400
    assert [o["id"] for o in get(f"{base}/orders?since=2026-11-23T16:10:00+08:00").json()] == ["O3"]
    assert [o["id"] for o in get(f"{base}/orders?status=in_progress").json()] == ["O1"]
    assert {o["id"] for o in get(f"{base}/orders?status=planned&since={since}").json()} == {"O3"}
    assert get(f"{base}/orders?late=true").json() == []
    assert {o["id"] for o in get(f"{base}/orders?late=false").json()} == {"O1", "O2", "O3"}
    o3_work = {w["id"] for w in get(f"{base}/work-orders?since={since}").json()}  # what an ERP polls too
    assert o3_work and o3_work == {w["id"] for w in get(f"{base}/work-orders").json() if w["order_id"] == "O3"}
    assert get(f"{base}/work-orders?since=tomorrow").status_code == 400
    for query, problem in (("status=queued", "status must be one of planned, in_progress, done, ready, cancelled"),
                           ("late=yes", "late must be true or false"),
                           ("since=2026-11-23T08:00:00", "since needs a time zone"),
                           ("since=last%20monday", "since must be an ISO 8601 time"),
                           ("since=1999-12-31T00:00:00%2B00:00", "since must lie between")):
        refused = get(f"{base}/orders?{query}")
        assert refused.status_code == 400 and problem in refused.json()["error"], (query, refused.text)


def test_work_orders_wip_and_alerts(api: tuple[str, Hub]) -> None:
    base, _ = api
    assert all(w["status"] == "queued" for w in get(f"{base}/work-orders?status=queued").json())
    wip = get(f"{base}/wip").json()
    assert wip["WHEEL"]["done"] == 1
    assert get(f"{base}/alerts").json() == []
    assert get(f"{base}/alerts?state=bogus").status_code == 400


def test_an_alert_comes_with_its_facts_as_an_object(api: tuple[str, Hub]) -> None:
    """The ERP and the dashboards get an alert's facts as an object (it was the stored JSON text)."""
    from sync.hub.alerts import silent_stations

    base, hub = api
    with hub.store.transaction() as tx:
        hub.core.raise_alert(tx, silent_stations({"st-weld-2": MONDAY_8}, MONDAY_8 + timedelta(minutes=9))[0],
                             MONDAY_8 + timedelta(minutes=9))
    (alert,) = get(f"{base}/alerts").json()
    assert alert["kind"] == "silent_station" and alert["data"] == {"device": "st-weld-2",
                                                                    "last_seen": MONDAY_8.isoformat()}


def test_an_unknown_work_order_status_is_refused_naming_the_valid_ones(api: tuple[str, Hub]) -> None:
    """``?status=runing`` (or any word not a status) matched nothing and answered [] as if all were fine."""
    base, _ = api
    refused = get(f"{base}/work-orders?status=runing")
    assert refused.status_code == 400
    assert refused.json()["error"] == "status must be one of queued, running, paused, in_progress, done, not 'runing'"
    every = get(f"{base}/work-orders").json()
    assert every and {w["status"] for w in every} <= {"queued", "running", "paused", "in_progress", "done"}
    for status in ("queued", "running", "paused", "in_progress", "done"):
        rows = get(f"{base}/work-orders?status={status}").json()
        assert [w["id"] for w in rows] == [w["id"] for w in every if w["status"] == status]


def test_kpis_as_json_and_oee_as_csv(api: tuple[str, Hub]) -> None:
    base, _ = api
    report = get(f"{base}/kpis?since=2026-11-23T00:00:00%2B00:00").json()
    assert {"oee", "on_time_delivery", "first_pass_yield", "profit_contribution"} <= set(report)
    wheel = next(r for r in report["oee"] if r["work_centre"] == "WHEEL")
    assert wheel["quality"] == 1.0 and wheel["availability"] > 0
    rows = list(csv.DictReader(io.StringIO(get(f"{base}/kpis/oee.csv").text)))
    assert {r["work_centre"] for r in rows} >= {"WHEEL", "ASSY"}
    assert get(f"{base}/kpis?since=yesterday").status_code == 400


def test_a_work_orders_traveler_comes_as_a_pdf(api: tuple[str, Hub]) -> None:
    base, hub = api
    wo = hub.store.query("SELECT id FROM work_orders LIMIT 1")[0]["id"]
    response = get(f"{base}/work-orders/{wo}/traveler.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert get(f"{base}/work-orders/NOPE/traveler.pdf").status_code == 404


def test_a_traveler_prints_in_the_language_asked_for_else_the_hubs_setting(
        api: tuple[str, Hub], monkeypatch: pytest.MonkeyPatch) -> None:
    """The workshop reads Chinese: ``?lang=zh_CN`` (or hub.traveler_language) prints it in Chinese; a language
    it cannot print is refused naming ``lang``; a hub box without the font says which package to install."""
    from sync.hub import travelers
    from tests.test_travelers import _page_text

    base, hub = api
    wo = hub.store.query("SELECT id FROM work_orders LIMIT 1")[0]["id"]
    assert _page_text(get(f"{base}/work-orders/{wo}/traveler.pdf").content).startswith(f"Work order {wo}")
    chinese = get(f"{base}/work-orders/{wo}/traveler.pdf?lang=zh_CN")
    assert chinese.status_code == 200 and _page_text(chinese.content).startswith(f"工单 {wo}")
    refused = get(f"{base}/work-orders/{wo}/traveler.pdf?lang=fr")
    assert refused.status_code == 400 and "lang must be one of en, zh_CN, not 'fr'" in refused.json()["error"]
    server = ApiServer(create_app(hub.core, [TOKEN], traveler_language="zh_CN")).start()
    try:
        local = f"http://127.0.0.1:{server.port}/api/v1/work-orders/{wo}/traveler.pdf"
        assert _page_text(get(local).content).startswith(f"工单 {wo}")
        assert _page_text(get(f"{local}?lang=en").content).startswith(f"Work order {wo}")
        monkeypatch.setattr(travelers, "CJK_FONTS", ("/nowhere/no-such-font.ttc",))
        missing = get(local)
        assert missing.status_code == 503 and "fonts-wqy-microhei" in missing.json()["error"]
    finally:
        server.stop()


def test_orders_and_travelers_are_found_by_the_number_people_read(api: tuple[str, Hub]) -> None:
    base, hub = api
    result = hub.order("56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02", number="K1-0042")
    order = get(f"{base}/orders/k1-0042")  # typed off the receipt, any case
    assert order.status_code == 200 and order.json()["id"] == "56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02"
    assert order.json()["number"] == "K1-0042"
    assert {wo["order_number"] for wo in order.json()["work_orders"]} == {"K1-0042"}
    assert get(f"{base}/orders/56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02").json()["number"] == "K1-0042"
    wo = result["work_orders"][0]
    response = get(f"{base}/work-orders/{wo.lower()}/traveler.pdf")  # a 500 when work orders were <uuid>-01
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert wo in response.headers["Content-Disposition"]
    assert get(f"{base}/orders/K9-0001").status_code == 404


@pytest.mark.parametrize("query, problem", [
    ("since=0002-01-01T00:00:00%2B00:00", "between 2000-01-01 and 2100-01-01"),  # took 32 s of CPU
    ("since=0001-01-01T00:00:00%2B00:00", "between 2000-01-01 and 2100-01-01"),  # answered 500
    ("since=2024-01-01T00:00:00%2B00:00", "at most 366 days per request"),
    ("since=2026-11-24T00:00:00%2B00:00&until=2026-11-23T00:00:00%2B00:00", "since must be before until"),
    ("since=9999-01-01T00:00:00%2B00:00&until=9999-12-31T00:00:00%2B00:00", "between"),
])
def test_a_period_beyond_the_declared_window_is_refused_at_once(api: tuple[str, Hub], query: str,
                                                                  problem: str) -> None:
    import time

    base, _ = api
    for route in ("kpis", "kpis/oee.csv", "insights"):
        started = time.monotonic()
        answer = get(f"{base}/{route}?{query}")
        assert answer.status_code == 400 and problem in answer.json()["error"], (route, answer.text[:200])
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("query, problem", [
    ("from=2026-11-01T00:00:00%2B08:00", "'from' is not an argument of /api/v1/kpis: it takes since, until"),
    ("since=2026-11-01T00:00:00%2B08:00&since=2026-11-20T00:00:00%2B08:00", "since is given 2 times"),
    ("since=2026-11-01T00:00:00%2B08:00&Until=2026-11-20T00:00:00%2B08:00", "'Until' is not an argument"),
])
def test_an_argument_the_route_does_not_take_or_one_given_twice_is_named(api: tuple[str, Hub], query: str,
                                                                         problem: str) -> None:
    """A KPI review: ``from=`` and ``to=`` (or a second ``since``) were ignored and the default week came back,
    which an ERP took for the month it asked for."""
    base, _ = api
    answer = get(f"{base}/kpis?{query}")
    assert answer.status_code == 400 and problem in answer.json()["error"], answer.text[:300]
    refused = get(f"{base}/orders/O1?status=done")
    assert refused.status_code == 400 and "it takes none" in refused.json()["error"]
    assert get(f"{base}/health?probe=1", token=None).status_code == 200, "a probe may add what it likes"
    assert get(f"{base}/kpis?since=2026-11-20T00:00:00%2B08:00").status_code == 200


def test_the_arguments_each_route_takes_are_those_openapi_describes() -> None:
    import yaml

    from sync.hub.api import QUERY_ARGS

    spec = yaml.safe_load((Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml").read_text("utf-8"))
    def resolved(parameter: dict[str, Any]) -> dict[str, Any]:
        if "$ref" not in parameter:
            return parameter
        found: Any = spec
        for part in parameter["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        return found

    described = {path: frozenset(p["name"] for method in item.values() if isinstance(method, dict)
                                 for p in map(resolved, method.get("parameters", [])) if p.get("in") == "query")
                 for path, item in spec["paths"].items()}
    described = {path: names for path, names in described.items() if names and path != "/api/v1/health"}
    assert QUERY_ARGS == described


def test_a_full_year_is_still_answered(api: tuple[str, Hub]) -> None:
    base, _ = api
    answer = get(f"{base}/kpis?since=2025-11-23T09:00:00%2B00:00&until=2026-11-23T09:00:00%2B00:00")
    assert answer.status_code == 200 and answer.json()["since"].startswith("2025-11-23")


def test_the_api_reads_on_its_own_connection_so_ingest_and_api_never_wait_for_each_other(tmp_path: Path,
                                                                                          mosquitto) -> None:
    """The service gives the API a second connection: a long API read does not hold the lock ingest
    writes under, and an open ingest transaction does not stall the API."""
    import threading

    from sync.hub.service import HubConfig, HubService
    from tests.test_hub_core import released_catalog

    released_catalog(tmp_path / "catalog.db").close()
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               api_port=0, api_tokens=[TOKEN])).start()
    try:
        assert hub.api is not None and hub.core.reads is not hub.store
        base = f"http://127.0.0.1:{hub.api.port}/api/v1"
        release = threading.Event()
        held = threading.Event()

        def hold(lock: Any) -> None:
            with lock:
                held.set()
                release.wait(10)

        # an ingest transaction is open (the store lock held): the API still answers
        writer = threading.Thread(target=hold, args=(hub.store._lock,))
        writer.start()
        held.wait(5)
        try:
            assert get(f"{base}/orders").status_code == 200
        finally:
            release.set()
            writer.join()
        # an API read is running (its connection's lock held): ingest still commits
        release.clear()
        held.clear()
        reader = threading.Thread(target=hold, args=(hub.core.reads._lock,))
        reader.start()
        held.wait(5)
        try:
            done = threading.Event()

            def write() -> None:
                with hub.store.transaction("a test write") as tx:
                    tx.execute("SELECT 1")
                done.set()

            threading.Thread(target=write, daemon=True).start()
            assert done.wait(5), "ingest waited for an API read"
        finally:
            release.set()
            reader.join()
    finally:
        hub.stop()


def test_purchase_orders_are_consolidated_per_supplier_and_due_date(api: tuple[str, Hub]) -> None:
    base, hub = api
    rows = hub.store.query("SELECT supplier, due_date, item, qty FROM requisitions WHERE kind = 'purchase'")
    assert rows, "the sample orders buy something"
    expected: dict[tuple[str, str], dict[str, float]] = {}
    zone = hub.core.options.zone
    for r in rows:  # one entry per supplier and due day at the site, not per requisition's moment
        day = datetime.fromisoformat(r["due_date"]).astimezone(zone).date().isoformat()
        lines = expected.setdefault((r["supplier"], day), {})
        lines[r["item"]] = lines.get(r["item"], 0) + r["qty"]
    found = get(f"{base}/purchase-orders").json()
    assert {(p["supplier"], p["due_date"]): {line["item"]: line["qty"] for line in p["lines"]} for p in found} == expected
    assert len(found) == len(expected), "one entry per supplier and due date"
    assert get(f"{base}/purchase-orders?since=2027-01-01T00:00:00%2B00:00").json() == [], "none due that late"
    assert get(f"{base}/purchase-orders?since=tomorrow").status_code == 400
