"""The hub's HTTP JSON API for ERP/MES integration (Flask, served by waitress); docs/openapi.yaml describes it.

Every route but ``/api/v1/health`` needs ``Authorization: Bearer <token>``: a token of ``hub.api_tokens``
(read scope) may GET; a token of ``hub.api_integrate_tokens`` (integrate scope) may also POST the writes an
ERP makes: stock counts, goods receipts, shipments, requisition confirmations, and their CSV imports. A write
needs an ``Idempotency-Key`` header: the same key with the same body gets the first answer again (nothing is
done twice), the same key with another body a 409. Workers' and stations' events still come over MQTT.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request
from waitress.server import create_server
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from sync.errors import FloorLinkError, PrintError, SettingsError, quoted
from sync.hub import stock
from sync.hub.core import HubCore, alert_body
from sync.hub.progress import ORDER_STATUSES, WORK_ORDER_STATUSES
from sync.hub.reports_pool import ReportPool, ReportUnavailable
from sync.hub.stock import StockError
from sync.hub.travelers import LANGUAGES as TRAVELER_LANGUAGES
from sync.hub.travelers import traveler_pdf
from sync.store.database import Transaction

UNESCAPED_OFFSET = re.compile(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
"""A zone offset whose plus sign a URL turned into a space (``...T00:00:00 08:00``)."""
log = logging.getLogger(__name__)
OLDEST, NEWEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
"""Times outside these are refused: no shop floor data lies there, and far dates overflow the calendars."""
QUERY_ARGS: dict[str, frozenset[str]] = {
    "/api/v1/orders": frozenset({"since", "status", "late"}),
    "/api/v1/work-orders": frozenset({"since", "status"}),
    "/api/v1/work-orders/{wo_id}/traveler.pdf": frozenset({"lang"}),
    "/api/v1/purchase-orders": frozenset({"since"}),
    "/api/v1/alerts": frozenset({"state"}),
    "/api/v1/kpis": frozenset({"since", "until"}),
    "/api/v1/insights": frozenset({"since", "until"}),
    "/api/v1/kpis/oee.csv": frozenset({"since", "until"}),
    "/api/v1/stock": frozenset({"item"}),
    "/api/v1/stock/movements": frozenset({"item", "limit"}),
    "/api/v1/requisitions": frozenset({"status"}),
    "/api/v1/requisitions.csv": frozenset({"status"}),
    "/api/v1/subcontract-orders": frozenset({"state"}),
}
"""The query arguments each route reads (docs/openapi.yaml says the same; a test compares them); a route not
named here takes none. Anything else is refused: an ERP that sent ``from=`` got the default week in silence."""
ROUTE_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def create_app(core: HubCore, tokens: Iterable[str], now: Callable[[], datetime] = lambda: datetime.now(UTC),
               health: Callable[[], tuple[bool, dict[str, Any]]] | None = None, max_days: int = 366,
               integrate_tokens: Iterable[str] = (), reports: ReportPool | None = None,
               traveler_language: str = "en") -> Flask:
    """The API over one hub; ``tokens`` are the read scope's bearer tokens, ``integrate_tokens`` the
    integrate scope's (read and write; none of either: every request refused); ``health`` reports the
    hub's loops (``HubService.health``): not ok answers 503; a period longer than ``max_days`` (setting
    hub.api_max_days) is refused with 400; ``reports``: where the heavy reports compute (sync.hub.reports_pool;
    none: in this process, one at a time); ``traveler_language``: travelers asked for without ``lang``."""
    writers = [t.encode() for t in integrate_tokens if t]
    accepted = [t.encode() for t in tokens if t] + writers
    pool = reports if reports is not None else ReportPool(core, workers=0)
    app = Flask("floorlink.hub.api")
    app.json.sort_keys = False  # type: ignore[attr-defined]

    def error(status: int, what: str) -> Response:
        response = jsonify({"error": what})
        response.status_code = status
        return response

    @app.errorhandler(HTTPException)
    def http_refusal(exc: HTTPException) -> Response:
        """Flask's own refusals (no such route, a method the route has not) as the API's JSON sentence: an ERP
        parses every answer the same way; Flask answered these in HTML."""
        where = f"{request.method} {request.path[:120]}"
        if isinstance(exc, NotFound):
            what = (f"{where} is not a route of this API (docs/openapi.yaml lists them; a requisition id is a "
                    "whole number)")
        elif isinstance(exc, MethodNotAllowed):
            what = f"{where}: this route answers {', '.join(sorted(exc.valid_methods or ()))} only"
        else:
            what = f"{where}: {exc.description or exc.name}"
        return error(exc.code or 400, what)

    @app.errorhandler(Exception)
    def failure(exc: Exception) -> Response:
        """A fault of the hub's own: the log gets the traceback, the caller a sentence, the server goes on."""
        log.error("API %s %s failed", request.method, request.path[:120], exc_info=exc)
        return error(500, "the hub could not answer this request; its log has the cause")

    @app.before_request
    def check_token() -> Response | None:
        if request.path == "/api/v1/health":
            return None
        header = request.headers.get("Authorization", "")
        given = header.removeprefix("Bearer ").strip().encode() if header.startswith("Bearer ") else b""
        if not given or not any(hmac.compare_digest(given, t) for t in accepted):
            response = error(401, "missing or wrong bearer token (see hub.api_tokens in docs/settings.md)")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if request.method not in ("GET", "HEAD") and not any(hmac.compare_digest(given, t) for t in writers):
            return error(403, "this token may only read: writes need a token of hub.api_integrate_tokens")
        return None

    @app.before_request
    def check_arguments() -> Response | None:
        """Only the arguments the route reads, each once: a misspelt or repeated one is named, not ignored."""
        rule = request.url_rule
        if rule is None or rule.rule == "/api/v1/health":
            return None  # not a route (its 404 follows) or the health probe, which takes anything
        path = ROUTE_ARGUMENT.sub(r"{\1}", rule.rule)
        takes = QUERY_ARGS.get(path, frozenset())
        for name in request.args:
            if name not in takes:
                return error(400, f"{quoted(name)} is not an argument of {path}: it takes "
                                  f"{', '.join(sorted(takes)) or 'none'} (docs/openapi.yaml)")
            if len(request.args.getlist(name)) > 1:
                return error(400, f"{name} is given {len(request.args.getlist(name))} times: give it once")
        return None

    @app.get("/api/v1/health")
    def health_route() -> Response:
        ok, details = health() if health is not None else (True, {})
        response = jsonify({"ok": ok, "time": now().isoformat(), **details})
        response.status_code = 200 if ok else 503
        return response

    def report(name: str, **args: Any) -> Any:
        """A report of sync.hub.reports_pool computed apart from ingest; 503 when it cannot be now."""
        try:
            return pool.run(name, **args)
        except ReportUnavailable as exc:
            response = error(503, exc.what)  # a plain sentence: it says what to do itself
            response.headers["Retry-After"] = str(exc.retry_after)
            return response

    def moment(name: str) -> datetime | Response | None:
        """The query argument ``name`` as a time with a zone between OLDEST and NEWEST; None when not given,
        a 400 answer naming it when wrong."""
        if name not in request.args:
            return None
        text = request.args[name]
        # ``+08:00`` typed into a URL arrives as `` 08:00`` (a plus is a space in a query string)
        text = UNESCAPED_OFFSET.sub(r"\1+\2", text)
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            return error(400, f"{name} must be an ISO 8601 time such as 2026-11-23T00:00:00%2B08:00 "
                              f"(in a URL a + is written %2B), not {quoted(text)}")
        if at.tzinfo is None:
            return error(400, f"{name} needs a time zone, e.g. 2026-11-23T00:00:00+08:00")
        if not OLDEST <= at <= NEWEST:
            return error(400, f"{name} must lie between {OLDEST.date()} and {NEWEST.date()}")
        return at

    def answer(result: Any) -> Response:
        return result if isinstance(result, Response) else jsonify(result)

    @app.get("/api/v1/orders")
    def orders() -> Response:
        """``since`` (ISO 8601 with a zone): orders placed from then on; ``status``: one of ORDER_STATUSES;
        ``late``: true or false. An ERP polls with ``since`` for what is new."""
        since = moment("since")
        if isinstance(since, Response):
            return since
        status = request.args.get("status")
        if status is not None and status not in ORDER_STATUSES:
            return error(400, f"status must be one of {', '.join(ORDER_STATUSES)}, not {quoted(status)}")
        late_text = request.args.get("late")
        if late_text is not None and late_text not in ("true", "false"):
            return error(400, f"late must be true or false, not {quoted(late_text)}")
        late = None if late_text is None else late_text == "true"
        return answer(report("orders", now=now(), since=since, status=status, late=late))

    @app.get("/api/v1/orders/<key>")
    def order(key: str) -> Response:
        """``key``: the order's number (``K1-0042``, as on the receipt) or its internal id."""
        order_id = core.order_id_for(key)
        found = report("order", now=now(), order_id=order_id) if order_id else None
        if found is None:
            return error(404, f"no order {key}")
        return answer(found)

    @app.get("/api/v1/work-orders")
    def work_orders() -> Response:
        status = request.args.get("status")
        if status is not None and status not in WORK_ORDER_STATUSES:  # it used to match nothing, silently
            return error(400, f"status must be one of {', '.join(WORK_ORDER_STATUSES)}, not {quoted(status)}")
        since = moment("since")  # of the orders placed from then on
        if isinstance(since, Response):
            return since
        return answer(report("work_orders", now=now(), status=status, since=since))

    @app.get("/api/v1/work-orders/<wo_id>/traveler.pdf")
    def traveler(wo_id: str) -> Response:
        """``wo_id``: the work order's number (``K1-0042-01``, any case), which is its id; ``lang``: en or
        zh_CN (default: setting hub.traveler_language)."""
        language = request.args.get("lang", traveler_language)
        if language not in TRAVELER_LANGUAGES:
            return error(400, f"lang must be one of {', '.join(TRAVELER_LANGUAGES)}, not {quoted(language)}")
        rows = core.reads.query("SELECT body FROM work_orders WHERE id IN (?, ?)", [wo_id, wo_id.upper()])
        if not rows:
            return error(404, f"no work order {wo_id}")
        wo_id = json.loads(rows[0]["body"])["id"]
        try:
            pdf = traveler_pdf(json.loads(rows[0]["body"]), language)
        except PrintError as exc:  # no Chinese font on this box: say so, and how to print meanwhile
            log.error("traveler of %s in %s: %s", wo_id, language, exc.message, exc_info=True)
            return error(503, exc.message)
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="traveler-{wo_id}.pdf"'})

    @app.get("/api/v1/purchase-orders")
    def purchase_orders() -> Response:
        """Purchase requisitions still to come, due from ``since`` on (default: a week ago), one entry per
        supplier and due day (the site's): what a buyer sends and chases. A requisition counts with what is
        still to come (its quantity less what was received), at the date its supplier confirmed, under the
        supplier who confirmed it; closed and cancelled ones bring nothing more."""
        given = moment("since")
        if isinstance(given, Response):
            return given
        at = given or now() - timedelta(days=7)
        zone = core.options.zone
        grouped: dict[tuple[str, str], dict[str, float]] = {}
        for row in stock.requisitions(core.reads.query):
            if row["status"] not in ("open", "ordered", "received"):
                continue
            due = datetime.fromisoformat(row["confirmed_date"] or row["due_date"])
            left = float(row["qty"]) - float(row["received"] or 0)
            if due < at or left <= 1e-9:
                continue
            key = (row["confirmed_supplier"] or row["supplier"] or "", due.astimezone(zone).date().isoformat())
            lines = grouped.setdefault(key, {})
            lines[row["item"]] = lines.get(row["item"], 0) + left
        return jsonify([{"supplier": supplier, "due_date": due,
                         "lines": [{"item": item, "qty": qty} for item, qty in sorted(lines.items())]}
                        for (supplier, due), lines in sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0]))])

    @app.get("/api/v1/wip")
    def wip() -> Response:
        return answer(report("wip", now=now()))

    @app.get("/api/v1/alerts")
    def alerts() -> Response:
        state = request.args.get("state", "open")
        if state not in ("open", "all"):
            return error(400, f"state must be open or all, not {quoted(state)}")
        where = "WHERE state != 'resolved' " if state == "open" else ""
        rows = core.reads.query(f"SELECT * FROM alerts {where}ORDER BY id")
        return jsonify([alert_body(row) for row in rows])  # as the dashboards get them: data an object

    def period() -> tuple[datetime, datetime] | Response:
        given_until, given_since = moment("until"), moment("since")
        if isinstance(given_until, Response):
            return given_until
        if isinstance(given_since, Response):
            return given_since
        until = given_until or now()
        since = given_since or until - timedelta(days=7)
        if since >= until:
            return error(400, "since must be before until")
        if until - since > timedelta(days=max_days):
            return error(400, f"since to until is {(until - since).days} days; at most {max_days} days per request "
                              "(hub.api_max_days): ask for it in pieces")
        return since, until

    @app.get("/api/v1/kpis")
    def kpi() -> Response:
        span = period()
        return span if isinstance(span, Response) else answer(report("kpis", since=span[0], until=span[1]))

    @app.get("/api/v1/insights")
    def insights() -> Response:
        span = period()
        return span if isinstance(span, Response) else answer(report("insights", since=span[0], until=span[1]))

    @app.get("/api/v1/demand")
    def demand() -> Response:
        """The demand report as of now (sync.hub.demand; the same as python -m sync.hub.insights demand)."""
        return answer(report("demand", now=now()))

    @app.get("/api/v1/kpis/oee.csv")
    def oee_csv() -> Response:
        span = period()
        if isinstance(span, Response):
            return span
        result = report("oee_csv", since=span[0], until=span[1])
        return result if isinstance(result, Response) else Response(result, mimetype="text/csv")

    _integration_routes(app, core, now, error)
    return app


