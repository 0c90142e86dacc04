"""The SAT backend: the problem as CNF in one incremental python-sat solver (Glucose 4).

Encoding: one literal per (variable, value) with exactly-one per variable; a Clause is one
clause; a binary Table says "each value needs one of its partner values", a ternary one "each
pair of values needs one of its third values" (for each of the three pairs); a wider Table gets one
literal per row (row -> its values) plus "some row holds" and "a value holds only through a
row that has it" (the support encoding: unit propagation keeps every table arc-consistent). Every constraint is guarded by a selector literal that is
assumed true, so an UNSAT core names the constraints involved as well as the choices.

Valid domains take few solver calls: one model covers one value per variable at once, the
decision phases are pointed at values not yet covered, and only values no model reached are
tested one by one.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pysat.solvers import Solver

from sync.configurator.model import Clause, Problem

#: how many recent valid configurations are kept as witnesses for later taps
WITNESS_POOL = 120
#: at most this many known configurations are repaired to fit new choices per tap (each costs Python time)
REPAIRS = 16
#: how many uncovered values (of different variables) one solver call tries to show at once
BATCH = 6


class SatBackend:
    """Exact answers over ``problem`` by incremental SAT with assumptions."""

    def __init__(self, problem: Problem, solver: str = "glucose4") -> None:
        self.problem = problem
        self.literal: dict[tuple[str, str], int] = {}
        self.value_of: dict[int, tuple[str, str]] = {}
        count = 0
        for var in problem.variables:
            for value in var.values:
                count += 1
                self.literal[(var.name, value)] = count
                self.value_of[count] = (var.name, value)
        self.value_count = count
        clauses: list[list[int]] = []
        for var in problem.variables:
            lits = [self.literal[(var.name, v)] for v in var.values]
            clauses.append(lits)
            clauses.extend([-a, -b] for i, a in enumerate(lits) for b in lits[i + 1 :])
        self.selectors: list[int] = []
        self.rule_of: dict[int, str] = {}
        domain = {v.name: v.values for v in problem.variables}
        for constraint in problem.constraints:
            count += 1
            selector = count
            self.selectors.append(selector)
            self.rule_of[selector] = constraint.name
            if isinstance(constraint, Clause):
                clauses.append(
                    [-selector]
                    + [self.literal[(name, v)] for name, values in constraint.literals for v in sorted(values)]
                )
                continue
            if len(constraint.variables) == 2:
                # binary table: each value needs a partner value, no row literals needed
                first, second = constraint.variables
                partners: dict[tuple[str, str], list[int]] = {}
                for a, b in constraint.rows:
                    partners.setdefault((first, a), []).append(self.literal[(second, b)])
                    partners.setdefault((second, b), []).append(self.literal[(first, a)])
                for name in constraint.variables:
                    for value in domain[name]:
                        clauses.append([-selector, -self.literal[(name, value)], *partners.get((name, value), [])])
                continue
            if len(constraint.variables) == 3:
                # ternary table: each pair of values needs a third value, no row literals either
                # (one family of these clauses is already exact; all three propagate like rows do,
                # and without row literals a model costs the solver about a third of the time)
                for position in range(3):
                    pair = [p for p in range(3) if p != position]
                    thirds: dict[tuple[str, str], list[int]] = {}
                    for row in constraint.rows:
                        thirds.setdefault((row[pair[0]], row[pair[1]]), []).append(
                            self.literal[(constraint.variables[position], row[position])]
                        )
                    first, second = constraint.variables[pair[0]], constraint.variables[pair[1]]
                    for a in domain[first]:
                        for b in domain[second]:
                            clauses.append(
                                [-selector, -self.literal[(first, a)], -self.literal[(second, b)], *thirds.get((a, b), [])]
                            )
                continue
            rows: list[int] = []
            support: dict[tuple[str, str], list[int]] = {}
            for row in constraint.rows:
                count += 1
                rows.append(count)
                for name, value in zip(constraint.variables, row, strict=True):
                    clauses.append([-count, self.literal[(name, value)]])
                    support.setdefault((name, value), []).append(count)
            clauses.append([-selector, *rows])
            for name in constraint.variables:
                for value in domain[name]:
                    clauses.append([-selector, -self.literal[(name, value)], *support.get((name, value), [])])
        # The answering solver holds every selector as a unit (no assumption overhead per call);
        # a second solver, built on the first explanation, keeps them as assumptions for cores.
        self._clauses = clauses
        self._solver_name = solver
        self._flips = _Flips(problem, self.literal)
        self.solver = Solver(name=solver, bootstrap_with=[*clauses, *([s] for s in self.selectors)])
        self._rules_solver: Solver | None = None
        self._witnesses: list[tuple[dict[str, int], frozenset[int]]] = []
        self.calls = 0

    # -- primitive checks ---------------------------------------------------------------
    def _lits(self, assignment: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[int]:
        items = assignment.items() if isinstance(assignment, Mapping) else assignment
        return [self.literal[item] for item in items]

    def _solve(self, lits: Sequence[int]) -> bool:
        self.calls += 1
        return bool(self.solver.solve(assumptions=lits))

    def _solve_rules(self, lits: Sequence[int], selectors: Sequence[int]) -> bool:
        if self._rules_solver is None:
            self._rules_solver = Solver(name=self._solver_name, bootstrap_with=self._clauses)
        self.calls += 1
        return bool(self._rules_solver.solve(assumptions=[*selectors, *lits]))

    def _model_values(self) -> set[int]:
        model = self.solver.get_model() or []
        return {lit for lit in model[: self.value_count] if lit > 0}

    def consistent(self, assignment: Mapping[str, str] | Iterable[tuple[str, str]]) -> bool:
        return self._solve(self._lits(assignment))

    def core(self, assignment: Mapping[str, str]) -> set[str] | None:
        """Assigned variables in the solver's UNSAT core (None when the assignment is consistent)."""
        lits = self._lits(assignment)
        if self._solve(lits):
            return None
        return {self.value_of[lit][0] for lit in self.solver.get_core() or () if lit in self.value_of}

    # -- answers ------------------------------------------------------------------------
    def domains(
        self, choices: Mapping[str, str], ruled_out_before: Iterable[tuple[str, str]] = ()
    ) -> dict[str, dict[str, bool]]:
        """Valid domains; ``ruled_out_before`` lists values known unavailable under fewer choices."""
        assumptions = self._lits(choices)
        available: set[int] = set()
        # known configurations that fit the choices (the tapped value was shown by one of them)
        witnesses = self._witnesses_for(assumptions)
        model: set[int] = set(witnesses[-1]) if witnesses else set()
        if not model and self._solve(assumptions):
            model = self._model_values()
            self._remember(model)
        if model:
            ok, implied = self.solver.propagate(assumptions=assumptions)
            ruled_out = {-lit for lit in (implied or []) if lit < 0 and -lit <= self.value_count}
            ruled_out.update(self.literal[item] for item in ruled_out_before)
            untested = [lit for lit in range(1, self.value_count + 1) if lit not in ruled_out]
            for witness in witnesses:
                available |= witness
            while True:
                available |= model
                untested = [lit for lit in untested if lit not in available]
                untested, flipped = self._split_by_flips(model, untested)
                available.update(flipped)
                if not untested:
                    break
                # steer free decisions towards values no model has shown yet
                self.solver.set_phases([*untested, *map(operator.neg, available)])
                # try several uncovered values of different variables at once: when they fit
                # together one call shows them all; otherwise fall back to one value
                batch = self._batch(untested)
                for _ in range(2):
                    if len(batch) < 2:
                        break
                    if self._solve([*assumptions, *batch]):
                        model = self._model_values()
                        self._remember(model)
                        break
                    # A core with one value of the batch: that value alone contradicts the
                    # choices (unavailable, no call of its own). Drop the blamed values and try
                    # the rest together once more.
                    core = set(self.solver.get_core() or [])
                    blamed = [lit for lit in batch if lit in core]
                    if len(blamed) == 1:
                        ruled_out.add(blamed[0])
                        untested.remove(blamed[0])
                    batch = [lit for lit in batch if lit not in core]
                else:
                    batch = []
                if len(batch) > 1 or not untested:
                    continue  # a model was found (or nothing is left to test)
                target = untested.pop()
                model = self._model_values() if self._solve([*assumptions, target]) else set()
                if model:
                    self._remember(model)
                else:
                    ruled_out.add(target)
        result: dict[str, dict[str, bool]] = {v.name: {} for v in self.problem.variables}
        for lit in range(1, self.value_count + 1):
            name, value = self.value_of[lit]
            result[name][value] = lit in available
        return result

    def _batch(self, untested: list[int]) -> list[int]:
        seen: set[str] = set()
        batch: list[int] = []
        for lit in reversed(untested):
            name = self.value_of[lit][0]
            if name not in seen:
                seen.add(name)
                batch.append(lit)
                if len(batch) == BATCH:
                    break
        return batch

    def _remember(self, model: set[int] | frozenset[int]) -> None:
        """Keep recent valid configurations: later taps reuse them as witnesses without solving."""
        by_variable = {self.value_of[lit][0]: lit for lit in model}
        self._witnesses.append((by_variable, frozenset(model)))
        if len(self._witnesses) > WITNESS_POOL:
            del self._witnesses[: len(self._witnesses) - WITNESS_POOL]

    def _witnesses_for(self, assumptions: list[int]) -> list[frozenset[int]]:
        """Known configurations that agree with the chosen literals, directly or after changing at most two values."""
        found: list[frozenset[int]] = []
        repaired: list[frozenset[int]] = []
        chosen = frozenset(assumptions)
        for by_variable, lits in reversed(self._witnesses):  # newest first
            changed = chosen - lits
            if not changed:
                found.append(lits)
            elif len(changed) <= 2 and len(repaired) < REPAIRS:
                trial = dict(by_variable)
                for lit in changed:
                    trial[self.value_of[lit][0]] = lit
                model = frozenset(trial.values())
                if all(self._flips.allows(self.value_of[lit][0], lit, model, trial) for lit in changed):
                    repaired.append(model)
        for model in repaired:
            self._remember(model)
            found.append(model)
        return found

    def _split_by_flips(self, model: set[int] | frozenset[int], untested: list[int]) -> tuple[list[int], list[int]]:
        """Split values into (still unshown, shown valid) by trying each in place of its variable's value in ``model``.

        A flip that breaks no constraint on the variable is a valid configuration with that
        value, found without calling the solver.
        """
        if not model or not untested:
            return untested, []
        by_variable = {self.value_of[lit][0]: lit for lit in model}
        allowed: dict[str, frozenset[int] | None] = {}
        left: list[int] = []
        shown: list[int] = []
        for lit in untested:
            name = self.value_of[lit][0]
            if name not in allowed:
                allowed[name] = self._flips.allowed(name, model, by_variable)
            fits = allowed[name]
            if fits is None or lit in fits:
                shown.append(lit)
            else:
                left.append(lit)
        return left, shown

    def rules(self, assignment: Mapping[str, str], minimize: bool = True) -> tuple[str, ...]:
        """Names of constraints that together rule ``assignment`` out (subset-minimal when asked)."""
        lits = self._lits(assignment)
        if self._solve_rules(lits, self.selectors):
            return ()
        assert self._rules_solver is not None
        core = [lit for lit in (self._rules_solver.get_core() or []) if lit in self.rule_of]
        if minimize:
            index = 0
            while index < len(core):
                trial = core[:index] + core[index + 1 :]
                if not self._solve_rules(lits, trial):
                    found = {lit for lit in (self._rules_solver.get_core() or []) if lit in self.rule_of}
                    core = [lit for lit in trial if lit in found]
                else:
                    index += 1
        return tuple(sorted(self.rule_of[lit] for lit in core))

    def complete(self, choices: Mapping[str, str], preferred: Iterable[tuple[str, str]]) -> dict[str, str] | None:
        assumptions = self._lits(choices)
        if not self._solve(assumptions):
            return None
        model = self._model_values()
        settled = set(choices)
        for item in preferred:
            if item[0] in settled:  # chosen, or an earlier wish fixed it: no solver call to learn it cannot move
                continue
            lit = self.literal[item]
            if lit in model:
                assumptions.append(lit)
                settled.add(item[0])
            elif self._solve([*assumptions, lit]):
                assumptions.append(lit)
                settled.add(item[0])
                model = self._model_values()
        return dict(self.value_of[lit] for lit in sorted(model))


