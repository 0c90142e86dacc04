"""The production Mosquitto config in deploy/ starts, takes devices over TLS and enforces the per-device ACL."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sync.broker import BrokerUser, find_mosquitto, free_port, wait_for_port, write_access_files
from sync.broker.probe import ProbeClient
from sync.broker.tls import make_certificates

REPO = Path(__file__).resolve().parent.parent
PRODUCTION = REPO / "deploy" / "mosquitto" / "mosquitto.conf"
SITE = "plant-a"

pytestmark = pytest.mark.broker


def localised(config: str, port: int, folder: Path, tls_port: int | None = None) -> str:
    """The production config with its paths and ports moved into ``folder`` (nothing else changed);
    the TLS listener gets a private CA and certificate made there, on ``tls_port`` (a free one if None)."""
    tls = make_certificates(folder / "certs", ["127.0.0.1"])
    replaced = {
        r"^listener 1883 127.0.0.1$": f"listener {port} 127.0.0.1",
        r"^listener 8883$": f"listener {tls_port or free_port()} 127.0.0.1",
        r"^certfile .*$": f"certfile {tls.cert}",
        r"^keyfile .*$": f"keyfile {tls.key}",
        r"^cafile .*$": f"cafile {tls.ca}",
        r"^password_file .*$": f"password_file {folder / 'passwd'}",
        r"^acl_file .*$": f"acl_file {folder / 'acl'}",
        r"^persistence_location .*$": f"persistence_location {folder}/",
        r"^log_dest syslog$": f"log_dest file {folder / 'mosquitto.log'}",
    }
    for pattern, line in replaced.items():
        config, count = re.subn(pattern, line, config, flags=re.MULTILINE)
        assert count == 1, f"production config lost its {pattern!r} line"
    return config + "user root\n"


@contextmanager
def production_broker(folder: Path, tls_port: int | None = None) -> Iterator[int]:
    """Mosquitto on the production config moved into ``folder``, with users hub, st-1 and st-2 (passwords
    h, s1, s2) of site SITE: its plain port, once it listens; stopped afterwards."""
    binary = find_mosquitto()
    if binary is None:
        pytest.skip("mosquitto binary not found")
    users = [BrokerUser("hub", "h", role="hub"), BrokerUser("st-1", "s1"), BrokerUser("st-2", "s2")]
    write_access_files(folder, users, SITE)
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(localised(PRODUCTION.read_text(), port, folder, tls_port))
    process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for_port("127.0.0.1", port, 10, still_alive=lambda: process.poll() is None), \
            process.stderr.read().decode() if process.stderr and process.poll() is not None else "no listener"
        yield port
    finally:
        process.terminate()
        process.wait(10)


def test_production_config_starts_and_refuses_a_device_publishing_as_another(tmp_path: Path) -> None:
    tls_port = free_port()
    with production_broker(tmp_path, tls_port) as port:
        up = f"floorlink/v1/{SITE}/up"
        with ProbeClient("127.0.0.1", port, f"hub-{uuid.uuid4().hex[:6]}", username="hub", password="h") as hub, \
                ProbeClient("127.0.0.1", port, "st-1", username="st-1", password="s1") as st1:
            hub.subscribe(f"{up}/#")
            st1.publish(f"{up}/st-2/op.completed", b"forged")
            st1.publish(f"{up}/st-1/op.completed", b"own")
            assert hub.received.wait_for(1, 5)
            hub.received.wait_for(2, 0.5)
            assert hub.received.payloads == [b"own"]
            # devices come in over the TLS listener, trusting the site's CA
            assert wait_for_port("127.0.0.1", tls_port, 10)
            with ProbeClient("127.0.0.1", tls_port, "st-2", username="st-2", password="s2",
                             ca_file=str(tmp_path / "certs" / "ca.crt")) as st2:
                st2.publish(f"{up}/st-2/op.completed", b"over tls")
                assert hub.received.wait_for(2, 5) and hub.received.payloads == [b"own", b"over tls"]


def test_a_device_cannot_take_the_hubs_session_in_the_production_config(tmp_path: Path) -> None:
    """use_username_as_clientid: st-1 asking for client id "hub" gets its own session, so the hub is
    not thrown off while connected, and its queued messages survive an impostor's clean start."""
    up = f"floorlink/v1/{SITE}/up"
    with production_broker(tmp_path) as port:
        hub = ProbeClient("127.0.0.1", port, "hub", username="hub", password="h")
        hub.subscribe(f"{up}/#")
        impostor = ProbeClient("127.0.0.1", port, "hub", username="st-1", password="s1")
        time.sleep(0.5)
        assert hub.client.is_connected(), "the hub was thrown off by a device using its client id"
        impostor.publish(f"{up}/st-1/op.started", b"own")
        assert hub.received.wait_for(1, 5) and hub.received.payloads == [b"own"]
        impostor.close()
        hub.close()  # the hub goes away; its persistent session keeps queueing
        with ProbeClient("127.0.0.1", port, "st-2", username="st-2", password="s2") as st2:
            for n in range(5):
                st2.publish(f"{up}/st-2/op.started", f"queued-{n}".encode())
        with ProbeClient("127.0.0.1", port, "hub", username="st-1", password="s1", persistent=False):
            pass  # a clean start under the hub's id: would discard the hub's queue without the setting
        with ProbeClient("127.0.0.1", port, "hub", username="hub", password="h") as back:
            assert back.received.wait_for(5, 5), back.received.payloads
            assert back.received.payloads == [f"queued-{n}".encode() for n in range(5)]
