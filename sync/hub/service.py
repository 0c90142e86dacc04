"""The running hub: ingest + core + notifications + the read API + the down-message publisher.

Down messages (work orders for stations, alerts, dashboard state) are written to ``down_log``
inside the same transaction as the change that caused them; a publisher thread sends what was
committed, and remembers how far it got, so a hub crash between commit and publish only delays
a message (stations drop the duplicates a restart may send again, by stream sequence).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import uuid6

from sync.catalog.distribution import FILE, revision_messages
from sync.catalog.store import CatalogStore
from sync.errors import CorruptDatabase, FloorLinkError
from sync.hub import roster
from sync.hub.alerts import Candidate
from sync.hub.api import ApiServer, create_app
from sync.hub.core import HubCore, HubOptions
from sync.hub.dashboard_feed import centre_bodies, kpi_trend, orders_body
from sync.hub.demand import DemandOptions
from sync.hub.devices import parse_device
from sync.hub.ingest import Ingest, register_device
from sync.hub.notify import Notifier, NotifyConfig, load_config
from sync.hub.popular import POPULAR_MESSAGE, POPULAR_STREAM, popular_builds
from sync.hub.reports_pool import ReportPool
from sync.planning.estimate import CAPACITY_MESSAGE, CAPACITY_STREAM
from sync.protocol import schemas, topics
from sync.protocol.envelope import Envelope, utc_now
from sync.station.timing import EVENT_TYPES as OP_EVENT_TYPES
from sync.store.database import Store, Transaction
from sync.store.outbox import SET_ASIDE

log = logging.getLogger(__name__)


def _catalog_published_1(db: Any) -> None:
    db.execute("CREATE TABLE catalog_published (product TEXT NOT NULL, number INTEGER NOT NULL, "
               "content_hash TEXT NOT NULL, PRIMARY KEY (product, number))")


def _catalog_published_2(db: Any) -> None:
    db.execute("CREATE TABLE catalog_files_published (sha256 TEXT PRIMARY KEY)")


def _down_published_1(db: Any) -> None:
    db.execute("CREATE TABLE down_published (id INTEGER PRIMARY KEY CHECK (id = 1), last_rowid INTEGER NOT NULL)")
    db.execute("INSERT INTO down_published VALUES (1, 0)")


@dataclass
class JobState:
    """One periodic job's record for the health check: when it last succeeded, how often it failed."""

    last_ok_at: float | None = None
    errors: int = 0
    last_error: str = ""


@dataclass
class HubConfig:
    """Everything the hub needs to run (``python -m sync.hub`` builds it from settings)."""

    db: Path
    catalog_db: Path
    site: str = "demo"
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "hub"
    devices: Iterable[str] = ()
    register_unknown_devices: bool = False
    api_host: str = "127.0.0.1"
    api_port: int | None = None  # None: no API
    api_tokens: list[str] = field(default_factory=list)
    api_integrate_tokens: list[str] = field(default_factory=list)
    api_max_days: int = 366
    api_report_workers: int = 1  # processes for the API's heavy reports (sync.hub.reports_pool); 0: in-process
    traveler_language: str = "en"  # travelers printed without ?lang=
    notify_config: Path | None = None
    zone: tzinfo = UTC
    tick_seconds: float = 1.0
    silent_station_s: int = int(HubOptions.silent_after.total_seconds())
    demand: DemandOptions = DemandOptions()
    demand_every_s: int = 3600
    link_options: dict[str, Any] = field(default_factory=dict)


