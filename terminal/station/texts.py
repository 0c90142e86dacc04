"""Texts and choice lists the screens show, kept out of the widgets so tests can check them."""

from __future__ import annotations

PAUSE_REASONS = ("Break", "Material missing", "Machine fault", "Waiting for QC", "Tool change", "Other job")
SCRAP_REASONS = ("Damaged part", "Wrong part", "Assembly fault", "Paint defect", "Out of tolerance")
DEFECT_CODES = ("D-01 Scratch", "D-02 Loose fastener", "D-03 Wiring fault", "D-04 Misalignment", "D-05 Paint defect",
                "D-06 Function test failed")

REFUSED_BANNER = "Supervisor: events the hub refused — send each again or set it aside"


def duration(seconds: float) -> str:
    """``h:mm:ss`` for a timer (never negative)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def minutes(seconds: float) -> str:
    """A standard time as people say it: ``45 min`` or ``1 h 30 min``."""
    total = round(seconds / 60)
    if total < 60:
        return f"{total} min"
    hours, mins = divmod(total, 60)
    return f"{hours} h {mins} min" if mins else f"{hours} h"
