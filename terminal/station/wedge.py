"""Telling a keyboard-wedge scanner from a person typing: a scanner types fast and ends with Enter."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Longest gap between two scanner keystrokes; people type far slower than this.
MAX_GAP_SECONDS = 0.05
MIN_LENGTH = 4


@dataclass
class WedgeBuffer:
    """Collects keystrokes; ``feed`` returns the scanned text when a fast burst ends with Enter."""

    max_gap: float = MAX_GAP_SECONDS
    min_length: int = MIN_LENGTH
    _chars: list[str] = field(default_factory=list)
    _last: float | None = None

    def feed(self, char: str, at: float) -> str | None:
        """One key (``"\\n"`` or ``"\\r"`` for Enter) at time ``at`` in seconds."""
        if self._last is not None and at - self._last > self.max_gap:
            self._chars.clear()
        self._last = at
        if char in ("\n", "\r"):
            text = "".join(self._chars)
            self._chars.clear()
            self._last = None
            return text if len(text) >= self.min_length else None
        if len(char) == 1 and char.isprintable():
            self._chars.append(char)
        return None

    def reset(self) -> None:
        self._chars.clear()
        self._last = None
