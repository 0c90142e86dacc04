"""Hand-written cases for the exact configurator engine."""

from __future__ import annotations

import pytest

from sync.configurator import Clause, Engine, Problem, Table, Variable
from sync.errors import ConfigurationError

FRAME = Variable("frame", ("city", "mtb", "cargo"))
MOTOR = Variable("motor", ("hub", "mid"))
BATTERY = Variable("battery", ("400", "500", "750"))
COLOUR = Variable("colour", ("black", "red", "green"))
RACK = Variable("rack", ("none", "front", "rear"))


def bike() -> Problem:
    return Problem(
        variables=(FRAME, MOTOR, BATTERY, COLOUR, RACK),
        constraints=(
            # cargo requires the mid motor
            Clause("cargo-needs-mid", (("frame", frozenset({"city", "mtb"})), ("motor", frozenset({"mid"})))),
            # the mid motor requires a 750 battery (a chain: cargo -> mid -> 750)
            Clause("mid-needs-750", (("motor", frozenset({"hub"})), ("battery", frozenset({"750"})))),
            # mtb excludes a front rack
            Clause("mtb-no-front-rack", (("frame", frozenset({"city", "cargo"})), ("rack", frozenset({"none", "rear"})))),
            # colours per frame
            Table(
                "frame-colours",
                ("frame", "colour"),
                (("city", "black"), ("city", "red"), ("mtb", "black"), ("mtb", "green"), ("cargo", "black")),
            ),
        ),
    )


@pytest.fixture(params=["sat", "diagram"])
def engine(request: pytest.FixtureRequest) -> Engine:
    return Engine(bike(), method=request.param)


def test_requires_chain_narrows_domains(engine: Engine) -> None:
    session = engine.new_session()
    session.choose("frame", "cargo")
    domains = session.domains()
    assert domains["motor"] == {"hub": False, "mid": True}
    assert domains["battery"] == {"400": False, "500": False, "750": True}
    assert domains["colour"] == {"black": True, "red": False, "green": False}


def test_excludes_hides_the_excluded_value(engine: Engine) -> None:
    session = engine.new_session()
    session.choose("rack", "front")
    assert session.domains()["frame"] == {"city": True, "mtb": False, "cargo": True}


def test_explanation_names_the_minimal_choices_and_rules(engine: Engine) -> None:
    session = engine.new_session()
    session.choose("colour", "black")
    session.choose("battery", "400")
    session.choose("rack", "rear")
    why = session.explain("frame", "cargo")
    assert why.choices == {"battery": "400"}
    assert set(why.rules) == {"cargo-needs-mid", "mid-needs-750"}


def test_explaining_an_available_value_is_refused(engine: Engine) -> None:
    session = engine.new_session()
    with pytest.raises(ConfigurationError, match="available"):
        session.explain("frame", "city")


def test_choosing_an_unavailable_value_says_why(engine: Engine) -> None:
    session = engine.new_session()
    session.choose("battery", "500")
    with pytest.raises(ConfigurationError, match="battery=500"):
        session.choose("motor", "mid")
    assert session.choices == {"battery": "500"}


def test_switch_drops_only_the_conflicting_choices(engine: Engine) -> None:
    session = engine.new_session()
    session.choose("colour", "black")
    session.choose("battery", "400")
    session.choose("rack", "rear")
    dropped = session.switch("frame", "cargo")
    assert dropped == {"battery": "400"}
    assert session.choices == {"colour": "black", "rack": "rear", "frame": "cargo"}
    assert session.domains()["battery"]["750"] is True


def test_undo_restores_the_previous_choices(engine: Engine) -> None:
    session = engine.new_session()
    session.choose("frame", "mtb")
    session.choose("colour", "green")
    session.unchoose("frame")
    assert session.choices == {"colour": "green"}
    session.undo()
    assert session.choices == {"frame": "mtb", "colour": "green"}
    session.undo()
    session.undo()
    assert session.choices == {}
    with pytest.raises(ConfigurationError, match="nothing to undo"):
        session.undo()


def test_complete_keeps_choices_and_takes_possible_preferences(engine: Engine) -> None:
    session = engine.new_session()
    session.choose("frame", "cargo")
    full = session.complete({"battery": "400", "colour": "black", "rack": "front", "motor": "hub"})
    assert full["frame"] == "cargo" and full["colour"] == "black" and full["rack"] == "front"
    assert full["motor"] == "mid" and full["battery"] == "750"  # preferences the rules forbid give way
    assert engine.is_valid(full)
    assert session.choices == {"frame": "cargo"}


