"""QuickXplain (Junker 2004): a subset-minimal conflict with few consistency checks.

Deletion tries every element once (n checks); QuickXplain splits the candidates in halves
and needs about k·log(n/k) checks for a conflict of k out of n, which matters when every
check is a solver call or a diagram conjunction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")


def quickxplain(consistent: Callable[[list[Item]], bool], candidates: Sequence[Item]) -> list[Item]:
    """A subset-minimal list of ``candidates`` that ``consistent`` rejects.

    The caller guarantees ``consistent(candidates)`` is False. Earlier candidates are preferred
    to stay out of the answer. Returns [] when the empty set is already inconsistent.
    """

    def split(base: list[Item], has_delta: bool, items: Sequence[Item]) -> list[Item]:
        if has_delta and not consistent(base):
            return []
        if len(items) == 1:
            return list(items)
        half = len(items) // 2
        first, second = items[:half], items[half:]
        delta2 = split([*base, *first], True, second)
        delta1 = split([*base, *delta2], bool(delta2), first)
        return delta1 + delta2

    if not candidates or not consistent([]):
        return []
    return split([], False, list(candidates))
