"""The read-only HTTP API, served for real on loopback, over a hub with orders and events."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from sync.hub.api import ApiServer, create_app
from tests.test_hub_core import MONDAY_8, Hub

TOKEN = "s3cret-token"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, Hub]]:
    hub = Hub(tmp_path)
    result = hub.order("O1")
    hub.order("O2", colour="red")
    wo = result["work_orders"][0]
    hub.op("op.started", wo, 10, MONDAY_8)
    hub.op("op.completed", wo, 10, MONDAY_8 + timedelta(minutes=40), good=2, scrap=0)
    now = MONDAY_8 + timedelta(hours=1)
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


def test_work_orders_wip_and_alerts(api: tuple[str, Hub]) -> None:
    base, _ = api
    assert all(w["status"] == "queued" for w in get(f"{base}/work-orders?status=queued").json())
    wip = get(f"{base}/wip").json()
    assert wip["WHEEL"]["done"] == 1
    assert get(f"{base}/alerts").json() == []
    assert get(f"{base}/alerts?state=bogus").status_code == 400


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
