"""``python -m sync.protocol edge``: sync one node's store with the hub (demo, tests, soak runs).

``--emit N`` first records N demo events (``demo.tick``) in transactions of ``--per-tx``; the
process then publishes until everything is acked (``--until-drained``) or until stopped.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from sync import logs
from sync import settings as settings_module
from sync.errors import FloorLinkError
from sync.protocol.edge import EdgeSync
from sync.store import Outbox, Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.protocol", description=__doc__)
    parser.add_argument("role", choices=["edge"])
    parser.add_argument("--config", help="TOML settings file (else $FLOORLINK_CONFIG)")
    parser.add_argument("--db", required=True, help="this node's database")
    parser.add_argument("--emit", type=int, default=0, help="record this many demo events first")
    parser.add_argument("--per-tx", type=int, default=100, help="demo events per transaction")
    parser.add_argument("--until-drained", action="store_true", help="exit once the outbox is empty")
    parser.add_argument("--resend-after", type=float, default=10.0, help="seconds before an unacked event is re-sent")
    logs.add_log_argument(parser)
    args = parser.parse_args(argv)
    sys.setswitchinterval(0.0005)  # the MQTT thread and the sync thread hand over quickly
    try:
        settings = settings_module.load(args.config)
        logs.setup(settings.get("node.device_id"), settings, level=args.log_level, data_dir=Path(args.db).parent)
        store = Store(args.db, device_id=settings.get("node.device_id"))
        sync = EdgeSync(store, site=settings.get("node.site"), host=settings.get("mqtt.host"),
                        port=settings.get("mqtt.port"), resend_after=args.resend_after).start()
        done = 0
        while done < args.emit:
            with store.transaction("recording demo events") as tx:
                for _ in range(min(args.per_tx, args.emit - done)):
                    tx.outbox("demo.tick", {"n": done})
                    done += 1
            sync.wake()
        print(f"edge {store.device_id}: recorded {done}", flush=True)
    except FloorLinkError as exc:
        print(f"edge: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.1):
        if args.until_drained and sync.status().pending == 0 and sync.outbox.pending_count() == 0:
            break
    sync.stop()
    print(f"edge {store.device_id}: stopped, {Outbox(store).pending_count()} unacked", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
