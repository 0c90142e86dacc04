"""``python -m sync.hub enroll DEVICE --kind KIND``: add a device to the site in one step, or take it out.

Enrolling gives the device its own broker account (``mosquitto_passwd`` into the broker's password
file), its ACL block (it may publish only under its own topics), has Mosquitto re-read both with
SIGHUP (connected clients stay connected), registers it with the hub under its kind, and prints a
pairing QR code (and writes it as a PNG) holding what the device needs to join: site, broker
address, the CA certificate's SHA-256 fingerprint and its credentials. ``--revoke`` removes the
account and the ACL block and reloads: the broker refuses the device from then on, and Mosquitto
drops its open connection on the reload. The hub keeps the device's row (its history and sequence
numbers); without a broker account nothing of it reaches the hub.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from sync import settings as settings_module
from sync.broker.access import BrokerUser, acl_text, check_name, new_password
from sync.errors import BrokerError, FloorLinkError, SettingsError
from sync.hub import devices
from sync.hub.ingest import register_device
from sync.hub.locations import hub_database
from sync.pairing import Pairing, ca_fingerprint
from sync.store import Store

DEFAULT_BROKER_DIR = Path("/etc/mosquitto/floorlink")
DEFAULT_CA = Path("/etc/mosquitto/certs/ca.crt")
DEFAULT_PID_FILE = Path("/run/mosquitto/mosquitto.pid")


def mosquitto_passwd(passwd: Path, *args: str) -> None:
    binary = shutil.which("mosquitto_passwd")
    if binary is None:
        raise BrokerError("the mosquitto_passwd command was not found", where="enroll",
                          fix="install Mosquitto's clients on the hub box (apt-get install mosquitto)")
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise BrokerError(f"mosquitto_passwd failed: {(result.stderr or result.stdout).strip()[-300:]}",
                          where=str(passwd), fix="check the file is a mosquitto password file this user may write")


_BLOCK = re.compile(r"^user (\S+)\n(?:(?!user ).*\n?)*", re.MULTILINE)


def acl_without(text: str, device: str) -> str:
    """The ACL file with ``device``'s block taken out (every other block and comment kept as it is)."""
    return _BLOCK.sub(lambda m: "" if m.group(1) == device else m.group(0), text)


def acl_with(text: str, device: str, site: str) -> str:
    """The ACL file with ``device``'s block (re)written: it publishes only under its own topics."""
    block = acl_text([BrokerUser(device, "unused")], site).split("\n\n", 1)[1].strip("\n") + "\n\n"
    kept = acl_without(text, device)
    return (kept.rstrip("\n") + "\n\n" if kept.strip() else "") + block


def reload_broker(pid_file: Path | None) -> str:
    """SIGHUP Mosquitto: it re-reads the password file and ACL; connected clients stay (a removed one is dropped)."""
    if pid_file is not None and pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGHUP)
            return f"broker reloaded (SIGHUP to pid {pid})"
        except (ValueError, ProcessLookupError, PermissionError) as exc:
            raise BrokerError(f"cannot signal the broker ({exc})", where=str(pid_file),
                              fix="run as root, or `systemctl reload mosquitto`") from None
    if shutil.which("systemctl"):
        result = subprocess.run(["systemctl", "reload", "mosquitto"], capture_output=True, text=True, timeout=30)
        if result.returncode == 0:
            return "broker reloaded (systemctl reload mosquitto)"
    raise BrokerError("the broker was not reloaded: no pid file and systemctl failed", where=str(pid_file),
                      fix="run `systemctl reload mosquitto` (or send mosquitto SIGHUP) to apply the change")


def write_private(path: Path, data: bytes | str) -> None:
    """Write ``path`` readable by its owner only (it holds a password); an existing file keeps its owner,
    so the broker's files stay readable by the mosquitto user when root enrolls."""
    before = path.stat() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)
    path.chmod(0o600)
    keep_owner(path, before)


