"""Arc consistency over a Problem's rules, remembering which rules each pruning relied on.

Used to find a small set of candidate rules behind a conflict: when propagating an
assignment empties a domain, the rules that took part in that derivation together rule the
assignment out, and an exact minimization (on the diagram) only has to look at those few
instead of at every rule. Propagation is incomplete (it may miss a conflict), so callers
keep an exact fallback; what it reports is always sound.

Domains are bit masks over a variable's value positions and a table's live rows are one
bit mask over its rows, so a revision is a handful of big-integer ANDs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from sync.configurator.model import Clause, Problem, Table

#: propagated choice sets kept for the next explanations (a tap explains many values under one set)
KEPT_STATES = 8


@dataclass(frozen=True)
class _TableRows:
    """A table as, per variable of its scope, the rows that hold each value (bit masks)."""

    scope: tuple[str, ...]
    rows_with: tuple[tuple[int, ...], ...]  # [position in scope][value index] -> rows mask
    all_rows: int


@dataclass(frozen=True)
class _ClauseMasks:
    """A clause as, per variable, the values that satisfy it (bit mask)."""

    scope: tuple[str, ...]
    satisfying: tuple[int, ...]


class Propagator:
    """Generalized arc consistency over the problem's tables and clauses."""

    def __init__(self, problem: Problem) -> None:
        self.index = {v.name: {value: j for j, value in enumerate(v.values)} for v in problem.variables}
        self.full = {v.name: (1 << len(v.values)) - 1 for v in problem.variables}
        self.rules: list[_TableRows | _ClauseMasks] = []
        self._states: dict[frozenset[tuple[str, str]], Derivation | tuple[dict[str, int], dict[str, frozenset[int | str]]]] = {}
        self.rules_on: dict[str, list[int]] = {name: [] for name in self.index}
        for number, constraint in enumerate(problem.constraints):
            if isinstance(constraint, Table):
                rows_with = [[0] * len(self.index[name]) for name in constraint.variables]
                for r, row in enumerate(constraint.rows):
                    for position, (name, value) in enumerate(zip(constraint.variables, row, strict=True)):
                        rows_with[position][self.index[name][value]] |= 1 << r
                rule: _TableRows | _ClauseMasks = _TableRows(
                    constraint.variables, tuple(map(tuple, rows_with)), (1 << len(constraint.rows)) - 1
                )
            else:
                assert isinstance(constraint, Clause)
                satisfying: dict[str, int] = {}
                for name, values in constraint.literals:
                    for value in values:
                        satisfying[name] = satisfying.get(name, 0) | 1 << self.index[name][value]
                rule = _ClauseMasks(tuple(satisfying), tuple(satisfying.values()))
            self.rules.append(rule)
            for name in rule.scope:
                self.rules_on[name].append(number)

    def conflict(self, assignment: Mapping[str, str]) -> Derivation | None:
        """The rules and assigned variables propagation used to rule ``assignment`` out, or None if it could not.

        Explanations of one tap all propagate the same choices plus one value (the first item):
        the propagated choices are kept and only the value is propagated on top of them.
        """
        items = list(assignment.items())
        if len(items) <= 2:
            return _as_conflict(self._propagate(dict(self.full), {}, items))
        return self._conflict_on_top(items)

    def local_conflict(self, assignment: Mapping[str, str]) -> Derivation | None:
        """Like ``conflict`` but propagating only the rules on the assigned variables: cheap, finds less."""
        return _as_conflict(self._propagate(dict(self.full), {}, list(assignment.items()), local=True))

    def _conflict_on_top(self, items: list[tuple[str, str]]) -> Derivation | None:
        key = frozenset(items[1:])
        state = self._states.pop(key, None)
        if state is None:
            state = self._propagate(dict(self.full), {}, items[1:])
        self._states[key] = state
        if len(self._states) > KEPT_STATES:
            del self._states[next(iter(self._states))]
        if isinstance(state, Derivation):
            return state
        return _as_conflict(self._propagate(dict(state[0]), dict(state[1]), items[:1]))

    def _propagate(
        self,
        domain: dict[str, int],
        because: dict[str, frozenset[int | str]],
        items: list[tuple[str, str]],
        local: bool = False,
    ) -> Derivation | tuple[dict[str, int], dict[str, frozenset[int | str]]]:
        """Assign ``items`` on top of ``domain`` and propagate to a fixpoint (or to a conflict).

        ``local``: only the rules on the assigned variables take part.
        """
        for name, value in items:
            bit = 1 << self.index[name][value]
            if not domain[name] & bit:
                return Derivation.of({name, *because.get(name, ())})
            domain[name] = bit
            # what each narrowed domain rests on: rule numbers and assigned variable names
            because[name] = frozenset((name,))
        queue = deque(sorted({i for name, _ in items for i in self.rules_on[name]}))
        queued = set(queue)
        taking_part = set(queue) if local else None
        while queue:
            number = queue.popleft()
            queued.discard(number)
            rule = self.rules[number]
            narrowed = _revise(rule, domain)
            used: set[int | str] = {number}
            for name in rule.scope:
                used.update(because.get(name, ()))
            if narrowed is None:
                return Derivation.of(used)
            for name, mask in narrowed.items():
                domain[name] = mask
                because[name] = frozenset(used)
                if not mask:
                    return Derivation.of(used)
                for other in self.rules_on[name]:
                    if other != number and other not in queued and (taking_part is None or other in taking_part):
                        queued.add(other)
                        queue.append(other)
        return domain, because


def _as_conflict(state: Derivation | tuple[dict[str, int], dict[str, frozenset[int | str]]]) -> Derivation | None:
    return state if isinstance(state, Derivation) else None


@dataclass(frozen=True)
class Derivation:
    """A conflict found by propagation: these rules with these assigned variables have no solution."""

    rules: frozenset[int]
    variables: frozenset[str]

    @staticmethod
    def of(used: set[int | str]) -> Derivation:
        return Derivation(
            frozenset(x for x in used if isinstance(x, int)), frozenset(x for x in used if isinstance(x, str))
        )


def _revise(rule: _TableRows | _ClauseMasks, domain: dict[str, int]) -> dict[str, int] | None:
    """The narrowed domains of ``rule``'s variables (only those that changed); None when it has no support."""
    narrowed: dict[str, int] = {}
    if isinstance(rule, _ClauseMasks):
        open_literals = [
            (name, mask) for name, mask in zip(rule.scope, rule.satisfying, strict=True) if domain[name] & mask
        ]
        if not open_literals:
            return None
        if len(open_literals) == 1:
            name, mask = open_literals[0]
            if domain[name] & ~mask:
                narrowed[name] = domain[name] & mask
        return narrowed
    live = rule.all_rows
    for name, rows_with in zip(rule.scope, rule.rows_with, strict=True):
        mask = domain[name]
        if mask == (1 << len(rows_with)) - 1:
            continue
        supported = 0
        for j, rows in enumerate(rows_with):
            if mask >> j & 1:
                supported |= rows
        live &= supported
        if not live:
            return None
    for name, rows_with in zip(rule.scope, rule.rows_with, strict=True):
        mask = domain[name]
        kept = mask
        for j, rows in enumerate(rows_with):
            if mask >> j & 1 and not live & rows:
                kept &= ~(1 << j)
        if kept != mask:
            narrowed[name] = kept
    return narrowed
