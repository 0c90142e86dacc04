"""The API's heavy read-only reports, computed apart from ingest: in a worker process by default.

A report over months of events (KPIs, the OEE CSV, insights, demand, the order, work order and WIP lists,
which all read every operation event) is seconds of pure Python. In a thread of the hub it holds the GIL
the MQTT and ingest threads need, so a request for a year of KPIs slowed the storing of workers' events.
Here the hub only parses the request and submits (report name, checked arguments) to a
``ProcessPoolExecutor`` (spawn, ``hub.api_report_workers`` processes, 1 by default); each worker opens its
own read-only connection to the hub database (WAL: it reads the last commit and never blocks a writer)
and answers a JSON-ready value the hub serialises. ``REPORTS`` is the one list of what may run there.

A worker that dies or takes longer than ``timeout_s`` gives the caller :class:`ReportUnavailable` (the API
answers 503 with its sentence), is logged with its traceback, and the pool is replaced: the hub never
hangs on a report. ``workers=0`` computes in the hub process on its read connection (the old way, kept
for a comparison in bench/api_load.py and for a machine with one core).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sync.catalog.model import Product
from sync.errors import FloorLinkError
from sync.hub import kpis
from sync.hub.core import HubCore, period_kpis, progress_of, released_product
from sync.hub.demand import DemandOptions, Query, hub_demand_report
from sync.hub.insights import insight_report, stored_rows
from sync.hub.progress import order_json, work_in_progress, work_order_json
from sync.orders import stored_customer
from sync.station.calendar import WorkingTime
from sync.store.database import Store
from sync.times import from_iso

log = logging.getLogger(__name__)

WAIT_S = 30.0
"""How long a request waits for a free worker before it is answered 503 (try again)."""
TIMEOUT_S = 120.0
"""How long one report may compute before its worker is stopped and the caller answered 503."""
QUEUE = 4
"""Report requests that may wait for a worker at once; one more is answered 503 at once, so waiting reports
never take every thread of the API's server (``ReportPool.threads``): health and the other routes answer."""


class ReportUnavailable(FloorLinkError):
    """A report could not be computed now (workers busy, a worker died or overran): the API answers 503."""

    def __init__(self, message: str, *, retry_after: int = 10) -> None:
        super().__init__(message, where="hub API reports", fix="try again in a moment")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Context:
    """What a report needs from the live hub beside the database: sent with every request (small, picklable)."""

    calendars: Mapping[str, WorkingTime]
    zone: tzinfo
    demand: DemandOptions
    outsourced: frozenset[str] = frozenset()  # the centres a subcontractor runs (HubCore.outsourced_centres)


@dataclass(frozen=True)
class Source:
    """Where a report reads: the hub's read connection in-process, the worker's own read-only one in a worker."""

    query: Query
    product_of: Callable[[str, int], Product]
    catalog_db: Path
    context: Context


# ---------------------------------------------------------------------- the reports (run in either place)
def _kpis(src: Source, since: datetime, until: datetime) -> dict[str, Any]:
    return period_kpis(src.query, src.context.calendars, src.product_of, since, until,
                       outsourced=src.context.outsourced, zone=src.context.zone)


def _oee_csv(src: Source, since: datetime, until: datetime) -> str:
    return kpis.export(_kpis(src, since, until)["oee"], "csv")


def _insights(src: Source, since: datetime, until: datetime) -> dict[str, Any]:
    return insight_report(stored_rows(src.query, since), since, until)


def _demand(src: Source, now: datetime) -> dict[str, Any]:
    return hub_demand_report(src.query, src.catalog_db, now, src.context.zone, src.context.demand)


def _placed_since(src: Source, since: datetime | None) -> list[str] | None:
    """The orders placed from ``since`` on (None: every order): only those are derived, so an ERP polling
    for what is new does not have the hub derive a year of orders each time."""
    return None if since is None else [r["order_id"] for r in src.query("SELECT order_id, placed_at FROM orders")
                                       if from_iso(r["placed_at"]) >= since]


