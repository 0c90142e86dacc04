"""Key figures from the event log and the plan: OEE, on-time delivery, cycle time, first-pass
yield, standard versus actual time, and profit contribution. Definitions live in docs/kpis.md.

Pure functions over plain records, so the hub API, the CSV/JSON export and the dashboard
compute the same numbers the same way.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from statistics import median
from typing import Any

from sync.planning.promise import promised_day

#: money in the KPI tables is written to the cent
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OperationRecord:
    """One completed operation as the hub knows it from its events."""

    work_centre: str
    standard_seconds: float  # setup + run x quantity
    actual_seconds: float  # working time between start and completion, pauses excluded
    good: int
    scrap: int
    work_order: str = ""
    op: int = 0


@dataclass(frozen=True)
class OEE:
    work_centre: str
    availability: float
    performance: float
    quality: float

    @property
    def oee(self) -> float:
        return self.availability * self.performance * self.quality


def oee(records: Iterable[OperationRecord], planned_seconds: Mapping[str, float]) -> list[OEE]:
    """OEE per work centre over a period whose planned production time is ``planned_seconds``.

    availability = run time / planned time; performance = standard time earned / run time;
    quality = good / (good + scrap). Each is capped at 1 (a faster-than-standard run counts 100 %).
    """
    run: dict[str, float] = defaultdict(float)
    earned: dict[str, float] = defaultdict(float)
    good: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for r in records:
        run[r.work_centre] += r.actual_seconds
        earned[r.work_centre] += r.standard_seconds
        good[r.work_centre] += r.good
        total[r.work_centre] += r.good + r.scrap
    out = []
    for centre in sorted(set(planned_seconds) | set(run)):
        planned = planned_seconds.get(centre, 0.0)
        availability = min(run[centre] / planned, 1.0) if planned > 0 else 0.0
        performance = min(earned[centre] / run[centre], 1.0) if run[centre] > 0 else 0.0
        quality = good[centre] / total[centre] if total[centre] else 0.0
        out.append(OEE(centre, round(availability, 4), round(performance, 4), round(quality, 4)))
    return out


def on_time_delivery(orders: Iterable[tuple[datetime, datetime | None]]) -> float | None:
    """Share of completed orders done by their promise: (promise, completed_at or None)."""
    done = [(p, c) for p, c in orders if c is not None]
    if not done:
        return None
    return round(sum(1 for p, c in done if c <= p) / len(done), 4)


def margin_needed(ready: datetime, done: datetime, zone: tzinfo) -> int:
    """The fewest working days of promise margin (sync.planning.promise) that would have had an order
    whose first plan finished at ``ready`` done by its promise: 0 when done by the end of that day."""
    ready_day, done_day = ready.astimezone(zone).date(), done.astimezone(zone).date()
    days = 0
    while promised_day(ready_day, days) < done_day:
        days += 1
    return days


#: the share of orders a suggested margin keeps on time
MARGIN_SHARE = 0.9


def promise_margin(orders: Iterable[tuple[str, int, datetime, datetime]], zone: tzinfo) -> dict[str, Any]:
    """What the built orders done say about the products' ``promise_margin_days``: (product, declared
    margin, first plan's finish, done). Per product and overall, the declared margin and the fewest
    working days that would have kept 9 in 10 of them on time."""
    needed: dict[str, list[int]] = defaultdict(list)
    declared: dict[str, int] = {}
    for product, margin, ready, done in orders:
        needed[product].append(margin_needed(ready, done, zone))
        declared[product] = margin  # the latest revision's, as orders come in order

    def suggest(days: list[int]) -> int:
        ranked = sorted(days)
        return ranked[max(0, -(-len(ranked) * int(MARGIN_SHARE * 100) // 100) - 1)]

    every = [d for days in needed.values() for d in days]
    return {
        "orders": len(every), "needed_days": suggest(every) if every else None,
        "by_product": {code: {"orders": len(days), "declared_days": declared[code], "needed_days": suggest(days)}
                       for code, days in sorted(needed.items())},
    }


def cycle_time_hours(orders: Iterable[tuple[datetime, datetime | None]]) -> dict[str, float | None]:
    """Median and mean hours from order placed to completed: (placed_at, completed_at or None)."""
    hours = [(c - p).total_seconds() / 3600 for p, c in orders if c is not None]
    if not hours:
        return {"median": None, "mean": None, "orders": 0}
    return {"median": round(median(hours), 2), "mean": round(sum(hours) / len(hours), 2), "orders": len(hours)}


def first_pass_yield(qc_results: Iterable[tuple[str, bool]]) -> float | None:
    """Share of inspected units (work order ids) whose first QC result was a pass."""
    first: dict[str, bool] = {}
    for unit, passed in qc_results:
        first.setdefault(unit, passed)
    if not first:
        return None
    return round(sum(1 for p in first.values() if p) / len(first), 4)


def standard_vs_actual(records: Iterable[OperationRecord]) -> list[dict[str, Any]]:
    """Per work centre: standard and actual hours and their ratio (actual / standard)."""
    std: dict[str, float] = defaultdict(float)
    act: dict[str, float] = defaultdict(float)
    for r in records:
        std[r.work_centre] += r.standard_seconds
        act[r.work_centre] += r.actual_seconds
    return [{"work_centre": c, "standard_h": round(std[c] / 3600, 2), "actual_h": round(act[c] / 3600, 2),
             "ratio": round(act[c] / std[c], 3) if std[c] else None} for c in sorted(std)]


@dataclass(frozen=True)
class SoldLine:
    """One ordered configuration with its price and standard cost split by option."""

    product: str
    price: Decimal
    standard_cost: Decimal
    options: Mapping[str, tuple[Decimal, Decimal]]  # "attr=option" -> (price delta, cost delta)


def profit_contribution(lines: Iterable[SoldLine]) -> dict[str, Any]:
    """Price less standard cost, per product and per option."""
    products: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"revenue": Decimal(0), "cost": Decimal(0)})
    options: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"revenue": Decimal(0), "cost": Decimal(0)})
    for line in lines:
        products[line.product]["revenue"] += line.price
        products[line.product]["cost"] += line.standard_cost
        for key, (price, cost) in line.options.items():
            options[f"{line.product}:{key}"]["revenue"] += price
            options[f"{line.product}:{key}"]["cost"] += cost

    def amount(value: Decimal) -> str:
        # to the cent, always: str() gave "13279.90000" beside "23199" (an ERP reading the table saw both)
        return str(value.quantize(CENT))

    def table(data: Mapping[str, Mapping[str, Decimal]]) -> list[dict[str, Any]]:
        return [{"key": k, "revenue": amount(v["revenue"]), "cost": amount(v["cost"]),
                 "contribution": amount(v["revenue"] - v["cost"])} for k, v in sorted(data.items())]

    return {"products": table(products), "options": table(options)}


def export(rows: list[dict[str, Any]], fmt: str) -> str:
    """Rows as CSV (header from the first row) or JSON."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2, default=str)
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}: use csv or json")
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buf.getvalue()


def oee_rows(values: Iterable[OEE]) -> list[dict[str, Any]]:
    return [{**asdict(v), "oee": round(v.oee, 4)} for v in values]
