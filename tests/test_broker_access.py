"""Per-device broker accounts: a device may publish only under its own topics."""

from __future__ import annotations

import uuid

import pytest

from sync.broker import BrokerUser, Mosquitto, acl_text, hash_password, password_file_text
from sync.broker.probe import ProbeClient
from sync.errors import BrokerError

SITE = "demo"
USERS = [BrokerUser("kiosk-1", "pw-kiosk"), BrokerUser("station-2", "pw-station"), BrokerUser("hub", "pw-hub", role="hub")]


def cid(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def secured(mosquitto_factory) -> Mosquitto:
    return mosquitto_factory("secured", users=USERS, site=SITE).start()


@pytest.mark.broker
def test_device_cannot_publish_under_another_devices_topic(secured: Mosquitto) -> None:
    up = f"floorlink/v1/{SITE}/up"
    with ProbeClient(secured.host, secured.port, cid("hub"), username="hub", password="pw-hub") as hub, \
            ProbeClient(secured.host, secured.port, cid("kiosk"), username="kiosk-1", password="pw-kiosk") as kiosk:
        hub.subscribe(f"{up}/#")
        kiosk.publish(f"{up}/station-2/op.completed", b"forged")
        kiosk.publish(f"{up}/kiosk-1/order.placed", b"own")
        assert hub.received.wait_for(1, 5)
        hub.received.wait_for(2, 0.5)  # give a forged message the chance to arrive, too
        assert [(m.topic, m.payload) for m in hub.received.messages] == [(f"{up}/kiosk-1/order.placed", b"own")]
        # MQTT 5 tells the publisher: 0x87 "not authorised" for the forged one, success for its own.
        assert kiosk.publish_results == [0x87, 0]


@pytest.mark.broker
def test_device_reads_its_acks_but_not_another_devices(secured: Mosquitto) -> None:
    ack = f"floorlink/v1/{SITE}/ack"
    with ProbeClient(secured.host, secured.port, cid("hub"), username="hub", password="pw-hub") as hub, \
            ProbeClient(secured.host, secured.port, cid("kiosk"), username="kiosk-1", password="pw-kiosk") as kiosk:
        kiosk.subscribe(f"{ack}/#")
        hub.publish(f"{ack}/station-2", b"not yours")
        hub.publish(f"{ack}/kiosk-1", b"yours")
        assert kiosk.received.wait_for(1, 5)
        kiosk.received.wait_for(2, 0.5)
        assert kiosk.received.payloads == [b"yours"]


@pytest.mark.broker
def test_wrong_password_and_anonymous_are_refused(secured: Mosquitto) -> None:
    with pytest.raises(BrokerError, match="refused"):
        ProbeClient(secured.host, secured.port, cid("kiosk"), username="kiosk-1", password="wrong", timeout=2)
    with pytest.raises(BrokerError, match="refused"):
        ProbeClient(secured.host, secured.port, cid("anon"), timeout=2)


def test_password_hash_is_mosquittos_pbkdf2_format() -> None:
    hashed = hash_password("secret", salt=b"\x00" * 12)
    assert hashed.startswith("$7$101$AAAAAAAAAAAAAAAA$")
    assert hash_password("secret", salt=b"\x00" * 12) == hashed
    assert hash_password("other", salt=b"\x00" * 12) != hashed


def test_acl_gives_each_device_only_its_own_up_topics() -> None:
    text = acl_text(USERS, SITE)
    assert "user kiosk-1\ntopic write floorlink/v1/demo/up/kiosk-1/#" in text
    assert "topic write floorlink/v1/demo/up/station-2/#" in text
    assert "user hub\ntopic readwrite floorlink/v1/demo/#" in text
    assert "up/#" not in text.replace("user hub\ntopic readwrite floorlink/v1/demo/#", "")


@pytest.mark.parametrize("name", ["", "a/b", "dev+", "dev#", "with space", "x" * 65])
def test_names_that_would_break_topics_are_refused(name: str) -> None:
    with pytest.raises(BrokerError, match="not allowed"):
        BrokerUser(name, "pw")


def test_duplicate_users_and_empty_passwords_are_refused() -> None:
    with pytest.raises(BrokerError, match="listed twice"):
        password_file_text([BrokerUser("a", "1"), BrokerUser("a", "2")])
    with pytest.raises(BrokerError, match="empty password"):
        BrokerUser("a", "")
