"""The ``order.placed`` body as the hub reads it (sync/orders.py): whatever a device sends, the hub gets
either an order whose every field is usable or a refusal naming the field; never an exception of another
kind, never a price an ERP could not book."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import PlanningError
from sync.orders import PlacedOrder

GOOD = {"order_id": "O1", "product": "BIKE", "revision": 1, "configuration": {"colour": "red"}, "quantity": 1}
_value = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                   st.sampled_from(["5000", "4999.50", "-1", "1e30", "1E+3", "NaN", "-Infinity", "sNaN", "0", " 7 ",
                                    "12_000", "１２３"]),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.text(max_size=3),
                                                                        max_size=2))


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from([*GOOD, "price", "currency", "customer", "estimate", "number"]), value=_value)
def test_any_value_of_any_field_gives_a_usable_order_or_a_refusal_naming_the_order(field: str, value: Any) -> None:
    body = {**GOOD, "price": "5000", field: value}
    try:
        order = PlacedOrder.from_body(body)
    except PlanningError as exc:
        assert exc.where.startswith(("order O1", "order.placed body")), exc.where
        return
    assert order.price is not None and order.price.is_finite() and 0 <= order.price < Decimal(10) ** 12
    assert isinstance(order.quantity, int) and 1 <= order.quantity <= 1000
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in order.configuration.items())


@pytest.mark.parametrize("price, message", [("-1", "from 0 to"), ("NaN", "from 0 to"), ("sNaN", "from 0 to"),
                                            ("1e12", "from 0 to"), ("five", "not a number")])
def test_a_price_that_is_no_amount_is_refused_naming_the_price(price: str, message: str) -> None:
    with pytest.raises(PlanningError, match=message) as refused:
        PlacedOrder.from_body({**GOOD, "price": price})
    assert refused.value.where == "order O1: price"


def test_an_order_without_a_price_leaves_it_to_the_hub_and_sends_none() -> None:
    order = PlacedOrder.from_body(GOOD)
    assert order.price is None and "price" not in order.to_body()
    assert PlacedOrder.from_body({**GOOD, "price": "4999.50"}).to_body()["price"] == "4999.50"
