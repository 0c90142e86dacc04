"""``python -m sync.broker``: run a broker, write access files, check or compare brokers.

    python -m sync.broker run                                   # the broker [broker] kind names
    python -m sync.broker embedded --port 1883                  # rumqttd, nothing to install
    python -m sync.broker mosquitto --port 1883 --data DIR      # the installed mosquitto, persistent
    python -m sync.broker passwd --site demo --out DIR hub:hub kiosk-1 station-1   # keeps known passwords
    python -m sync.broker certs --out DIR --host broker.local   # private CA + TLS certificate
    python -m sync.broker check --port 1883                     # QoS 1 MQTT 5 round trip
    python -m sync.broker compare --quick                       # throughput and offline queue, JSON last

Defaults come from the [broker] settings (docs/settings.md).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import uuid
from pathlib import Path

from sync import logs
from sync import settings as settings_module
from sync.broker.access import BrokerUser, new_password, read_password_file, write_access_files
from sync.broker.configured import broker_dir, broker_from_settings
from sync.errors import FloorLinkError


def wait_forever(what: str) -> None:
    """Block until Ctrl-C or SIGTERM, so the caller's ``with`` stops the broker it started."""

    def interrupt(*_args: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print(f"stopping {what}", file=sys.stderr)


def run_embedded(args: argparse.Namespace, values: settings_module.Settings) -> int:
    from sync.broker.embedded import EmbeddedBroker, serve

    if args.config:  # the child process an EmbeddedBroker starts
        serve(Path(args.config), exit_with_parent=args.exit_with_parent)
        return 0
    port = values.get("broker.port") if args.port is None else args.port
    with EmbeddedBroker(args.host or values.get("broker.host"), port, broker_dir(values, args.data),
                        max_payload_size=values.get("broker.max_payload_size")) as broker:
        print(f"embedded MQTT 5 broker on {broker.host}:{broker.port} (log: {broker.log_path}); Ctrl-C stops it",
              flush=True)
        wait_forever("the embedded broker")
    return 0


def run_configured(args: argparse.Namespace, values: settings_module.Settings) -> int:
    broker = broker_from_settings(values, data_dir=args.data, host=args.host, port=args.port)
    if broker is None:
        print(f"broker.kind is none: nothing to start (clients use {values.get('mqtt.host')}:{values.get('mqtt.port')})")
        return 0
    broker.start()
    try:
        print(f"{type(broker).__name__} on {broker.host}:{broker.port} (broker.kind = {values.get('broker.kind')}); "
              "Ctrl-C stops it", flush=True)
        wait_forever("the broker")
    finally:
        broker.stop()
    return 0


def parse_users(specs: list[str], passwords: dict[str, str]) -> list[BrokerUser]:
    """``name`` or ``name:hub``; passwords are generated unless given in ``passwords``."""
    users = []
    for spec in specs:
        name, _, role = spec.partition(":")
        if role not in ("", "device", "hub"):
            raise FloorLinkError(f"role {role!r} is not device or hub", where=f"user {spec!r}")
        password = passwords.get(name) or new_password()
        users.append(BrokerUser(name, password, "hub" if role == "hub" else "device"))
    return users


def run_mosquitto(args: argparse.Namespace, values: settings_module.Settings) -> int:
    from sync.broker.mosquitto import Mosquitto

    port = values.get("broker.port") if args.port is None else args.port
    users = parse_users(args.user, {}) if args.user else None
    broker = Mosquitto(broker_dir(values, args.data), host=args.host or values.get("broker.host"), port=port,
                       users=users, site=values.get("node.site"),
                       autosave_interval=values.get("broker.autosave_interval"),
                       max_queued_messages=values.get("broker.max_queued_messages"),
                       binary=values.get("broker.mosquitto_binary"))
    with broker:
        print(f"mosquitto on {broker.host}:{broker.port} (config: {broker.config_path}, log: {broker.log_path}); "
              "Ctrl-C stops it", flush=True)
        for user in users or []:
            print(f"  user {user.name} ({user.role}) password {user.password}")
        wait_forever("mosquitto")
    return 0


def run_passwd(args: argparse.Namespace, values: settings_module.Settings) -> int:
    """Write passwd + acl for exactly these users; users already in passwd keep their password."""
    site = args.site or values.get("node.site")
    out = Path(args.out)
    existing = read_password_file(out / "passwd") if (out / "passwd").exists() else {}
    users = []
    for user in parse_users(args.users, {}):
        if user.name in existing and user.name not in args.renew:
            user = BrokerUser(user.name, "", user.role, password_hash=existing[user.name])
        users.append(user)
    passwd, acl = write_access_files(out, users, site)
    print(f"wrote {passwd} and {acl} for site {site!r}")
    new = [u for u in users if u.password]
    if new:
        print("new passwords (shown once; put each in that device's FLOORLINK_MQTT_PASSWORD):")
    for user in new:
        print(f"  {user.name}\t{user.role}\t{user.password}")
    for name in sorted(set(existing) - {u.name for u in users}):
        print(f"  removed {name}")
    return 0


def run_certs(args: argparse.Namespace, values: settings_module.Settings) -> int:
    from sync.broker.tls import make_certificates

    files = make_certificates(args.out, args.host)
    print(f"CA {files.ca} (give it to every device as mqtt.ca_file; keep ca.key offline)\n"
          f"broker certificate {files.cert} and key {files.key} for {', '.join(args.host)}\n"
          "mosquitto.conf: certfile/keyfile/cafile in the TLS listener block of deploy/mosquitto/mosquitto.conf")
    return 0


def run_check(args: argparse.Namespace, values: settings_module.Settings) -> int:
    from sync.broker.probe import ProbeClient

    host = args.host or values.get("mqtt.host")
    port = args.port or values.get("mqtt.port")
    # One connection: the production broker uses the user name as client id, so a second connection of
    # the same account throws the first off (and a check as `hub` throws a running hub off: stop it first).
    # The session is resumed, never started clean: a clean start would discard the hub's queued messages.
    topic = f"floorlink/v1/{values.get('node.site')}/check/{uuid.uuid4().hex[:8]}"
    if args.username == "hub":
        print("note: this connects as the hub's account; a running hub is thrown off the broker while the check "
              "runs (stop it first: systemctl stop floorlink-hub)", file=sys.stderr)
    with ProbeClient(host, port, args.username or f"check-{uuid.uuid4().hex[:6]}", username=args.username,
                     password=args.password, ca_file=args.ca_file) as probe:
        probe.subscribe(topic)
        started = time.perf_counter()
        probe.publish(topic, b"ping")
        if not probe.received.wait_for(1, 5):
            print(f"FAILED: no QoS 1 message came back through {host}:{port}", file=sys.stderr)
            return 1
        print(f"ok: QoS 1 MQTT 5 round trip through {host}:{port} in {(time.perf_counter() - started) * 1000:.1f} ms")
    return 0


def run_compare(args: argparse.Namespace, values: settings_module.Settings) -> int:
    from sync.broker.compare import main as compare_main

    return compare_main(quick=args.quick, candidates=args.only)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m sync.broker", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--config-file", help="FloorLink settings TOML (else $FLOORLINK_CONFIG)")
    logs.add_log_argument(top)
    sub = top.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the broker [broker] kind names (embedded, mosquitto or none)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--data", help="folder for its config, log and persistence")

    emb = sub.add_parser("embedded", help="run the embedded MQTT 5 broker (rumqttd) in the foreground")
    emb.add_argument("--host")
    emb.add_argument("--port", type=int)
    emb.add_argument("--data", help="folder for its config and log")
    emb.add_argument("--config", help=argparse.SUPPRESS)  # child mode: serve this rumqttd TOML
    emb.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)

    mos = sub.add_parser("mosquitto", help="run mosquitto with the FloorLink config in the foreground")
    mos.add_argument("--host")
    mos.add_argument("--port", type=int)
    mos.add_argument("--data", help="folder for config, persistence and log")
    mos.add_argument("--user", action="append", default=[],
                     help="NAME or NAME:hub; switches passwords + ACL on (passwords are generated and printed)")

    pwd = sub.add_parser("passwd", help="write a mosquitto password file and ACL for these users")
    pwd.add_argument("--site", help="site name in the topics (default: node.site)")
    pwd.add_argument("--out", required=True, help="folder to write passwd and acl into")
    pwd.add_argument("--renew", action="append", default=[], metavar="NAME",
                     help="give this existing user a new password (others keep theirs)")
    pwd.add_argument("users", nargs="+", help="every user: NAME (a device) or NAME:hub; unlisted ones are removed")

    crt = sub.add_parser("certs", help="make a private CA (kept if present) and a broker TLS certificate")
    crt.add_argument("--out", required=True, help="folder for ca.crt, ca.key, server.crt, server.key")
    crt.add_argument("--host", action="append", required=True,
                     help="name or address devices use for the broker (repeatable)")

    chk = sub.add_parser("check", help="publish and receive one QoS 1 MQTT 5 message")
    chk.add_argument("--host")
    chk.add_argument("--port", type=int)
    chk.add_argument("--username")
    chk.add_argument("--password")
    chk.add_argument("--ca-file", help="connect with TLS, trusting this CA")

    cmp_ = sub.add_parser("compare", help="measure the brokers (throughput, offline queue); JSON on the last line")
    cmp_.add_argument("--quick", action="store_true", help="smaller runs (< 50 s)")
    cmp_.add_argument("--only", action="append", help="mosquitto, iotcore or amqtt (repeatable)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        values = settings_module.load(args.config_file)
        logs.setup("broker", values, level=args.log_level, file=args.command in ("run", "embedded", "mosquitto"))
        command = {"run": run_configured, "embedded": run_embedded, "mosquitto": run_mosquitto, "passwd": run_passwd, "certs": run_certs,
                   "check": run_check, "compare": run_compare}[args.command]
        return command(args, values)
    except FloorLinkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
