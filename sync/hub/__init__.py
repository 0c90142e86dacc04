"""The hub service: ingest, planning, progress, alerts, notifications, KPIs and the read API."""
