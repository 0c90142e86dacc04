"""A station's own state that is not UI: routed work orders, the operation event log and what derives from it.

The derivation (:mod:`sync.station.timing`) is a pure function over recorded events, so the
terminal and the hub compute the same status and timers from the same events.
"""
