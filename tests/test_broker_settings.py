"""``[broker]`` settings choose and shape the broker the demo starts."""

from __future__ import annotations

import pytest

from sync import settings
from sync.broker import EmbeddedBroker, Mosquitto, broker_from_settings
from sync.errors import SettingsError


def test_default_is_the_embedded_broker_under_the_node_data_dir(tmp_path) -> None:
    values = settings.load(environ={"FLOORLINK_NODE_DATA_DIR": str(tmp_path)})
    broker = broker_from_settings(values)
    assert isinstance(broker, EmbeddedBroker)
    assert broker.data_dir == (tmp_path / "broker").resolve()


def test_mosquitto_kind_takes_queue_limit_and_autosave_from_settings(tmp_path) -> None:
    values = settings.load(environ={"FLOORLINK_BROKER_KIND": "mosquitto", "FLOORLINK_BROKER_DATA_DIR": str(tmp_path),
                                    "FLOORLINK_BROKER_MAX_QUEUED_MESSAGES": "50000",
                                    "FLOORLINK_BROKER_AUTOSAVE_INTERVAL": "7", "FLOORLINK_BROKER_PORT": "18830"})
    broker = broker_from_settings(values)
    assert isinstance(broker, Mosquitto)
    text = broker.config_text()
    assert "max_queued_messages 50000" in text and "autosave_interval 7" in text
    assert "listener 18830 127.0.0.1" in text and f"persistence_location {tmp_path.resolve()}/" in text


def test_none_kind_starts_nothing() -> None:
    assert broker_from_settings(settings.load(environ={"FLOORLINK_BROKER_KIND": "none"})) is None


@pytest.mark.parametrize(("variable", "value"), [("FLOORLINK_BROKER_KIND", "rabbitmq"),
                                                   ("FLOORLINK_BROKER_MAX_QUEUED_MESSAGES", "10"),
                                                   ("FLOORLINK_BROKER_PORT", "70000")])
def test_wrong_broker_settings_are_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        settings.load(environ={variable: value})
