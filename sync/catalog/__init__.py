"""Product information: the catalog model, its YAML loader and checks, revisions and approval.

Public entry points: :func:`load_catalog` (a checked catalog folder), :func:`product_problem`
(a product's rules for the configurator engine) and :class:`CatalogStore` (revisions).
"""

from sync.catalog.compile import product_problem
from sync.catalog.findings import CatalogInvalid, Finding
from sync.catalog.loader import inspect_catalog, load_catalog
from sync.catalog.model import (
    Assembly,
    Attribute,
    BomLine,
    Calendar,
    Catalog,
    ExcludesRule,
    Group,
    Item,
    Operation,
    Option,
    Product,
    QtyBy,
    RangeRule,
    RequiresRule,
    Rule,
    TableRule,
    WorkCentre,
)

__all__ = [
    "Assembly", "Attribute", "BomLine", "Calendar", "Catalog", "CatalogInvalid", "ExcludesRule", "Finding",
    "Group", "Item", "Operation", "Option", "Product", "QtyBy", "RangeRule", "RequiresRule", "Rule",
    "TableRule", "WorkCentre", "inspect_catalog", "load_catalog", "product_problem",
]
