"""Arc-consistency derivations only propose explanation candidates, so they must always be sound."""

from __future__ import annotations

import random

from sync.configurator import Clause, Problem, Table, Variable
from sync.configurator.propagate import Propagator
from tests.test_configurator_bruteforce import all_solutions, extends, small_problem


def test_every_derived_conflict_really_has_no_solution_with_its_rules_and_choices() -> None:
    derived = 0
    for seed in range(80):
        problem = small_problem(seed)
        propagator = Propagator(problem)
        rng = random.Random(seed)
        for _ in range(15):
            chosen = rng.sample(problem.variables, rng.randint(1, len(problem.variables)))
            assignment = {v.name: rng.choice(v.values) for v in chosen}
            found = propagator.conflict(assignment)
            if found is None:
                continue
            derived += 1
            assert found.variables <= assignment.keys()
            rules = tuple(problem.constraints[i] for i in sorted(found.rules))
            part = {name: assignment[name] for name in found.variables}
            # the rules and choices the derivation names have no solution on their own
            assert not any(extends(s, part) for s in all_solutions(Problem(problem.variables, rules))), (seed, assignment)
    assert derived > 100


def test_a_chain_of_rules_is_derived_with_only_the_choices_it_needs() -> None:
    problem = Problem(
        variables=(
            Variable("frame", ("city", "cargo")),
            Variable("motor", ("hub", "mid")),
            Variable("battery", ("400", "750")),
            Variable("colour", ("black", "red")),
        ),
        constraints=(
            Clause("cargo-needs-mid", (("frame", frozenset({"city"})), ("motor", frozenset({"mid"})))),
            Table("motor-battery", ("motor", "battery"), (("hub", "400"), ("hub", "750"), ("mid", "750"))),
            Table("colours", ("frame", "colour"), (("city", "black"), ("city", "red"), ("cargo", "black"))),
        ),
    )
    found = Propagator(problem).conflict({"frame": "cargo", "colour": "black", "battery": "400"})
    assert found is not None
    assert found.variables == {"frame", "battery"}  # the colour played no part
    assert found.rules == {0, 1}
    assert Propagator(problem).conflict({"frame": "cargo", "battery": "750"}) is None
