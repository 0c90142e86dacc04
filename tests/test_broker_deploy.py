"""The production Mosquitto config in deploy/ starts, takes devices over TLS and enforces the per-device ACL."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from sync.broker import BrokerUser, find_mosquitto, free_port, wait_for_port, write_access_files
from sync.broker.probe import ProbeClient, wait_until
from sync.broker.tls import make_certificates

REPO = Path(__file__).resolve().parent.parent
PRODUCTION = REPO / "deploy" / "mosquitto" / "mosquitto.conf"
SITE = "plant-a"

pytestmark = pytest.mark.broker


PLUGIN_SOURCE = REPO / "deploy" / "mosquitto" / "plugin"


@pytest.fixture(scope="session")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """FloorLink's broker plugin built from deploy/ with its own Makefile (skips when it cannot be built here)."""
    if shutil.which("make") is None or shutil.which("gcc") is None:
        pytest.skip("no gcc or make: bash scripts/setup.sh installs them (as root) to build the broker plugin")
    if not Path("/usr/include/mosquitto_broker.h").exists():
        pytest.skip("no mosquitto-dev headers: bash scripts/setup.sh installs them (as root)")
    out = tmp_path_factory.mktemp("plugin") / "floorlink_no_retain_up.so"
    built = subprocess.run(["make", "-s", "-B", "-C", str(PLUGIN_SOURCE), f"OUT={out}"], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return out


def localised(config: str, port: int, folder: Path, tls_port: int | None = None, plugin: Path | None = None) -> str:
    """The production config with its paths and ports moved into ``folder`` (nothing else changed);
    the TLS listener gets a private CA and certificate made there, on ``tls_port`` (a free one if None);
    the plugin loads from ``plugin`` (without one its two lines are left out)."""
    tls = make_certificates(folder / "certs", ["127.0.0.1"])
    if plugin is None:
        config, count = re.subn(r"^plugin(_opt_\w+)? .*\n", "", config, flags=re.MULTILINE)
        assert count == 2, "production config lost its plugin lines"
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
        **({r"^plugin /usr/lib/floorlink/floorlink_no_retain_up.so$": f"plugin {plugin}"} if plugin else {}),
    }
    for pattern, line in replaced.items():
        config, count = re.subn(pattern, line, config, flags=re.MULTILINE)
        assert count == 1, f"production config lost its {pattern!r} line"
    return config + "user root\n"


@contextmanager
def production_broker(folder: Path, tls_port: int | None = None, plugin: Path | None = None) -> Iterator[int]:
    """Mosquitto on the production config moved into ``folder``, with users hub, st-1 and st-2 (passwords
    h, s1, s2) of site SITE: its plain port, once it listens; stopped afterwards."""
    binary = find_mosquitto()
    if binary is None:
        pytest.skip("mosquitto binary not found")
    users = [BrokerUser("hub", "h", role="hub"), BrokerUser("st-1", "s1"), BrokerUser("st-2", "s2")]
    write_access_files(folder, users, SITE)
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(localised(PRODUCTION.read_text(), port, folder, tls_port, plugin))
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


def test_the_production_broker_refuses_a_retained_publish_upward_and_keeps_every_other_retained_stream(
        tmp_path: Path, plugin: Path) -> None:
    """A device's ACL allows its own up/ topic; the plugin refuses the retain flag there, so no poison is kept
    for the hub's next subscription. The retained down/ stream, state/ presence and the Last Will still work."""
    up, down, state = (f"floorlink/v1/{SITE}/{part}" for part in ("up", "down", "state"))
    with production_broker(tmp_path, plugin=plugin) as port:
        with ProbeClient("127.0.0.1", port, "hub", username="hub", password="h") as hub, \
                ProbeClient("127.0.0.1", port, "st-1", username="st-1", password="s1") as st1:
            hub.subscribe(f"{up}/#")
            st1.publish(f"{up}/st-1/op.started", b"poison", retain=True)
            st1.publish(f"{up}/st-1/op.started", b"plain")
            assert hub.received.wait_for(1, 5)
            hub.received.wait_for(2, 0.5)
            assert hub.received.payloads == [b"plain"], "the retained publish was not delivered"
            assert st1.publish_results == [135, 0], "MQTT 5: not authorized, then success"
            hub.publish(f"{down}/catalog/CARGO", b"revision 7", retain=True)
            hub.publish(f"{up}/st-1/op.started", b"", retain=True)  # clearing a kept copy stays allowed
            assert [code < 128 for code in hub.publish_results] == [True, True], hub.publish_results
            st1.publish(f"{state}/st-1", b"online", retain=True)
        # a fresh subscriber gets what was kept: the down/ and state/ messages, never the up/ one
        with ProbeClient("127.0.0.1", port, "st-2", username="st-2", password="s2", persistent=False) as late:
            late.subscribe(f"{down}/#")
            late.subscribe(f"{state}/#")
            assert late.received.wait_for(2, 5), late.received.payloads
            assert sorted(late.received.payloads) == [b"online", b"revision 7"]
        with ProbeClient("127.0.0.1", port, "hub", username="hub", password="h", persistent=False) as again:
            again.subscribe(f"{up}/#")
            assert not again.received.wait_for(1, 1.0), "no retained event handed to a new subscription"
        log = (tmp_path / "mosquitto.log").read_text()
        assert "refused a retained publish from st-1" in log


