"""Popular builds at the edge: the ``kiosk/popular`` message a hub sends (sync.hub.popular counts them) and
what a kiosk keeps of it, so it offers each product's most-ordered configurations offline too.

Kept apart from the hub's counting so that a kiosk imports nothing of the hub (tests/test_dependencies.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sync.errors import ProtocolError
from sync.store import Inbox, Store
from sync.store.snapshot import KeptSnapshot

POPULAR_STREAM = "kiosk/popular"
POPULAR_MESSAGE = "popular.builds"


def check_popular(body: Mapping[str, Any], where: str = POPULAR_STREAM) -> dict[str, list[dict[str, Any]]]:
    """The products' builds of a ``popular.builds`` body, or a :class:`ProtocolError` naming what is wrong."""
    products = body.get("products") if isinstance(body, Mapping) else None
    if not isinstance(products, Mapping):
        raise ProtocolError("popular builds without a 'products' object", where=where,
                            fix="wait for the hub's next message")
    out: dict[str, list[dict[str, Any]]] = {}
    for code, builds in products.items():
        if not isinstance(builds, list):
            raise ProtocolError(f"popular builds of {code!r} are not a list", where=f"{where} products.{code}",
                                fix="wait for the hub's next message")
        for index, build in enumerate(builds):
            configuration = build.get("configuration") if isinstance(build, Mapping) else None
            if (not isinstance(configuration, Mapping)
                    or not all(isinstance(k, str) and isinstance(v, str) for k, v in configuration.items())
                    or not isinstance(build.get("orders"), int)):
                raise ProtocolError(f"build {index} of {code!r} needs a configuration of option codes and a "
                                    "whole number of orders", where=f"{where} products.{code}[{index}]",
                                    fix="wait for the hub's next message")
        out[str(code)] = [{"configuration": dict(b["configuration"]), "orders": b["orders"]} for b in builds]
    return out


POPULAR_KEPT = KeptSnapshot("popular", "popular_builds", POPULAR_STREAM, POPULAR_MESSAGE, check_popular)


def follow_popular(store: Store, inbox: Inbox, on_builds: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Keep the hub's newest popular builds in the node's store (and tell ``on_builds``); a malformed message
    is refused and the last good one stays."""
    POPULAR_KEPT.follow(store, inbox, on_builds)


def latest_popular(store: Store) -> dict[str, Any] | None:
    """The newest popular builds this node has, or None before the first arrived."""
    return POPULAR_KEPT.latest(store)
