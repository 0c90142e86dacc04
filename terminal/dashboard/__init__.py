"""Supervisor dashboard: a local cache of the hub's snapshots, a plain-Python model and thin Qt panels."""
