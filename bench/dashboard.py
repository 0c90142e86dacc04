"""Dashboard update cost: with 500 orders and 5,000 operations loaded, one incoming event (an
alert.raised, or a 1,000-operation work-centre board update) from arrival to a repainted screen.

As in the app: the inbox applies it on a sync thread of its own connection, the cache tells the
dashboard core, which reads on its thread and signals the window, which repaints the changed panels
(the Stations tab with its per-station cards is shown). Also measured: how long the UI thread is
busy per event (apply + repaint). Baselines in the same run: the bare inbox apply; the old design's
UI-thread cost (model read on the UI thread, then apply + repaint); a full rebuild of the window
per event. Last line: one JSON object. ``.venv/bin/python bench/dashboard.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync.dashboard_cache import DashboardCache  # noqa: E402
from sync.protocol.envelope import Envelope  # noqa: E402
from sync.store import Inbox, Store  # noqa: E402
from terminal.dashboard.core import DashboardCore  # noqa: E402
from terminal.dashboard.model import DashboardModel  # noqa: E402
from terminal.dashboard.widgets import DashboardWindow  # noqa: E402
from terminal.qt import QApplication, QEventLoop, QTimer  # noqa: E402

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


def wait_for(app: QApplication, done: Any, timeout: float = 30.0) -> None:
    """Process Qt events, sleeping in the event loop until one is posted (no busy spin stealing the GIL)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("bench: the screen did not repaint within 30 s")
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)  # a 100 ms timer wakes it at worst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    events = 40 if args.quick else 200
    baseline_events = 10 if args.quick else 30
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    wake = QTimer()  # so a wait for more events ends at least every 100 ms
    wake.start(100)
    sync_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-sync")
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "dash.db", device_id="dash-bench")
        cache = DashboardCache(store, clock=lambda: NOW)
        sync_store = sync_thread.submit(store.sibling).result()
        inbox = Inbox(sync_store)
        cache.register(inbox)
        feed = Feed(inbox)
        feed.send("dashboard/orders", "dashboard.orders", orders_body(500))
        for code in CENTRES:
            feed.send(f"dashboard/centre/{code}", "dashboard.centre", centre_body(code, 1000))
        model = DashboardModel(cache, clock=lambda: NOW)
        core = DashboardCore(model)
        window = DashboardWindow(model, core=core, ask_name=lambda _p: "bench", time_refresh_ms=3_600_000,
                                 default_tab="stations")
        window.resize(1280, 800)
        window.show()
        repaints = [0]
        ui_busy: list[float] = []

        def on_repainted(_changed: object) -> None:
            repaints[0] += 1

        def timed_apply(state: object, changed: object) -> None:  # UI-thread time spent on one event
            started = time.perf_counter()
            window.on_changed(state, changed)  # type: ignore[arg-type]
            ui_busy.append((time.perf_counter() - started) * 1000)

        window.repainted.connect(on_repainted)
        core.changed.disconnect(window.on_changed)
        core.changed.connect(timed_apply)
        wait_for(app, lambda: repaints[0] >= 1)
        app.processEvents()

        def event(i: int) -> None:
            if i % 2:
                feed.send("alerts", "alert.raised", alert(100 + i))
            else:
                code = CENTRES[i % len(CENTRES)]
                feed.send(f"dashboard/centre/{code}", "dashboard.centre", centre_body(code, 1000, salt=i))

        def repainted_after(seen: int) -> Any:
            return lambda: repaints[0] > seen

        ours: list[float] = []
        ui_busy.clear()
        for i in range(events):
            started = time.perf_counter()
            sync_thread.submit(event, i)
            wait_for(app, repainted_after(repaints[0]))
            painted = time.perf_counter()
            window.repaint()
            ended = time.perf_counter()
            ours.append((ended - started) * 1000)
            ui_busy[-1] += (ended - painted) * 1000
        assert window.wait_idle(30)
        core.close()  # the baselines below must not wake the screen's core
        bare: list[float] = []
        for i in range(events, events + baseline_events):
            started = time.perf_counter()
            sync_thread.submit(event, i).result()
            bare.append((time.perf_counter() - started) * 1000)
        old_ui: list[float] = []  # the old design: the UI thread read the cache itself
        window.apply(model.refresh())  # catch up with the bare-apply events first: time one event per read
        for i in range(events + baseline_events, events + 2 * baseline_events):
            sync_thread.submit(event, i).result()
            started = time.perf_counter()
            changed = model.refresh()
            window.apply(changed)
            window.repaint()
            old_ui.append((time.perf_counter() - started) * 1000)
        rebuild: list[float] = []
        for i in range(events + 2 * baseline_events, events + 3 * baseline_events):
            started = time.perf_counter()
            sync_thread.submit(event, i).result()
            fresh = DashboardWindow(DashboardModel(cache, clock=lambda: NOW), time_refresh_ms=3_600_000,
                                    default_tab="stations")
            fresh.resize(1280, 800)
            fresh.show()
            got: list[object] = []
            fresh.repainted.connect(got.append)
            wait_for(app, got.__len__)
            fresh.repaint()
            rebuild.append((time.perf_counter() - started) * 1000)
            fresh.close()
            fresh.deleteLater()
        window.close()
        sync_thread.submit(sync_store.close).result()
        store.close()
    sync_thread.shutdown()
    figures = {"bench": "dashboard", "orders": 500, "operations": 5000, "events": events,
               "p95_ms": round(p95(ours), 2), "median_ms": round(statistics.median(ours), 2),
               "ui_thread_p95_ms": round(p95(ui_busy), 2),
               "baseline_old_ui_thread_read_p95_ms": round(p95(old_ui), 2),
               "baseline_full_rebuild_p95_ms": round(p95(rebuild), 2),
               "baseline_bare_inbox_apply_p95_ms": round(p95(bare), 2),
               "target_p95_ms": TARGET_MS, "target_met": p95(ours) <= TARGET_MS}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
