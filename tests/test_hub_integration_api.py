"""The integration API (stock, receipts, requisitions, shipments, CSV) served for real on loopback, checked
against docs/openapi.yaml; scopes, idempotency, hostile input; signed ERP webhooks with durable retries."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml

from sync.hub.api import ApiServer, create_app
from sync.hub.notify import Channel, Notifier, NotifyConfig
from sync.store.database import Store
from tests.test_hub_core import MONDAY_8, Hub

READ, WRITE = "read-token-123", "integrate-token-456"
SPEC = yaml.safe_load((Path(__file__).parent.parent / "docs" / "openapi.yaml").read_text(encoding="utf-8"))


class Api:
    """The served API and every answer it gave, each checked against the OpenAPI description."""

    def __init__(self, base: str, hub: Hub, app: Any) -> None:
        self.base, self.hub, self.app = base, hub, app
        self.seen: set[tuple[str, str]] = set()
        self.keys = 0

    def call(self, method: str, path: str, *, token: str = WRITE, json_body: Any = None, data: str | bytes | None = None,
             key: str | None = None, params: dict[str, str] | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if method == "POST":
            self.keys += 1
            headers["Idempotency-Key"] = key or f"key-{self.keys}"
            if data is not None:
                headers["Content-Type"] = "text/csv" if isinstance(data, str) else "application/json"
        response = requests.request(method, self.base + path, headers=headers, json=json_body, data=data,
                                    params=params, timeout=20)
        self.check(method, path, response)
        return response

    def check(self, method: str, path: str, response: requests.Response) -> None:
        """The answer's status is described for this route and its body matches the schema."""
        template = next((t for t in SPEC["paths"] if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", t), path)), None)
        assert template is not None, f"{path} is not in docs/openapi.yaml"
        operation = SPEC["paths"][template][method.lower()]
        self.seen.add((template, method.lower()))
        described = operation["responses"].get(str(response.status_code))
        assert described is not None, f"{method} {template} answered {response.status_code}, not described"
        described = _resolve(described)
        content = described.get("content", {})
        kind = response.headers["Content-Type"].split(";")[0]
        assert kind in content, f"{method} {template} {response.status_code} answered {kind}, described {list(content)}"
        schema = content[kind].get("schema") if content[kind] else None
        if schema is not None and kind == "application/json":
            jsonschema.Draft202012Validator({**schema, "components": SPEC["components"]}).validate(response.json())


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@contextmanager
def served(hub: Hub) -> Iterator[Api]:
    """``hub``'s API on a free loopback port, an hour after the test hub's Monday 08:00."""
    now = MONDAY_8 + timedelta(hours=1)
    app = create_app(hub.core, [READ], now=lambda: now, integrate_tokens=[WRITE])
    server = ApiServer(app).start()
    try:
        yield Api(f"http://127.0.0.1:{server.port}", hub, app)
    finally:
        server.stop()
        hub.store.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    hub = Hub(tmp_path)
    hub.order("O1")  # a small battery to buy: BATT-S requisition
    with served(hub) as api:
        yield api


def _batt(api: Api) -> dict[str, Any]:
    return next(r for r in api.call("GET", "/api/v1/requisitions", params={"status": "all"}).json()
                if r["item"] == "BATT-S")


def test_every_route_of_the_app_is_described_and_every_described_route_answers_to_its_schema(api: Api) -> None:
    flask_routes = set()
    for rule in api.app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            flask_routes.add((path, method.lower()))
    described = {(p, m) for p, ops in SPEC["paths"].items() for m in ops}
    assert flask_routes == described, (flask_routes ^ described)
    # read everything, then write everything, the way an ERP would
    wo = api.hub.store.query("SELECT id FROM work_orders ORDER BY rowid")[0]["id"]
    number = api.hub.store.query("SELECT number FROM orders")[0]["number"]
    for path in ("/api/v1/health", "/api/v1/orders", f"/api/v1/orders/{number}", "/api/v1/work-orders",
                 f"/api/v1/work-orders/{wo}/traveler.pdf", "/api/v1/wip", "/api/v1/alerts", "/api/v1/kpis",
                 "/api/v1/kpis/oee.csv", "/api/v1/insights", "/api/v1/demand", "/api/v1/stock", "/api/v1/stock.csv",
                 "/api/v1/stock/movements", "/api/v1/requisitions", "/api/v1/requisitions.csv",
                 "/api/v1/purchase-orders", "/api/v1/subcontract-orders"):
        assert api.call("GET", path).status_code == 200, path
    assert api.call("GET", "/api/v1/orders/NOPE").status_code == 404
    assert api.call("GET", "/api/v1/requisitions", params={"status": "lost"}).status_code == 400
    batt = _batt(api)
    assert api.call("POST", "/api/v1/stock/counts", json_body={"item": "RIM-26", "counted": 9, "by": "ann"}
                    ).status_code == 201
    assert api.call("POST", "/api/v1/stock/counts.csv", data="item,counted,by\nSPOKE,480,ann\n").status_code == 201
    confirmed = api.call("POST", f"/api/v1/requisitions/{batt['id']}/confirmation", json_body={
        "po_number": "PO-1", "supplier": "Cells Inc", "confirmed_date": "2026-11-30", "by": "buyer"})
    assert confirmed.status_code == 201
    assert api.call("POST", "/api/v1/receipts", json_body={"requisition": batt["id"], "qty": 0.5, "by": "gate"}
                    ).status_code == 201
    assert api.call("POST", f"/api/v1/requisitions/{batt['id']}/closing", json_body={"by": "buyer"}).status_code == 201
    assert api.call("POST", f"/api/v1/requisitions/{batt['id']}/cancellation", json_body={"by": "buyer"}
                    ).status_code == 409
    assert api.call("POST", "/api/v1/requisitions/9999/cancellation", json_body={"by": "buyer"}).status_code == 404
    assert api.call("POST", "/api/v1/requisitions/9999/closing", json_body={"by": "buyer"}).status_code == 404
    huge = api.call("POST", f"/api/v1/requisitions/{10**30}/closing", json_body={"by": "buyer"})
    assert huge.status_code == 422 and "requisition" in huge.json()["error"], "no 500 for a number SQLite cannot hold"
    huge = api.call("POST", "/api/v1/receipts", json_body={"requisition": 10**30, "qty": 1, "by": "gate"})
    assert huge.status_code == 422 and "requisition" in huge.json()["error"]
    api.hub.order("O2")
    other = max((r for r in api.call("GET", "/api/v1/requisitions").json() if r["item"] == "BATT-S"),
                key=lambda r: r["id"])
    assert api.call("POST", "/api/v1/requisitions/confirmations.csv",
                    data=f"id,po_number,supplier,confirmed_date,by\n{other['id']},PO-2,Cells Inc,2026-12-01,buyer\n"
                    ).status_code == 201
    assert api.call("POST", "/api/v1/orders/NOPE/shipment", json_body={"by": "dock"}).status_code == 404
    early = api.call("POST", f"/api/v1/orders/{number}/shipment", json_body={"by": "dock"})
    assert early.status_code == 409 and "0 on hand" in early.json()["error"], "nothing made yet: nothing to ship"
    assert api.call("POST", "/api/v1/stock/counts", json_body={"item": "BIKE", "counted": 1, "by": "ann",
                                                               "reason": "a returned demo bike"}).status_code == 201
    assert api.call("POST", f"/api/v1/orders/{number}/shipment", json_body={"by": "dock"}).status_code == 201
    assert api.call("POST", f"/api/v1/orders/{number}/shipment", json_body={"by": "dock"}).status_code == 409
    missed = described - api.seen
    assert not missed, f"described but never exercised: {missed}"


def test_a_read_token_cannot_write_and_a_wrong_token_cannot_read(api: Api) -> None:
    before = api.hub.store.query("SELECT COUNT(*) AS n FROM stock_movements")[0]["n"]
    refused = api.call("POST", "/api/v1/stock/counts", token=READ, json_body={"item": "RIM-26", "counted": 1, "by": "x"})
    assert refused.status_code == 403 and "hub.api_integrate_tokens" in refused.json()["error"]
    assert api.hub.store.query("SELECT COUNT(*) AS n FROM stock_movements")[0]["n"] == before
    assert api.call("GET", "/api/v1/stock", token="nope").status_code == 401
    assert api.call("GET", "/api/v1/stock", token=READ).status_code == 200
    assert api.call("GET", "/api/v1/stock", token=WRITE).status_code == 200


def test_writes_are_idempotent_by_their_key(api: Api) -> None:
    body = {"item": "SPOKE", "qty": 25, "by": "gate", "reason": "delivery note 77"}
    first = api.call("POST", "/api/v1/receipts", json_body=body, key="delivery-77")
    again = api.call("POST", "/api/v1/receipts", json_body=dict(reversed(list(body.items()))), key="delivery-77")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    receipts = api.hub.store.query("SELECT qty FROM stock_movements WHERE kind = 'receipt' AND item = 'SPOKE'")
    assert [r["qty"] for r in receipts] == [25], "received once"
    clash = api.call("POST", "/api/v1/receipts", json_body={**body, "qty": 26}, key="delivery-77")
    assert clash.status_code == 409 and "Idempotency-Key" in clash.json()["error"]
    missing = requests.post(api.base + "/api/v1/receipts", json=body, timeout=10,
                            headers={"Authorization": f"Bearer {WRITE}"})
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["error"]


@pytest.mark.parametrize("raw, status, field", [
    (b'{"item": "RIM-28", "counted": NaN, "by": "ann"}', 422, "counted"),
    (b'{"item": "RIM-28", "counted": Infinity, "by": "ann"}', 422, "counted"),
    (b'{"item": "RIM-28", "counted": 1e400, "by": "ann"}', 422, "counted"),
    (b'{"item": "RIM-28", "counted": -3, "by": "ann"}', 422, "counted"),
    (b'{"item": "RIM-28", "counted": "3", "by": "ann"}', 422, "counted"),
    (b'{"item": "RIM-99", "counted": 3, "by": "ann"}', 422, "item"),
    (b'{"item": "RIM-28", "counted": 3}', 400, "by"),
    (b'{"item": "RIM-28", "counted": 3, "by": ""}', 422, "by"),
    (b'[1, 2]', 400, "JSON object"),
    (b'not json', 400, "JSON"),
])
def test_hostile_counts_are_refused_with_a_sentence_naming_the_field(api: Api, raw: bytes, status: int,
                                                                     field: str) -> None:
    before = api.hub.store.query("SELECT COUNT(*) AS n FROM stock_movements")[0]["n"]
    refused = api.call("POST", "/api/v1/stock/counts", data=raw)
    assert refused.status_code == status and field in refused.json()["error"]
    assert api.hub.store.query("SELECT COUNT(*) AS n FROM stock_movements")[0]["n"] == before


@pytest.mark.parametrize("body, field", [
    ({"po_number": "PO-1", "supplier": "Cells Inc", "confirmed_date": "1999-01-01", "by": "b"}, "confirmed_date"),
    ({"po_number": "PO-1", "supplier": "Cells Inc", "confirmed_date": "2030-01-01", "by": "b"}, "confirmed_date"),
    ({"po_number": "PO-1", "supplier": "Cells Inc", "confirmed_date": "next week", "by": "b"}, "confirmed_date"),
    ({"po_number": "PO-1", "supplier": "Cells Inc", "confirmed_date": "2026-12-01T08:00:00", "by": "b"}, "time zone"),
    ({"po_number": "", "supplier": "Cells Inc", "confirmed_date": "2026-12-01", "by": "b"}, "po_number"),
    ({"supplier": "Cells Inc", "confirmed_date": "2026-12-01", "by": "b"}, "po_number"),
    ({"po_number": "PO-1", "supplier": "Cells Inc", "confirmed_date": "2026-12-01"}, "by is missing"),  # said "not None"
])
def test_hostile_confirmations_are_refused_and_change_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    batt = _batt(api)
    refused = api.call("POST", f"/api/v1/requisitions/{batt['id']}/confirmation", json_body=body)
    assert refused.status_code in (400, 422) and field in refused.json()["error"]
    assert _batt(api)["status"] == "open"


def test_csv_export_matches_the_json_and_a_bad_import_row_changes_nothing(api: Api) -> None:
    rows = list(csv.DictReader(io.StringIO(api.call("GET", "/api/v1/stock.csv").text)))
    assert {r["item"]: float(r["on_hand"]) for r in rows} == {
        r["item"]: r["on_hand"] for r in api.call("GET", "/api/v1/stock").json()}
    before = api.call("GET", "/api/v1/stock").json()
    bad = api.call("POST", "/api/v1/stock/counts.csv", data="item,counted,by\nSPOKE,480,ann\nRIM-26,lots,ann\n")
    assert bad.status_code == 422 and "row 3" in bad.json()["error"] and "counted" in bad.json()["error"]
    assert api.call("GET", "/api/v1/stock").json() == before, "all rows or none"
    planned = dict(api.hub.core.planner.on_hand)
    bad = api.call("POST", "/api/v1/stock/counts.csv", data="item,counted,by\nSPOKE,480,ann\nRIM-77,1,ann\n")
    assert bad.status_code == 422 and "row 3" in bad.json()["error"] and "RIM-77" in bad.json()["error"]
    assert api.hub.core.planner.on_hand == planned, "the planner nets nothing of a refused import either"
    batt = _batt(api)
    due = api.hub.core.planner.plans["O1"].requisitions[0].due_date
    bad = api.call("POST", "/api/v1/requisitions/confirmations.csv", data=(
        f"id,po_number,supplier,confirmed_date,by\n{batt['id']},PO-5,Cells Inc,2026-12-30,b\n9999,PO-6,X,2026-12-30,b\n"))
    assert bad.status_code == 404 and "row 3" in bad.json()["error"]
    assert _batt(api)["status"] == "open" and api.hub.core.planner.plans["O1"].requisitions[0].due_date == due
    no_column = api.call("POST", "/api/v1/stock/counts.csv", data="item,qty\nSPOKE,1\n")
    assert no_column.status_code == 400 and "counted" in no_column.json()["error"]
    requisitions = list(csv.DictReader(io.StringIO(api.call("GET", "/api/v1/requisitions.csv").text)))
    assert [r["item"] for r in requisitions] == [r["item"] for r in api.call("GET", "/api/v1/requisitions").json()]


def test_a_receipt_through_the_api_moves_stock_and_a_late_confirmation_the_promise(api: Api) -> None:
    batt = _batt(api)
    promise = api.call("GET", "/api/v1/orders/O1").json()["promise"]
    late = api.call("POST", f"/api/v1/requisitions/{batt['id']}/confirmation", json_body={
        "po_number": "PO-9", "supplier": "Shenzhen Cells", "confirmed_date": "2026-12-21", "by": "buyer"}).json()
    assert late["late"] and late["orders_moved"]
    moved = api.call("GET", "/api/v1/orders/O1").json()["promise"]
    assert moved[:10] >= "2026-12-21" > promise[:10]
    assert "Shenzhen Cells" in api.hub.store.query("SELECT promise_reason FROM orders")[0]["promise_reason"]
    assert api.call("GET", "/api/v1/requisitions").json() == [r for r in api.call(
        "GET", "/api/v1/requisitions", params={"status": "all"}).json() if r["status"] == "open"]
    received = api.call("POST", "/api/v1/receipts", json_body={"requisition": batt["id"], "qty": batt["qty"],
                                                               "by": "gate"}).json()
    assert received["status"] == "closed"
    assert api.call("GET", "/api/v1/stock", params={"item": "BATT-S"}).json() == [
        {"item": "BATT-S", "on_hand": batt["qty"]}]
    assert api.call("GET", "/api/v1/orders/O1").json()["promise"] < moved, "received early: the promise comes back"


# ---------------------------------------------------------------------- signed webhooks
class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
        else:
            _Receiver.got.append((dict(self.headers), body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_business_events_go_to_the_erp_signed_and_survive_a_receiver_that_is_down(tmp_path: Path) -> None:
    secret = "a-shared-secret-of-some-length"
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.got, _Receiver.fail_first = [], 1
    channel = Channel("erp", "erp", f"http://127.0.0.1:{server.server_port}/hook", secret)
    hub = Hub(tmp_path)
    notifier = Notifier(Store(tmp_path / "hub.db", device_id="hub", kind=""), NotifyConfig({"erp": channel}),
                        base_delay=0.01)
    hub.core.on_event = lambda tx, type_, body: notifier.enqueue_event(type_, body, MONDAY_8, into=tx.db.conn)
    try:
        result = hub.order("O1")
        batt = next(r for r in hub.store.query("SELECT id FROM requisitions WHERE item = 'BATT-S'"))
        with hub.store.transaction() as tx:
            hub.core.inventory.confirm(tx, batt["id"], "PO-3", "Shenzhen Cells", MONDAY_8 + timedelta(days=20), "b",
                                       MONDAY_8)
        t = MONDAY_8 + timedelta(days=21)
        for wo in result["work_orders"]:
            for (op,) in [(r["op"],) for r in hub.store.query("SELECT op FROM wo_ops WHERE work_order = ? ORDER BY op",
                                                               [wo])]:
                hub.op("op.started", wo, op, t)
                if hub.is_qc(wo, op):
                    hub.op("qc.recorded", wo, op, t, passed=True)
                qty = int(hub.store.query("SELECT qty FROM work_orders WHERE id = ?", [wo])[0]["qty"])
                hub.op("op.completed", wo, op, t + timedelta(minutes=5), good=qty, scrap=0)
                t += timedelta(minutes=10)
        assert notifier.deliver_due(MONDAY_8) < len(notifier.rows), "the first delivery met a receiver that was down"
        later = MONDAY_8 + timedelta(minutes=10)
        while notifier.deliver_due(later):
            later += timedelta(minutes=10)
        assert all(r["state"] == "sent" for r in notifier.rows)
    finally:
        server.shutdown()
        hub.store.close()
        notifier.store.close()
    types = []
    for headers, body in _Receiver.got:
        expected = "sha256=" + hmac.new(secret.encode(), headers["X-FloorLink-Timestamp"].encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-FloorLink-Signature"], expected), "signed over timestamp.body"
        assert abs(int(headers["X-FloorLink-Timestamp"]) - datetime.now().timestamp()) < 600
        payload = json.loads(body)
        assert payload["type"] == headers["X-FloorLink-Event"]
        types.append(payload["type"])
    assert {"order.placed", "workorder.released", "requisition.created", "order.promise_changed",
            "order.done"} <= set(types)
    assert types.count("workorder.released") == len(result["work_orders"])
    placed = next(json.loads(b) for _, b in _Receiver.got if json.loads(b)["type"] == "order.placed")
    assert placed["data"]["number"] == result["number"]


def test_the_hub_service_queues_business_events_for_its_erp_channels_with_the_order(tmp_path: Path) -> None:
    """The service wires HubCore.on_event to the notifier: an order placed queues its events for the erp
    channel in the order's own transaction (not started: no broker needed to place one by hand)."""
    from sync.hub.service import HubConfig, HubService
    from tests.test_hub_core import released_catalog

    released_catalog(tmp_path / "catalog.db").close()
    config = tmp_path / "notify.toml"
    config.write_text('[channels.erp]\nkind = "erp"\nurl = "http://127.0.0.1:9/hook"\n'
                      'secret = "0123456789abcdef0123"\nevents = ["order.placed", "requisition.created"]\n',
                      encoding="utf-8")
    service = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", notify_config=config))
    try:
        body = {"order_id": "O1", "product": "BIKE", "revision": 1, "quantity": 1, "price": "5000",
                "configuration": {"motor": "hub", "battery": "b400", "wheel_size": "28", "colour": "black",
                                  "rider": "short"}, "customer": {"name": "Li Wei", "phone": "13800138000"}}
        with pytest.raises(RuntimeError), service.store.transaction() as tx:  # a rolled-back order sends nothing
            service.core.on_order_placed(tx, "ev-0", "kiosk-1", body, MONDAY_8)
            raise RuntimeError("the ack could not be written")
        assert service.notifier.rows == []
        with service.store.transaction() as tx:
            service.core.on_order_placed(tx, "ev-1", "kiosk-1", {**body, "order_id": "O2"}, MONDAY_8)
        queued = [json.loads(r["alert"])["type"] for r in service.notifier.rows]
        assert queued[0] == "order.placed" and "requisition.created" in queued
        # what the ERP books a sales order and an invoice from: the price shown, the customer, when
        placed = json.loads(service.notifier.rows[0]["alert"])["data"]
        assert (placed["price"], placed["currency"], placed["customer"]["name"]) == ("5000", "CNY", "Li Wei")
        assert placed["placed_at"].startswith("2026-11-23T08:00")
        assert "workorder.released" not in queued, "the channel's events list picks"
    finally:
        service.store.close()
        service.notifier.store.close()
        service.catalog.close()


def test_an_idempotency_key_outlives_a_hub_restart(api: Api) -> None:
    body = {"item": "RIM-26", "counted": 8, "by": "ann"}
    first = api.call("POST", "/api/v1/stock/counts", json_body=body, key="count-rim-1")
    api.hub.store.close()
    api.hub.open()  # the hub restarts; the ERP retries what it never saw answered
    now = MONDAY_8 + timedelta(hours=2)
    server = ApiServer(create_app(api.hub.core, [READ], now=lambda: now, integrate_tokens=[WRITE])).start()
    try:
        again = requests.post(f"http://127.0.0.1:{server.port}/api/v1/stock/counts", json=body, timeout=20,
                              headers={"Authorization": f"Bearer {WRITE}", "Idempotency-Key": "count-rim-1"})
    finally:
        server.stop()
    assert again.status_code == 201 and again.json() == first.json()
    counts = api.hub.store.query("SELECT COUNT(*) AS n FROM stock_movements WHERE kind = 'count'")[0]["n"]
    assert counts == 1, "counted once"


def test_the_openapi_description_is_well_formed() -> None:
    """Every schema in docs/openapi.yaml is valid JSON Schema (2020-12, as OpenAPI 3.1 uses) and every $ref
    points at something: a typo would otherwise only show when that answer is checked."""
    assert SPEC["openapi"].startswith("3.1")
    for schema in SPEC["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(SPEC))
    assert found
    for ref in found:
        assert _resolve({"$ref": ref}), ref
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert "200" in operation["responses"] or "201" in operation["responses"], f"{method} {path}"


def test_a_receipt_without_requisition_or_item_says_which_to_send(api: Api) -> None:
    """A purchaser's review: it answered "item must be a text of 1 to 100 characters, not None"."""
    refused = api.call("POST", "/api/v1/receipts", json_body={"qty": 2, "by": "gate"})
    assert refused.status_code == 400 and "requisition or item is missing" in refused.json()["error"]
    assert api.hub.store.query("SELECT COUNT(*) AS n FROM stock_movements WHERE kind = 'receipt'")[0]["n"] == 0


def test_subcontract_orders_say_what_goes_out_when_it_comes_back_and_where_it_is(tmp_path: Path) -> None:
    """A purchaser's review: what goes to the coater was stored as requisitions but no route showed it."""
    hub = Hub(tmp_path)
    red = hub.order("RED", colour="red")  # red rims are coated outside
    (step,) = hub.store.query("SELECT work_order, op, planned_start, planned_end FROM wo_ops WHERE outsourced = 1")
    with served(hub) as api:
        (out,) = api.call("GET", "/api/v1/subcontract-orders").json()
        assert (out["order_number"], out["work_order"], out["operation"], out["state"]) == (
            red["number"], step["work_order"], step["op"], "to_send")
        assert out["supplier"] and out["qty"] > 0 and out["send_date"] < out["return_date"]
        at = MONDAY_8 + timedelta(hours=1)
        hub.build_parts(step["work_order"])
        earlier = hub.store.query("SELECT op FROM wo_ops WHERE work_order = ? AND op < ? ORDER BY op",
                                  [step["work_order"], step["op"]])
        for row in earlier:
            hub.op("op.started", step["work_order"], row["op"], at)
            at += timedelta(minutes=5)
            hub.op("op.completed", step["work_order"], row["op"], at, good=1, scrap=0)
        allowed = {"override_by": "Sam Supervisor"}  # receiving records a subcontractor's step
        hub.op("op.started", step["work_order"], step["op"], at, **allowed)
        assert [o["state"] for o in api.call("GET", "/api/v1/subcontract-orders").json()] == ["at_supplier"]
        hub.op("op.completed", step["work_order"], step["op"], at + timedelta(days=4), good=1, scrap=0, **allowed)
        assert api.call("GET", "/api/v1/subcontract-orders").json() == []
        (back,) = api.call("GET", "/api/v1/subcontract-orders", params={"state": "all"}).json()
        assert back["state"] == "returned" and back["returned_at"] > back["sent_at"]
        refused = api.call("GET", "/api/v1/subcontract-orders", params={"state": "gone"})
        assert refused.status_code == 400 and "state must be open or all" in refused.json()["error"]

