"""Texts and choice lists the screens show, kept out of the widgets so tests can check them."""

from __future__ import annotations

from datetime import datetime

LANGUAGES = ("en", "zh_CN")
_current = {"language": "en"}

#: the terminal's own catalogue: English source text -> Simplified Chinese (placeholders kept as they are)
ZH_CN: dict[str, str] = {}


def use(language: str) -> None:
    """Show every later text in ``language`` (``en`` or ``zh_CN``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    _current["language"] = language


def language() -> str:
    return _current["language"]


def tr(text: str) -> str:
    """The current language's version of an English source text (English when the catalogue lacks it)."""
    return ZH_CN.get(text, text) if _current["language"] == "zh_CN" else text


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday(moment: datetime) -> str:
    return tr(_WEEKDAYS[moment.weekday()])

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
