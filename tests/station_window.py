"""The station terminal as its tests open it: one copy of the test clock, the scanned labels, the
settings (demo work, no sound) and the real window shown at 1280×800, instead of one per test file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sync import labels
from sync.labels import BadgeLabel, WorkOrderLabel
from sync.settings import Settings, load
from terminal.app import build_window
from terminal.qt import QApplication, Qt, QWidget
from terminal.station.session import StationSession
from terminal.station.status import LinkStatus
from terminal.ui.window import StationWindow

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class Clock:
    """The session's clock, moved by the test (timers and late work without waiting)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def badge(b: str) -> str:
    return labels.format(BadgeLabel(b))


def wo(work_order: str, op: int | None = None) -> str:
    return labels.format(WorkOrderLabel(work_order, op))


def station_settings(**env: str) -> Settings:
    """Station ST-ASM-1 with the demo work orders and no sound (``env``: more FLOORLINK_ settings)."""
    return load(environ={"FLOORLINK_STATION_DEMO_WORK_ORDERS": "1", "FLOORLINK_STATION_SOUND": "0",
                         "FLOORLINK_NODE_DEVICE_ID": "ST-ASM-1", **env})


@contextmanager
def shown_window(qtbot: Any, settings: Settings, session: StationSession, link: Callable[[], LinkStatus]) -> Iterator[StationWindow]:
    """The real station window over ``session``, shown at 1280×800 and idle; its wedge filter goes with it."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    win, wedge = build_window(settings, session, link, app)
    qtbot.addWidget(win)
    try:
        win.resize(1280, 800)
        win.show()
        qtbot.waitExposed(win)
        assert win.wait_idle()
        yield win
    finally:
        app.removeEventFilter(wedge)


def tap(qtbot: Any, win: StationWindow, widget: QWidget) -> None:
    """Tap ``widget`` and wait until the core thread has done what the tap asked for."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.idle, timeout=5000)
