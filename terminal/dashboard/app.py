"""``python -m terminal --dashboard``: the supervisor dashboard on this node's store and the hub link."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sync.dashboard_cache import DashboardCache
from sync.protocol.edge import EdgeSync
from sync.settings import Settings
from sync.station.stored import ROSTER_MESSAGE, StoredLedger, apply_roster, database_path
from sync.store import Store
from terminal.dashboard.core import DashboardCore
from terminal.dashboard.look import PALETTE, STYLE
from terminal.dashboard.model import DashboardModel
from terminal.dashboard.widgets import DashboardWindow
from terminal.qt import QApplication, QColor, QPalette
from terminal.station import texts
from terminal.station.demo import seed_demo_roster
from terminal.ui.camera import CameraBridge

log = logging.getLogger(__name__)


def board_palette() -> QPalette:
    """The light palette the board's colours were chosen against (terminal.dashboard.look.PALETTE)."""
    palette = QPalette()
    for role, colour in PALETTE.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    return palette


def use_board_look(app: QApplication) -> None:
    """The board's look whatever the machine's theme: Fusion (it follows the palette everywhere), the board's
    palette and its stylesheet. Its colours and their contrasts assume light paper; a dark system palette
    left black tab labels on dark grey and the clock nearly unreadable."""
    app.setStyle("Fusion")
    app.setPalette(board_palette())
    app.setStyleSheet(STYLE.read_text(encoding="utf-8"))


def start_sync(settings: Settings, store: Store, cache: DashboardCache) -> EdgeSync:
    """Follow the dashboard snapshots and alert events; acknowledgements go up from the outbox."""
    mqtt = settings.section("mqtt")
    sync = EdgeSync(store, site=settings.get("node.site"), host=mqtt["host"], port=mqtt["port"],
                    streams=["dashboard/#", "alerts"],
                    link_options={"username": mqtt["username"], "password": mqtt["password"], "tls": mqtt["tls"],
                                  "ca_file": mqtt["ca_file"], "keepalive": mqtt["keepalive"],
                                  "session_expiry": mqtt["session_expiry"]})
    cache.register(sync.inbox)
    sync.inbox.on(ROSTER_MESSAGE, apply_roster)  # the hub's roster (sync.hub.roster): names and who may acknowledge
    return sync.start()


def run(settings: Settings, args: argparse.Namespace, camera_settings: Settings | None = None,
        start_camera: Callable[[Settings | None], tuple[CameraBridge | None, str]] | None = None) -> int:
    """Open the cache and start the sync on the core thread, then show the window (full screen unless ``--windowed``).
    With ``camera_settings`` (setting ``dashboard.camera`` or ``--source``) ``start_camera`` (the station's,
    terminal.app) reads badges for acknowledging alerts.

    The UI thread never touches SQLite: opening, migrating, reading and acknowledging all run on
    the dashboard's core thread; the screens repaint on its ``changed`` signal."""
    dash = settings.section("dashboard")
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    use_board_look(app)
    core = DashboardCore()

    def open_node() -> tuple[Store, DashboardCache, EdgeSync, StoredLedger]:
        store = Store(database_path(settings), device_id=settings.get("node.device_id"))
        cache = DashboardCache(store)
        # who may acknowledge: the roster in this node's store, filled as a station's is
        # (python -m terminal.station.roster --config ... add BADGE NAME --pin ...)
        roster = StoredLedger(store)
        if settings.get("station.demo_roster"):  # the demo's badges and PINs acknowledge here too
            seed_demo_roster(roster)
        return store, cache, start_sync(settings, store, cache), roster

    store, cache, sync, roster = core.call(open_node)
    texts.use(settings.get("node.language"))  # the site's language at start; the board's 中文/English switches
    model = DashboardModel(cache, link_up=lambda: sync.status().connected, wake=sync.wake,
                           zone=ZoneInfo(settings.get("node.time_zone")),  # "stale since" in the site's time
                           stale_after=timedelta(seconds=dash["stale_after_s"]),
                           at_risk=timedelta(hours=dash["at_risk_h"]), roster=roster.workers)
    core.attach(model)
    window = DashboardWindow(model, core=core, time_refresh_ms=round(dash["time_refresh_s"] * 1000),
                             default_tab=dash["default_tab"], work_centre=dash["work_centre"],
                             cycle_s=dash["cycle_s"])

    def close() -> None:
        app.aboutToQuit.disconnect(close)  # once: a later event loop in the same process must not run it again
        window.close()
        core.call(sync.stop)
        core.call(store.close)
        core.close()

    app.aboutToQuit.connect(close)
    if camera_settings is not None and start_camera is not None:
        camera, note = start_camera(camera_settings)
        if camera is not None:
            window.attach_camera(camera)
            app.aboutToQuit.connect(camera.stop)
        log.info("dashboard: %s", note)
    if args.windowed:
        window.resize(1920, 1080)
        window.show()
    else:
        window.showFullScreen()
    return app.exec()
