"""``python -m sync.hub``: run the hub (for now its ingest) until SIGTERM or Ctrl-C.

Broker, site and data folder come from sync.settings ([mqtt], [node]); ``--db`` overrides the
database path, ``--device`` registers devices allowed to send events.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from sync import settings as settings_module
from sync.errors import FloorLinkError
from sync.hub.ingest import Ingest, register_device
from sync.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.hub", description=__doc__)
    parser.add_argument("--config", help="TOML settings file (else $FLOORLINK_CONFIG)")
    parser.add_argument("--db", help="hub database (default: {node.data_dir}/hub.db)")
    parser.add_argument("--device", action="append", default=[], help="register a device id (repeatable)")
    parser.add_argument("--allow-unknown-devices", action="store_true",
                        help="register any device on its first event (demo only; production registers them)")
    parser.add_argument("--client-id", default="hub", help="MQTT client id (one persistent session per hub)")
    args = parser.parse_args(argv)
    try:
        settings = settings_module.load(args.config)
        db = Path(args.db or Path(settings.get("node.data_dir")).expanduser() / "hub.db")
        store = Store(db, device_id=args.client_id, kind="hub")
        for device in args.device:
            register_device(store, device)
        ingest = Ingest(store, site=settings.get("node.site"), host=settings.get("mqtt.host"),
                        port=settings.get("mqtt.port"), client_id=args.client_id,
                        register_unknown_devices=args.allow_unknown_devices)
        ingest.start()
    except FloorLinkError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if ingest.wait_ready(30):
        print(f"hub ingest ready on {settings.get('mqtt.host')}:{settings.get('mqtt.port')} db={db}", flush=True)
    else:
        print(f"hub: broker at {settings.get('mqtt.host')}:{settings.get('mqtt.port')} not reached yet; "
              "retrying in the background", flush=True)
    done.wait()
    ingest.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
