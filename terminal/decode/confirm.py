"""Scan confirmation: a camera read counts once it parses as a label and shows in 2 frames running.

Why: a single camera frame can catch half a code or a code passing by; requiring the same valid
label in consecutive frames makes a scan deliberate. A keyboard-wedge scanner already confirms
with its own beep, so one read from it is enough. Plain object: the Qt screen and tests drive it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sync import labels
from sync.errors import DecodeError
from terminal.decode.chain import DecodedCode


@dataclass(frozen=True)
class ConfirmedScan:
    """A scan the terminal acts on: the parsed label, the exact text and where it came from."""

    label: labels.Label
    text: str
    source: str  # "camera" or "wedge"


@dataclass
class ScanConfirmer:
    """Turns per-frame reads into confirmed scans.

    ``frames_needed`` consecutive frames must hold the same valid label. After a confirmation the
    same text is not confirmed again until it has left the view (so holding a label in front of the
    camera records one scan, not one per frame). ``rejected`` keeps the last refusal so a screen can
    say why a code is not accepted (unknown prefix, bad check character...).
    """

    frames_needed: int = 2
    _streaks: dict[str, int] = field(default_factory=dict)
    _confirmed_in_view: set[str] = field(default_factory=set)
    rejected: DecodeError | None = None

    def feed_frame(self, codes: Iterable[DecodedCode]) -> list[ConfirmedScan]:
        """Give the reads of one camera frame; get the scans confirmed by this frame."""
        valid: dict[str, labels.Label] = {}
        for code in codes:
            try:
                valid[code.text] = labels.parse(code.text)
            except DecodeError as error:
                self.rejected = error
        self._streaks = {text: self._streaks.get(text, 0) + 1 for text in valid}
        self._confirmed_in_view &= set(valid)
        confirmed = []
        for text, label in valid.items():
            if self._streaks[text] >= self.frames_needed and text not in self._confirmed_in_view:
                self._confirmed_in_view.add(text)
                confirmed.append(ConfirmedScan(label, text, "camera"))
        return confirmed

    def feed_wedge(self, text: str) -> ConfirmedScan:
        """One line typed by a keyboard-wedge scanner: confirmed at once, or DecodeError saying why."""
        try:
            label = labels.parse(text)
        except DecodeError as error:
            self.rejected = error
            raise
        return ConfirmedScan(label, text.strip(), "wedge")
