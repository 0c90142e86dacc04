"""The workers who may log in at the stations, kept once at the hub and sent to every station.

A technician's review: a station installed by the guide let nobody in until the roster was typed in again
at each station. The hub keeps one roster (badge, name, salted PIN hash, supervisor) in its database and
sends it as ``station.roster`` on each enrolled station's down stream (``station/<id>``, numbered and caught
up like its work orders, so a station that was off gets it when it comes back): on its first tick, whenever
the roster changes, and when a station is enrolled; the dashboards get it too (``dashboard/roster``,
retained). A removed worker goes down as ``removed`` and they forget them (sync.station.stored.apply_roster).

    python -m sync.hub roster add E-0101 "Wang Fang" --pin 5150 [--supervisor]
    python -m sync.hub roster remove E-0101
    python -m sync.hub roster list
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sync import logs
from sync import settings as settings_module
from sync.errors import FloorLinkError, StationError
from sync.hub.locations import hub_database
from sync.protocol.envelope import utc_now
from sync.station.ledger import make_worker
from sync.station.stored import ROSTER_MESSAGE
from sync.store import Store

__all__ = ["ROSTER_MESSAGE", "message", "put", "remove", "version", "workers"]

Query = Callable[..., Sequence[Mapping[str, Any]]]
DASHBOARD_STREAM = "dashboard/roster"
"""Where the dashboards get the roster (retained): they name the workers and let supervisors acknowledge."""

def _roster_1(db: Any) -> None:
    db.execute("CREATE TABLE roster (badge TEXT PRIMARY KEY, name TEXT NOT NULL, pin_hash TEXT NOT NULL DEFAULT '', "
               "supervisor INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0, changed_at TEXT NOT NULL)")


MIGRATIONS = {"hub_roster": [_roster_1]}
"""Run with the hub's others (sync.hub.core.MIGRATIONS), and by the command before it writes (a hub database
made by an older hub)."""


def put(store: Store, badge: str, name: str, pin: str, supervisor: bool) -> dict[str, Any]:
    """Add or change a worker (checked as a station checks one); what was stored, without the PIN."""
    worker = make_worker(badge, name, pin, supervisor)
    with store.transaction("roster") as tx:
        tx.execute("INSERT INTO roster (badge, name, pin_hash, supervisor, removed, changed_at) VALUES (?, ?, ?, ?, 0, ?) "
                   "ON CONFLICT(badge) DO UPDATE SET name = excluded.name, pin_hash = excluded.pin_hash, "
                   "supervisor = excluded.supervisor, removed = 0, changed_at = excluded.changed_at",
                   [worker.badge, worker.name, worker.pin_hash, int(worker.supervisor), utc_now()])
    return {"badge": worker.badge, "name": worker.name, "pin": bool(worker.pin_hash), "supervisor": worker.supervisor}


def remove(store: Store, badge: str) -> None:
    """Take a worker off the roster: the stations forget them at the next send."""
    badge = badge.strip().upper()
    with store.transaction("roster") as tx:
        found = tx.execute("SELECT removed FROM roster WHERE badge = ?", [badge]).fetchone()
        if found is None or found[0]:
            raise StationError(f"badge {badge[:40]!r} is not on the hub's roster", where="badge",
                               fix="python -m sync.hub roster list shows who is")
        tx.execute("UPDATE roster SET removed = 1, changed_at = ? WHERE badge = ?", [utc_now(), badge])


def workers(query: Query) -> list[dict[str, Any]]:
    """The roster's current workers (badge, name, pin_hash, supervisor), by badge."""
    return [{"badge": r["badge"], "name": r["name"], "pin_hash": r["pin_hash"], "supervisor": bool(r["supervisor"])}
            for r in query("SELECT * FROM roster WHERE removed = 0 ORDER BY badge")]


def message(query: Query) -> dict[str, Any]:
    """The ``station.roster`` body: every current worker, and the badges removed."""
    return {"workers": workers(query),
            "removed": [r["badge"] for r in query("SELECT badge FROM roster WHERE removed = 1 ORDER BY badge")]}


def version(query: Query) -> tuple[Any, ...]:
    """Changes when the roster or the enrolled stations do: then the roster goes down again."""
    # and the devices registered without a kind that sent nothing yet (a demo's stations, before their first
    # heartbeat): a station must not wait for its first event to let its first worker in
    stations = tuple(r["device_id"] for r in query("SELECT device_id FROM devices WHERE kind IN ('station', 'edge') "
                                                   "ORDER BY device_id"))
    row = query("SELECT COUNT(*) AS n, MAX(changed_at) AS at FROM roster")[0]
    return (row["n"], row["at"], stations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.hub roster", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="the hub's TOML settings file (else $FLOORLINK_CONFIG)")
    parser.add_argument("--db", help="the hub database (default: hub.database, else {node.data_dir}/hub.db)")
    logs.add_log_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add or change a worker")
    add.add_argument("badge")
    add.add_argument("name")
    add.add_argument("--pin", default="", help="4-8 digits; empty: badge only")
    add.add_argument("--supervisor", action="store_true", help="may override refused actions")
    gone = sub.add_parser("remove", help="take a worker off every station")
    gone.add_argument("badge")
    sub.add_parser("list", help="list the roster")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = settings_module.load(args.config)
        logs.setup("roster", settings, level=args.log_level, file=False)
        path = hub_database(settings, args.db)
        if not path.is_file():
            raise StationError("no hub database here", where=str(path),
                               fix="pass --db with the hub's database (the hub creates it on its first start)")
        store = Store(path, device_id="roster", kind="hub")
        try:
            for component, steps in MIGRATIONS.items():
                store.migrate(component, steps)
            if args.command == "add":
                stored = put(store, args.badge, args.name, args.pin, args.supervisor)
                print(f"{stored['badge']}\t{stored['name']}" + ("\tsupervisor" if stored["supervisor"] else "")
                      + "\t(the stations get it within a tick of the running hub)")
            elif args.command == "remove":
                remove(store, args.badge)
                print(f"{args.badge.strip().upper()} removed (the stations forget them within a tick)")
            else:
                for w in workers(store.query):
                    pin = "PIN" if w["pin_hash"] else "badge only"
                    print(f"{w['badge']}\t{w['name']}\t{pin}" + ("\tsupervisor" if w["supervisor"] else ""))
        finally:
            store.close()
    except FloorLinkError as exc:
        print(f"roster: {exc}", file=sys.stderr)
        return 2
    return 0