def _nearest_possible(engine: Engine, choices: dict[str, str], preferred: dict[str, str]) -> dict[str, str]:
    """The checker's own completion, by brute force over every full assignment: keep the choices, take the
    most preferred values that fit together (earlier variables first), then per variable the valid value
    nearest its preference in its list (the earlier on a tie)."""
    import itertools

    names = [v.name for v in engine.problem.variables]
    values = {v.name: v.values for v in engine.problem.variables}
    valid = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(values[n] for n in names))
             if engine.is_valid(dict(zip(names, combo, strict=True)))]
    pool = [a for a in valid if all(a[k] == v for k, v in choices.items())]
    for name, value in preferred.items():
        if name not in choices and any(a[name] == value for a in pool):
            pool = [a for a in pool if a[name] == value]
    for name, value in preferred.items():
        at = values[name].index(value)
        for i in sorted(range(len(values[name])), key=lambda i, at=at: (abs(i - at), i)):
            kept = [a for a in pool if a[name] == values[name][i]]
            if kept:
                pool = kept
                break
    assert len(pool) == 1
    return pool[0]


def test_the_same_choices_always_complete_the_same_way_whatever_was_asked_before(engine: Engine) -> None:
    """A kiosk showed frame XL preselected and took L on Next: the solver's pick depended on its history."""
    import random

    rng = random.Random(7)
    preferred = {"frame": "mtb", "motor": "hub", "battery": "500", "colour": "red", "rack": "front"}
    for _ in range(60):
        busy = engine.new_session()
        for _ in range(rng.randint(1, 6)):  # questions a customer's taps ask in between
            name = rng.choice(["frame", "motor", "battery", "colour", "rack"])
            value = rng.choice(engine.domain_of[name])
            if busy.domains()[name][value]:
                busy.choose(name, value)
            else:
                busy.explain(name, value)
            busy.complete(dict(rng.sample(sorted(preferred.items()), 3)))
        fresh = engine.new_session()
        for name, value in busy.choices.items():
            fresh.choose(name, value)
        expected = _nearest_possible(engine, busy.choices, preferred)
        assert busy.complete(preferred) == fresh.complete(preferred) == expected, busy.choices


def test_the_completion_checker_can_fail(engine: Engine) -> None:
    """Planted: a completion that takes the farther of two possible values is told apart."""
    session = engine.new_session()
    session.choose("frame", "mtb")
    got = session.complete({"battery": "400", "colour": "red", "rack": "front"})
    expected = _nearest_possible(engine, {"frame": "mtb"}, {"battery": "400", "colour": "red", "rack": "front"})
    assert got == expected and got["colour"] == "black" and got["rack"] == "none"  # nearest to red, to front
    assert {**got, "rack": "rear"} != expected


def test_unknown_variable_or_value_is_a_configuration_error(engine: Engine) -> None:
    session = engine.new_session()
    with pytest.raises(ConfigurationError, match="unknown variable 'saddle'"):
        session.choose("saddle", "gel")
    with pytest.raises(ConfigurationError, match="unknown value 'pink' of colour"):
        session.choose("colour", "pink")
    with pytest.raises(ConfigurationError):
        engine.is_valid({"frame": "tandem"})


def test_constraint_naming_an_unknown_value_is_refused_at_compile() -> None:
    bad = Problem((FRAME, COLOUR), (Table("t", ("frame", "colour"), (("city", "pink"),)),))
    with pytest.raises(ConfigurationError, match="constraint t: row 1: unknown value pink of colour"):
        Engine(bad)


@pytest.mark.parametrize("method", ["sat", "diagram"])
def test_unsatisfiable_problem_has_no_available_value(method: str) -> None:
    problem = Problem(
        (FRAME, COLOUR),
        (
            Clause("only-city", (("frame", frozenset({"city"})),)),
            Table("no-city", ("frame", "colour"), (("mtb", "black"),)),
        ),
    )
    engine = Engine(problem, method=method)
    assert not engine.satisfiable()
    session = engine.new_session()
    assert not any(ok for values in session.domains().values() for ok in values.values())
    with pytest.raises(ConfigurationError, match="no configuration"):
        session.complete()


def test_partial_assignment_validity_means_completable(engine: Engine) -> None:
    assert engine.is_valid({"frame": "cargo"})
    assert not engine.is_valid({"frame": "cargo", "battery": "500"})
    assert engine.satisfiable()