class _Flips:
    """Which values a variable can take in a valid configuration with every other value kept.

    Per variable and rule, precomputed on literals: a clause allows any value once another
    variable satisfies it, else only its own values; a table allows the values whose row with
    the other variables' current values exists. A flip check is then a few set lookups.
    """

    def __init__(self, problem: Problem, literal: Mapping[tuple[str, str], int]) -> None:
        self.parts: dict[str, list[tuple[int, Any, Any]]] = {v.name: [] for v in problem.variables}
        for constraint in problem.constraints:
            if isinstance(constraint, Clause):
                satisfying: dict[str, set[int]] = {}
                for name, values in constraint.literals:
                    satisfying.setdefault(name, set()).update(literal[(name, value)] for value in values)
                for name, own in satisfying.items():
                    others = frozenset(lit for var, lits in satisfying.items() if var != name for lit in lits)
                    self.parts[name].append((_CLAUSE, others, frozenset(own)))
                continue
            scope = constraint.variables
            for position, name in enumerate(scope):
                others_scope = scope[:position] + scope[position + 1 :]
                index: dict[tuple[int, ...], set[int]] = {}
                for row in constraint.rows:
                    key = tuple(literal[(var, value)] for var, value in zip(scope, row, strict=True) if var != name)
                    index.setdefault(key, set()).add(literal[(name, row[position])])
                if len(others_scope) == 1:  # binary table: keyed by the partner's literal alone
                    by_partner = {key[0]: frozenset(lits) for key, lits in index.items()}
                    self.parts[name].append((_PAIR, others_scope[0], by_partner))
                else:
                    frozen = {key: frozenset(lits) for key, lits in index.items()}
                    self.parts[name].append((_TABLE, others_scope, frozen))

    def allowed(self, name: str, model: frozenset[int] | set[int], by_variable: Mapping[str, int]) -> frozenset[int] | None:
        """The literals of ``name`` every rule on it accepts with the rest of ``model`` kept (None: all)."""
        result: frozenset[int] | None = None
        for kind, first, second in self.parts[name]:
            if kind == _CLAUSE:
                if not first.isdisjoint(model):
                    continue
                fits = second
            elif kind == _PAIR:
                fits = second.get(by_variable[first], _NONE)
            else:
                fits = second.get(tuple(map(by_variable.__getitem__, first)), _NONE)
            result = fits if result is None else result & fits
            if not result:
                return _NONE
        return result

    def allows(self, name: str, lit: int, model: frozenset[int], by_variable: Mapping[str, int]) -> bool:
        fits = self.allowed(name, model, by_variable)
        return fits is None or lit in fits


_NONE: frozenset[int] = frozenset()
_CLAUSE, _PAIR, _TABLE = 0, 1, 2  # kinds of a rule's part in _Flips
