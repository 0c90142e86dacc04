"""Holt-Winters exponential smoothing (additive trend, additive season) for the hub's demand forecast.

Written here on numpy rather than taken from statsmodels: statsmodels brings scipy and pandas, about
95 MB of the hub's 80 MB bundle (issue 15), for one recursion of a few lines. The method is the
textbook one (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 8.3):

    level_t  = a (y_t - season_{t-m}) + (1 - a)(level_{t-1} + trend_{t-1})
    trend_t  = b (level_t - level_{t-1}) + (1 - b) trend_{t-1}
    season_t = g (y_t - level_{t-1} - trend_{t-1}) + (1 - g) season_{t-m}
    forecast_{t+h} = level_t + h trend_t + season_{t+h-m(k+1)}

started from the first seasons (level: the first season's mean; trend: the change of the seasons'
means per step; season: each position's mean deviation from its season's mean). :func:`fit` estimates
``a, b, g`` by the least one-step-ahead squared error over a grid, all candidates run at once as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

FIXED = (0.2, 0.05, 0.1)
"""Constants that follow a change within a few weeks (level, trend, season): the hub's default."""

_LEVELS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
_TRENDS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
_SEASONS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)


@dataclass(frozen=True)
class Smoothed:
    values: np.ndarray
    """The forecast, ``horizon`` steps past the end of the history."""
    constants: tuple[float, float, float]
    sse: float
    """Sum of the squared one-step-ahead errors over the history."""


def _initial(y: np.ndarray, season: int) -> tuple[float, float, np.ndarray]:
    seasons = min(len(y) // season, 4)
    blocks = y[: seasons * season].reshape(seasons, season)
    means = blocks.mean(axis=1)
    trend = float((means[-1] - means[0]) / ((seasons - 1) * season)) if seasons > 1 else 0.0
    return float(means[0]), trend, (blocks - means[:, None]).mean(axis=0)


def _run(y: np.ndarray, season: int, constants: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Smooth ``y`` with every row of ``constants`` (k x 3) at once: (k x horizon forecasts, k SSEs)."""
    a, b, g = (constants[:, i] for i in range(3))
    level0, trend0, season0 = _initial(y, season)
    k = len(constants)
    level, trend = np.full(k, level0), np.full(k, trend0)
    seasonal = np.tile(season0, (k, 1))
    sse = np.zeros(k)
    for t, observed in enumerate(y):
        s = seasonal[:, t % season]
        base = level + trend
        error = observed - base - s
        sse += error * error
        new_level = a * (observed - s) + (1 - a) * base
        trend = b * (new_level - level) + (1 - b) * trend
        seasonal[:, t % season] = g * (observed - base) + (1 - g) * s
        level = new_level
    n = len(y)
    steps = np.arange(1, horizon + 1)
    ahead = level[:, None] + steps[None, :] * trend[:, None] + seasonal[:, (n + steps - 1) % season]
    return ahead, sse


def _series(history: np.ndarray, season: int) -> np.ndarray:
    y = np.asarray(history, dtype=float)
    if len(y) < 2 * season:
        raise ValueError(f"Holt-Winters needs two seasons ({2 * season} values), got {len(y)}")
    return y


def smooth(history: np.ndarray, horizon: int, season: int, constants: tuple[float, float, float] = FIXED) -> Smoothed:
    """Forecast with given constants. ``history`` needs at least two full seasons."""
    ahead, sse = _run(_series(history, season), season, np.array([constants], dtype=float), horizon)
    return Smoothed(ahead[0], constants, float(sse[0]))


def fit(history: np.ndarray, horizon: int, season: int) -> Smoothed:
    """Forecast with the constants (from a grid, level >= trend) that fit the history best."""
    grid = np.array([c for c in product(_LEVELS, _TRENDS, _SEASONS) if c[1] <= c[0] and c[2] <= 1 - c[0]])
    ahead, sse = _run(_series(history, season), season, grid, horizon)
    best = int(np.argmin(sse))
    return Smoothed(ahead[best], (float(grid[best, 0]), float(grid[best, 1]), float(grid[best, 2])), float(sse[best]))