def _orders(src: Source, now: datetime, since: datetime | None = None, status: str | None = None,
            late: bool | None = None) -> list[dict[str, Any]]:
    """Orders placed from ``since`` on (all without), of ``status``, late or not; late ones first."""
    wanted = [o for o in progress_of(src.query, src.context.calendars, now, _placed_since(src, since))
              if (status is None or o.status == status) and (late is None or o.late == late)]
    customers = {r["order_id"]: r["customer"] for r in src.query(
        "SELECT order_id, customer FROM orders WHERE order_id IN (SELECT value FROM json_each(?))",
        [json.dumps([o.id for o in wanted])])}
    rows = [order_json(o, customer=stored_customer(customers.get(o.id))) for o in wanted]
    rows.sort(key=lambda o: (not o["late"], o["promise"] or ""))
    return rows


def _order(src: Source, now: datetime, order_id: str) -> dict[str, Any] | None:
    found = progress_of(src.query, src.context.calendars, now, [order_id])
    if not found:
        return None
    (row,) = src.query("SELECT configuration, customer FROM orders WHERE order_id = ?", [order_id])
    return order_json(found[0], detail=True, configuration=json.loads(row["configuration"]),
                      customer=stored_customer(row["customer"]))


def _work_orders(src: Source, now: datetime, status: str | None, since: datetime | None = None) -> list[dict[str, Any]]:
    """Work orders of ``status`` (all without) of the orders placed from ``since`` on (all without)."""
    return [work_order_json(wo, o.number)
            for o in progress_of(src.query, src.context.calendars, now, _placed_since(src, since))
            for wo in o.work_orders if status is None or wo.status == status]


def _wip(src: Source, now: datetime) -> dict[str, dict[str, int]]:
    return work_in_progress(wo for o in progress_of(src.query, src.context.calendars, now) for wo in o.work_orders)


REPORTS: dict[str, Callable[..., Any]] = {
    "kpis": _kpis, "oee_csv": _oee_csv, "insights": _insights, "demand": _demand, "orders": _orders,
    "order": _order, "work_orders": _work_orders, "wip": _wip,
}
"""The reports that may run out of the hub process: name -> function(source, **checked arguments)."""


# ---------------------------------------------------------------------- the worker process
_worker: tuple[Any, Path, dict[tuple[str, int], Any]] | None = None  # (read-only Store, catalog path, products)