def _integration_routes(app: Flask, core: HubCore, now: Callable[[], datetime],
                        error: Callable[[int, str], Response]) -> None:
    """Stock, requisitions and shipments: what an ERP reads and writes (sync.hub.stock)."""

    def write(handler: Callable[[Transaction, Any, datetime], dict[str, Any]], *, csv_body: bool = False) -> Response:
        """Run one write in one transaction of the hub's store, at most once per Idempotency-Key."""
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 200:
            return error(400, "the Idempotency-Key header is required (1-200 characters): send a new unique key "
                              "per write, and the same key when you retry it")
        raw = request.get_data()
        if csv_body:
            try:
                body: Any = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return error(400, "the CSV body is not UTF-8 text: export it as UTF-8")
            digest = hashlib.sha256(raw).hexdigest()
        else:
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return error(400, "the body is not JSON: send a JSON object (Content-Type: application/json)")
            if not isinstance(body, dict):
                return error(400, "the body must be a JSON object")
            digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        digest = hashlib.sha256(f"{request.method} {request.path} {digest}".encode()).hexdigest()
        at = now()
        try:
            with core.store.transaction("an API write") as tx:
                seen = tx.execute("SELECT digest, status, response FROM api_requests WHERE key = ?", [key]).fetchone()
                if seen is not None:
                    if seen[0] != digest:
                        return error(409, f"Idempotency-Key {quoted(key)} was already used for another request: "
                                          "use a new key for a new write")
                    replay = Response(seen[2], status=seen[1], mimetype="application/json")
                    replay.headers["Idempotent-Replayed"] = "true"
                    return replay
                result = handler(tx, body, at)
                text = json.dumps(result, default=str)
                tx.execute("INSERT INTO api_requests (key, digest, status, response, at) VALUES (?, ?, ?, ?, ?)",
                           [key, digest, 201, text, at.isoformat()])
        except StockError as exc:
            core.inventory.resync()  # a write refused half-way (a CSV row) left nothing in the ledger
            return error(exc.status, exc.message)
        except FloorLinkError as exc:
            core.inventory.resync()
            return error(422, exc.message)
        except BaseException:
            core.inventory.resync()
            raise
        return Response(text, status=201, mimetype="application/json")

    def field(body: dict[str, Any], name: str, required: bool = True) -> Any:
        if required and name not in body:
            raise StockError(f"{name} is missing", where=name, fix=f"send {name} in the JSON body", status=400)
        return body.get(name)

    def who(body: dict[str, Any]) -> str:
        return stock.text(field(body, "by"), "by", limit=100)

    def why(body: dict[str, Any]) -> str:
        return stock.text(body.get("reason"), "reason", required=False, limit=300)

    @app.get("/api/v1/stock")
    def stock_list() -> Response:
        """On hand per item (the sum of its ledger movements)."""
        item = request.args.get("item")
        rows = stock.on_hand(core.reads.query, item)
        if item is not None and not rows:
            return error(404, f"no movements of item {quoted(item)}: check the item code")
        return jsonify([{"item": code, "on_hand": qty} for code, qty in rows.items()])

    @app.get("/api/v1/stock.csv")
    def stock_csv() -> Response:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["item", "on_hand"])
        for code, qty in stock.on_hand(core.reads.query).items():
            writer.writerow([code, f"{qty:g}"])
        return Response(out.getvalue(), mimetype="text/csv")

    @app.get("/api/v1/stock/movements")
    def stock_movements() -> Response:
        """The ledger, newest first (``item``: one item's; ``limit``: at most 1-10000 rows)."""
        limit_text = request.args.get("limit", "1000")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 10000:
            return error(400, f"limit must be a whole number from 1 to 10000, not {quoted(limit_text)}")
        return jsonify(stock.movements(core.reads.query, request.args.get("item"), int(limit_text)))

    @app.post("/api/v1/stock/counts")
    def stock_count() -> Response:
        return write(lambda tx, body, at: core.inventory.count(tx, field(body, "item"), field(body, "counted"),
                                                               who(body), why(body), at))

    @app.post("/api/v1/stock/counts.csv")
    def stock_count_csv() -> Response:
        """Counts as CSV (``item,counted,by[,reason]``): all rows or none."""
        def handler(tx: Transaction, body: Any, at: datetime) -> dict[str, Any]:
            checked = []
            for number, row in _csv_rows(body, ("item", "counted", "by")):  # every row checked before any is written
                try:
                    item, counted = core.inventory.check_count(row["item"], _csv_number(row["counted"], "counted"))
                    checked.append((item, counted, stock.text(row["by"], "by"),
                                    stock.text(row.get("reason"), "reason", required=False)))
                except StockError as exc:
                    raise StockError(f"row {number}: {exc.message}", status=exc.status) from None
            results = [core.inventory.count(tx, item, counted, by, reason, at) for item, counted, by, reason in checked]
            return {"counted": len(results), "results": results}
        return write(handler, csv_body=True)

    @app.post("/api/v1/receipts")
    def receipt() -> Response:
        """Goods in: ``requisition`` (its id) or ``item``, and ``qty``."""
        def handler(tx: Transaction, body: Any, at: datetime) -> dict[str, Any]:
            if body.get("requisition") is None and body.get("item") is None:  # "item must be a text, not None"
                raise StockError("requisition or item is missing: send the requisition's id, or the item received "
                                 "without one", where="requisition", fix="send requisition or item", status=400)
            return core.inventory.receive(tx, body.get("requisition"), field(body, "qty"), who(body), why(body), at,
                                          item=body.get("item"))

        return write(handler)

    @app.post("/api/v1/orders/<key>/shipment")
    def shipment(key: str) -> Response:
        return write(lambda tx, body, at: core.inventory.ship(tx, key, who(body), why(body), at))

    @app.get("/api/v1/requisitions")
    def requisitions() -> Response:
        """Purchase requisitions; ``status`` (default ``open``: what is still to buy) or ``all``."""
        status = request.args.get("status", "open")
        if status not in (*stock.REQUISITION_STATES, "all"):
            return error(400, f"status must be one of {', '.join(stock.REQUISITION_STATES)} or all, not {quoted(status)}")
        return jsonify(stock.requisitions(core.reads.query, None if status == "all" else status))

    @app.get("/api/v1/subcontract-orders")
    def subcontract_orders() -> Response:
        """What goes to subcontractors and when it comes back; ``state``: ``open`` (default: to send or at the
        supplier) or ``all``. A purchaser's review: they were stored but no route showed them."""
        state = request.args.get("state", "open")
        if state not in ("open", "all"):
            return error(400, f"state must be open or all, not {quoted(state)}")
        return jsonify(stock.subcontract_orders(core.reads.query, open_only=state == "open"))

    @app.get("/api/v1/requisitions.csv")
    def requisitions_csv() -> Response:
        status = request.args.get("status", "open")
        if status not in (*stock.REQUISITION_STATES, "all"):
            return error(400, f"status must be one of {', '.join(stock.REQUISITION_STATES)} or all, not {quoted(status)}")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REQUISITION_COLUMNS)
        for row in stock.requisitions(core.reads.query, None if status == "all" else status):
            writer.writerow(["" if row[c] is None else row[c] for c in REQUISITION_COLUMNS])
        return Response(out.getvalue(), mimetype="text/csv")

    def confirm(tx: Transaction, requisition: Any, body: Mapping[str, Any], at: datetime) -> dict[str, Any]:
        confirmed = stock.moment(field(dict(body), "confirmed_date"), "confirmed_date", core.options.zone, now=at)
        return core.inventory.confirm(tx, requisition, field(dict(body), "po_number"), field(dict(body), "supplier"),
                                      confirmed, who(dict(body)), at)

    @app.post("/api/v1/requisitions/<int:req_id>/confirmation")
    def confirmation(req_id: int) -> Response:
        """The buyer's order: ``po_number``, ``supplier``, ``confirmed_date`` (the supplier's), ``by``."""
        return write(lambda tx, body, at: confirm(tx, req_id, body, at))

    @app.post("/api/v1/requisitions/confirmations.csv")
    def confirmations_csv() -> Response:
        """Confirmations as CSV (``id,po_number,supplier,confirmed_date,by``): all rows or none."""
        def handler(tx: Transaction, body: Any, at: datetime) -> dict[str, Any]:
            rows = _csv_rows(body, ("id", "po_number", "supplier", "confirmed_date", "by"))
            for number, row in rows:  # every row checked before any is written
                try:
                    if not row["id"].strip().isdigit():
                        raise StockError(f"id must be a requisition number, not {quoted(row['id'])}", where="id")
                    stock.moment(row["confirmed_date"], "confirmed_date", core.options.zone, now=at)
                    for name in ("po_number", "supplier", "by"):
                        stock.text(row[name], name)
                    found = core.inventory._requisition(tx, int(row["id"]))
                    if found["status"] not in ("open", "ordered"):
                        raise StockError(f"requisition {found['id']} is {found['status']}: only open or ordered ones "
                                         "are confirmed", where="id", status=409)
                except StockError as exc:
                    raise StockError(f"row {number}: {exc.message}", status=exc.status) from None
            results = [confirm(tx, int(row["id"]), row, at) for _, row in rows]
            return {"confirmed": len(results), "results": results}
        return write(handler, csv_body=True)

    @app.post("/api/v1/requisitions/<int:req_id>/cancellation")
    def cancellation(req_id: int) -> Response:
        return write(lambda tx, body, at: core.inventory.cancel(tx, req_id, who(body), why(body), at))

    @app.post("/api/v1/requisitions/<int:req_id>/closing")
    def closing(req_id: int) -> Response:
        """Close a requisition received in part: the supplier sends no more."""
        return write(lambda tx, body, at: core.inventory.close(tx, req_id, who(body), why(body), at))


