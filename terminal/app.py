"""Putting the station terminal together: settings → ledger → session → window.

``python -m terminal [--config PATH] [--windowed] [--source camera|folder:PATH|video:PATH]``;
``--dashboard`` is reserved for the supervisor dashboard mode.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync import settings as settings_module
from sync.errors import FloorLinkError, SettingsError
from sync.settings import Settings
from sync.station.ledger import StationLedger
from terminal.qt import QApplication
from terminal.station.demo import seed_demo
from terminal.station.session import StationSession, clock_utc
from terminal.station.status import LinkStatus
from terminal.station.wedge import WedgeBuffer
from terminal.ui.sounds import Speaker
from terminal.ui.wedge_filter import WedgeFilter
from terminal.ui.window import StationWindow

STYLE = Path(__file__).resolve().parent.parent / "assets" / "styles" / "terminal.qss"


def site_zone(settings: Settings) -> ZoneInfo:
    name = settings.get("station.time_zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"unknown time zone {name!r}", where=f"setting station.time_zone ({settings.sources.get('station.time_zone')})",
                            fix="use an IANA name such as Asia/Shanghai or Europe/Berlin") from None


def build_session(settings: Settings, ledger: StationLedger, clock: Callable = clock_utc) -> StationSession:
    """The station's rules for this device, seeded with the demo fixture when the settings ask for it."""
    site_zone(settings)  # fail early on a wrong zone
    if settings.get("station.demo_work_orders"):
        seed_demo(ledger)
    return StationSession(ledger, settings.get("node.device_id"), frozenset(settings.get("station.work_centres")),
                          clock=clock)


def memory_link(ledger: StationLedger) -> Callable[[], LinkStatus]:
    """Link status when no sync service runs: offline, with what waits in the outbox."""
    return lambda: LinkStatus(online=False, pending=ledger.pending_outbox(), detail="no hub connection")


def build_window(settings: Settings, session: StationSession, link: Callable[[], LinkStatus],
                 app: QApplication) -> tuple[StationWindow, WedgeFilter]:
    app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    window = StationWindow(session, link, Speaker(enabled=settings.get("station.sound")))
    wedge = WedgeFilter()
    wedge.buffer = WedgeBuffer(max_gap=settings.get("station.wedge_max_gap_ms") / 1000)
    wedge.scanned.connect(window.scan)
    app.installEventFilter(wedge)
    return window, wedge


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m terminal", description="FloorLink station terminal")
    parser.add_argument("--config", help="TOML settings file (see docs/settings.md)")
    parser.add_argument("--windowed", action="store_true", help="run in a window instead of full screen")
    parser.add_argument("--source", default=None, help="camera | folder:PATH | video:PATH (default: no camera)")
    parser.add_argument("--dashboard", action="store_true", help="supervisor dashboard mode (issue 7)")
    return parser.parse_args(list(argv))


def open_ledger(settings: Settings) -> StationLedger:
    """The station's ledger in this node's store."""
    from sync.station.ledger import MemoryLedger

    return MemoryLedger()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = settings_module.load(args.config)
        if args.dashboard:
            raise SettingsError("the dashboard mode is not built yet", where="--dashboard",
                                fix="run without --dashboard for the station terminal")
        ledger = open_ledger(settings)
        session = build_session(settings, ledger)
    except FloorLinkError as exc:
        print(f"terminal: {exc}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    window, _wedge = build_window(settings, session, memory_link(ledger), app)
    if args.windowed:
        window.resize(1280, 800)
        window.show()
    else:
        window.showFullScreen()
    return app.exec()