def _open(db: Path, catalog_db: Path) -> None:
    """Pool initializer: the worker's own read-only connection to the hub database. Ctrl+C in the hub's
    terminal reaches the worker too: it is ignored here, the hub stops its workers itself (ReportPool.close)."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = (Store(db, device_id="hub-reports", kind="", read_only=True), catalog_db, {})


def _compute(name: str, context: Context, args: dict[str, Any]) -> Any:
    if _worker is None:
        raise RuntimeError("the report worker was not initialised")
    store, catalog_db, products = _worker

    def product_of(code: str, number: int) -> Product:
        if (code, number) not in products:  # revisions never change once released
            products[(code, number)] = released_product(catalog_db, code, number)
        return products[(code, number)]  # type: ignore[no-any-return]

    return REPORTS[name](Source(store.query, product_of, catalog_db, context), **args)


def _ready() -> bool:
    return _worker is not None


# ---------------------------------------------------------------------- the hub side
class ReportPool:
    """Runs ``REPORTS`` for the API over one hub: ``run(name, **args)``; ``close()`` stops the workers."""

    def __init__(self, core: HubCore, workers: int = 1, *, wait_s: float = WAIT_S, timeout_s: float = TIMEOUT_S) -> None:
        self.core = core
        self.workers = max(0, int(workers))
        self.wait_s = wait_s
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(max(1, self.workers))  # one report per worker at a time
        self._asking = 0  # requests computing or waiting for a slot
        self._count = threading.Lock()
        self._swap = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self.replaced = 0  # pools replaced after a crash or an overrun (for tests and the log)
        if self.workers:
            self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_open, initargs=(self.core.store.path, self.core.catalog.path))
        executor.submit(_ready)  # start the worker now: its imports are not paid by the first request
        return executor

    def _context(self) -> Context:
        options = self.core.options
        return Context(self.core.calendars(), options.zone, options.demand, self.core.outsourced_centres())

    def run(self, name: str, **args: Any) -> Any:
        """The report ``name`` of ``REPORTS`` with ``args`` (already checked by the API)."""
        if name not in REPORTS:
            raise KeyError(name)
        with self._count:
            if self._asking >= max(1, self.workers) + QUEUE:
                raise ReportUnavailable("too many reports are being asked for at once; try again in a moment")
            self._asking += 1
        try:
            return self._run(name, args)
        finally:
            with self._count:
                self._asking -= 1

    @property
    def threads(self) -> int:
        """HTTP threads the API needs so that reports computing and waiting leave some for the other routes."""
        return max(1, self.workers) + QUEUE + 3

    def _run(self, name: str, args: dict[str, Any]) -> Any:
        if not self._slots.acquire(timeout=self.wait_s):
            raise ReportUnavailable("another report is being computed; try again in a moment")
        try:
            if self.workers == 0:
                core = self.core
                source = Source(core.reads.query, lambda code, number: core.product(code, number)[0],
                                core.catalog.path, self._context())
                return REPORTS[name](source, **args)
            return self._in_worker(name, args)
        finally:
            self._slots.release()

    def _in_worker(self, name: str, args: dict[str, Any]) -> Any:
        with self._swap:
            executor = self._executor
        if executor is None:
            raise ReportUnavailable("the hub is stopping; try again when it is back")
        try:
            future: Future[Any] = executor.submit(_compute, name, self._context(), args)
        except (BrokenProcessPool, RuntimeError):  # it died between requests (or was shut down meanwhile)
            log.exception("hub: the report worker had stopped; starting a new one")
            self._replace(executor)
            with self._swap:
                executor = self._executor
            try:
                if executor is None:
                    raise RuntimeError("stopping")
                future = executor.submit(_compute, name, self._context(), args)
            except (BrokenProcessPool, RuntimeError):
                raise ReportUnavailable("the report could not be started; try again in a moment") from None
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            log.error("hub: report %s took longer than %g s; its worker is stopped and replaced", name, self.timeout_s)
            self._replace(executor)
            raise ReportUnavailable(f"the report took longer than {self.timeout_s:g} seconds and was stopped; "
                                    "ask for a shorter period") from None
        except CancelledError:  # the hub is stopping: close() cancelled what was waiting
            raise ReportUnavailable("the hub is stopping; try again when it is back") from None
        except BrokenProcessPool:
            log.exception("hub: the report worker stopped while computing %s; starting a new one", name)
            self._replace(executor)
            raise ReportUnavailable("the report could not be finished; try again in a moment") from None

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Stop ``broken``'s workers and put a new pool in its place (once, whoever notices first)."""
        with self._swap:
            if self._executor is not broken:
                return
            self._executor = self._new()
            self.replaced += 1
        _stop(broken, grace_s=0)

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (tests, and an operator reading the log)."""
        with self._swap:
            executor = self._executor
        return [p.pid for p in _processes(executor) if p.pid is not None]

    def close(self) -> None:
        """Stop the workers (a report still computing is abandoned): no process is left behind."""
        with self._swap:
            executor, self._executor = self._executor, None
        if executor is not None:
            _stop(executor, grace_s=2.0)


def _processes(executor: ProcessPoolExecutor | None) -> list[multiprocessing.process.BaseProcess]:
    # the executor has no public list of its processes; it is the only way to stop one that overran
    return list((getattr(executor, "_processes", None) or {}).values()) if executor is not None else []


def _stop(executor: ProcessPoolExecutor, grace_s: float) -> None:
    processes = _processes(executor)
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(grace_s)
        if process.is_alive():
            process.kill()
            process.join(5)
    executor.shutdown(wait=True)
