"""Random configuration problems for tests and the benchmark, reproducible from a seed.

Every generated problem is satisfiable: a hidden "planted" configuration is drawn first
and every rule is drawn so that it allows it. Rules are the kinds a catalog has:
``requires`` and ``excludes`` clauses and small compatibility tables over 2-3 attributes.
``window`` limits how far apart (in attribute order) the attributes of one rule lie, the way
real catalog rules tie neighbouring choices (frame to fork, battery to motor); ``window=None``
draws partners anywhere.
"""

from __future__ import annotations

import itertools
import random

from sync.configurator.model import Clause, Constraint, Problem, Table, Variable


def generate_problem(
    seed: int,
    attributes: int = 100,
    rules: int = 250,
    min_values: int = 2,
    max_values: int = 12,
    window: int | None = 10,
) -> Problem:
    """A satisfiable random problem: ``attributes`` variables with ``min_values..max_values`` values."""
    rng = random.Random(seed)
    variables = tuple(
        Variable(f"A{i:03d}", tuple(f"v{j}" for j in range(rng.randint(min_values, max_values))))
        for i in range(attributes)
    )
    planted = {v.name: rng.choice(v.values) for v in variables}
    constraints: list[Constraint] = []
    for number in range(rules):
        kind = rng.random()
        arity = 3 if kind > 0.9 and attributes >= 3 else 2
        scope = _pick_scope(rng, variables, arity, window)
        name = f"R{number:03d}"
        if kind < 0.4:
            constraints.append(_requires(rng, name, scope[0], scope[1], planted))
        elif kind < 0.75:
            constraints.append(_excludes(rng, name, scope[0], scope[1], planted))
        else:
            constraints.append(_table(rng, name, scope, planted))
    return Problem(variables=variables, constraints=tuple(constraints))


def _pick_scope(
    rng: random.Random, variables: tuple[Variable, ...], arity: int, window: int | None
) -> list[Variable]:
    if window is None or window >= len(variables):
        return rng.sample(list(variables), arity)
    start = rng.randrange(len(variables))
    near = [variables[(start + k) % len(variables)] for k in range(1, window + 1)]
    return [variables[start], *rng.sample(near, arity - 1)]


def _requires(rng: random.Random, name: str, a: Variable, b: Variable, planted: dict[str, str]) -> Clause:
    """A=x requires B in S; S keeps B's planted value whenever x is A's planted value."""
    x = rng.choice(a.values)
    size = rng.randint(1, max(1, len(b.values) - 1))
    allowed = set(rng.sample(b.values, size))
    if planted[a.name] == x:
        allowed.add(planted[b.name])
    return Clause(name, ((a.name, frozenset(a.values) - {x}), (b.name, frozenset(allowed))))


def _excludes(rng: random.Random, name: str, a: Variable, b: Variable, planted: dict[str, str]) -> Clause:
    """A=x excludes B=y, never both planted values."""
    x, y = rng.choice(a.values), rng.choice(b.values)
    if planted[a.name] == x and planted[b.name] == y:
        if len(a.values) > 1:
            x = rng.choice([v for v in a.values if v != x])
        elif len(b.values) > 1:
            y = rng.choice([v for v in b.values if v != y])
        else:  # two single-value attributes: nothing to exclude without losing the planted one
            return _requires(rng, name, a, b, planted)
    return Clause(name, ((a.name, frozenset(a.values) - {x}), (b.name, frozenset(b.values) - {y})))


def _table(rng: random.Random, name: str, scope: list[Variable], planted: dict[str, str]) -> Table:
    """About 60% of all combinations, always including the planted one."""
    combos = list(itertools.product(*(v.values for v in scope)))
    keep = [row for row in combos if rng.random() < 0.6]
    mine = tuple(planted[v.name] for v in scope)
    if mine not in keep:
        keep.append(mine)
    return Table(name, tuple(v.name for v in scope), tuple(sorted(keep)))
