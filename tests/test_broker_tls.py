"""The TLS listener option: devices trusting the private CA connect, plain MQTT does not."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from sync.broker.__main__ import main
from sync.broker.probe import ProbeClient
from sync.broker.tls import TlsFiles, make_certificates
from sync.errors import BrokerError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_certificates(tmp_path_factory.mktemp("certs"), ["127.0.0.1", "localhost"])


def test_device_trusting_the_ca_talks_qos1_over_tls(mosquitto_factory, certificates: TlsFiles) -> None:
    broker = mosquitto_factory("tls", tls=certificates).start()
    ca = str(certificates.ca)
    with ProbeClient(broker.host, broker.port, f"sub-{uuid.uuid4().hex[:6]}", ca_file=ca) as sub, \
            ProbeClient(broker.host, broker.port, f"pub-{uuid.uuid4().hex[:6]}", ca_file=ca) as pub:
        sub.subscribe("floorlink/v1/demo/up/#")
        pub.publish("floorlink/v1/demo/up/kiosk-1/order.placed", b"secret order")
        assert sub.received.wait_for(1, 5)
        assert sub.received.payloads == [b"secret order"]


def test_plain_mqtt_and_an_untrusted_ca_are_refused_by_the_tls_listener(
        mosquitto_factory, certificates: TlsFiles, tmp_path: Path) -> None:
    broker = mosquitto_factory("tls", tls=certificates).start()
    with pytest.raises(BrokerError):
        ProbeClient(broker.host, broker.port, "plain", timeout=2)
    other_ca = make_certificates(tmp_path / "other", ["127.0.0.1"]).ca
    with pytest.raises(BrokerError, match="certificate verify failed"):
        ProbeClient(broker.host, broker.port, "untrusted", ca_file=str(other_ca), timeout=2)


def test_certs_keeps_an_existing_ca_so_devices_need_not_be_touched_again(tmp_path: Path, capsys) -> None:
    assert main(["certs", "--out", str(tmp_path), "--host", "broker.local"]) == 0
    ca_before = (tmp_path / "ca.crt").read_bytes()
    cert_before = (tmp_path / "server.crt").read_bytes()
    assert main(["certs", "--out", str(tmp_path), "--host", "broker.local", "--host", "10.0.0.5"]) == 0
    assert (tmp_path / "ca.crt").read_bytes() == ca_before
    assert (tmp_path / "server.crt").read_bytes() != cert_before
    assert "mqtt.ca_file" in capsys.readouterr().out


def test_certs_without_a_host_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match="no host"):
        make_certificates(tmp_path, [])
