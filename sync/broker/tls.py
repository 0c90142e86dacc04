"""A private CA and a broker certificate for the TLS listener, made with the openssl command.

A shop floor rarely has a public host name for its broker, so the usual set-up is a private CA
whose certificate every device trusts (``mqtt.ca_file``). ``python -m sync.broker certs`` runs
the same steps docs/brokers.md describes by hand; tests use it to check the TLS listener.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sync.errors import BrokerError


@dataclass(frozen=True)
class TlsFiles:
    """What Mosquitto's TLS listener needs (cafile, certfile, keyfile) and devices trust (ca)."""

    ca: Path
    cert: Path
    key: Path


def _openssl(args: list[str], cwd: Path) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise BrokerError("the openssl command was not found", where="sync.broker.tls",
                          fix="install it (apt-get install openssl)")
    result = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise BrokerError(f"openssl {args[0]} failed: {result.stderr.strip()[-500:]}", where=str(cwd))


def subject_alt_name(host: str) -> str:
    """``IP:...`` for an address, ``DNS:...`` for a name; clients check the broker against it."""
    try:
        ipaddress.ip_address(host)
        return f"IP:{host}"
    except ValueError:
        return f"DNS:{host}"


def make_certificates(folder: str | Path, hosts: list[str], *, days: int = 825, ca_days: int = 3650) -> TlsFiles:
    """A CA (kept if ``ca.crt``/``ca.key`` exist) and a server certificate for ``hosts``, in ``folder``."""
    if not hosts:
        raise BrokerError("no host name or address for the broker certificate", where="certs",
                          fix="give the names and addresses devices use to reach the broker")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    ca, ca_key = out / "ca.crt", out / "ca.key"
    if not (ca.exists() and ca_key.exists()):
        _openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(ca_days), "-keyout", ca_key.name,
                  "-out", ca.name, "-subj", "/CN=FloorLink broker CA",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"], out)
    (out / "server.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName={','.join(subject_alt_name(h) for h in hosts)}\n", encoding="utf-8")
    _openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
              "-subj", f"/CN={hosts[0]}"], out)
    _openssl(["x509", "-req", "-in", "server.csr", "-CA", ca.name, "-CAkey", ca_key.name, "-CAcreateserial",
              "-out", "server.crt", "-days", str(days), "-extfile", "server.ext"], out)
    for secret in (ca_key, out / "server.key"):
        secret.chmod(0o600)
    return TlsFiles(ca=ca, cert=out / "server.crt", key=out / "server.key")
