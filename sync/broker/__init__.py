"""MQTT brokers FloorLink starts itself: Mosquitto for tests and production, an embedded one for the demo."""

from sync.broker.access import BrokerUser, acl_text, hash_password, password_file_text, write_access_files
from sync.broker.configured import Broker, broker_from_settings
from sync.broker.embedded import EmbeddedBroker
from sync.broker.mosquitto import Mosquitto, find_mosquitto
from sync.broker.ports import free_port, wait_for_port

__all__ = [
    "Broker",
    "BrokerUser",
    "EmbeddedBroker",
    "Mosquitto",
    "acl_text",
    "broker_from_settings",
    "find_mosquitto",
    "free_port",
    "hash_password",
    "password_file_text",
    "wait_for_port",
    "write_access_files",
]
