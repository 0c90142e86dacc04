"""Enrolling a device against a real Mosquitto with TLS: it connects, stays in its topics, and a revoke takes it out.

``python -m sync.hub enroll st-weld-2 --kind station --centre WELD`` writes the broker account with
mosquitto_passwd and the ACL block, reloads the broker with SIGHUP (the hub's connection stays up),
registers the station with the hub and writes the pairing QR code, which is read back here with a
real decoder (issue 15 item 4).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from sync.broker import BrokerUser
from sync.broker.probe import ProbeClient
from sync.broker.tls import TlsFiles, make_certificates
from sync.errors import BrokerError, SettingsError
from sync.hub.__main__ import main
from sync.hub.enroll import acl_with, acl_without
from sync.pairing import Pairing, ca_fingerprint
from sync.settings import load

SITE = "plant-a"

pytestmark = [pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed"),
              pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd is not installed")]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_certificates(tmp_path_factory.mktemp("certs"), ["127.0.0.1"])


def read_code(png: Path) -> Pairing:
    """Decode the PNG the way a camera frame is decoded (zxing-cpp on the pixels)."""
    import cv2
    import zxingcpp

    # QR codes only: in about 1 of 300 random pairings zxing-cpp also saw a Codabar inside the QR's modules
    # (the clean-clone CI failed on it once); the terminal offers every text it reads and takes the pairing one
    results = zxingcpp.read_barcodes(cv2.imread(str(png)), formats=zxingcpp.barcode_formats_from_str("QRCode"))
    assert len(results) == 1, f"no single QR code in {png}"
    return Pairing.from_json(results[0].text)


def client(broker, name: str, ca: Path, **login: str) -> ProbeClient:  # noqa: ANN001
    return ProbeClient(broker.host, broker.port, name, ca_file=str(ca), timeout=3, **login)


def test_enrolled_device_connects_keeps_to_its_topics_and_a_revoke_takes_it_out(
        mosquitto_factory, certificates: TlsFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    broker = mosquitto_factory("tls", tls=certificates, site=SITE,
                               users=[BrokerUser("hub", "hub-pw", role="hub"), BrokerUser("st-weld-1", "w1")]).start()
    pid_file = tmp_path / "mosquitto.pid"
    pid_file.write_text(str(broker.pid))
    monkeypatch.setenv("FLOORLINK_NODE_SITE", SITE)
    monkeypatch.setenv("FLOORLINK_NODE_DATA_DIR", str(tmp_path / "hub-data"))
    common = ["--broker-dir", str(broker.folder), "--pid-file", str(pid_file), "--ca-file", str(certificates.ca),
              "--broker-host", broker.host, "--broker-port", str(broker.port), "--db", str(tmp_path / "hub.db")]
    up = f"floorlink/v1/{SITE}/up"

    with client(broker, "hub", certificates.ca, username="hub", password="hub-pw") as hub:
        drops: list[object] = []
        hub.client.on_disconnect = lambda *args: drops.append(args)
        hub.subscribe(f"{up}/#")
        with pytest.raises(BrokerError):  # not enrolled yet
            client(broker, "st-weld-2", certificates.ca, username="st-weld-2", password="guess")

        assert main(["enroll", "st-weld-2", "--kind", "station", "--centre", "WELD", *common]) == 0
        printed = capsys.readouterr().out
        assert "▀" in printed or "█" in printed, "no QR code on the terminal"
        png = tmp_path / "hub-data" / "pairing" / "st-weld-2.png"
        assert png.stat().st_mode & 0o077 == 0, "the pairing PNG holds a password: owner only"
        pairing = read_code(png)
        assert (pairing.site, pairing.device, pairing.kind, pairing.centres) == (SITE, "st-weld-2", "station", ("WELD",))
        assert (pairing.host, pairing.port) == (broker.host, broker.port)
        assert pairing.ca_sha256 == ca_fingerprint(certificates.ca) and pairing.password not in printed
        # the settings file written beside it is what the station loads (docs/install.md copies it over)
        toml = png.with_suffix(".toml")
        assert toml.stat().st_mode & 0o077 == 0
        station = load(toml, environ={})
        assert (station.get("node.device_id"), station.get("mqtt.password"), station.get("mqtt.port"),
                station.get("mqtt.tls"), station.get("station.work_centres")) == \
            ("st-weld-2", pairing.password, broker.port, True, ["WELD"])

        with client(broker, "st-weld-2", certificates.ca, username=pairing.username, password=pairing.password) as st:
            st.publish(f"{up}/st-weld-1/op.completed", b"forged")  # another station's topic: dropped by the ACL
            st.publish(f"{up}/st-weld-2/op.completed", b"own")
            assert hub.received.wait_for(1, 5)
            hub.received.wait_for(2, 0.5)
            assert hub.received.payloads == [b"own"]
            with sqlite3.connect(tmp_path / "hub.db") as db:
                assert db.execute("SELECT kind FROM devices WHERE device_id = 'st-weld-2'").fetchall() == [("station",)]

            assert main(["enroll", "st-weld-2", "--revoke", *common]) == 0
            deadline = time.monotonic() + 5
            while st.client.is_connected() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not st.client.is_connected(), "the revoked device's open connection was not dropped"
        with pytest.raises(BrokerError):
            client(broker, f"st-weld-2-{uuid.uuid4().hex[:4]}", certificates.ca, username="st-weld-2",
                   password=pairing.password)
        # the other station and the hub were never dropped by the two reloads
        with client(broker, "st-weld-1", certificates.ca, username="st-weld-1", password="w1") as other:
            other.publish(f"{up}/st-weld-1/op.completed", b"still here")
            assert hub.received.wait_for(2, 5)
        assert drops == [] and hub.client.is_connected()
    acl = (broker.folder / "acl").read_text()
    assert "user st-weld-2" not in acl and "user st-weld-1" in acl and "user hub" in acl


def test_acl_blocks_are_added_and_removed_without_touching_the_others() -> None:
    from sync.broker.access import acl_text

    base = acl_text([BrokerUser("hub", "h", role="hub"), BrokerUser("st-1", "a")], SITE)
    added = acl_with(base, "st-2", SITE)
    assert added.count("user st-2") == 1 and added.startswith(base.rstrip("\n"))
    assert acl_with(added, "st-2", SITE).count("user st-2") == 1  # enrolling again rewrites, not duplicates
    assert acl_without(added, "st-2").strip() == base.strip()
    assert "user st-1\n" in acl_without(added, "hub") and "user hub" not in acl_without(added, "hub")


def test_a_pairing_code_that_is_not_ours_is_named_plainly() -> None:
    with pytest.raises(SettingsError, match="not a FloorLink pairing code"):
        Pairing.from_json('{"hello": 1}')
    with pytest.raises(SettingsError, match="not a FloorLink pairing code"):
        Pairing.from_json("WO-0001-02")


def test_a_station_pairs_from_the_code_only_with_the_sites_own_ca(certificates: TlsFiles, tmp_path: Path) -> None:
    from sync.pairing import PairingProblem, pair

    code = Pairing("plant-a", "st-weld-2", "station", ("WELD",), "192.168.1.10", 8883, ca_fingerprint(certificates.ca),
                   "st-weld-2", "s3cret", "Asia/Shanghai").to_json()
    config = tmp_path / "etc" / "terminal.toml"
    ca = tmp_path / "etc" / "ca.crt"
    with pytest.raises(PairingProblem) as missing:
        pair(code, config, kind="station", ca_file=ca)
    assert missing.value.code == "no_ca" and not config.exists()
    ca.parent.mkdir(parents=True)
    shutil.copy(make_certificates(tmp_path / "other", ["127.0.0.1"]).ca, ca)  # another site's CA
    with pytest.raises(PairingProblem) as foreign:
        pair(code, config, kind="station", ca_file=ca)
    assert foreign.value.code == "ca_mismatch" and not config.exists()
    with pytest.raises(PairingProblem) as kiosk:
        pair(code, config, kind="kiosk", ca_file=ca)
    assert kiosk.value.code == "wrong_kind"
    with pytest.raises(PairingProblem) as label:
        pair("H-0001-02/10", config, kind="station", ca_file=ca)
    assert label.value.code == "not_pairing"

    shutil.copy(certificates.ca, ca)
    assert pair(code, config, kind="station", ca_file=ca).device == "st-weld-2"
    assert config.stat().st_mode & 0o077 == 0
    settings = load(config, environ={})
    assert (settings.get("node.device_id"), settings.get("node.site"), settings.get("node.time_zone"),
            settings.get("mqtt.host"), settings.get("mqtt.port"), settings.get("mqtt.tls"), settings.get("mqtt.ca_file"),
            settings.get("mqtt.username"), settings.get("mqtt.password"), settings.get("station.work_centres")) == \
        ("st-weld-2", "plant-a", "Asia/Shanghai", "192.168.1.10", 8883, True, str(ca), "st-weld-2", "s3cret", ["WELD"])