class HubService:
    def __init__(self, config: HubConfig, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.config = config
        self.clock = clock
        # before HubCore: on an upgraded database it announces renamed work orders, which wakes the publisher
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.store = Store(config.db, device_id=config.client_id, kind="hub")
        self.store.migrate("down_published", [_down_published_1])
        self.store.migrate("catalog_published", [_catalog_published_1, _catalog_published_2])
        for spec in config.devices:  # "station:st-assy-1", or a bare id whose first event names its kind
            register_device(self.store, *parse_device(spec))
        self.catalog = CatalogStore(config.catalog_db)
        notify = load_config(config.notify_config) if config.notify_config else NotifyConfig()
        self.notifier = Notifier(self.store.sibling(), notify)  # its own connection: see Notifier
        options = HubOptions(zone=config.zone, silent_after=timedelta(seconds=config.silent_station_s),
                             demand=config.demand, demand_every=timedelta(seconds=config.demand_every_s))
        self.core = HubCore(self.store, self.catalog, publish=self._write_down, options=options,
                            on_alert=lambda row: self.notifier.enqueue(row, self.clock(), into=self.store.db.conn))
        # business events for the ERP: signed webhooks queued with the transaction that made them
        self.core.on_event = lambda tx, type_, body: self.notifier.enqueue_event(type_, body, self.clock(),
                                                                                 into=tx.db.conn)
        self.ingest = Ingest(self.store, site=config.site, host=config.host, port=config.port,
                             client_id=config.client_id, register_unknown_devices=config.register_unknown_devices,
                             link_options=config.link_options, clock=clock, protocol=schemas.load())
        self._register_handlers()
        self._threads: list[threading.Thread] = []
        self._tick_thread: threading.Thread | None = None
        self.api: ApiServer | None = None
        self.reports: ReportPool | None = None
        # liveness (health(), the watchdog): each periodic job's last success and failures
        self.jobs: dict[str, JobState] = {name: JobState() for name in ("tick", "notifications", "capacity",
                                                                       "snapshots", "demand", "roster")}
        self.last_tick_at = time.time()
        self.restarts: dict[str, int] = {"ingest": 0, "tick": 0}
        self.stuck_after = 30.0  # seconds with messages waiting and no batch done (or no tick): stuck
        #: set when the hub cannot go on (a damaged database); ``python -m sync.hub`` then exits with this line
        self.fatal: FloorLinkError | None = None
        self.stopped = threading.Event()  # set on a fatal error too
        self._kpis: dict[str, Any] | None = None
        self._popular_sent: dict[str, Any] | None = None
        """The popular builds last written down (kiosk/popular), so an unchanged list is not sent again."""
        self._roster_sent: tuple[Any, ...] | None = None
        """The roster version last sent to the stations (sync.hub.roster): sent again when it changes."""

    # ------------------------------------------------------------------ wiring
    def _register_handlers(self) -> None:
        core, now = self.core, self.clock

        def placed(tx: Transaction, env: Envelope) -> dict[str, Any]:
            result = core.on_order_placed(tx, env.event_id, env.device_id, env.body, now())
            self._write_capacity(tx, now())  # kiosks estimate the next order against what this one took
            return result

        def cancelled(tx: Transaction, env: Envelope) -> dict[str, Any]:
            return core.on_order_cancelled(tx, env.event_id, env.body, now())

        def op_event(tx: Transaction, env: Envelope) -> dict[str, Any]:
            return core.on_op_event(tx, env.event_id, env.device_id, env.type, env.body, now())

        def alert_command(tx: Transaction, env: Envelope) -> dict[str, Any]:
            return core.on_alert_command(tx, env.type, env.body, now())

        self.ingest.on("order.placed", placed)
        self.ingest.on("order.cancelled", cancelled)
        for type_ in OP_EVENT_TYPES:
            self.ingest.on(type_, op_event)
        def insight(tx: Transaction, env: Envelope) -> dict[str, Any]:
            return core.on_insight_event(tx, env.type, env.body, now())

        def refused(tx: Transaction, env: Envelope, reason: str) -> None:
            core.on_event_refused(tx, env.type, env.device_id, env.event_id, reason, now())

        def set_aside(tx: Transaction, env: Envelope) -> dict[str, Any]:
            return core.on_set_aside(tx, env.device_id, env.body, now())

        def accepted_again(tx: Transaction, env: Envelope) -> None:
            core.on_accepted_again(tx, env.device_id, env.event_id, now())

        self.ingest.on_refused = refused
        self.ingest.on_retry_accepted = accepted_again
        self.ingest.on(SET_ASIDE, set_aside)
        self.ingest.on("kiosk.funnel", insight)
        self.ingest.on("kiosk.feedback", insight)
        self.ingest.on("alert.acknowledged", alert_command)
        self.ingest.on("alert.resolved", alert_command)

    def _write_down(self, tx: Transaction, stream: str, type_: str, body: dict[str, Any], retain: bool) -> None:
        """Number and store a down message in the caller's transaction; the publisher sends it after commit."""
        seq = tx.execute("SELECT coalesce(max(seq), 0) + 1 FROM down_log WHERE stream = ?", [stream]).fetchone()[0]
        envelope = Envelope(str(uuid6.uuid7()), self.store.device_id, int(seq), utc_now(), type_, body, stream)
        tx.execute("INSERT INTO down_log VALUES (?, ?, ?, ?, ?, ?)",
                   [stream, envelope.seq, envelope.event_id, type_, envelope.encode().decode("utf-8"), int(retain)])
        self._wake.set()

    # ------------------------------------------------------------------ running
    def publish_catalog(self) -> int:
        """Send every released revision not sent yet, retained on ``catalog/{product}`` (sync.catalog.distribution;
        the pictures it shows first, each once whichever revisions show it; a large revision as pages, then its
        manifest)."""
        catalog = CatalogStore(self.config.catalog_db)  # a fresh connection: the catalog file is edited elsewhere
        try:
            # numbers first: a snapshot is read (and parsed) only for a revision not sent yet
            sent = {(r["product"], r["number"]) for r in self.store.query("SELECT product, number FROM catalog_published")}
            fresh = [catalog.revision(code, number) for code, number in catalog.released_numbers().items()
                     if (code, number) not in sent]
            for revision in fresh:
                sent_files = {r["sha256"] for r in self.store.query("SELECT sha256 FROM catalog_files_published")}
                messages = revision_messages(revision, catalog, sent_files=sent_files)
                with self.store.transaction(f"publishing {revision.ref}") as tx:
                    for stream, type_, body in messages:
                        self._write_down(tx, stream, type_, body, True)
                        if type_ == FILE:
                            tx.execute("INSERT OR IGNORE INTO catalog_files_published VALUES (?)", [body["sha256"]])
                    tx.execute("INSERT INTO catalog_published VALUES (?, ?, ?)",
                               [revision.product_code, revision.number, revision.content_hash])
        finally:
            catalog.close()
        return len(fresh)

    def start(self) -> HubService:
        self.publish_catalog()
        # kiosks estimate with the hub's planner from their first customer on, not only after the first
        # 30-second tick (a fresh demo's first order was estimated without it, 3 weeks off the promise)
        self._job("capacity", self._publish_capacity, self.clock())
        self.ingest.start()
        for target, name in ((self._publish_loop, "hub-down"), (self._watchdog, "hub-watchdog"),
                             (self._demand_loop, "hub-demand")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._start_tick()
        if self.config.api_port is not None:
            self.core.reads = self.store.sibling()  # API reads never wait for ingest's connection, nor it for them
            # heavy reports in worker processes: they never hold the GIL ingest needs
            self.reports = ReportPool(self.core, self.config.api_report_workers)
            self.api = ApiServer(create_app(self.core, self.config.api_tokens,
                                            integrate_tokens=self.config.api_integrate_tokens, now=self.clock,
                                            health=self.health, max_days=self.config.api_max_days,
                                            reports=self.reports, traveler_language=self.config.traveler_language),
                                 self.config.api_host, self.config.api_port, threads=self.reports.threads).start()
        return self

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return self.ingest.wait_ready(timeout)

    def _start_tick(self) -> None:
        self.last_tick_at = time.time()
        self._tick_thread = threading.Thread(target=self._tick_loop, name="hub-tick", daemon=True)
        self._tick_thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in [*self._threads, *([self._tick_thread] if self._tick_thread else [])]:
            thread.join(5)
        if self.api is not None:
            self.api.stop()
        if self.reports is not None:
            self.reports.close()
        self.ingest.stop()
        if self.core.reads is not self.store:
            self.core.reads.close()
        self.notifier.store.close()
        self.store.close()
        self.catalog.close()

    def _publish_loop(self) -> None:
        """Send committed down messages in order; remember the last one handed to the broker."""
        while not self._stop.is_set():
            self._wake.wait(0.05)
            self._wake.clear()
            try:
                self.publish_pending()
            except CorruptDatabase as exc:
                self._fail(exc)
            except Exception:  # keep publishing after a passing error (broker or database)
                log.exception("hub: publishing down messages failed; retrying")
                self._stop.wait(0.5)

    def publish_pending(self) -> int:
        last = self.store.query("SELECT last_rowid FROM down_published WHERE id = 1")[0]["last_rowid"]
        rows = self.store.query("SELECT rowid, stream, envelope, retain FROM down_log WHERE rowid > ? "
                                "ORDER BY rowid LIMIT 500", [last])
        if not rows or not self.ingest.link.connected:
            return 0
        for row in rows:
            self.ingest.link.publish(topics.down(self.config.site, row["stream"]), row["envelope"].encode("utf-8"),
                                     retain=bool(row["retain"]))
        with self.store.transaction("marking down messages sent") as tx:
            tx.execute("UPDATE down_published SET last_rowid = ? WHERE id = 1", [rows[-1]["rowid"]])
        return len(rows)

    def _tick_loop(self) -> None:
        snapshot_every = max(int(5 / max(self.config.tick_seconds, 0.01)), 1)
        ticks = 0
        while not self._stop.wait(self.config.tick_seconds) and self.fatal is None:
            now = self.clock()
            ticks += 1
            # each job fails alone: a tick that cannot plan must not stop notifications or dashboard state
            self._job("tick", self.core.tick, now)
            self._job("notifications", self.notifier.deliver_due, now)
            if ticks % (snapshot_every * 6) == 0:
                self._job("capacity", self._publish_capacity, now)
            if ticks % snapshot_every == 0:
                self._job("snapshots", self.publish_snapshot, now, with_kpis=ticks % (snapshot_every * 12) == 0)
                self._job("roster", self.publish_roster)
            self.last_tick_at = time.time()

    def _demand_loop(self) -> None:
        """The demand forecast and its purchasing and capacity warnings (HubCore.demand_check, every
        ``HubOptions.demand_every``) on their own thread: a report over a year of events takes seconds,
        which must not hold up the tick's alerts and notifications (nor look like a stuck tick)."""
        while not self._stop.wait(min(60.0, max(self.config.tick_seconds, 1.0) * 10)) and self.fatal is None:
            self._job("demand", self.core.demand_check, self.clock())

    def _job(self, name: str, run: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        state = self.jobs[name]
        try:
            run(*args, **kwargs)
        except CorruptDatabase as exc:
            self._fail(exc)
        except Exception as exc:
            state.errors += 1
            state.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("hub: periodic job %s failed; trying again next time", name)
        else:
            state.last_ok_at = time.time()

    def publish_roster(self) -> None:
        """The hub's roster to every enrolled station, when it or the stations changed (and after a start)."""
        current = roster.version(self.store.query)
        if current == self._roster_sent:
            return
        body = roster.message(self.store.query)
        if body["workers"] or body["removed"]:  # a hub that keeps no roster leaves the stations' own alone
            with self.store.transaction("sending the roster") as tx:
                for device in current[2]:
                    self._write_down(tx, f"station/{device}", roster.ROSTER_MESSAGE, body, False)
                # the dashboards name the workers (and let supervisors acknowledge) from the same roster; retained:
                # a board started later gets the whole of it (seen live: 'E-0101' where 'Wang Fang' worked)
                self._write_down(tx, roster.DASHBOARD_STREAM, roster.ROSTER_MESSAGE, body, True)
        self._roster_sent = current

    def _publish_capacity(self, now: datetime) -> None:
        builds = popular_builds(self.store.query, now)
        with self.store.transaction("publishing capacity") as tx:
            self._write_capacity(tx, now)
            if builds["products"] != self._popular_sent:  # kiosks' starting points (sync.hub.popular), when changed
                self._write_down(tx, POPULAR_STREAM, POPULAR_MESSAGE, builds, True)
        self._popular_sent = builds["products"]
        self.publish_catalog()  # revisions released since the last look
        self.core.read_declared_stations()  # and their stations, for the wall board

    # ------------------------------------------------------------------ liveness
    def _fail(self, exc: FloorLinkError) -> None:
        """The hub cannot go on (a damaged database): say so once and stop, instead of failing every 0.5 s."""
        if self.fatal is None:
            self.fatal = exc
            log.critical("hub: stopping: %s", exc)
        self.stopped.set()

    def _watchdog(self, every: float = 1.0) -> None:
        """Restart a dead ingest or tick loop and raise an alert about it; stop the hub on a fatal error."""
        while not self._stop.wait(every):
            if self.ingest.fatal is not None:
                self._fail(self.ingest.fatal)
            if self.fatal is not None:
                continue
            if not self.ingest.alive:
                self.restarts["ingest"] += 1
                self.ingest.restart_loop()
                self._alert_restart("ingest", "the hub's ingest loop had stopped and was restarted; "
                                    "devices' events are being stored again")
            if self._tick_thread is not None and not self._tick_thread.is_alive():
                self.restarts["tick"] += 1
                self._start_tick()
                self._alert_restart("tick", "the hub's periodic checks had stopped and were restarted")

    def _alert_restart(self, loop: str, message: str) -> None:
        log.error("hub: watchdog: %s", message)
        try:
            with self.store.transaction(f"raising an alert: {loop} restarted") as tx:
                self.core.raise_alert(tx, Candidate(f"hub_restart:{loop}:{self.restarts[loop]}", "hub_fault",
                                                    "critical", f"hub {loop}", message,
                                                    {"loop": loop, "restarts": self.restarts[loop]}), self.clock())
        except Exception:
            log.exception("hub: could not raise the restart alert")

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Ingest and tick liveness for ``/api/v1/health``; False (503) when either is dead or stuck."""
        now = time.time()
        ingest, depth = self.ingest, self.ingest.queue_depth()
        stuck = ingest.stuck_for()
        ingest_ok = ingest.alive and ingest.fatal is None and stuck <= self.stuck_after
        tick_alive = self._tick_thread is not None and self._tick_thread.is_alive()
        tick_limit = max(self.stuck_after, 10 * self.config.tick_seconds)
        tick_ok = tick_alive and now - self.last_tick_at <= tick_limit
        # a hub cut off from its broker hears no station: a technician's review found health 'ok' all along
        # with a wrong broker password
        link = ingest.link
        down = link.down_for()
        broker_ok = down <= self.stuck_after
        details = {
            "ingest": {"alive": ingest.alive, "queue_depth": depth, "last_batch_s_ago": round(now - ingest.last_batch_at, 1),
                       "stuck_s": round(stuck, 1),
                       "restarts": self.restarts["ingest"], "batch_errors": ingest.loop_errors,
                       "last_error": ingest.last_error, "stored": ingest.stats.stored,
                       "quarantined": ingest.stats.quarantined, "ok": ingest_ok},
            "tick": {"alive": tick_alive, "last_tick_s_ago": round(now - self.last_tick_at, 1),
                     "restarts": self.restarts["tick"], "ok": tick_ok,
                     "jobs": {name: {"errors": j.errors, "last_error": j.last_error,
                                     "last_ok_s_ago": round(now - j.last_ok_at, 1) if j.last_ok_at else None}
                              for name, j in self.jobs.items()}},
            "broker": {"connected": link.connected, "down_s": round(down, 1), "last_error": link.last_error,
                       "ok": broker_ok},
            "fatal": str(self.fatal) if self.fatal else None,
        }
        return ingest_ok and tick_ok and broker_ok and self.fatal is None, details

    def _write_capacity(self, tx: Transaction, now: datetime) -> None:
        """The retained capacity and stock snapshot kiosks estimate offline with (sync.planning.estimate)."""
        self._write_down(tx, CAPACITY_STREAM, CAPACITY_MESSAGE, self.core.capacity_snapshot(now), True)

    def publish_snapshot(self, now: datetime, *, with_kpis: bool = False) -> None:
        """Retained dashboard state: orders, alerts, load and KPIs, and one board per work centre."""
        progress = self.core.orders_progress(now, self.core.board_order_ids(now))
        if with_kpis or self._kpis is None:
            self._kpis = kpi_trend(self.core, progress, now)
        bodies = [("dashboard/orders", "dashboard.orders", orders_body(self.core, progress, now, self._kpis))]
        bodies += [(f"dashboard/centre/{code}", "dashboard.centre", body)
                   for code, body in centre_bodies(self.core, progress, now).items()]
        with self.store.transaction("publishing dashboard state") as tx:
            for stream, type_, body in bodies:
                try:
                    self._write_down(tx, stream, type_, body, True)
                except FloorLinkError as exc:  # one oversized board must not stop the others
                    log.warning("hub: dashboard state for %s not sent: %s", stream, exc)
