"""Amounts as a till writes them, for every screen: the kiosk's prices and the wall board's price alerts.

One rule, so a price reads the same at the kiosk where it was shown and on the board that questions it.
"""

from __future__ import annotations

from decimal import Decimal

SYMBOLS = {"CNY": "¥", "EUR": "€", "USD": "$"}


def money(amount: Decimal, currency: str, *, sign: bool = False) -> str:
    """``¥13,299``, ``¥4,999.50``, ``CHF 120``, ``+¥260`` with ``sign``."""
    symbol = SYMBOLS.get(currency, currency + " ")
    digits = f"{abs(amount):,.0f}" if amount == amount.to_integral_value() else f"{abs(amount):,.2f}"
    prefix = ("+" if amount >= 0 else "−") if sign else ("−" if amount < 0 else "")
    return f"{prefix}{symbol}{digits}"
