"""The kiosk's side of sync: the outbox store, the EdgeSync thread and what the indicator shows.

EdgeSync (``sync.protocol.edge``) runs on its own thread; this relays its acks to the UI thread
with a signal and polls its status every two seconds for the quiet indicator.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.events import StoreSink
from kiosk.flow import KioskModel
from kiosk.qt import QObject, QTimer, Signal
from kiosk.status import ORDERS_STREAM, KioskStatus, acked_order, follow_promises, read_status
from sync.catalog.distribution import follow_catalog
from sync.errors import FloorLinkError
from sync.planning.estimate import CAPACITY_STREAM, follow_capacity, latest_capacity
from sync.popular import POPULAR_STREAM, follow_popular, latest_popular
from sync.protocol.edge import EdgeSync, SyncStatus
from sync.settings import Settings
from sync.store import AckRecord, Outbox, Store


def sync_state(status: SyncStatus) -> str:
    """``online`` (all sent), ``syncing`` (sending), ``offline`` (orders wait on this kiosk)."""
    if not status.connected:
        return "offline"
    return "syncing" if status.pending else "online"


CATALOG_STREAMS = "catalog/#"  # one latest-only stream per product


class SyncLink(QObject):
    """Owns the kiosk's store and EdgeSync; feeds the model sync state and order acks."""

    acked = Signal(object)

    def __init__(self, model: KioskModel, store: Store, edge: EdgeSync, interval_ms: int = 2000) -> None:
        super().__init__()
        self.model = model
        self.store = store
        self.edge = edge
        self.acked.connect(self._apply_ack)
        edge.on_ack(self.acked.emit)  # called on the sync thread; the signal queues it to the UI
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    @classmethod
    def open(cls, model: KioskModel, settings: Settings, data_dir: Path) -> SyncLink:
        """Open ``data_dir/kiosk.db`` and start EdgeSync to the configured broker (StoreError if the
        database cannot be opened)."""
        store = Store(data_dir / "kiosk.db", device_id=settings.get("node.device_id"))
        edge = EdgeSync(store, site=settings.get("node.site"), host=settings.get("mqtt.host"),
                        port=settings.get("mqtt.port"), streams=[CATALOG_STREAMS, CAPACITY_STREAM, POPULAR_STREAM, ORDERS_STREAM],
                        link_options={"username": settings.get("mqtt.username"),
                                      "password": settings.get("mqtt.password"),
                                      "tls": settings.get("mqtt.tls"), "ca_file": settings.get("mqtt.ca_file"),
                                      "keepalive": settings.get("mqtt.keepalive")})
        # the hub's capacity snapshot: offline estimates with the hub's own planner (sync.planning.estimate)
        follow_capacity(store, edge.inbox, on_snapshot=lambda body: setattr(model, "capacity", body))
        # released revisions from the hub land in the local catalog database the kiosk can sell from
        follow_catalog(edge.inbox, Path(settings.get("catalog.database") or data_dir / "catalog.db").expanduser())
        model.capacity = latest_capacity(store)
        # the products' most-ordered builds (sync.popular; the hub counts them in sync.hub.popular): starting points on the first page, offline too
        follow_popular(store, edge.inbox, on_builds=lambda body: setattr(model, "popular", body))
        model.popular = latest_popular(store)
        model.zone = ZoneInfo(settings.get("node.time_zone"))  # checked when the settings load
        # the hub's promise changes of every kiosk's orders: this kiosk keeps its own for the staff panel
        follow_promises(store, edge.inbox, model.zone)
        return cls(model, store, edge)

    def read_status(self, revisions: Mapping[str, int]) -> KioskStatus:
        """The staff panel's snapshot (worker thread); a store problem shows as the last error."""
        try:
            return read_status(self.store, self.edge.status(), self.model.zone, revisions)
        except FloorLinkError as exc:
            return KioskStatus(True, last_error=exc.message, revisions=dict(revisions))

    def sink(self) -> StoreSink:
        return StoreSink(self.store, wake=self.edge.wake)

    def start(self) -> SyncLink:
        self.edge.start()
        self.timer.start()
        self.poll()
        return self

    def stop(self) -> None:
        self.timer.stop()
        self.edge.stop()
        self.store.close()

    def poll(self) -> None:
        status = self.edge.status()
        state = sync_state(status)
        # the top bar counts orders ("orders wait on this kiosk · 1"), not the usage events that wait beside them
        orders = Outbox(self.store).pending_count("order.placed") if status.pending else 0
        if (state, orders) != (self.model.sync_state, self.model.sync_pending):
            self.model.set_sync(state, orders)

    def _apply_ack(self, record: AckRecord) -> None:
        if record.type == "order.placed":
            order_id = acked_order(self.store, record.event_id, record.result)  # a refusal names only the event
            self.model.order_acked(order_id, record.status, record.result, record.reason)
        self.poll()
