"""The embedded broker (rumqttd from the iotcore wheel) does what the demo needs with MQTT 5 clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest

from sync.broker.embedded import EmbeddedBroker
from sync.broker.ports import port_in_use
from sync.broker.probe import ProbeClient, wait_until
from sync.errors import BrokerError

pytest.importorskip("iotcore", reason="the embedded broker needs the iotcore package (pip install iotcore)")


@pytest.fixture
def embedded(tmp_path):
    broker = EmbeddedBroker(data_dir=tmp_path / "embedded").start()
    yield broker
    broker.close()


def cid(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def test_embedded_broker_delivers_qos1_mqtt5_message(embedded: EmbeddedBroker) -> None:
    with ProbeClient(embedded.host, embedded.port, cid("sub")) as sub, \
            ProbeClient(embedded.host, embedded.port, cid("pub")) as pub:
        sub.subscribe("floorlink/v1/demo/up/#")
        pub.publish("floorlink/v1/demo/up/kiosk-1/order.placed", b"order")
        assert sub.received.wait_for(1, 5)
        message = sub.received.messages[0]
        assert (message.topic, message.payload, message.qos) == ("floorlink/v1/demo/up/kiosk-1/order.placed", b"order", 1)
    assert pub.publish_results == [0]


def test_embedded_broker_queues_for_an_offline_persistent_session(embedded: EmbeddedBroker) -> None:
    hub_id = cid("hub")
    with ProbeClient(embedded.host, embedded.port, hub_id) as hub:
        hub.subscribe("floorlink/v1/demo/up/#")
    with ProbeClient(embedded.host, embedded.port, cid("edge")) as edge:
        for i in range(300):
            edge.publish(f"floorlink/v1/demo/up/st-1/e{i}", str(i), wait=False)
        edge.publish("floorlink/v1/demo/up/st-1/last", b"300")
    with ProbeClient(embedded.host, embedded.port, hub_id) as hub:
        assert hub.received.wait_for(301, 10), f"got {len(hub.received.messages)} of 301"
        assert sorted(int(p) for p in hub.received.payloads) == list(range(301))


def test_embedded_broker_on_a_taken_port_gives_a_clear_error(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port}.*already in use"):
            EmbeddedBroker(port=port, data_dir=tmp_path).start()


def test_embedded_broker_stops_and_restarts_on_the_same_port(embedded: EmbeddedBroker) -> None:
    port = embedded.port
    embedded.restart()
    assert embedded.port == port and embedded.running
    with ProbeClient(embedded.host, embedded.port, cid("after")):
        pass
    embedded.stop()
    assert not embedded.running
    with pytest.raises(BrokerError, match="cannot connect"):
        ProbeClient(embedded.host, port, cid("gone"), timeout=1)


def test_embedded_broker_child_exits_when_its_parent_is_killed(tmp_path) -> None:
    """A crashed demo must not leave a broker holding the port."""
    code = (
        "import sys, time\n"
        "from sync.broker.embedded import EmbeddedBroker\n"
        f"b = EmbeddedBroker(data_dir={str(tmp_path)!r}).start()\n"
        "print(b.port, b.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    port, child = (int(x) for x in parent.stdout.readline().split())
    parent.kill()
    parent.wait()
    assert wait_until(lambda: not port_in_use("127.0.0.1", port), 10)
    assert wait_until(lambda: not process_alive(child), 10)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_embedded_broker_keeps_its_chosen_port_across_stop_and_start(embedded: EmbeddedBroker) -> None:
    port = embedded.port
    embedded.stop()
    embedded.start()
    assert embedded.port == port
    with ProbeClient(embedded.host, port, cid("again")):
        pass


def test_embedded_broker_with_a_config_rumqttd_refuses_gives_a_clear_error(tmp_path) -> None:
    broker = EmbeddedBroker(data_dir=tmp_path, max_payload_size=-1)
    with pytest.raises(BrokerError, match="rumqttd refused its configuration") as caught:
        broker.start()
    assert str(tmp_path / "rumqttd.toml") in str(caught.value)
    assert not broker.running