def dies_with_will(port: int, device: str, password: str, will_topic: str, will: bytes) -> None:
    """``device`` connects as sync.protocol.client does (MQTT 5, a retained QoS 1 Last Will), then its
    connection drops without a DISCONNECT, so the broker publishes the will."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device, protocol=mqtt.MQTTv5)
    client.username_pw_set(device, password)
    client.will_set(will_topic, will, qos=1, retain=True)
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert wait_until(client.is_connected, 5), f"{device} did not connect"
    client.loop_stop()
    sock = client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def test_the_production_broker_keeps_a_retained_last_will_on_state_but_not_on_up(tmp_path: Path, plugin: Path) -> None:
    """A Last Will is published by the broker, not in a PUBLISH: the plugin must refuse a retained one on up/
    too, while the station's retained ``offline`` on state/ (its real Last Will) still works."""
    up, state = f"floorlink/v1/{SITE}/up", f"floorlink/v1/{SITE}/state"
    with production_broker(tmp_path, plugin=plugin) as port:
        with ProbeClient("127.0.0.1", port, "hub", username="hub", password="h") as hub:
            hub.subscribe(f"{up}/#")
            hub.subscribe(f"{state}/#")
            dies_with_will(port, "st-1", "s1", f"{up}/st-1/op.completed", b"poison will")
            dies_with_will(port, "st-2", "s2", f"{state}/st-2", b"offline")
            assert hub.received.wait_for(1, 5)
            hub.received.wait_for(2, 1.0)
            assert hub.received.payloads == [b"offline"], "the retained will on up/ was not delivered"
        with ProbeClient("127.0.0.1", port, "hub", username="hub", password="h", persistent=False) as fresh:
            fresh.subscribe(f"{up}/#")
            fresh.subscribe(f"{state}/#")
            assert fresh.received.wait_for(1, 5)
            fresh.received.wait_for(2, 1.0)
            assert fresh.received.payloads == [b"offline"], "only the state/ will is kept"


def test_the_documented_check_passes_against_the_production_broker(tmp_path: Path, capsys) -> None:
    """A technician's review: install.md's `sync.broker check --username hub` always failed with 'no SUBACK': its
    two connections of one account got one client id (use_username_as_clientid) and threw each other off."""
    from sync.broker.__main__ import main

    tls_port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(f'[node]\nsite = "{SITE}"\n', encoding="utf-8")
    with production_broker(tmp_path, tls_port) as port:
        assert wait_for_port("127.0.0.1", tls_port, 10)
        for where in (["--port", str(port)],
                      ["--port", str(tls_port), "--ca-file", str(tmp_path / "certs" / "ca.crt")]):
            code = main(["--config-file", str(config), "check", "--host", "127.0.0.1", *where, "--username", "hub",
                         "--password", "h"])
            out = capsys.readouterr()
            assert code == 0, out.out + out.err
            assert "ok" in out.out and "stop it first" in out.err


def test_a_missing_ca_file_is_named_not_a_traceback(tmp_path: Path, capsys) -> None:
    from sync.broker.__main__ import main

    code = main(["check", "--host", "127.0.0.1", "--port", str(free_port()), "--ca-file", str(tmp_path / "nope.crt")])
    err = capsys.readouterr().err
    assert code == 2 and "nope.crt" in err and "Traceback" not in err, err


def test_a_device_publishing_outside_its_account_learns_it_was_refused(tmp_path: Path) -> None:
    """A technician's review: a station set up as st-weld-3 with st-weld-2's account showed 'Online · 1 waiting'
    for ever: the broker refused each event (PUBACK 'Not authorized') and nobody listened for that."""
    from sync.protocol.client import MqttLink
    from terminal.station.status import LinkStatus

    with production_broker(tmp_path) as port:
        link = MqttLink(client_id="st-9", site=SITE, port=port, username="st-1", password="s1").start()
        try:
            assert link.wait_connected(10)
            link.publish(f"floorlink/v1/{SITE}/up/st-9/op.started", b"{}")
            assert wait_until(lambda: "refused a message" in link.last_error, 10), link.last_error
            assert "Not authorized" in link.last_error, link.last_error
            shown = LinkStatus(link.connected, 1, link.last_error).text
            assert shown.startswith("Not sending: this station's setup was refused"), shown
        finally:
            link.stop()
