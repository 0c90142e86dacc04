"""Typed quantities: a worker's keypad input is checked before anything is recorded."""

from __future__ import annotations

import re

from sync.errors import StationError

_WHOLE = re.compile(r"[0-9]{1,6}")


def parse_quantity(text: str, field: str) -> int:
    """A non-negative whole number from what was typed, or a StationError saying what is wrong."""
    clean = text.strip()
    if not clean:
        raise StationError(f"{field} is empty", where=f"{field} field", fix="type a whole number, 0 or more",
                           code="bad_quantity")
    if not _WHOLE.fullmatch(clean):
        raise StationError(f"{field} {clean!r} is not a whole number of 0 or more", where=f"{field} field",
                           fix="type digits only, e.g. 12", code="bad_quantity")
    return int(clean)
