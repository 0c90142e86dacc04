"""What the planner reads (items, structures, work centres) and what it answers (plans)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.station.calendar import AlwaysWorking, WorkingTime


@dataclass(frozen=True)
class ItemSpec:
    """Planning facts of one item: its kind and stock position, how long it takes to buy."""

    code: str
    kind: str  # purchased | made | finished
    stock: float = 0
    safety_stock: float = 0
    lead_time_days: int = 0
    supplier: str | None = None
    unit_cost: float = 0
    # how it is bought (sync.catalog.model.Purchasing): lot_for_lot | reorder_point | period
    policy: str = "lot_for_lot"
    min_qty: float = 0
    multiple: float = 0
    reorder_point: float = 0
    order_qty: float = 0
    period_days: int = 7


@dataclass(frozen=True)
class OpSpec:
    """One routing operation of a made item, with its standard times in minutes."""

    op: int
    code: str
    work_centre: str
    setup_min: float
    run_min: float
    qc: bool = False
    outsourced: bool = False
    supplier: str | None = None
    lead_time_days: int = 0


@dataclass(frozen=True)
class StructureNode:
    """An item in a resolved (configuration-specific) BOM: quantity per parent, its parts, its routing."""

    item: str
    qty_per: float
    children: tuple[StructureNode, ...] = ()
    routing: tuple[OpSpec, ...] = ()


@dataclass(frozen=True)
class CentreSpec:
    """A work centre: how many operations it runs at once, and when it works."""

    code: str
    capacity: int = 1
    calendar: WorkingTime = field(default_factory=AlwaysWorking)
    #: a subcontractor's: its capacity is jobs at once, not hours of the shop's own work
    outsourced: bool = False


@dataclass
class PlannedOperation:
    work_order: str
    op: int
    code: str
    work_centre: str
    start: datetime
    end: datetime
    standard_min: float
    outsourced: bool = False
    lane: int = 0


@dataclass
class PlannedWorkOrder:
    id: str
    order_id: str
    item: str
    qty: float
    operations: list[PlannedOperation]
    parent: str | None = None
    materials_ready: datetime | None = None  # when its bought parts are all in (None: in stock)

    @property
    def start(self) -> datetime:
        return self.operations[0].start

    @property
    def end(self) -> datetime:
        return self.operations[-1].end


@dataclass
class Requisition:
    """A purchase requisition (kind ``purchase``) or a subcontract order (kind ``subcontract``)."""

    kind: str
    order_id: str
    item: str
    qty: float
    supplier: str | None
    need_date: datetime
    due_date: datetime
    work_order: str | None = None
    operation: int | None = None
    safety_topup: float = 0
    surplus: float = 0  # bought beyond this order's need (lot size, reorder quantity): free for later orders
    cancelled: bool = False  # the buyer cancelled it: it brings nothing (kept so requisitions keep their places)
    confirmed_supplier: str | None = None  # who confirmed it (a buyer may order elsewhere): reasons name them
    received: float = 0  # what came of it so far: its own work order's need is served first

    @property
    def need(self) -> float:
        """What of it the order's own work order waits for (not the safety top-up, not the surplus)."""
        return max(self.qty - self.safety_topup - self.surplus, 0.0)


@dataclass
class OrderPlan:
    """What one order needs: reservations, work orders, requisitions, and when it can be ready."""

    order_id: str
    ships_from_stock: bool
    promise: datetime
    reason: str
    reserved: dict[str, float] = field(default_factory=dict)
    work_orders: list[PlannedWorkOrder] = field(default_factory=list)
    requisitions: list[Requisition] = field(default_factory=list)
    number: str = ""
    """The order's human number (``sync.numbers``): its work orders are ``<number>-01``..."""
    why: dict[str, Any] | None = None
    """The facts of ``reason`` (``sync.planning.planner.reason_facts``), for a board that writes the reason in
    its own language; None after a restart until the next replan (the stored reason is its text)."""

    def last_end(self, default: datetime) -> datetime:
        """When its last operation ends (for a finished order: when it was done); ``default`` without any."""
        return max((op.end for wo in self.work_orders for op in wo.operations), default=default)
