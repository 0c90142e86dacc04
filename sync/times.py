"""One way to read a stored or sent timestamp into an aware datetime, and to write one back.

FloorLink stores and sends times as ISO 8601 strings in UTC (``2026-11-25T10:02:00+00:00``, devices
send ``...Z``). Rows written by older code or typed by people may lack a zone; such a naive value
means UTC, never the machine's local zone (``astimezone`` on a naive value would silently use the
hub's or station's clock zone, and comparing naive with aware raises). Stored strings are compared
and sorted as text, so :func:`to_iso` keeps each caller's exact format (``timespec``) rather than
normalising it.

Input from devices is checked more strictly by :func:`sync.protocol.envelope.check_time` (a zone is
required there); this module is for times FloorLink itself wrote or already accepted.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

#: month abbreviations as English day texts write them: strftime's %b follows the machine's locale, which Qt
#: sets, so a Chinese machine would print 12月 inside an English sentence
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def from_iso(text: str) -> datetime:
    """An aware datetime from an ISO 8601 time (``Z`` or an offset; no zone means UTC).

    ValueError for text that is not an ISO 8601 time."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@overload
def to_iso(at: datetime, timespec: str = "auto") -> str: ...
@overload
def to_iso(at: datetime | None, timespec: str = "auto") -> str | None: ...
def to_iso(at: datetime | None, timespec: str = "auto") -> str | None:
    """``at`` as ISO 8601 text in its own zone (``timespec`` as :meth:`datetime.isoformat`); None stays None."""
    return at.isoformat(timespec=timespec) if at is not None else None
