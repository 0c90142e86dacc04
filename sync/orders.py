"""The ``order.placed`` event body: what a kiosk sends and what the hub accepts.

One definition for both sides, so a field is added in one place. ``from_body`` checks every
field and says which one is wrong; the hub rejects such an order in its ack and quarantine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.errors import PlanningError

_ORDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MAX_PRICE = Decimal(10) ** 12  # no order of a workshop costs a trillion; 1e30 would overflow an ERP's money field


@dataclass(frozen=True)
class PlacedOrder:
    """A configured product ordered at a kiosk against one exact catalog revision."""

    order_id: str
    product: str
    revision: int
    configuration: Mapping[str, str]
    quantity: int = 1
    price: Decimal | None = None  # the order's total as the kiosk showed it; None: not stated (the list price)
    currency: str = "CNY"
    customer: Mapping[str, str] = field(default_factory=dict)
    estimate: str | None = None  # the kiosk's offline promise estimate (ISO date), if it showed one
    number: str = ""  # the receipt's number (sync.numbers); the hub keeps it when usable and free

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "order_id": self.order_id, "product": self.product, "revision": self.revision,
            "configuration": dict(self.configuration), "quantity": self.quantity,
            "currency": self.currency, "customer": dict(self.customer),
        }
        if self.price is not None:
            body["price"] = str(self.price)
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
        price = None
        if "price" in body:
            try:
                price = Decimal(str(body["price"]))
            except InvalidOperation:
                raise PlanningError(f"price {body['price']!r} is not a number", where=f"{where}: price") from None
            if not price.is_finite() or price < 0 or price >= _MAX_PRICE:
                raise PlanningError(f"price {body['price']!r} is not an amount from 0 to {_MAX_PRICE - 1}",
                                    where=f"{where}: price")
        customer = body.get("customer", {})
        if not isinstance(customer, dict):
            raise PlanningError("customer must be an object", where=f"{where}: customer")
        estimate = body.get("estimate")
        number = body.get("number")
        return cls(order_id, product, revision, dict(config), quantity, price, str(body.get("currency", "CNY")),
                   {str(k): str(v) for k, v in customer.items()}, str(estimate) if estimate else None,
                   number if isinstance(number, str) else "")


# two-character Chinese family names: the rest of the name is the given name
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 钟离 端木 轩辕 独孤 南宫 西门 百里 呼延 闻人 申屠 太史 澹台".split())
_SEPARATORS = re.compile(r"[\s·]+")


def is_han(char: str) -> bool:
    """A CJK ideograph (unified or compatibility): part of a name written in Chinese."""
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _initial(part: str) -> str:
    """The first letter of a name part; a Chinese one by its pinyin (王 -> W), as people spell it out."""
    first = part[:1]
    if first and is_han(first):
        from pypinyin import Style, lazy_pinyin

        letters = lazy_pinyin(first, style=Style.FIRST_LETTER, errors="ignore")
        return letters[0][:1].upper() if letters and letters[0] else first
    return first.upper()


def short_name(name: str) -> str:
    """The customer as a wall board may show them, never the whole name.

    ``Anna Schmidt`` -> ``Anna S.`` (given name and the family name's initial); ``阿依古丽·买买提`` ->
    ``阿依古丽 M.`` (the first part is the given name). A Chinese name without a separator is masked the
    way Chinese receipts and delivery slips do it, family name first: ``王伟`` -> ``王*``, ``李小娜`` ->
    ``李*娜``, ``欧阳娜娜`` -> ``欧阳*娜`` (it read ``伟 W.``, a Latin initial a Chinese supervisor does
    not use). A one-part name (``Madonna``, ``王``) stays as it is. Latin names typed family-first
    (``Li Wei``) cannot be told apart and read ``Li W.``. The full name and phone stay at the hub.
    """
    parts = [p for p in _SEPARATORS.split(name.strip()) if p]
    if not parts:
        return ""
    if len(parts) > 1:
        return f"{parts[0]} {_initial(parts[-1])}."
    word = parts[0]
    if all(is_han(c) for c in word):
        family = word[:2] if len(word) > 2 and word[:2] in _COMPOUND_SURNAMES else word[:1]
        given = word[len(family):]
        if len(given) <= 1:
            return f"{family}{'*' * len(given)}"
        return f"{family}{'*' * (len(given) - 1)}{given[-1]}"
    return word


def stored_customer(stored: str | None) -> dict[str, str]:
    """An order's ``customer`` column as the hub stored it (JSON object of text), or {} when empty or
    not an object; the API passes it on whole, the wall board only its ``short_name``."""
    try:
        customer = json.loads(stored) if stored else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in customer.items()} if isinstance(customer, dict) else {}
