"""The plain finite-domain problem every configurator layer shares (agreed API: do not change shapes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """Allowed combinations: the variables must take the values of one of the rows."""

    name: str
    variables: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Clause:
    """At least one literal holds; a literal (variable, values) holds when the variable takes one of values.
    requires A=a -> B in S   is   Clause(((A, dom(A) - {a}), (B, S)))
    excludes A=a with B=b    is   Clause(((A, dom(A) - {a}), (B, dom(B) - {b})))"""

    name: str
    literals: tuple[tuple[str, frozenset[str]], ...]


Constraint = Table | Clause


@dataclass(frozen=True)
class Problem:
    variables: tuple[Variable, ...]
    constraints: tuple[Constraint, ...]
