"""Hostile values for every declared setting, from a file and from the environment.

A technician types a setting wrongly: either ``sync.settings.load`` refuses it with a SettingsError that names
where it was written (the file and its [section] key, or the environment variable) and quotes the value
cut short, or the value it returns holds to its declaration: its type (a list of texts), a finite number
within its bounds, one of its choices. Checked by this test's own reading of the declaration."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest

from sync import settings
from sync.errors import SettingsError

FILE_VALUES: list[str] = ['""', '"x"', "0", "-1", "1", "3", "1e308", "-1e308", "nan", "inf", "-inf", "0.5", "true",
                          "false", "[]", "[1, 2]", '["a", 2]', '[["a"]]', '["a", "b"]', "{a = 1}", "1979-05-27",
                          "07:32:00", '"' + "y" * 3000 + '"', '"nan"', '"inf"', '"1e999"', '"  3 "', '"\\u0000"',
                          '"🚲"', '"Asia/Shanghai"', '"../../etc/passwd"', "9" * 30]
ENV_VALUES: list[str] = ["", " ", "x", "0", "-1", "1", "nan", "NaN", "inf", "-inf", "1e999", "1e308", "0.5", "true",
                         "no", "a,b", ",,,", "9" * 5000, "z" * 3000, "🚲", "Asia/Shanghai", "\t1\n"]


def _holds(decl: settings.Setting, value: Any) -> str | None:
    """What is wrong with ``value`` against ``decl``, by this test's own reading; None when it holds."""
    if decl.type is bool and not isinstance(value, bool):
        return "not a bool"
    if decl.type is int and (isinstance(value, bool) or not isinstance(value, int)):
        return "not an int"
    if decl.type is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "not a number"
        if not math.isfinite(value):
            return "not finite"
    if decl.type is str and not isinstance(value, str):
        return "not a text"
    if decl.type is list and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        return "not a list of texts"
    if decl.choices is not None and value not in decl.choices:
        return "not a choice"
    if decl.minimum is not None and isinstance(value, int | float) and not value >= decl.minimum:
        return "below the minimum"
    if decl.maximum is not None and isinstance(value, int | float) and not value <= decl.maximum:
        return "above the maximum"
    return None


def _check(decl: settings.Setting, load: Any, where: str) -> str:
    try:
        loaded = load()
    except SettingsError as refused:
        said = str(refused)
        assert where in refused.where, (decl.key, refused.where)
        assert len(said) < 700, (decl.key, len(said))
        return "refused"
    value = loaded.get(decl.key)
    problem = _holds(decl, value)
    assert problem is None, (decl.key, where, repr(value)[:80], problem)
    return "taken"


@pytest.mark.parametrize("section", sorted({d.section for d in settings.declarations().values()}))
def test_every_setting_refuses_a_hostile_value_naming_where_or_keeps_its_declaration(tmp_path: Path,
                                                                                       section: str) -> None:
    rng = random.Random(section)
    seen = {"refused": 0, "taken": 0}
    for decl in (d for d in settings.declarations().values() if d.section == section):
        for raw in rng.sample(FILE_VALUES, 12):
            file = tmp_path / f"{decl.name}.toml"
            file.write_text(f"[{decl.section}]\n{decl.name} = {raw}\n", encoding="utf-8")
            seen[_check(decl, lambda file=file: settings.load(file, environ={}), str(file))] += 1
        for raw in rng.sample(ENV_VALUES, 10):
            environ = {decl.env_var: raw}
            seen[_check(decl, lambda environ=environ: settings.load(None, environ=environ), decl.env_var)] += 1
    assert seen["refused"] and seen["taken"], seen


def test_nan_and_infinity_are_not_a_number_of_seconds() -> None:
    """``float("nan")`` passes every comparison with a bound (each is False): it reached the dashboard as a
    refresh period before the declaration refused it."""
    floats = [d for d in settings.declarations().values() if d.type is float]
    assert floats
    for decl in floats:
        for raw in ("nan", "inf", "-inf"):
            with pytest.raises(SettingsError, match=f"setting {decl.key} must be of type float"):
                settings.load(None, environ={decl.env_var: raw})
