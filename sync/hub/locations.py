"""Where the hub's database is, from the settings: the hub and its command-line tools find the same file."""

from __future__ import annotations

from pathlib import Path

from sync.settings import Settings


def hub_database(settings: Settings, override: str | None = None) -> Path:
    """The hub database: ``override``, else hub.database, else {node.data_dir}/hub.db."""
    data_dir = Path(settings.get("node.data_dir")).expanduser()
    return Path(override or settings.get("hub.database") or data_dir / "hub.db").expanduser()

