"""Randomized cross-check of the engine against brute-force enumeration on small generated models."""

from __future__ import annotations

import itertools
import random

import pytest

from sync.configurator import Engine, Problem, Table
from sync.configurator.generate import generate_problem


def holds(problem: Problem, assignment: dict[str, str]) -> bool:
    for constraint in problem.constraints:
        if isinstance(constraint, Table):
            if tuple(assignment[v] for v in constraint.variables) not in set(constraint.rows):
                return False
        elif not any(assignment[v] in values for v, values in constraint.literals):
            return False
    return True


def all_solutions(problem: Problem) -> list[dict[str, str]]:
    names = [v.name for v in problem.variables]
    found = []
    for values in itertools.product(*(v.values for v in problem.variables)):
        assignment = dict(zip(names, values, strict=True))
        if holds(problem, assignment):
            found.append(assignment)
    return found


def extends(solution: dict[str, str], partial: dict[str, str]) -> bool:
    return all(solution[k] == v for k, v in partial.items())


def brute_domains(solutions: list[dict[str, str]], problem: Problem, choices: dict[str, str]) -> dict:
    matching = [s for s in solutions if extends(s, choices)]
    return {v.name: {x: any(s[v.name] == x for s in matching) for x in v.values} for v in problem.variables}


def small_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    return generate_problem(
        seed,
        attributes=rng.randint(3, 6),
        rules=rng.randint(3, 10),
        min_values=rng.choice([1, 2]),
        max_values=4,
        window=None,
    )


@pytest.mark.parametrize("method", ["sat", "diagram"])
def test_domains_and_explanations_match_brute_force_on_random_models(method: str) -> None:
    checked_values = 0
    for seed in range(60):
        problem = small_problem(seed)
        solutions = all_solutions(problem)
        engine = Engine(problem, method=method)
        rng = random.Random(seed)
        session = engine.new_session()
        for _ in range(4):
            choices = session.choices
            expected = brute_domains(solutions, problem, choices)
            assert session.domains() == expected, (seed, choices)
            for var, values in expected.items():
                for value, available in values.items():
                    checked_values += 1
                    if available:
                        continue
                    why = session.explain(var, value)
                    if var in choices and any(s[var] == value for s in solutions):
                        # another value of a chosen variable: its own choice is the minimal reason
                        assert why.choices == {var: choices[var]}
                        continue
                    assert why.choices.items() <= choices.items()
                    # the explanation really excludes the value ...
                    assert not any(extends(s, {**why.choices, var: value}) for s in solutions)
                    # ... and is minimal: dropping any one of its choices lets the value back in
                    for dropped in why.choices:
                        smaller = {k: v for k, v in why.choices.items() if k != dropped}
                        assert any(extends(s, {**smaller, var: value}) for s in solutions), (seed, why)
            open_values = [(k, x) for k, vals in expected.items() if k not in choices for x, ok in vals.items() if ok]
            if not open_values:
                break
            session.choose(*rng.choice(open_values))
    assert checked_values > 500


def restricted_to(problem: Problem, rule_names: set[str]) -> Problem:
    return Problem(problem.variables, tuple(c for c in problem.constraints if c.name in rule_names))


@pytest.mark.parametrize("method", ["sat", "diagram"])
def test_explanation_rules_are_a_minimal_set_that_excludes_the_value(method: str) -> None:
    checked = 0
    for seed in range(40):
        problem = small_problem(seed)
        engine = Engine(problem, method=method)
        rng = random.Random(seed)
        session = engine.new_session()
        for _ in range(4):
            domains = session.domains()
            for var, values in domains.items():
                for value, available in values.items():
                    if available or var in session.choices:
                        continue
                    why = session.explain(var, value)
                    conflict = {**why.choices, var: value}
                    rules = set(why.rules)
                    # these rules alone already exclude the explanation's choices with the value ...
                    assert not any(extends(s, conflict) for s in all_solutions(restricted_to(problem, rules))), seed
                    # ... and each of them is needed
                    for dropped in rules:
                        fewer = all_solutions(restricted_to(problem, rules - {dropped}))
                        assert any(extends(s, conflict) for s in fewer), (seed, why, dropped)
                    checked += 1
            open_values = [(k, x) for k, vals in domains.items() if k not in session.choices for x, ok in vals.items() if ok]
            if not open_values:
                break
            session.choose(*rng.choice(open_values))
    assert checked > 50
