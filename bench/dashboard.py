"""Dashboard update cost: with 500 orders and 5,000 operations loaded, one incoming event
(an alert.raised, or a work-centre board update) applied through inbox + model + widget refresh.

Baseline in the same run: the same event followed by a full rebuild (a fresh DashboardModel and
DashboardWindow built from the cache). Last line: one JSON object.
``.venv/bin/python bench/dashboard.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync.dashboard_cache import DashboardCache  # noqa: E402
from sync.protocol.envelope import Envelope  # noqa: E402
from sync.store import Inbox, Store  # noqa: E402
from terminal.dashboard.model import DashboardModel  # noqa: E402
from terminal.dashboard.widgets import DashboardWindow  # noqa: E402
from terminal.qt import QApplication  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CENTRES = ["FRAME", "WHEEL", "PAINT", "ASSY", "TEST"]
TARGET_MS = 100.0


def orders_body(n: int) -> dict[str, Any]:
    orders = [{"id": f"O{i:04d}", "product": "BIKE", "quantity": 1 + i % 3, "placed_at": NOW.isoformat(),
               "status": "in_progress", "percent": i % 100, "promise": (NOW + timedelta(days=i % 9)).isoformat(),
               "eta": (NOW + timedelta(days=i % 7)).isoformat(), "late": i % 9 < i % 7} for i in range(n)]
    return {"at": NOW.isoformat(), "orders": orders,
            "alerts": [alert(i) for i in range(1, 21)],
            "load": {c: {"today_min": 300, "week_min": 1500, "today_capacity_min": 480, "week_capacity_min": 2400}
                     for c in CENTRES},
            "kpis": {"oee": [{"work_centre": c, "oee": 0.7} for c in CENTRES], "on_time_delivery": 0.9,
                     "first_pass_yield": 0.95,
                     "history": [{"date": f"2026-11-{17 + d}", "oee": {c: 0.6 + d / 50 for c in CENTRES},
                                  "on_time_delivery": 0.9, "first_pass_yield": 0.95} for d in range(7)]}}


def centre_body(code: str, n: int, salt: int = 0) -> dict[str, Any]:
    statuses = ["queued", "running", "paused", "done"]
    return {"at": NOW.isoformat(), "work_centre": code, "operations": [
        {"order_id": f"O{i % 500:04d}", "work_order": f"O{i % 500:04d}-{code}", "item": "PART", "qty": 1,
         "op": 10 * (1 + i // 500), "code": "OP", "status": statuses[(i + salt) % 4], "workers": ["ann"],
         "elapsed_s": 600 + salt, "standard_s": 900, "good": 0, "scrap": 0, "planned_start": NOW.isoformat(),
         "eta": None, "station": f"st-{code.lower()}-{i % 4}"} for i in range(n)]}


def alert(i: int) -> dict[str, Any]:
    return {"id": i, "key": f"k{i}", "kind": "overrun", "severity": "warning", "subject": f"WO-{i}",
            "message": f"alert {i}", "state": "raised", "raised_at": NOW.isoformat(), "acknowledged_by": None}


class Feed:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.seqs: dict[str, int] = {}

    def send(self, stream: str, type_: str, body: dict[str, Any]) -> None:
        seq = self.seqs[stream] = self.seqs.get(stream, 0) + 1
        self.inbox.receive(Envelope(f"{stream}-{seq}", "hub", seq, NOW.isoformat(), type_, body, stream))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    events = 40 if args.quick else 200
    baseline_events = 10 if args.quick else 30
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "dash.db", device_id="dash-bench")
        cache = DashboardCache(store, clock=lambda: NOW)
        inbox = Inbox(store)
        cache.register(inbox)
        feed = Feed(inbox)
        feed.send("dashboard/orders", "dashboard.orders", orders_body(500))
        for code in CENTRES:
            feed.send(f"dashboard/centre/{code}", "dashboard.centre", centre_body(code, 1000))
        model = DashboardModel(cache, clock=lambda: NOW)
        window = DashboardWindow(model, ask_name=lambda _p: "bench", poll_ms=3_600_000)
        window.resize(1280, 800)
        window.show()
        window.tabs.setCurrentIndex(1)
        app.processEvents()

        def event(i: int) -> None:
            if i % 2:
                feed.send("alerts", "alert.raised", alert(100 + i))
            else:
                code = CENTRES[i % len(CENTRES)]
                feed.send(f"dashboard/centre/{code}", "dashboard.centre", centre_body(code, 1000, salt=i))

        ours: list[float] = []
        for i in range(events):
            started = time.perf_counter()
            event(i)
            window.poll()
            app.processEvents()
            window.repaint()
            ours.append((time.perf_counter() - started) * 1000)
        bare: list[float] = []
        for i in range(events, events + baseline_events):
            started = time.perf_counter()
            event(i)
            bare.append((time.perf_counter() - started) * 1000)
        rebuild: list[float] = []
        for i in range(events + baseline_events, events + 2 * baseline_events):
            started = time.perf_counter()
            event(i)
            fresh = DashboardWindow(DashboardModel(cache, clock=lambda: NOW), poll_ms=3_600_000)
            fresh.resize(1280, 800)
            fresh.show()
            fresh.tabs.setCurrentIndex(1)
            app.processEvents()
            fresh.repaint()
            rebuild.append((time.perf_counter() - started) * 1000)
            fresh.close()
            fresh.deleteLater()
        window.close()
        store.close()
    figures = {"bench": "dashboard", "orders": 500, "operations": 5000, "events": events,
               "p95_ms": round(p95(ours), 2), "median_ms": round(statistics.median(ours), 2),
               "baseline_full_rebuild_p95_ms": round(p95(rebuild), 2),
               "baseline_bare_inbox_apply_p95_ms": round(p95(bare), 2),
               "target_p95_ms": TARGET_MS, "target_met": p95(ours) <= TARGET_MS}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
