"""The SOP documents a station shows: a worker reads a document's title, never its file path."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from terminal.station import texts

log = logging.getLogger("floorlink.station.sop")


def sop_title(folder: Path, relative: str) -> str:
    """The first heading of the Markdown document ``relative`` under ``folder`` (``# Frame preparation
    (ASSY)`` -> ``Frame preparation (ASSY)``); a document that cannot be read says so in plain words,
    the path and the cause go to the log."""
    if not relative:
        return "—"
    title = _first_heading(folder / relative)
    return title if title is not None else texts.tr("Missing: ask the supervisor for the printed SOP")


@functools.lru_cache(maxsize=256)
def _first_heading(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    return line.strip().lstrip("#").strip() or path.stem.replace("-", " ").capitalize()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("SOP document %s cannot be read: %s", path, exc)
        return None
    return path.stem.replace("-", " ").capitalize()  # an empty document: its name in words
