"""Order and work-order numbers people say, type and print: ``K1-0042`` and ``K1-0042-01``.

The order's UUID stays its internal id (events, acks, the hub's tables); the number is what a
customer keeps on the receipt and what a worker scans on the traveler, so it must be short, read
aloud without doubt, and fit the label syntax (``sync.labels``: 1-32 characters of ``A-Z 0-9 - .``).

* **Order number** ``<prefix>-<counter>``: the kiosk's prefix (``kiosk.order_prefix``, or made
  from its device id: ``kiosk-1`` -> ``K1``) and the kiosk's own counter, at least four digits,
  taken in the same transaction that stores the order. The kiosk numbers the order itself, so the
  receipt printed while the hub is out of reach already carries the final number; the counter
  never restarts, so numbers do not repeat across days, and prefixes keep kiosks apart.
* **Work-order number** ``<order number>-<nn>``: the planner's sequence within the order
  (``K1-0042-01`` is the finished item, ``-02``... its made sub-assemblies). It is the work
  order's id everywhere: station, traveler label, operation events, API.
* A kiosk whose store was wiped (reinstalled) would count from 1 again: the hub's retained capacity
  snapshot for kiosks carries the highest counter it has seen per prefix, and the kiosk's counter
  never stays below it (:func:`take_order_number`). A kiosk must hear from the hub once anyway
  before it sells (the released catalog comes the same way).
* The hub checks every number at ingest: a number that is missing, malformed, or already used by
  another order (two kiosks set to the same prefix) is replaced by the hub's own ``H-<seq>`` and
  an alert names the clash; the ack carries the number the order really has.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeGuard

from sync.errors import SettingsError

if TYPE_CHECKING:
    from sync.store.database import Transaction

#: a kiosk prefix: a letter, then up to five letters or digits (no ``-``: it separates the counter)
PREFIX_PATTERN = re.compile(r"[A-Z][A-Z0-9]{0,5}")
#: an order number as the hub accepts it from a kiosk
ORDER_NUMBER = re.compile(r"[A-Z][A-Z0-9]{0,5}-[0-9]{4,10}")
#: the hub's own prefix, for orders that came without a usable number
HUB_PREFIX = "H"
#: the kiosk's counter (``sequences`` table of its store, next to the outbox's own sequence)
COUNTER_STREAM = "#order-number"  # "#" cannot be in a device id (an MQTT wildcard): never the outbox stream
# letters a hashed prefix uses: no I or O, which read as 1 and 0
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def prefix_problem(text: str) -> str | None:
    """Why ``text`` cannot be a kiosk's order prefix (None: it can; empty means "from the device id")."""
    if text and not PREFIX_PATTERN.fullmatch(text.upper()):
        return "a letter, then up to 5 letters or digits (A-Z 0-9), e.g. K1"
    return None


def order_prefix(device_id: str, configured: str = "") -> str:
    """The prefix a kiosk numbers its orders with: the configured one, else made from its device id.

    ``kiosk-1`` -> ``K1``, ``lobby-kiosk-12`` -> ``L12`` (first letter and the trailing digits);
    an id without trailing digits gets two letters from its hash (``lobby`` -> e.g. ``QX``).
    Two kiosks that still end up alike are caught by the hub (see the module text).
    """
    if configured:
        problem = prefix_problem(configured)
        if problem:
            raise SettingsError(f"kiosk.order_prefix {configured!r} is not an order prefix", where="kiosk.order_prefix",
                                fix=problem)
        return configured.upper()
    clean = device_id.upper()
    letter = next((c for c in clean if "A" <= c <= "Z"), "")
    digits = re.search(r"[0-9]+$", clean)
    if letter and digits and len(digits.group()) <= 5:
        return letter + digits.group()
    digest = hashlib.sha256(device_id.encode()).digest()
    return _LETTERS[digest[0] % len(_LETTERS)] + _LETTERS[digest[1] % len(_LETTERS)]


def order_number(prefix: str, counter: int) -> str:
    """``K1`` and 42 -> ``K1-0042``."""
    return f"{prefix}-{counter:04d}"


def work_order_number(order: str, index: int) -> str:
    """The ``index``-th work order (1-based) of order ``order``: ``K1-0042-01``."""
    return f"{order}-{index:02d}"


def is_order_number(text: object) -> TypeGuard[str]:
    """True for a number the hub accepts from a kiosk (``K1-0042``; upper case, as printed)."""
    return isinstance(text, str) and ORDER_NUMBER.fullmatch(text) is not None


def highest_numbers(numbers: Iterable[object]) -> dict[str, int]:
    """The highest counter per prefix among order numbers (others ignored): ``{"K1": 42}``."""
    high: dict[str, int] = {}
    for number in numbers:
        if is_order_number(number):
            prefix, counter = number.rsplit("-", 1)
            high[prefix] = max(high.get(prefix, 0), int(counter))
    return high


def take_order_number(tx: Transaction, prefix: str) -> str:
    """The kiosk's next order number, inside the transaction that stores the order.

    The counter moves with that transaction (a failed write takes its number back; a crash never
    gives one twice) and never stays below what the hub last said it has seen for this prefix.
    """
    if tx.execute("SELECT 1 FROM sqlite_master WHERE name = 'capacity_snapshot'").fetchone():
        row = tx.execute("SELECT body FROM capacity_snapshot WHERE id = 1").fetchone()
        try:
            seen = json.loads(row[0]).get("order_numbers", {}).get(prefix) if row else None
        except (ValueError, AttributeError):
            seen = None
        if isinstance(seen, int) and not isinstance(seen, bool) and seen > 0:
            tx.execute("INSERT INTO sequences (stream, last_seq) VALUES (?, ?) ON CONFLICT(stream) "
                       "DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)", [COUNTER_STREAM, seen])
    return order_number(prefix, tx.next_seq(COUNTER_STREAM))
