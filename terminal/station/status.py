"""What the status bar says about the link to the hub: online or not, and events waiting to go."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkStatus:
    online: bool
    pending: int
    detail: str = ""

    @property
    def text(self) -> str:
        state = "Online" if self.online else "Offline"
        waiting = f" · {self.pending} waiting" if self.pending else " · all sent"
        return state + waiting
