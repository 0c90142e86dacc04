"""Exact product configurator: a finite-domain problem model and the engine that answers taps.

Kept import-light: the solver backends (python-sat, dd/CUDD) load only when an Engine is built.
"""

from sync.configurator.engine import Engine, Explanation, Session
from sync.configurator.model import Clause, Constraint, Problem, Table, Variable

__all__ = ["Clause", "Constraint", "Engine", "Explanation", "Problem", "Session", "Table", "Variable"]
