"""Order-to-production planning: net the BOM against stock, schedule operations forward on
finite-capacity work centres with calendars, raise purchase and subcontract requisitions,
and give a promise date with the reason that decides it.

Qt-free and I/O-free: the hub feeds it catalog data and persists what it returns.
"""

from sync.planning.model import (
    CentreSpec,
    ItemSpec,
    OpSpec,
    OrderPlan,
    PlannedOperation,
    PlannedWorkOrder,
    Requisition,
    StructureNode,
)
from sync.planning.planner import Planner

__all__ = [
    "CentreSpec",
    "ItemSpec",
    "OpSpec",
    "OrderPlan",
    "PlannedOperation",
    "PlannedWorkOrder",
    "Planner",
    "Requisition",
    "StructureNode",
]
