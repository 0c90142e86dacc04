"""Popular builds: each product's most-ordered configurations, which kiosks offer as starting points.

The hub counts its orders (not cancelled, the last ``days``) per product and configuration and publishes
the top ones retained on ``kiosk/popular`` beside the capacity snapshot; a kiosk keeps the newest in its
store (:func:`sync.popular.follow_popular`, :func:`sync.popular.latest_popular`) so it offers them offline too. The kiosk checks
every build against the catalog revision it sells and drops one that no longer fits it.

    .venv/bin/python -m sync.hub.insights popular --db hub.db      # what the kiosks are sent now, as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.errors import FloorLinkError, StoreError
from sync.popular import POPULAR_MESSAGE, POPULAR_STREAM, check_popular, follow_popular, latest_popular
from sync.store import Store

__all__ = ["POPULAR_MESSAGE", "POPULAR_STREAM", "check_popular", "follow_popular", "latest_popular",
           "popular_builds"]

Query = Callable[..., Sequence[Mapping[str, Any]]]

TOP = 3
DAYS = 180


def popular_builds(query: Query, now: datetime, *, days: int = DAYS, top: int = TOP) -> dict[str, Any]:
    """``{"at", "days", "products": {product: [{"configuration": {...}, "orders": n}, ...]}}``: the ``top``
    most-ordered configurations of each product over the last ``days`` (cancelled orders left out; the
    same configuration written in another key order counts as one)."""
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
    return {"at": now.isoformat(), "days": days, "products": products}


def main(argv: list[str] | None = None) -> int:
    """``python -m sync.hub.insights popular``: the builds the hub sends kiosks now, as JSON."""
    from sync import settings as settings_module
    from sync.hub.__main__ import hub_database

    parser = argparse.ArgumentParser(prog="python -m sync.hub.insights popular",
                                     description="Each product's most-ordered configurations (kiosk popular builds).")
    parser.add_argument("--config", help="TOML settings file (else $FLOORLINK_CONFIG)")
    parser.add_argument("--db", help="hub database (default: hub.database, else {node.data_dir}/hub.db)")
    parser.add_argument("--days", type=int, default=DAYS, help=f"orders of the last DAYS days (default {DAYS})")
    args = parser.parse_args(argv)
    try:
        path = hub_database(settings_module.load(args.config), args.db)
        if not path.is_file():
            raise StoreError("no hub database here", where=str(path),
                             fix="pass --db with the hub's database (the hub creates it on its first start)")
        store = Store(path, device_id="insights", kind="hub")
        try:
            body = popular_builds(store.query, datetime.now(UTC), days=args.days)
        finally:
            store.close()
    except FloorLinkError as exc:
        print(f"popular: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0
