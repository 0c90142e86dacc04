"""What the status bar says about the link to the hub: online or not, events waiting to go, and
events the hub refused (kept on this station for a supervisor, never dropped)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkStatus:
    online: bool
    pending: int
    detail: str = ""
    refused: int = 0

    @property
    def text(self) -> str:
        state = "Online" if self.online else "Offline"
        waiting = f" · {self.pending} waiting" if self.pending else " · all sent"
        refused = f" · {self.refused} refused: call a supervisor" if self.refused else ""
        return state + waiting + refused

    @property
    def tone(self) -> str:
        """``refused`` wins over ``offline``: a refused event needs a person, an offline one only time."""
        return "refused" if self.refused else ("online" if self.online else "offline")