def keep_owner(path: Path, before: os.stat_result | None) -> None:
    if before is not None and os.geteuid() == 0 and (before.st_uid, before.st_gid) != (0, 0):
        os.chown(path, before.st_uid, before.st_gid)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sync.hub enroll", description=__doc__.splitlines()[0])
    p.add_argument("device", help="the device id, e.g. st-weld-2 (its broker user name too)")
    p.add_argument("--kind", choices=devices.KINDS, help="kiosk, station or dashboard (not needed with --revoke)")
    p.add_argument("--centre", action="append", default=[], help="work centre a station serves (repeatable)")
    p.add_argument("--revoke", action="store_true", help="take the device out: account and ACL removed at once")
    p.add_argument("--config", help="the hub's TOML settings file (else $FLOORLINK_CONFIG)")
    p.add_argument("--db", help="hub database (default: as `python -m sync.hub` finds it)")
    p.add_argument("--broker-dir", type=Path, default=DEFAULT_BROKER_DIR,
                   help=f"folder of Mosquitto's passwd and acl files (default {DEFAULT_BROKER_DIR})")
    p.add_argument("--broker-host", help="address devices reach the broker at (default: mqtt.host)")
    p.add_argument("--broker-port", type=int, help="the broker's TLS port (default: mqtt.port)")
    p.add_argument("--ca-file", type=Path, help=f"the CA certificate (default: mqtt.ca_file, else {DEFAULT_CA})")
    p.add_argument("--pid-file", type=Path, default=DEFAULT_PID_FILE,
                   help=f"Mosquitto's pid file, for the SIGHUP (default {DEFAULT_PID_FILE}; else systemctl reload)")
    p.add_argument("--png", type=Path, help="where to write the pairing code (default {data_dir}/pairing/DEVICE.png; "
                                             "the settings file goes beside it as DEVICE.toml)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = settings_module.load(args.config)
        site = check_name(settings.get("node.site"), "site")
        device = check_name(args.device, "device id")
        passwd, acl = args.broker_dir / "passwd", args.broker_dir / "acl"
        acl_before = acl.read_text(encoding="utf-8") if acl.exists() else ""
        if args.revoke:
            known = passwd.exists() and any(line.split(":", 1)[0] == device
                                            for line in passwd.read_text(encoding="utf-8").splitlines())
            if known:
                owner = passwd.stat()
                mosquitto_passwd(passwd, "-D", str(passwd), device)
                keep_owner(passwd, owner)
            write_private(acl, acl_without(acl_before, device))
            print(reload_broker(args.pid_file))
            print(f"{device} revoked: the broker refuses it from now on" if known else
                  f"{device} had no broker account; its ACL block (if any) is gone")
            return 0
        if args.kind is None:
            raise SettingsError("enrolling needs the device's kind", where="enroll",
                                fix=f"add --kind with one of {', '.join(devices.KINDS)}")
        for centre in args.centre:
            check_name(centre, "work centre")
        host = args.broker_host or settings.get("mqtt.host")
        port = args.broker_port or settings.get("mqtt.port")
        ca_file = args.ca_file or Path(settings.get("mqtt.ca_file") or DEFAULT_CA).expanduser()
        fingerprint = ca_fingerprint(ca_file)
        password = new_password()
        if not passwd.exists():
            write_private(passwd, "")
        owner = passwd.stat()
        mosquitto_passwd(passwd, "-b", str(passwd), device, password)
        keep_owner(passwd, owner)
        write_private(acl, acl_with(acl_before, device, site))
        reloaded = reload_broker(args.pid_file)
        store = Store(hub_database(settings, args.db), device_id="hub", kind="hub")
        try:
            register_device(store, device, args.kind)
        finally:
            store.close()
        pairing = Pairing(site, device, args.kind, tuple(args.centre), host, port, fingerprint, device, password,
                          settings.get("node.time_zone"))
        png = args.png or Path(settings.get("node.data_dir")).expanduser() / "pairing" / f"{device}.png"
        print_pairing(pairing, png)
        print(reloaded)
        if host in ("127.0.0.1", "localhost", "::1"):
            print(f"note: the code names broker host {host}, which only this machine reaches; "
                  "pass --broker-host with the hub's LAN address", file=sys.stderr)
        return 0
    except FloorLinkError as exc:
        print(f"enroll: {exc}", file=sys.stderr)
        return 2


def print_pairing(pairing: Pairing, png: Path) -> None:
    import io

    import segno

    code = segno.make(pairing.to_json(), error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=8, border=4)
    write_private(png, buffer.getvalue())
    toml = png.with_suffix(".toml")
    write_private(toml, pairing.settings_toml())
    out = io.StringIO()
    code.terminal(out=out, compact=True)
    print(out.getvalue(), end="")
    centres = f", centres {', '.join(pairing.centres)}" if pairing.centres else ""
    print(f"{pairing.device} enrolled as a {pairing.kind} of site {pairing.site}{centres}\n"
          f"broker {pairing.host}:{pairing.port} (TLS), CA SHA-256 {pairing.ca_sha256}\n"
          f"pairing code also in {png}, the device's settings file in {toml}\n"
          "(both hold the device's password: delete them once the device is paired)")
