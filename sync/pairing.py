"""The pairing code: what a device needs to join the site, made by the hub, read by the device.

``python -m sync.hub enroll`` makes one (sync/hub/enroll.py) and prints it as a QR code; a device
reads it back (the station terminal's first-run screen scans it) and :func:`pair` checks the site's
CA certificate against the fingerprint in the code and writes the device's settings file.
"""

from __future__ import annotations

import hashlib
import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.errors import BrokerError, SettingsError

DEVICE_CA = "/etc/floorlink/ca.crt"  # where docs/install.md puts the CA on a device
DEVICE_DATA = "/var/lib/floorlink"  # the StateDirectory of deploy/systemd's units
PAIRING_VERSION = 1
KINDS = ("kiosk", "station", "dashboard")  # sync.hub.devices.KINDS (no hub import on a device)


@dataclass(frozen=True)
class Pairing:
    """What a device needs to join the site; the QR code holds it as compact JSON."""

    site: str
    device: str
    kind: str
    centres: tuple[str, ...]
    host: str
    port: int
    ca_sha256: str
    username: str
    password: str
    time_zone: str = "UTC"

    def to_json(self) -> str:
        body: dict[str, Any] = {"floorlink": PAIRING_VERSION, "site": self.site, "device": self.device,
                                "kind": self.kind, "mqtt": {"host": self.host, "port": self.port, "tls": True,
                                                            "ca_sha256": self.ca_sha256, "username": self.username,
                                                            "password": self.password}}
        if self.centres:
            body["centres"] = list(self.centres)
        body["tz"] = self.time_zone
        return json.dumps(body, separators=(",", ":"))

    def settings_toml(self, *, ca_file: str = DEVICE_CA, data_dir: str = DEVICE_DATA) -> str:
        """The device's settings file (docs/settings.md) for this pairing; the CA file is copied beside it."""
        lines = ["# Written by `python -m sync.hub enroll`: this device's identity and broker account.",
                 "[node]", f"device_id = {json.dumps(self.device)}", f"site = {json.dumps(self.site)}",
                 f"time_zone = {json.dumps(self.time_zone)}", f"data_dir = {json.dumps(data_dir)}", "",
                 "[mqtt]", f"host = {json.dumps(self.host)}", f"port = {self.port}", "tls = true",
                 f"ca_file = {json.dumps(ca_file)}  # CA SHA-256 {self.ca_sha256}",
                 f"username = {json.dumps(self.username)}", f"password = {json.dumps(self.password)}", ""]
        if self.kind == "station" and self.centres:
            lines += ["[station]", f"work_centres = {json.dumps(list(self.centres))}", ""]
        return "\n".join(lines)

    @classmethod
    def from_json(cls, text: str) -> Pairing:
        """The pairing a scanned code holds; SettingsError naming what is wrong with it."""
        try:
            body = json.loads(text)
            mqtt = body["mqtt"]
            if body.get("floorlink") != PAIRING_VERSION:
                raise ValueError(f"version {body.get('floorlink')!r}")
            return cls(str(body["site"]), str(body["device"]), str(body["kind"]), tuple(body.get("centres", ())),
                       str(mqtt["host"]), int(mqtt["port"]), str(mqtt["ca_sha256"]), str(mqtt["username"]),
                       str(mqtt["password"]), str(body.get("tz", "UTC")))
        except (ValueError, KeyError, TypeError) as exc:
            raise SettingsError(f"not a FloorLink pairing code ({exc})", where="pairing code",
                                fix="scan the code `python -m sync.hub enroll` printed for this device") from None


def ca_fingerprint(ca_file: Path) -> str:
    """SHA-256 of the CA certificate (DER), as AA:BB:...; the device checks the broker's chain against it."""
    try:
        pem = ca_file.read_text(encoding="ascii")
        der = ssl.PEM_cert_to_DER_cert(pem)
    except (OSError, ValueError) as exc:
        raise BrokerError(f"cannot read the CA certificate ({exc})", where=str(ca_file),
                          fix="give the CA that signed the broker's certificate (python -m sync.broker certs)") from None
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


class PairingProblem(SettingsError):
    """A scanned code the device cannot pair with; ``code`` says which (the screen words it)."""

    def __init__(self, code: str, message: str, fix: str = "") -> None:
        super().__init__(message, where="pairing code", fix=fix)
        self.code = code


def pair(text: str, config_path: Path, *, kind: str, ca_file: Path = Path(DEVICE_CA)) -> Pairing:
    """Check a scanned pairing code and write this device's settings file from it.

    Refused (PairingProblem, nothing written): not a pairing code (``not_pairing``), one for
    another kind of device (``wrong_kind``), the site's CA certificate missing here (``no_ca``)
    or not the one the code names (``ca_mismatch``, someone else's broker).
    """
    try:
        pairing = Pairing.from_json(text)
    except SettingsError as exc:
        raise PairingProblem("not_pairing", exc.message, exc.fix or "") from None
    if pairing.kind != kind:
        raise PairingProblem("wrong_kind", f"the code is for a {pairing.kind} ({pairing.device}), this is a {kind}",
                             "scan the code printed for this device")
    if not ca_file.exists():
        raise PairingProblem("no_ca", f"the site's CA certificate is not at {ca_file}",
                             f"copy ca.crt from the hub box to {ca_file} (docs/install.md), then scan again")
    try:
        found = ca_fingerprint(ca_file)
    except BrokerError as exc:
        raise PairingProblem("no_ca", exc.message, exc.fix or "") from None
    if found != pairing.ca_sha256:
        raise PairingProblem("ca_mismatch", f"{ca_file} is not the CA the code names ({found[:11]}... "
                             f"instead of {pairing.ca_sha256[:11]}...)", "copy this site's ca.crt from the hub box")
    config_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(pairing.settings_toml(ca_file=str(ca_file)))
    return pairing
