"""The ``order.placed`` event body: what a kiosk sends and what the hub accepts.

One definition for both sides, so a field is added in one place. ``from_body`` checks every
field and says which one is wrong; the hub rejects such an order in its ack and quarantine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.errors import PlanningError

_ORDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class PlacedOrder:
    """A configured product ordered at a kiosk against one exact catalog revision."""

    order_id: str
    product: str
    revision: int
    configuration: Mapping[str, str]
    quantity: int = 1
    price: Decimal = Decimal(0)
    currency: str = "CNY"
    customer: Mapping[str, str] = field(default_factory=dict)
    estimate: str | None = None  # the kiosk's offline promise estimate (ISO date), if it showed one
    number: str = ""  # the receipt's number (sync.numbers); the hub keeps it when usable and free

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "order_id": self.order_id, "product": self.product, "revision": self.revision,
            "configuration": dict(self.configuration), "quantity": self.quantity,
            "price": str(self.price), "currency": self.currency, "customer": dict(self.customer),
        }
        if self.estimate:
            body["estimate"] = self.estimate
        if self.number:
            body["number"] = self.number
        return body

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> PlacedOrder:
        where = "order.placed body"
        order_id = body.get("order_id")
        if not isinstance(order_id, str) or not _ORDER_ID.match(order_id):
            raise PlanningError(f"order_id {order_id!r} is not a valid order id", where=where)
        where = f"order {order_id}"
        product = body.get("product")
        if not isinstance(product, str) or not product:
            raise PlanningError(f"product {product!r} is not a product code", where=f"{where}: product")
        revision = body.get("revision")
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
            raise PlanningError(f"revision {revision!r} is not a revision number", where=f"{where}: revision")
        config = body.get("configuration")
        if not isinstance(config, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in config.items()):
            raise PlanningError("configuration must map attribute codes to option codes",
                                where=f"{where}: configuration")
        quantity = body.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
            raise PlanningError(f"quantity {quantity!r} is not a whole number from 1 to 1000", where=f"{where}: quantity")
        try:
            price = Decimal(str(body.get("price", "0")))
        except InvalidOperation:
            raise PlanningError(f"price {body.get('price')!r} is not a number", where=f"{where}: price") from None
        customer = body.get("customer", {})
        if not isinstance(customer, dict):
            raise PlanningError("customer must be an object", where=f"{where}: customer")
        estimate = body.get("estimate")
        number = body.get("number")
        return cls(order_id, product, revision, dict(config), quantity, price, str(body.get("currency", "CNY")),
                   {str(k): str(v) for k, v in customer.items()}, str(estimate) if estimate else None,
                   number if isinstance(number, str) else "")
