"""Typed quantities: a worker's keypad input is checked before anything is recorded."""

from __future__ import annotations

import re
import unicodedata

from sync.errors import StationError
from sync.station.rules import MAX_QUANTITY

_WHOLE = re.compile(f"[0-9]{{1,{len(str(MAX_QUANTITY))}}}")  # no more digits than the largest count has


def parse_quantity(text: str, field: str) -> int:
    """A non-negative whole number from what was typed, or a StationError saying what is wrong. Full-width
    digits (a Chinese input method's "１２") are the digits they look like (review: refused as no number)."""
    clean = unicodedata.normalize("NFKC", text).strip()
    if not clean:
        raise StationError(f"{field} is empty", where=f"{field} field", fix="type a whole number, 0 or more",
                           code="bad_quantity")
    if not _WHOLE.fullmatch(clean):
        raise StationError(f"{field} {clean!r} is not a whole number of 0 or more", where=f"{field} field",
                           fix="type digits only, e.g. 12", code="bad_quantity")
    value = int(clean)
    if value > MAX_QUANTITY:
        raise StationError(f"{field} {value} is more than {MAX_QUANTITY:,}", where=f"{field} field",
                           fix="count again", code="bad_quantity")
    return value
