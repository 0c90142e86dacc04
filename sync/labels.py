"""The FloorLink label syntax: what travelers and badges carry in their Code128 or QR codes.

The hub prints labels (``format``), terminals read them (``parse``); both sides live here, in the
Qt-free core, so they can never drift apart. Grammar (docs/labels.md has the full reference)::

    FL1:WO:<work order>:OP:<operation>:<check>   one operation of a work order (traveler label)
    FL1:WO:<work order>:<check>                  the work order as a whole (traveler header)
    FL1:BADGE:<badge id>:<check>                 a worker's badge

``<work order>`` and ``<badge id>`` are 1-32 characters of ``A-Z 0-9 - .`` starting with a letter
or digit; ``<operation>`` is 1-4 digits (the routing step number, e.g. 10, 20). Every character
fits Code128 set B and the QR alphanumeric mode, so codes stay small.

``<check>`` is one Luhn mod N character (N = 38, alphabet ``0-9 A-Z - .``; Luhn mod N needs an even N) computed over the text
before it with the ``:`` separators left out (their places are fixed by the field names, so
moving one breaks the structure instead). It catches every single mistyped or misread character
and nearly every swap of two neighbours, which matters for codes typed by hand and for 1D codes read from
damaged labels. Lower case is accepted and read as upper case, because keyboard-wedge scanners
type lower case when Caps Lock is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sync.errors import DecodeError, quoted

PREFIX = "FL1"
CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-."
ID_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9.-]{0,31}")
OPERATION_PATTERN = re.compile(r"[0-9]{1,4}")
SEPARATOR = ":"


@dataclass(frozen=True)
class WorkOrderLabel:
    """A traveler label: a work order, and the operation when the label is for one step."""

    work_order: str
    operation: int | None = None


@dataclass(frozen=True)
class BadgeLabel:
    """A worker's badge."""

    badge_id: str


Label = WorkOrderLabel | BadgeLabel


def check_character(body: str) -> str:
    """The Luhn mod 38 check character for ``body`` (separators ``:`` are skipped)."""
    n = len(CHECK_ALPHABET)
    total = 0
    factor = 2
    for char in reversed(body.replace(SEPARATOR, "")):
        value = CHECK_ALPHABET.find(char)
        if value < 0:
            raise DecodeError(f"character {char!r} cannot appear in a label", where=f"label {_shown(body)}",
                              fix=f"use only {CHECK_ALPHABET!r}")
        addend = factor * value
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return CHECK_ALPHABET[(n - total % n) % n]


def shortened(value: str, limit: int = 24) -> str:
    """A scanned or typed piece as a message quotes it, cut to ``limit`` characters: a worker's banner must not
    grow with whatever a scanner read (review: a 300-character code widened the station's window)."""
    return value if len(value) <= limit else value[:limit] + "…"


def _shown(value: str) -> str:
    return quoted(value, 24)  # the station's banner holds 24


def _checked_id(value: str, field: str, where: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise DecodeError(
            f"{field} {_shown(value)} is malformed",
            where=where,
            fix="use 1-32 characters of A-Z 0-9 - . starting with a letter or digit",
        )
    return value


def format(label: Label) -> str:  # noqa: A001 - the label's own format, named as the issue asks
    """The text to print in the label's code (``check_character`` appended)."""
    if isinstance(label, WorkOrderLabel):
        wo = _checked_id(label.work_order.upper(), "work order", "label to print")
        body = f"{PREFIX}:WO:{wo}"
        if label.operation is not None:
            if not 0 <= label.operation <= 9999:
                raise DecodeError(f"operation {label.operation} is out of range", where="label to print",
                                  fix="use an operation number from 0 to 9999")
            body += f":OP:{label.operation}"
    else:
        body = f"{PREFIX}:BADGE:{_checked_id(label.badge_id.upper(), 'badge id', 'label to print')}"
    return f"{body}:{check_character(body)}"


def parse(text: str) -> Label:
    """Read a scanned text as a FloorLink label, or raise :class:`DecodeError` saying what is wrong."""
    where = f"scanned code {_shown(text)}"
    clean = text.strip().upper()
    if not clean:
        raise DecodeError("the code is empty", where="scanned code")
    fields = clean.split(SEPARATOR)
    if fields[0] != PREFIX:
        raise DecodeError(f"unknown prefix {_shown(fields[0])}: not a FloorLink label", where=where,
                          fix=f"scan a label whose text starts with {PREFIX}:")
    if len(fields) < 2 or fields[1] not in ("WO", "BADGE"):
        kind = fields[1] if len(fields) > 1 else ""
        raise DecodeError(f"unknown label kind {_shown(kind)}", where=where, fix="expected WO or BADGE after FL1:")
    kind = fields[1]
    if kind == "WO":
        if len(fields) not in (4, 6):
            raise DecodeError(
                f"a work-order label has {len(fields)} fields",
                where=where,
                fix="expected FL1:WO:<work order>:<check> or FL1:WO:<work order>:OP:<operation>:<check>",
            )
        work_order = _checked_id(fields[2], "work order", where)
        operation: int | None = None
        if len(fields) == 6:
            if fields[3] != "OP":
                raise DecodeError(f"expected OP before the operation, found {_shown(fields[3])}", where=where)
            if not OPERATION_PATTERN.fullmatch(fields[4]):
                raise DecodeError(f"operation {_shown(fields[4])} is malformed", where=where,
                                  fix="the operation is 1-4 digits")
            operation = int(fields[4])
        label: Label = WorkOrderLabel(work_order, operation)
    else:
        if len(fields) != 4:
            raise DecodeError(f"a badge label has {len(fields)} fields", where=where,
                              fix="expected FL1:BADGE:<badge id>:<check>")
        label = BadgeLabel(_checked_id(fields[2], "badge id", where))
    check = fields[-1]
    body = clean[: clean.rfind(SEPARATOR)]
    if len(check) != 1 or check not in CHECK_ALPHABET:
        raise DecodeError(f"check character {_shown(check)} is malformed", where=where,
                          fix="the label ends with one check character from 0-9 A-Z - .")
    expected = check_character(body)
    if check != expected:
        raise DecodeError(f"bad check character {_shown(check)}", where=where,
                          fix="the code was misread or mistyped; scan it again or reprint the label")
    return label
