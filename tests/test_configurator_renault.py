"""The Renault Mégane benchmark: importer, its error messages, and exactness on the real instance."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sync.configurator import Engine, Table
from sync.configurator.renault import load_renault
from sync.errors import ConfigurationError

RENAULT = Path("configurator/renault-megane-clib")


def write_instance(folder: Path, rule: str) -> Path:
    (folder / "rules").mkdir(parents=True)
    (folder / "domains.txt").write_text("Var1 : A, B\nVar2 : X, Y, Z\n", encoding="utf-8")
    (folder / "rules" / "r1.pm").write_text(rule, encoding="utf-8")
    return folder


def test_small_instance_loads_with_nested_or_blocks(tmp_path: Path) -> None:
    rule = "or(\nVar1 = A  and Var2 = X\nor(\nVar1 = B  and Var2 = Z\nor)\nor)"
    problem = load_renault(write_instance(tmp_path, rule))
    assert [v.name for v in problem.variables] == ["Var1", "Var2"]
    assert problem.constraints == (Table("r1", ("Var1", "Var2"), (("A", "X"), ("B", "Z"))),)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("or(\nVar1 = A  and Var2 = W\nor)", "r1.pm:2: unknown value W of Var2"),
        ("or(\nVar1 = A  and Var9 = X\nor)", "r1.pm:2: unknown variable Var9"),
        ("or(\nVar1 = A  and Var2 = X\nVar2 = X  and Var1 = A\nor)", "r1.pm:3: combination names Var2, Var1"),
        ("or(\nVar1 = A  and Var2 X\nor)", "r1.pm:2: expected 'VarA = X and VarB = Y"),
        ("Var1 = A  and Var2 = X\n", "r1.pm:1: a rule file must start with 'or('"),
        ("or(\nVar1 = A  and Var2 = X\n", "r1.pm:2: 1 'or(' not closed"),
    ],
)
def test_malformed_rule_names_file_and_line(tmp_path: Path, rule: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace("'", "'")):
        load_renault(write_instance(tmp_path, rule))


def test_malformed_domain_line_names_file_and_line(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, "or(\nVar1 = A  and Var2 = X\nor)")
    (folder / "domains.txt").write_text("Var1 : A, B\nVar2 X, Y\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"domains.txt:2: expected 'VarN : v1, v2, \.\.\.'"):
        load_renault(folder)


def test_renault_loads_all_tables(testdata: Path) -> None:
    problem = load_renault(testdata / RENAULT)
    assert len(problem.variables) == 99
    assert len(problem.constraints) == 111
    assert max(len(c.rows) for c in problem.constraints if isinstance(c, Table)) > 30000


def check_available_values_complete_to_valid_cars(engine: Engine, steps: int, samples: int) -> None:
    problem = engine.problem
    tables = [(c.variables, set(c.rows)) for c in problem.constraints if isinstance(c, Table)]
    rng = random.Random(7)
    session = engine.new_session()
    for _ in range(steps):
        domains = session.domains()
        open_values = [(k, x) for k, vals in domains.items() if k not in session.choices for x, ok in vals.items() if ok]
        for var, value in rng.sample(open_values, min(samples, len(open_values))):
            car = session.complete({var: value})
            assert car[var] == value
            assert all(tuple(car[v] for v in scope) in rows for scope, rows in tables)
        closed = [(k, x) for k, vals in domains.items() if k not in session.choices for x, ok in vals.items() if not ok]
        for var, value in rng.sample(closed, min(3, len(closed))):
            assert not engine.is_valid({**session.choices, var: value})
            why = session.explain(var, value)
            assert why.choices.items() <= session.choices.items()
            assert not engine.is_valid({**why.choices, var: value})
        session.choose(*rng.choice(open_values))


def test_renault_sat_engine_offers_only_completable_values(testdata: Path) -> None:
    engine = Engine(load_renault(testdata / RENAULT), method="sat")
    check_available_values_complete_to_valid_cars(engine, steps=3, samples=4)


@pytest.mark.slow
def test_renault_diagram_engine_offers_only_completable_values(testdata: Path) -> None:
    engine = Engine(load_renault(testdata / RENAULT))
    assert engine.method == "diagram"
    check_available_values_complete_to_valid_cars(engine, steps=5, samples=10)