REQUISITION_COLUMNS = ("id", "item", "qty", "received", "status", "supplier", "need_date", "due_date", "po_number",
                       "confirmed_supplier", "confirmed_date", "order_number", "work_order")
MAX_CSV_ROWS = 10_000


def _csv_rows(body: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a CSV import with their line numbers; a missing column or too many rows is refused."""
    reader = csv.DictReader(io.StringIO(body))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise StockError(f"the CSV has no column {', '.join(missing)}", where="CSV header",
                         fix=f"the first line must name the columns: {','.join(required)}", status=400)
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if len(rows) >= MAX_CSV_ROWS:
            raise StockError(f"more than {MAX_CSV_ROWS} rows", where="CSV", fix="send it in pieces", status=400)
        rows.append((reader.line_num, {k: (v or "") for k, v in row.items() if isinstance(k, str)}))
    if not rows:
        raise StockError("the CSV has no rows", where="CSV", fix="one line per item after the header", status=400)
    return rows


def _csv_number(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise StockError(f"{name} must be a number, not {quoted(value)}", where=name, fix="write it like 12 or 2.5") from None


class ApiServer:
    """The API served by waitress on a background thread (``port=0`` picks a free port); ``threads``: requests
    served at once (the service gives ReportPool.threads: reports waiting never take them all)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> None:
        try:
            self.server = create_server(app, host=host, port=port, threads=threads)
        except OSError as exc:
            raise SettingsError(f"the API cannot listen on {host}:{port} ({exc.strerror or exc})",
                                where="hub.api_port",
                                fix="another program (or a second hub) uses that port: stop it, or set "
                                    "another hub.api_port / --api-port") from None
        self.port = int(self.server.effective_port)  # type: ignore[union-attr]
        self.host = host
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hub-api", daemon=True)

    def _serve(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._closing.is_set():  # closing the listening socket ends select() with EBADF
                raise

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self.server.close()
        self._thread.join(timeout=5)
