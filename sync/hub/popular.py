"""Popular builds: each product's most-ordered configurations, which kiosks offer as starting points.

The hub counts its orders (not cancelled, the last ``days``) per product and configuration and publishes
the top ones retained on ``kiosk/popular`` beside the capacity snapshot; a kiosk keeps the newest in its
store (:func:`sync.popular.follow_popular`, :func:`sync.popular.latest_popular`) so it offers them offline too. The kiosk checks
every build against the catalog revision it sells and drops one that no longer fits it.

    .venv/bin/python -m sync.hub.insights popular --db hub.db      # what the kiosks are sent now, as JSON
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.popular import POPULAR_MESSAGE, POPULAR_STREAM, check_popular, follow_popular, latest_popular

__all__ = ["POPULAR_MESSAGE", "POPULAR_STREAM", "check_popular", "follow_popular", "latest_popular",
           "popular_builds"]

Query = Callable[..., Sequence[Mapping[str, Any]]]

TOP = 3
DAYS = 180
LEAST = 2
"""A configuration is offered once at least this many orders chose it: a build ordered once is one customer's
own choice, and a fresh install showed the first customer's bike to the next as "Most ordered"."""


def popular_builds(query: Query, now: datetime, *, days: int = DAYS, top: int = TOP,
                   least: int = LEAST) -> dict[str, Any]:
    """``{"at", "days", "products": {product: [{"configuration": {...}, "orders": n}, ...]}}``: the ``top``
    most-ordered configurations of each product over the last ``days``, each ordered at least ``least`` times
    (cancelled orders left out; the same configuration written in another key order counts as one)."""
    since = (now - timedelta(days=days)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    rows = query("SELECT product, configuration, COUNT(*) AS orders FROM orders "
                 "WHERE order_id NOT IN (SELECT order_id FROM order_cancellations) "
                 "AND strftime('%Y-%m-%dT%H:%M:%S', placed_at) >= ? GROUP BY 1, 2", [since])
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        try:
            configuration = json.loads(row["configuration"])
        except (TypeError, ValueError):
            continue
        if not isinstance(row["product"], str) or not isinstance(configuration, dict):
            continue
        key = json.dumps({str(k): str(v) for k, v in configuration.items()}, sort_keys=True)
        counts.setdefault(row["product"], Counter())[key] += int(row["orders"])
    products = {code: [{"configuration": json.loads(key), "orders": n}
                       for key, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
                for code, found in sorted(counts.items())}
    products = {code: kept for code, builds in products.items()
                if (kept := [b for b in builds if b["orders"] >= least])}
    return {"at": now.isoformat(), "days": days, "products": products}
