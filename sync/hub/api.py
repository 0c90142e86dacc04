"""The hub's read-only HTTP JSON API for ERP/MES integration (Flask, served by waitress).

Every route but ``/api/v1/health`` needs ``Authorization: Bearer <token>`` with one of the
tokens of the ``hub.api_tokens`` setting. Nothing here writes: commands to the hub go over
MQTT like every other event, so they are logged, ordered and acknowledged the same way.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request
from waitress.server import create_server

from sync.hub import kpis
from sync.hub.core import HubCore, kpi_report
from sync.hub.progress import WORK_ORDER_STATUSES, OrderProgress, WorkOrderProgress, work_in_progress
from sync.hub.travelers import traveler_pdf


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _wo_json(wo: WorkOrderProgress, order_number: str = "") -> dict[str, Any]:
    return {
        "id": wo.id, "order_id": wo.order_id, "order_number": order_number, "item": wo.item, "qty": wo.qty, "status": wo.status,
        "percent": wo.percent, "good": wo.good, "scrap": wo.scrap, "eta": wo.eta.isoformat(),
        "operations": [{
            "op": op.planned.op, "code": op.planned.code, "work_centre": op.planned.work_centre,
            "status": op.state.status.value, "standard_seconds": op.planned.standard_seconds,
            "elapsed_seconds": round(op.state.elapsed_seconds, 1), "workers": list(op.state.workers),
            "good": op.state.good, "scrap": op.state.scrap, "planned_start": op.planned.planned_start.isoformat(),
            "planned_end": op.planned.planned_end.isoformat(), "eta": op.eta.isoformat(),
            "started_at": _iso(op.state.started_at), "completed_at": _iso(op.state.completed_at),
        } for op in wo.operations],
    }


def _order_json(order: OrderProgress, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": order.id, "number": order.number, "status": order.status, "percent": order.percent, "late": order.late,
        "promise": order.promise.isoformat() if order.promise else None,
        "eta": order.eta.isoformat() if order.eta else None,
    }
    if detail:
        data["work_orders"] = [_wo_json(wo, order.number) for wo in order.work_orders]
    return data


OLDEST, NEWEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
"""Times outside these are refused: no shop floor data lies there, and far dates overflow the calendars."""
REPORT_WAIT_S = 30.0


def create_app(core: HubCore, tokens: Iterable[str], now: Callable[[], datetime] = lambda: datetime.now(UTC),
               health: Callable[[], tuple[bool, dict[str, Any]]] | None = None, max_days: int = 366) -> Flask:
    """The API over one hub; ``tokens`` are the accepted bearer tokens (none: every request refused);
    ``health`` reports the hub's loops (``HubService.health``): not ok answers 503; a period longer
    than ``max_days`` (setting hub.api_max_days) is refused with 400."""
    accepted = [t.encode() for t in tokens if t]
    reports = threading.BoundedSemaphore(1)  # one period report computes at a time: the rest of the hub keeps its CPU
    app = Flask("floorlink.hub.api")
    app.json.sort_keys = False  # type: ignore[attr-defined]

    def error(status: int, what: str) -> Response:
        response = jsonify({"error": what})
        response.status_code = status
        return response

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
        return None

    @app.get("/api/v1/health")
    def health_route() -> Response:
        ok, details = health() if health is not None else (True, {})
        response = jsonify({"ok": ok, "time": now().isoformat(), **details})
        response.status_code = 200 if ok else 503
        return response

    @app.get("/api/v1/orders")
    def orders() -> Response:
        rows = [_order_json(o) for o in core.orders_progress(now())]
        rows.sort(key=lambda o: (not o["late"], o["promise"] or ""))
        return jsonify(rows)

    @app.get("/api/v1/orders/<key>")
    def order(key: str) -> Response:
        """``key``: the order's number (``K1-0042``, as on the receipt) or its internal id."""
        order_id = core.order_id_for(key)
        found = core.orders_progress(now(), [order_id]) if order_id else []
        if not found:
            return error(404, f"no order {key}")
        return jsonify(_order_json(found[0], detail=True))

    @app.get("/api/v1/work-orders")
    def work_orders() -> Response:
        status = request.args.get("status")
        if status is not None and status not in WORK_ORDER_STATUSES:  # it used to match nothing, silently
            return error(400, f"status must be one of {', '.join(WORK_ORDER_STATUSES)}, not {status!r}")
        rows = [_wo_json(wo, o.number) for o in core.orders_progress(now()) for wo in o.work_orders
                if status is None or wo.status == status]
        return jsonify(rows)

    @app.get("/api/v1/work-orders/<wo_id>/traveler.pdf")
    def traveler(wo_id: str) -> Response:
        """``wo_id``: the work order's number (``K1-0042-01``, any case), which is its id."""
        rows = core.reads.query("SELECT body FROM work_orders WHERE id IN (?, ?)", [wo_id, wo_id.upper()])
        if not rows:
            return error(404, f"no work order {wo_id}")
        wo_id = json.loads(rows[0]["body"])["id"]
        pdf = traveler_pdf(json.loads(rows[0]["body"]))
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="traveler-{wo_id}.pdf"'})

    @app.get("/api/v1/purchase-orders")
    def purchase_orders() -> Response:
        """Purchase requisitions due from ``since`` on (default: a week ago), one entry per supplier and due
        date: what a buyer sends and chases."""
        try:
            at = datetime.fromisoformat(request.args["since"]) if "since" in request.args else now() - timedelta(days=7)
        except ValueError as exc:
            return error(400, f"since must be an ISO 8601 time: {exc}")
        if at.tzinfo is None:
            return error(400, "since needs a time zone, e.g. 2026-11-23T00:00:00+08:00")
        grouped: dict[tuple[str, str], dict[str, float]] = {}
        for row in core.reads.query("SELECT supplier, due_date, item, qty FROM requisitions WHERE kind = 'purchase'"):
            if datetime.fromisoformat(row["due_date"]) < at:
                continue
            lines = grouped.setdefault((row["supplier"] or "", row["due_date"]), {})
            lines[row["item"]] = lines.get(row["item"], 0) + row["qty"]
        return jsonify([{"supplier": supplier, "due_date": due,
                         "lines": [{"item": item, "qty": qty} for item, qty in sorted(lines.items())]}
                        for (supplier, due), lines in sorted(grouped.items(),
                                                             key=lambda kv: (datetime.fromisoformat(kv[0][1]), kv[0][0]))])

    @app.get("/api/v1/wip")
    def wip() -> Response:
        return jsonify(work_in_progress(wo for o in core.orders_progress(now()) for wo in o.work_orders))

    @app.get("/api/v1/alerts")
    def alerts() -> Response:
        state = request.args.get("state", "open")
        if state not in ("open", "all"):
            return error(400, f"state must be open or all, not {state!r}")
        where = "WHERE state != 'resolved' " if state == "open" else ""
        rows = core.reads.query(f"SELECT * FROM alerts {where}ORDER BY id")
        return jsonify(rows)

    def period() -> tuple[datetime, datetime] | Response:
        try:
            until = datetime.fromisoformat(request.args["until"]) if "until" in request.args else now()
            since = datetime.fromisoformat(request.args["since"]) if "since" in request.args else until - timedelta(days=7)
        except ValueError as exc:
            return error(400, f"since/until must be ISO 8601 times: {exc}")
        if since.tzinfo is None or until.tzinfo is None:
            return error(400, "since/until need a time zone, e.g. 2026-11-23T00:00:00+08:00")
        if not (OLDEST <= since <= NEWEST and OLDEST <= until <= NEWEST):
            return error(400, f"since/until must lie between {OLDEST.date()} and {NEWEST.date()}")
        if since >= until:
            return error(400, "since must be before until")
        if until - since > timedelta(days=max_days):
            return error(400, f"the period is {(until - since).days} days; at most {max_days} days per request "
                              "(hub.api_max_days): ask for it in pieces")
        return since, until

    def report(make: Callable[[], Any]) -> Any:
        """Run one period report at a time; 503 when another holds the hub too long."""
        if not reports.acquire(timeout=REPORT_WAIT_S):
            response = error(503, "another report is being computed; try again in a moment")
            response.headers["Retry-After"] = "10"
            return response
        try:
            return make()
        finally:
            reports.release()

    @app.get("/api/v1/kpis")
    def kpi() -> Response:
        span = period()
        if isinstance(span, Response):
            return span
        result = report(lambda: kpi_report(core, *span))
        return result if isinstance(result, Response) else jsonify(result)

    @app.get("/api/v1/insights")
    def insights() -> Response:
        span = period()
        if isinstance(span, Response):
            return span
        result = report(lambda: core.insights(*span))
        return result if isinstance(result, Response) else jsonify(result)

    @app.get("/api/v1/kpis/oee.csv")
    def oee_csv() -> Response:
        span = period()
        if isinstance(span, Response):
            return span
        result = report(lambda: kpi_report(core, *span))
        if isinstance(result, Response):
            return result
        rows = result["oee"]
        return Response(kpis.export(rows, "csv"), mimetype="text/csv")

    return app


class ApiServer:
    """The API served by waitress on a background thread (``port=0`` picks a free port)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = create_server(app, host=host, port=port, threads=4)
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
