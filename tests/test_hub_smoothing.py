"""The hub's Holt-Winters against a plain-Python reference of the textbook equations (its own loop and
arithmetic, one value at a time), and its fit against an exhaustive search over the same grid."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sync.hub import smoothing


def reference(y: list[float], m: int, a: float, b: float, g: float, horizon: int) -> tuple[list[float], float]:
    """Hyndman & Athanasopoulos 8.3, additive: state from the first (at most four) seasons."""
    k = min(len(y) // m, 4)
    means = [sum(y[j * m:(j + 1) * m]) / m for j in range(k)]
    level = means[0]
    trend = (means[-1] - means[0]) / ((k - 1) * m) if k > 1 else 0.0
    season = [sum(y[j * m + i] - means[j] for j in range(k)) / k for i in range(m)]
    sse = 0.0
    for t, obs in enumerate(y):
        s = season[t % m]
        sse += (obs - (level + trend + s)) ** 2
        old_level = level
        level = a * (obs - s) + (1 - a) * (old_level + trend)
        season[t % m] = g * (obs - old_level - trend) + (1 - g) * s
        trend = b * (level - old_level) + (1 - b) * trend
    n = len(y)
    return [level + h * trend + season[(n + h - 1) % m] for h in range(1, horizon + 1)], sse


def series(seed: int, days: int = 84) -> list[float]:
    rnd = random.Random(seed)
    week = [rnd.uniform(0, 10) for _ in range(7)]
    slope = rnd.uniform(-0.05, 0.1)
    return [max(0.0, week[t % 7] + slope * t + rnd.gauss(0, 1)) for t in range(days)]


@pytest.mark.parametrize("seed", range(8))
def test_smoothing_with_given_constants_matches_the_textbook_equations(seed: int) -> None:
    y = series(seed, days=21 + 9 * seed)
    constants = (random.Random(seed).uniform(0.05, 0.9), random.Random(-seed).uniform(0, 0.3), 0.1)
    got = smoothing.smooth(np.array(y), 30, 7, constants)
    want, sse = reference(y, 7, *constants, 30)
    assert got.values.tolist() == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert got.sse == pytest.approx(sse, rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_the_fit_picks_the_grid_constants_with_the_least_error(seed: int) -> None:
    y = series(100 + seed)
    fitted = smoothing.fit(np.array(y), 14, 7)
    best = min((reference(y, 7, a, b, g, 14)[1], (a, b, g))
               for a in smoothing._LEVELS for b in smoothing._TRENDS for g in smoothing._SEASONS
               if b <= a and g <= 1 - a)
    assert fitted.sse == pytest.approx(best[0], rel=1e-9)
    assert fitted.constants == pytest.approx(best[1])
    assert fitted.values.tolist() == pytest.approx(reference(y, 7, *fitted.constants, 14)[0], rel=1e-9)


def test_a_clean_pattern_with_a_trend_is_forecast_closely() -> None:
    week = [3, 3, 3, 4, 5, 9, 1]
    y = [week[t % 7] + 0.1 * t for t in range(70)]
    fitted = smoothing.fit(np.array(y), 14, 7)
    truth = [week[t % 7] + 0.1 * t for t in range(70, 84)]
    assert max(abs(f - w) for f, w in zip(fitted.values.tolist(), truth, strict=True)) < 0.05


def test_too_short_a_history_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="two seasons"):
        smoothing.smooth(np.ones(13), 5, 7)


def test_the_example_in_the_insights_docs_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "insights.md").read_text(encoding="utf-8")
    block = doc.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "docs/insights.md", "exec"), {})  # noqa: S102 - the project's own documentation
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("[") and len(printed[0].strip("[]").split()) == 7
    assert printed[1].startswith("(") and len(printed[1].split(",")) == 3
