"""The FloorLink MQTT protocol: topics, the versioned envelope, acks, paging and the sync client."""

from sync.protocol.envelope import (
    MAX_PAYLOAD_BYTES,
    SCHEMA_VERSION,
    Ack,
    AckMessage,
    Envelope,
    decode,
    utc_now,
)

__all__ = ["MAX_PAYLOAD_BYTES", "SCHEMA_VERSION", "Ack", "AckMessage", "Envelope", "decode", "utc_now"]
