"""``python -m terminal.station.roster``: who may log in at this station (beside the roster the hub sends).

    python -m terminal.station.roster [--config PATH] add E-0042 "Li Wei" --pin 4242 [--supervisor]
    python -m terminal.station.roster [--config PATH] list

The PIN is stored salted and hashed (``sync.station.ledger.pin_hash``); the roster the hub keeps
(``python -m sync.hub roster``, sent as ``station.roster``) replaces entries with the same badge and removes
those it removed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sync import logs
from sync import settings as settings_module
from sync.errors import FloorLinkError
from sync.station.ledger import make_worker
from sync.station.stored import open_ledger  # the same store the terminal opens


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
