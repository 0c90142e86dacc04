"""Starting the kiosk: settings, style, fonts, the window, then the store, sync and the catalog.

The first screen shows at once; the catalog loads in the background and the attract screen
becomes usable when it is in. A missing or broken catalog puts the kiosk out of service.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.catalog_source import read_catalog, read_source
from kiosk.catalog_watch import CatalogWatcher
from kiosk.events import EventSink, MemorySink
from kiosk.flow import KioskModel
from kiosk.qt import QApplication, QFont, QFontDatabase
from kiosk.window import KioskWindow

if TYPE_CHECKING:  # heavy: imported once the first screen shows
    from kiosk.link import SyncLink
    from sync.settings import Settings
from sync import logs
from sync import settings as settings_module
from sync.errors import FloorLinkError
from sync.numbers import order_prefix

REPO = Path(__file__).resolve().parent.parent
STYLE = REPO / "assets" / "styles" / "kiosk.qss"
FONT_FAMILIES = ["Noto Sans", "DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Droid Sans Fallback"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kiosk", description="FloorLink in-store configurator")
    parser.add_argument("--config", help="settings TOML file (see docs/settings.md)")
    parser.add_argument("--catalog", help="catalog folder (default: the kiosk.catalog_folder setting)")
    parser.add_argument("--windowed", action="store_true", help="a 1280x800 window instead of fullscreen")
    parser.add_argument("--no-sync", action="store_true",
                        help="keep events in memory, no store and no broker (demos, benchmarks)")
    logs.add_log_argument(parser)
    parser.add_argument("--quit-after-ms", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--report-ready", action="store_true",
                        help="print READY with timings once the first interactive screen shows, then quit (bench)")
    return parser.parse_args(argv)


def style_application(app: QApplication) -> None:
    """Load the QSS and a font list with a CJK fallback so Chinese never shows as boxes.

    Idempotent: setting the same style sheet or font again re-polishes every widget the application
    has, which made each test's new window slower than the last."""
    if STYLE.is_file():
        sheet = STYLE.read_text(encoding="utf-8")
        if app.styleSheet() != sheet:
            app.setStyleSheet(sheet)
    available = set(QFontDatabase.families())
    families = [f for f in FONT_FAMILIES if f in available] or [app.font().family()]
    font = QFont()
    font.setFamilies(families)
    font.setPixelSize(22)
    if app.font() != font:
        app.setFont(font)


def resident_mb() -> float:
    """This process's resident memory in MB, for the benchmark line (no psutil on a kiosk: benchmarks only)."""
    import os
    import resource

    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):  # not Linux: the peak is the nearest figure
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def report_ready(app: QApplication, window: KioskWindow, model: KioskModel, shown_at: float) -> None:
    """Print when the first screen painted and when the attract screen took taps, then quit."""
    from kiosk.qt import QTimer

    marks: dict[str, float] = {"first_screen": shown_at}

    def mark(name: str) -> None:
        if name not in marks:
            marks[name] = time.time()

    def check() -> None:
        mark("first_screen")
        if model.catalog is not None or model.catalog_problem or model.blocked:
            window.repaint()
            mark("interactive")
            rss = resident_mb()
            print(f"READY first_screen={marks['first_screen']:.6f} interactive={marks['interactive']:.6f} "
                  f"rss_mb={rss:.1f} problem={model.blocked or model.catalog_problem or ''}", flush=True)
            app.quit()
        else:
            QTimer.singleShot(5, check)

    QTimer.singleShot(0, check)


def open_link(model: KioskModel, config: Settings, data_dir: Path) -> SyncLink | None:
    """The order store and EdgeSync; without a store the kiosk takes no orders (out of service)."""
    from kiosk.link import SyncLink

    try:
        link = SyncLink.open(model, config, data_dir)
    except FloorLinkError as exc:
        logging.getLogger("kiosk").error("no order store, taking no orders: %s", exc.message)
        model.block(f"order store: {exc.message}")
        return None
    model.sink = link.sink()
    model.status_source = link.read_status
    return link.start()


def main(argv: Sequence[str] | None = None, sink: EventSink | None = None) -> int:
    args = parse_args(argv)
    try:
        config = settings_module.load(args.config)
    except FloorLinkError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    folder = Path(args.catalog or config.get("kiosk.catalog_folder"))
    if not folder.is_absolute() and not folder.exists():
        folder = REPO / folder
    data_dir = Path(str(config.get("node.data_dir"))).expanduser()
    logs.setup(config.get("node.device_id"), config, level=args.log_level)
    if not config.get("kiosk.admin_pin_hash"):
        print("kiosk: no staff PIN is set, so the kiosk does not start: anyone could open the staff panel "
              "(customers' names and phones). Run `python -m sync.pin`, put the line it prints under [kiosk] "
              "in the settings file (kiosk.admin_pin_hash) and start again.", file=sys.stderr)
        logging.getLogger("kiosk").error("no staff PIN set (kiosk.admin_pin_hash): not starting")
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    style_application(app)
    model = KioskModel(None, MemorySink(), idle_timeout_s=config.get("kiosk.idle_timeout_s"),
                       admin_pin_hash=config.get("kiosk.admin_pin_hash"), language=config.get("node.language"),
                       number_prefix=order_prefix(config.get("node.device_id"), config.get("kiosk.order_prefix")),
                       shop_address=config.get("kiosk.shop_address"))
    window = KioskWindow(model, receipts=data_dir / "receipts", printer=config.get("kiosk.printer"))
    window.setWindowTitle("FloorLink kiosk")
    if args.windowed:
        window.resize(1280, 800)
        window.show()
    else:
        window.showFullScreen()
    window.repaint()  # the "one moment" screen is up before the heavy imports below
    shown_at = time.time()
    watcher = CatalogWatcher(model, folder).start()  # reads on the thread pool meanwhile
    link = None
    if sink is not None:
        model.sink = sink
    elif not args.no_sync:
        link = open_link(model, config, data_dir)
    if args.report_ready:
        report_ready(app, window, model, shown_at)
    if args.quit_after_ms:
        from kiosk.qt import QTimer

        QTimer.singleShot(args.quit_after_ms, app.quit)
    code = app.exec()
    watcher.stop()  # a catalog read in flight ends first
    window.ops.close(wait=True)  # so does an order or receipt write
    if link is not None:
        link.stop()
    return int(code)


__all__ = ["main", "read_catalog", "read_source", "style_application"]
