"""The compiled decision diagram is kept on disk: a restarted kiosk loads it instead of compiling."""

from __future__ import annotations

from pathlib import Path

from sync.configurator import Engine
from sync.configurator.diagram import problem_key
from sync.configurator.generate import generate_problem


def test_a_second_engine_loads_the_stored_diagram_and_answers_the_same(tmp_path: Path) -> None:
    problem = generate_problem(11, attributes=8, rules=12, max_values=5, window=None)
    first = Engine(problem, method="diagram", cache_dir=tmp_path)
    second = Engine(problem, method="diagram", cache_dir=tmp_path)
    assert (first.backend.origin, second.backend.origin) == ("compiled", "loaded")  # type: ignore[attr-defined]
    a, b = first.new_session(), second.new_session()
    for name, values in first.root_domains.items():
        value = next(v for v, ok in values.items() if ok)
        if a.domains()[name][value]:
            a.choose(name, value)
            b.choose(name, value)
        assert a.domains() == b.domains()
        closed = [(k, v) for k, vals in a.domains().items() if k not in a.choices for v, ok in vals.items() if not ok]
        assert [a.explain(*item) for item in closed] == [b.explain(*item) for item in closed]


def test_a_changed_problem_is_compiled_afresh(tmp_path: Path) -> None:
    Engine(generate_problem(11, attributes=8, rules=12, max_values=5, window=None), method="diagram", cache_dir=tmp_path)
    other = generate_problem(12, attributes=8, rules=12, max_values=5, window=None)
    assert Engine(other, method="diagram", cache_dir=tmp_path).backend.origin == "compiled"  # type: ignore[attr-defined]
    assert len(list(tmp_path.iterdir())) == 2


def test_a_damaged_cache_file_is_ignored_not_loaded(tmp_path: Path) -> None:
    problem = generate_problem(11, attributes=8, rules=12, max_values=5, window=None)
    Engine(problem, method="diagram", cache_dir=tmp_path)
    root_file = tmp_path / problem_key(problem) / "root.dddmp"
    root_file.write_bytes(root_file.read_bytes()[:-40])  # truncated: the DDDMP reader could crash on it
    engine = Engine(problem, method="diagram", cache_dir=tmp_path)
    assert engine.backend.origin == "compiled"  # type: ignore[attr-defined]
    assert engine.satisfiable()
    # the damaged copy was replaced: the next start loads again
    assert Engine(problem, method="diagram", cache_dir=tmp_path).backend.origin == "loaded"  # type: ignore[attr-defined]
