"""Text that a screen wraps: words that must stay whole on one line.

Qt's word wrap breaks after a hyphen, so a kiosk read "Long-tail cargo e-" over "bike" and a station
banner read "Waits for delivery CARGO-BOX-" over "PLY". Screens pass such text through here; the
stored and logged text keeps its plain hyphens.
"""

from __future__ import annotations

import re

NON_BREAKING_HYPHEN = "\u2011"


def whole_words(text: str) -> str:
    """``text`` with each hyphen inside a word made non-breaking (U+2011, drawn as a hyphen)."""
    return re.sub(r"(?<=\w)-(?=\w)", NON_BREAKING_HYPHEN, text)
