"""The staff PIN the kiosk tests type, and its hash (few iterations: tests stay fast)."""

from sync.pin import hash_pin

STAFF_PIN = "2468"
STAFF_HASH = hash_pin(STAFF_PIN, iterations=10_000)
