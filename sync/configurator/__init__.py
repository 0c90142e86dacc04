"""Exact product configurator: a finite-domain problem model and the engine that answers taps.

Kept import-light: only the plain model and the engine are exported here.
"""

from sync.configurator.model import Clause, Constraint, Problem, Table, Variable

__all__ = ["Clause", "Constraint", "Problem", "Table", "Variable"]
