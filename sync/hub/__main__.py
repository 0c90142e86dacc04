"""``python -m sync.hub``: run the hub (ingest, planning, alerts, notifications, API) until SIGTERM or Ctrl-C.

``python -m sync.hub enroll DEVICE --kind KIND`` adds a device (broker account, ACL, registration,
pairing code) and ``enroll DEVICE --revoke`` takes it out: see sync/hub/enroll.py.

Broker, site and data folder come from sync.settings ([mqtt], [node], [hub], [catalog]); the
options below override them for one run.
"""

from __future__ import annotations

import argparse
import fcntl
import signal
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from sync import logs
from sync import settings as settings_module
from sync.catalog.store import catalog_database
from sync.errors import FloorLinkError, SettingsError
from sync.hub import enroll, roster
from sync.hub.demand import DemandOptions
from sync.hub.locations import hub_database
from sync.hub.service import HubConfig, HubService


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sync.hub", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="TOML settings file (else $FLOORLINK_CONFIG)")
    p.add_argument("--db", help="hub database (default: hub.database, else {node.data_dir}/hub.db)")
    p.add_argument("--catalog-db", help="catalog revision database (default: catalog.database)")
    p.add_argument("--device", action="append", default=[],
                   help="register a device as kind:id, e.g. station:st-assy-1 (kiosk, station or dashboard; "
                        "repeatable)")
    p.add_argument("--allow-unknown-devices", action="store_true",
                   help="register any device on its first event (demo only; production registers them)")
    p.add_argument("--api-port", type=int, help="serve the read API on this port (0: off)")
    p.add_argument("--client-id", default="hub", help="MQTT client id (one persistent session per hub)")
    logs.add_log_argument(p)
    return p


def config_from(settings: settings_module.Settings, args: argparse.Namespace) -> HubConfig:
    zone = ZoneInfo(settings.get("node.time_zone"))  # checked when the settings load
    api_port = args.api_port if args.api_port is not None else settings.get("hub.api_port")
    notify = settings.get("hub.notify_config")
    return HubConfig(
        db=hub_database(settings, args.db),
        catalog_db=catalog_database(settings, args.catalog_db),
        site=settings.get("node.site"), host=settings.get("mqtt.host"), port=settings.get("mqtt.port"),
        client_id=args.client_id, devices=[*settings.get("hub.devices"), *args.device],
        register_unknown_devices=args.allow_unknown_devices or settings.get("hub.allow_unknown_devices"),
        api_host=settings.get("hub.api_host"), api_port=api_port or None, api_tokens=settings.get("hub.api_tokens"),
        api_integrate_tokens=settings.get("hub.api_integrate_tokens"),
        api_max_days=settings.get("hub.api_max_days"), api_report_workers=settings.get("hub.api_report_workers"),
        traveler_language=settings.get("hub.traveler_language"),
        notify_config=Path(notify).expanduser() if notify else None, zone=zone,
        tick_seconds=settings.get("hub.tick_seconds"), silent_station_s=settings.get("hub.silent_station_s"),
        demand=DemandOptions.from_settings(settings), demand_every_s=settings.get("hub.demand_every_s"),
        link_options={"username": settings.get("mqtt.username"), "password": settings.get("mqtt.password"),
                      "tls": settings.get("mqtt.tls"), "ca_file": settings.get("mqtt.ca_file")},
    )


def single_hub_lock(db: Path) -> object:
    """An exclusive lock beside the hub database: a second hub on it stops with a sentence."""
    db.parent.mkdir(parents=True, exist_ok=True)
    handle = open(db.with_name(db.name + ".lock"), "a")  # noqa: SIM115  (kept open: the lock lives with it)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise SettingsError("another hub is already running on this database", where=str(db),
                            fix="stop it first (systemctl stop floorlink-hub), or give this one its own --db") from None
    return handle


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["roster"]:  # python -m sync.hub roster add|remove|list: see sync/hub/roster.py
        return roster.main(argv[1:])
    if argv[:1] == ["enroll"]:  # python -m sync.hub enroll DEVICE ...: see sync/hub/enroll.py
        return enroll.main(argv[1:])
    args = parser().parse_args(argv)
    sys.setswitchinterval(0.0005)  # the MQTT and ingest threads hand over quickly: ack latency
    try:
        settings = settings_module.load(args.config)
        config = config_from(settings, args)
        _lock = single_hub_lock(config.db)  # noqa: F841  (held until the process ends)
        logs.setup("hub", settings, level=args.log_level, data_dir=config.db.parent)
        hub = HubService(config).start()
    except FloorLinkError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    where = f"{config.host}:{config.port}"
    if hub.wait_ready(30):
        api = f", API on http://{config.api_host}:{hub.api.port}/api/v1" if hub.api else ""
        print(f"hub ready: broker {where}, db {config.db}{api}", flush=True)
    else:
        reason = hub.ingest.link.last_error or "no answer"
        print(f"hub: broker at {where} not reached yet ({reason}); retrying in the background", flush=True)
    while not done.wait(0.5):
        if hub.stopped.is_set():  # a damaged database: one clear line, not an error every half second
            print(f"hub: stopped: {hub.fatal}", file=sys.stderr, flush=True)
            hub.stop()
            return 3
    hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
