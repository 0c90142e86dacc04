"""What the status bar says about the link to the hub: online or not, events waiting to go, and
events the hub refused (kept on this station for a supervisor, never dropped)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sync.protocol.client import REFUSED_LOGIN, REFUSED_MESSAGE
from terminal.station import texts


@dataclass(frozen=True)
class LinkStatus:
    online: bool
    pending: int
    detail: str = ""
    refused: int = 0

    @property
    def text(self) -> str:
        state = texts.tr("Online") if self.online else texts.tr("Offline")
        if not self.online and self.detail.startswith(REFUSED_LOGIN):
            state = texts.tr("Offline: this station's login was refused, call IT")
        elif self.detail.startswith(REFUSED_MESSAGE):  # connected, but its events may not go up: not "Online"
            state = texts.tr("Not sending: this station's setup was refused, call IT")
        waiting = " · " + (texts.tr("{count} waiting").format(count=self.pending) if self.pending else texts.tr("all sent"))
        refused = " · " + texts.tr("{count} refused: call a supervisor").format(count=self.refused) if self.refused else ""
        return state + waiting + refused

    @property
    def tone(self) -> str:
        """``refused`` wins over ``offline``: a refused event needs a person, an offline one only time."""
        return "refused" if self.refused else ("online" if self.online else "offline")

    @property
    def without_refused(self) -> LinkStatus:
        """What the status shows while a supervisor is logged in: the refused count moves to its own
        red button ("1 refused", tap to open), so the bar stays as wide as a worker's."""
        return replace(self, refused=0)

    @property
    def open_text(self) -> str:
        return texts.tr("{count} refused").format(count=self.refused)
