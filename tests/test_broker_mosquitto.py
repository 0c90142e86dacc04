"""The Mosquitto we start for tests and production keeps what FloorLink relies on."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from sync.broker import Mosquitto
from sync.broker.probe import ProbeClient
from sync.errors import BrokerError

pytestmark = pytest.mark.broker


def client_id(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_fixture_broker_accepts_qos1_mqtt5_publish(mosquitto: Mosquitto) -> None:
    with ProbeClient(mosquitto.host, mosquitto.port, client_id("sub")) as sub, \
            ProbeClient(mosquitto.host, mosquitto.port, client_id("pub")) as pub:
        sub.subscribe("floorlink/v1/demo/up/#")
        info = pub.publish("floorlink/v1/demo/up/kiosk-1/order.placed", b"hello")
        assert info.is_published()
        assert sub.received.wait_for(1, 5)
        message = sub.received.messages[0]
        assert (message.topic, message.payload, message.qos) == ("floorlink/v1/demo/up/kiosk-1/order.placed", b"hello", 1)
    assert pub.publish_results == [0]


def test_queued_messages_for_offline_session_survive_broker_restart(mosquitto: Mosquitto) -> None:
    """More than mosquitto's default queue limit (1000) waits for an offline device across a restart."""
    count = 1500
    hub_id = client_id("hub")
    with ProbeClient(mosquitto.host, mosquitto.port, hub_id) as hub:
        hub.subscribe("floorlink/v1/demo/up/#")
    # The hub is away; its persistent session keeps collecting.
    with ProbeClient(mosquitto.host, mosquitto.port, client_id("edge")) as edge:
        infos = [edge.publish(f"floorlink/v1/demo/up/st-1/e{i}", str(i), wait=False) for i in range(count)]
        for info in infos:
            info.wait_for_publish(10)
    mosquitto.restart()
    with ProbeClient(mosquitto.host, mosquitto.port, hub_id) as hub:
        assert hub.received.wait_for(count, 20), f"got {len(hub.received.messages)} of {count}"
        assert sorted(int(p) for p in hub.received.payloads) == list(range(count))


def test_killed_broker_keeps_queued_messages_saved_by_autosave(mosquitto_factory) -> None:
    """SIGKILL loses at most the last autosave interval; what was saved comes back."""
    broker = mosquitto_factory(autosave_interval=1).start()
    hub_id = client_id("hub")
    with ProbeClient(broker.host, broker.port, hub_id) as hub:
        hub.subscribe("floorlink/v1/demo/up/#")
    with ProbeClient(broker.host, broker.port, client_id("edge")) as edge:
        edge.publish("floorlink/v1/demo/up/st-1/saved", b"saved")
    time.sleep(2.5)  # more than the autosave interval
    broker.kill()
    broker.start()
    with ProbeClient(broker.host, broker.port, hub_id) as hub:
        assert hub.received.wait_for(1, 5)
        assert hub.received.payloads == [b"saved"]


def test_port_in_use_gives_a_clear_error(mosquitto_factory) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port}.*already in use"):
            mosquitto_factory(port=port).start()


def test_bad_config_gives_error_with_mosquitto_log_tail(mosquitto_factory) -> None:
    broker = mosquitto_factory(extra_config=["no_such_option true"])
    with pytest.raises(BrokerError) as caught:
        broker.start()
    message = str(caught.value)
    assert "mosquitto exited" in message
    assert "no_such_option" in message or "Unknown configuration" in message
    assert not broker.running


def test_missing_binary_gives_a_clear_error(tmp_path) -> None:
    with pytest.raises(BrokerError, match="mosquitto binary was not found"):
        Mosquitto(tmp_path, binary=str(tmp_path / "nope")).start()


def test_a_chosen_port_lies_outside_the_range_outgoing_connections_take(tmp_path, monkeypatch) -> None:
    """A broker started later on a port chosen earlier (the kiosk's offline test) found it taken by a
    client socket the OS had numbered from its ephemeral range: "Address already in use" in CI."""
    import random

    from sync.broker.ports import ephemeral_range, free_port

    low, high = ephemeral_range()
    assert low < high
    random.seed(7)  # pytest-randomly seeds every worker alike: the draw must not follow this generator
    first = free_port()
    random.seed(7)
    drawn = [first] + [free_port() for _ in range(199)]
    assert all(not low <= p <= high and 10000 <= p <= 65535 for p in drawn)
    assert len(set(drawn)) > 150, "two workers must not draw the same sequence"
    from sync.broker import ports

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", drawn[0]))
        taken.listen()
        draws = iter([drawn[0], low + 1, drawn[1]])  # taken, then inside the ephemeral range, then free
        monkeypatch.setattr(ports, "_draw", type("Draws", (), {"randint": lambda self, a, b: next(draws)})())
        assert free_port() == drawn[1], "a port in use, or one outgoing connections may take, is never handed out"
    fake = tmp_path / "ip_local_port_range"
    fake.write_text("10000\t60000\n")
    assert ephemeral_range(fake) == (10000, 60000)
    fake.write_text("garbage")
    assert ephemeral_range(fake) == (32768, 60999)
