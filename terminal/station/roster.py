"""``python -m terminal.station.roster``: who may log in at this station, until the hub sends a roster.

    python -m terminal.station.roster [--config PATH] add E-0042 "Li Wei" --pin 4242 [--supervisor]
    python -m terminal.station.roster [--config PATH] list

The PIN is stored salted and hashed (``sync.station.ledger.pin_hash``); a ``station.roster`` message
from the hub replaces entries with the same badge.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from sync import logs
from sync import settings as settings_module
from sync.errors import FloorLinkError, StationError
from sync.labels import ID_PATTERN
from sync.station.ledger import pin_hash
from sync.station.stored import open_ledger  # the same store the terminal opens
from sync.station.workorders import Worker

PIN_PATTERN = re.compile(r"[0-9]{4,8}")


def make_worker(badge: str, name: str, pin: str, supervisor: bool) -> Worker:
    """A checked roster entry: the badge must fit a badge label, the PIN is 4-8 digits."""
    badge = badge.strip().upper()
    if not ID_PATTERN.fullmatch(badge):
        raise StationError(f"badge {badge!r} cannot be printed on a badge label", where="badge",
                           fix="use 1-32 characters of A-Z 0-9 - . starting with a letter or digit")
    if not name.strip():
        raise StationError("the name is empty", where="name")
    if pin and not PIN_PATTERN.fullmatch(pin):
        raise StationError("the PIN must be 4 to 8 digits", where="--pin")
    return Worker(badge, name.strip(), pin_hash(badge, pin) if pin else "", supervisor)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal.station.roster", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML settings file (node.data_dir and node.device_id name the store)")
    logs.add_log_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add or update a worker")
    add.add_argument("badge")
    add.add_argument("name")
    add.add_argument("--pin", default="", help="4-8 digits; empty: badge only")
    add.add_argument("--supervisor", action="store_true", help="may override refused actions")
    sub.add_parser("list", help="list the roster")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = settings_module.load(args.config)
        logs.setup("roster", settings, level=args.log_level, file=False)
        if args.command == "add":
            worker = make_worker(args.badge, args.name, args.pin, args.supervisor)
            open_ledger(settings).put_worker(worker)
            print(f"{worker.badge}\t{worker.name}" + ("\tsupervisor" if worker.supervisor else ""))
        else:
            for w in open_ledger(settings).workers():
                pin = "PIN" if w.pin_hash else "badge only"
                print(f"{w.badge}\t{w.name}\t{pin}" + ("\tsupervisor" if w.supervisor else ""))
    except FloorLinkError as exc:
        print(f"roster: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
