"""The exact configurator engine: valid domains, minimal explanations, switch, completion, undo.

Two backends answer the same four questions (is this partial assignment completable, valid
domains under these choices, which rules rule this out, complete these choices):

* ``sat`` (sync.configurator.sat) — incremental SAT (python-sat); loads in milliseconds and is
  fast on catalog-sized problems with many small rules; slow when tables have 100k rows.
* ``diagram`` (sync.configurator.diagram) — a compiled BDD (dd on CUDD); compiling Renault takes
  5-7 s (a restart loads it from ``cache_dir`` in under 2 s) and a loosely structured random
  model did not compile in two minutes, but once built valid domains are one traversal (a few ms
  on Renault).

``method="auto"`` tries the diagram for table-heavy problems (with a node limit) and uses SAT
otherwise; docs/configurator.md gives the measurements behind that choice.
Explanations are computed here, independently of the backend, with QuickXplain over the
backend's consistency check, so they are subset-minimal by construction; the backend's ``core``
(a SAT core, or the choices an arc-consistency derivation used) only narrows the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from sync.configurator.model import Clause, Problem, Table
from sync.configurator.quickxplain import quickxplain
from sync.errors import ConfigurationError

Method = Literal["auto", "sat", "diagram"]
#: ``auto`` tries a decision diagram when the tables hold more rows than this per value (Renault: ~280,
#: the generated model: ~13), and falls back to SAT when the diagram outgrows DIAGRAM_NODE_LIMIT
DIAGRAM_ROWS_PER_VALUE = 50
DIAGRAM_NODE_LIMIT = 2_000_000
#: how many answered choice sets the engine remembers (least recently used dropped first)
RECENT_DOMAINS = 512


class Backend(Protocol):
    def consistent(self, assignment: Mapping[str, str]) -> bool: ...
    def domains(
        self, choices: Mapping[str, str], ruled_out_before: Iterable[tuple[str, str]] = ()
    ) -> dict[str, dict[str, bool]]: ...
    def rules(self, assignment: Mapping[str, str]) -> tuple[str, ...]: ...
    def core(self, assignment: Mapping[str, str]) -> set[str] | None: ...
    def complete(
        self, choices: Mapping[str, str], preferred: Sequence[tuple[str, str]]
    ) -> dict[str, str] | None: ...


@dataclass(frozen=True)
class Explanation:
    """Why a value is unavailable: a minimal subset of the current choices and the rules involved."""

    choices: dict[str, str]
    rules: tuple[str, ...]


def _check_problem(problem: Problem) -> dict[str, tuple[str, ...]]:
    domains: dict[str, tuple[str, ...]] = {}
    for var in problem.variables:
        if var.name in domains:
            raise ConfigurationError(f"variable {var.name} declared twice", where="problem")
        if not var.values or len(set(var.values)) != len(var.values):
            raise ConfigurationError(f"variable {var.name} needs distinct values", where="problem")
        domains[var.name] = var.values
    for constraint in problem.constraints:
        where = f"constraint {constraint.name}"
        if isinstance(constraint, Table):
            for name in constraint.variables:
                if name not in domains:
                    raise ConfigurationError(f"unknown variable {name}", where=where)
            for number, row in enumerate(constraint.rows, start=1):
                if len(row) != len(constraint.variables):
                    raise ConfigurationError(
                        f"row {number} has {len(row)} values for {len(constraint.variables)} variables", where=where
                    )
                for name, value in zip(constraint.variables, row, strict=True):
                    if value not in domains[name]:
                        raise ConfigurationError(f"row {number}: unknown value {value} of {name}", where=where)
        elif isinstance(constraint, Clause):
            for name, values in constraint.literals:
                if name not in domains:
                    raise ConfigurationError(f"unknown variable {name}", where=where)
                unknown = set(values) - set(domains[name])
                if unknown:
                    raise ConfigurationError(f"unknown value(s) {sorted(unknown)} of {name}", where=where)
        else:
            raise ConfigurationError(f"not a Table or Clause: {type(constraint).__name__}", where=where)
    return domains


class Engine:
    """Compiles a Problem once; sessions then ask it about choices."""

    def __init__(self, problem: Problem, method: Method = "auto", cache_dir: Path | None = None) -> None:
        """``cache_dir``: where compiled decision diagrams are kept between runs (keyed by a hash of the problem)."""
        self.problem = problem
        self.domain_of = _check_problem(problem)
        if method not in ("auto", "sat", "diagram"):
            raise ConfigurationError(f"unknown method {method!r}", fix="use auto, sat or diagram")
        backend: Backend | None = None
        rows = sum(len(c.rows) for c in problem.constraints if isinstance(c, Table))
        values = sum(len(v.values) for v in problem.variables)
        if method == "diagram" or (method == "auto" and rows > DIAGRAM_ROWS_PER_VALUE * values):
            try:
                from sync.configurator.diagram import DiagramBackend, DiagramTooLarge
            except ImportError as error:  # dd installed without its CUDD extension
                if method == "diagram":
                    raise ConfigurationError(
                        f"the diagram backend needs dd with CUDD: {error}", fix="pip install dd (a wheel with dd.cudd)"
                    ) from error
            else:
                try:
                    backend = DiagramBackend(
                        problem, node_limit=None if method == "diagram" else DIAGRAM_NODE_LIMIT, cache_dir=cache_dir
                    )
                    method = "diagram"
                except DiagramTooLarge:
                    method = "sat"
        if backend is None:
            from sync.configurator.sat import SatBackend

            backend = SatBackend(problem)
            method = "sat"
        self.backend: Backend = backend
        self.method: str = method
        # Values no configuration has stay unavailable under any choices.
        self.root_domains = self.backend.domains({})
        self.dead = [(k, v) for k, vals in self.root_domains.items() for v, ok in vals.items() if not ok]
        # A minimal conflict stays minimal however many choices are added: reuse it while it applies.
        self.known_conflicts: dict[tuple[str, str], list[Explanation]] = {}
        self._recent_domains: dict[frozenset[tuple[str, str]], dict[str, dict[str, bool]]] = {}

    def check(self, variable: str, value: str | None = None) -> None:
        """Raise ConfigurationError when the variable (or value) is not in the problem."""
        if variable not in self.domain_of:
            raise ConfigurationError(f"unknown variable {variable!r}", where="configurator")
        if value is not None and value not in self.domain_of[variable]:
            raise ConfigurationError(
                f"unknown value {value!r} of {variable}",
                where="configurator",
                fix=f"one of {', '.join(self.domain_of[variable])}",
            )

    def satisfiable(self) -> bool:
        return self.backend.consistent({})

    def is_valid(self, assignment: Mapping[str, str]) -> bool:
        """True when the (full or partial) assignment can be completed to a valid configuration."""
        for name, value in assignment.items():
            self.check(name, value)
        return self.backend.consistent(dict(assignment))

    def minimal_conflict(self, background: Mapping[str, str], candidates: Sequence[tuple[str, str]]) -> dict[str, str]:
        """A subset-minimal part of ``candidates`` that with ``background`` is inconsistent (QuickXplain).

        The caller guarantees background + candidates is inconsistent; earlier candidates are
        preferred to stay out of the answer.
        """
        base = dict(background)
        # the backend names a cheaper inconsistent part when it can (a SAT core, a propagation
        # derivation): only its candidates need minimizing
        core = self.backend.core({**base, **dict(candidates)})
        if core is not None:
            candidates = [item for item in candidates if item[0] in core]
            if len(candidates) == 1 and self.backend.consistent(base):
                return dict(candidates)  # a single inconsistent candidate is minimal
        return dict(
            quickxplain(lambda items: self.backend.consistent({**base, **dict(items)}), list(candidates))
        )

    def domains(
        self, choices: Mapping[str, str], ruled_out_before: Iterable[tuple[str, str]] = ()
    ) -> dict[str, dict[str, bool]]:
        """Valid domains under ``choices``; recent answers are kept, many customers start alike."""
        if not choices:
            return self.root_domains
        key = frozenset(choices.items())
        found = self._recent_domains.pop(key, None)
        if found is None:
            found = self.backend.domains(choices, [*self.dead, *ruled_out_before])
        self._recent_domains[key] = found
        if len(self._recent_domains) > RECENT_DOMAINS:
            del self._recent_domains[next(iter(self._recent_domains))]
        return found

    def new_session(self) -> Session:
        return Session(self)


class Session:
    """One customer's choices against an Engine; every answer is exact."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._choices: dict[str, str] = {}
        self._history: list[tuple[dict[str, str], dict[str, dict[str, bool]] | None]] = []
        self._domains: dict[str, dict[str, bool]] | None = None
        self._explanations: dict[tuple[str, str], Explanation] = {}
        self._hint: list[tuple[str, str]] = []
        #: completions of the current choices by preference: a kiosk tap asks several times (preselection,
        #: running total, date, picture); the answer depends on the choices alone, so it is kept until they change
        self._completions: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    @property
    def choices(self) -> dict[str, str]:
        return dict(self._choices)

    def _set(self, choices: dict[str, str]) -> None:
        self._history.append((self._choices, self._domains))
        hint: list[tuple[str, str]] = []
        if self._domains is not None and self._choices.items() <= choices.items():
            # more choices: whatever was unavailable stays unavailable
            hint = [(k, v) for k, vals in self._domains.items() for v, ok in vals.items() if not ok]
        self._hint = hint
        self._choices = choices
        self._domains = None
        self._explanations = {}
        self._completions = {}

    def _without(self, variable: str) -> dict[str, str]:
        return {k: v for k, v in self._choices.items() if k != variable}

    def choose(self, variable: str, value: str) -> None:
        """Choose a value (replacing an earlier choice of the same variable) if it stays completable."""
        self.engine.check(variable, value)
        if self._choices.get(variable) == value:
            return
        others = self._without(variable)
        if variable not in self._choices and self._domains is not None:
            fits = self._domains[variable][value]  # already known exactly: no solver call
        else:
            fits = self.engine.backend.consistent({**others, variable: value})
        if not fits:
            why = self._explain_against(others, variable, value)
            raise ConfigurationError(
                f"{variable}={value} is not available: {_describe(why)}",
                where="configurator",
                fix="switch to it to drop the conflicting choices",
            )
        self._set({**others, variable: value})

    def unchoose(self, variable: str) -> None:
        self.engine.check(variable)
        if variable not in self._choices:
            raise ConfigurationError(f"{variable} is not chosen", where="configurator")
        self._set(self._without(variable))

    @property
    def depth(self) -> int:
        """How many changes :meth:`undo` can take back (a caller marks it to undo a group of them)."""
        return len(self._history)

    def undo(self) -> None:
        if not self._history:
            raise ConfigurationError("nothing to undo", where="configurator")
        self._choices, self._domains = self._history.pop()
        self._hint = []
        self._explanations = {}
        self._completions = {}

    def domains(self) -> dict[str, dict[str, bool]]:
        return {name: dict(values) for name, values in self._current_domains().items()}

    def _current_domains(self) -> dict[str, dict[str, bool]]:
        if self._domains is None:
            self._domains = self.engine.domains(self._choices, self._hint)
        return self._domains

    def _is_available(self, variable: str, value: str) -> bool:
        return self._current_domains()[variable][value]

    def explain(self, variable: str, value: str) -> Explanation:
        """A minimal subset of the current choices that excludes the value, and the rules involved."""
        self.engine.check(variable, value)
        key = (variable, value)
        if key not in self._explanations:
            if self._is_available(variable, value):
                raise ConfigurationError(f"{variable}={value} is available: nothing to explain", where="configurator")
            self._explanations[key] = self._explain_against(self._choices, variable, value)
        cached = self._explanations[key]
        return Explanation(dict(cached.choices), cached.rules)

    def _explain_against(self, choices: Mapping[str, str], variable: str, value: str) -> Explanation:
        backend = self.engine.backend
        if variable in choices and backend.consistent({variable: value}):
            # another value of a chosen variable: its own choice is the one-element explanation
            return Explanation({variable: choices[variable]}, ())
        known = self.engine.known_conflicts.setdefault((variable, value), [])
        for explanation in known:
            if explanation.choices.items() <= choices.items():
                return explanation
        # Newest choices first: QuickXplain keeps the earlier candidates out of the answer when it can.
        ordered = [(k, v) for k, v in reversed(list(choices.items())) if k != variable]
        conflict = self.engine.minimal_conflict({variable: value}, ordered)
        ordered_conflict = {k: v for k, v in choices.items() if k in conflict}
        found = Explanation(ordered_conflict, backend.rules({**ordered_conflict, variable: value}))
        known.append(found)
        return found

    def switch(self, variable: str, value: str, keep_first: Sequence[str] = ()) -> dict[str, str]:
        """Apply the value and drop a minimal set of conflicting choices (see :meth:`switch_drops`)."""
        dropped = self.switch_drops(variable, value, keep_first)
        others = self._without(variable)
        self._set({**{k: v for k, v in others.items() if k not in dropped}, variable: value})
        return dropped

    def switch_drops(self, variable: str, value: str, keep_first: Sequence[str] = ()) -> dict[str, str]:
        """The choices :meth:`switch` would drop, without switching: so a screen can say it before the tap.

        Choices named in ``keep_first`` are kept first, then the older ones (e.g. a customer's own choices
        before the ones a kiosk filled in)."""
        self.engine.check(variable, value)
        backend = self.engine.backend
        if not backend.consistent({variable: value}):
            rules = backend.rules({variable: value})
            raise ConfigurationError(
                f"{variable}={value} is in no valid configuration (rules {', '.join(rules) or 'none'})",
                where="configurator",
            )
        others = self._without(variable)
        if backend.consistent({**others, variable: value}):
            return {}
        order = [k for k in keep_first if k in others] + [k for k in others if k not in keep_first]
        kept: dict[str, str] = {}
        for name in order:
            if backend.consistent({**kept, name: others[name], variable: value}):
                kept[name] = others[name]
        return {k: v for k, v in others.items() if k not in kept}

    def complete(self, preferred: Mapping[str, str] | None = None) -> dict[str, str]:
        """A full valid assignment keeping the choices and taking ``preferred`` values where possible.

        The same choices always complete the same way: where a preferred value is not possible, the
        variable takes the possible value nearest to it in its list (the earlier on a tie), e.g. frame L
        for a tall rider when M is preferred. Left to the solver, the pick would depend on what it was
        asked before: a kiosk showed XL preselected and then took L on Next."""
        key = tuple((preferred or {}).items())
        known = self._completions.get(key)
        if known is not None:
            return dict(known)
        wishes: list[tuple[str, str]] = []
        others: list[tuple[str, str]] = []
        possible = self._current_domains()  # a value these choices rule out stays out: no solver call for it
        for name, value in (preferred or {}).items():
            self.engine.check(name, value)
            if name not in self._choices:
                wishes.append((name, value))
                domain = self.engine.domain_of[name]
                at = domain.index(value)
                others.extend((name, domain[i]) for i in _nearest(len(domain), at)
                              if i != at and possible[name][domain[i]])
        wished = {name for name, _ in wishes}
        for variable in self.engine.problem.variables:  # no preference: its first possible value
            if variable.name not in self._choices and variable.name not in wished:
                others.extend((variable.name, value) for value in variable.values if possible[variable.name][value])
        # every default first (the most of them that fit together), then the nearest alternatives in order
        result = self.engine.backend.complete(self._choices, wishes + others)
        if result is None:
            raise ConfigurationError("the rules allow no configuration with these choices", where="configurator")
        completed = self._completions[key] = {v.name: result[v.name] for v in self.engine.problem.variables}
        return dict(completed)


def _nearest(size: int, at: int) -> list[int]:
    """Positions 0..size-1 by distance from ``at``, the earlier first on a tie."""
    return sorted(range(size), key=lambda i: (abs(i - at), i))


def _describe(explanation: Explanation) -> str:
    parts = ", ".join(f"{k}={v}" for k, v in explanation.choices.items()) or "no choice (no configuration has it)"
    rules = f" (rules {', '.join(explanation.rules)})" if explanation.rules else ""
    return f"it conflicts with {parts}{rules}"


