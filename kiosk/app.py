"""Starting the kiosk: settings, style, fonts, the catalog (loaded off the UI thread), the window.

The first screen shows at once; the catalog loads in the background and the attract screen
becomes usable when it is in. A missing or broken catalog puts the kiosk out of service.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.events import EventSink, MemorySink
from kiosk.flow import KioskModel
from kiosk.qt import QApplication, QFont, QFontDatabase, QObject, QRunnable, QThreadPool, Signal
from kiosk.window import KioskWindow

if TYPE_CHECKING:  # heavy: imported once the first screen shows
    from kiosk.link import SyncLink
    from sync.catalog import Catalog
    from sync.settings import Settings
from sync import settings as settings_module
from sync.errors import FloorLinkError

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
    parser.add_argument("--quit-after-ms", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--report-ready", action="store_true",
                        help="print READY with timings once the first interactive screen shows, then quit (bench)")
    return parser.parse_args(argv)


def read_catalog(folder: Path) -> tuple[Catalog | None, str | None]:
    """The catalog, or None and a one-line problem for the out-of-service screen."""
    catalog, _, problem = read_source(folder)
    return catalog, problem


def read_source(path: Path) -> tuple[Catalog | None, dict[str, int], str | None]:
    """``(catalog, revision number per product, problem)`` from a catalog folder (the editable
    draft: no revision numbers) or a catalog database file (the latest released revisions)."""
    from sync.catalog import CatalogInvalid, load_catalog

    try:
        if path.is_file():
            return _released(path)
        return load_catalog(path, deep=False), {}, None
    except CatalogInvalid as exc:
        first = exc.errors[0] if exc.errors else None
        return None, {}, f"catalog {path}: {first}" if first else exc.message
    except (FloorLinkError, OSError) as exc:
        return None, {}, f"catalog {path}: {exc}"


def _released(path: Path) -> tuple[Catalog | None, dict[str, int], str | None]:
    from sync.catalog import Catalog
    from sync.catalog.store import CatalogStore

    store = CatalogStore(path)
    try:
        released = store.released_products()
    finally:
        store.close()
    if not released:
        return None, {}, f"catalog {path}: no released product revision"
    products = {code: revision.product() for code, revision in released.items()}
    first = next(iter(products.values()))
    catalog = Catalog(name={"en": "FloorLink", "zh_CN": "FloorLink"}, currency=first.currency,
                      languages=("en", "zh_CN"), work_centres={}, items={}, assemblies={}, products=products)
    return catalog, {code: revision.number for code, revision in released.items()}, None


def style_application(app: QApplication) -> None:
    """Load the QSS and a font list with a CJK fallback so Chinese never shows as boxes."""
    if STYLE.is_file():
        app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    available = set(QFontDatabase.families())
    families = [f for f in FONT_FAMILIES if f in available] or [app.font().family()]
    font = QFont()
    font.setFamilies(families)
    font.setPixelSize(22)
    app.setFont(font)


class _CatalogLoaded(QObject):
    loaded = Signal(object, object, object)


class _LoadCatalog(QRunnable):
    def __init__(self, folder: Path, relay: _CatalogLoaded) -> None:
        super().__init__()
        self.folder = folder
        self.relay = relay

    def run(self) -> None:
        self.relay.loaded.emit(*read_source(self.folder))


def load_in_background(model: KioskModel, folder: Path) -> _CatalogLoaded:
    """Read the catalog on the thread pool and hand it to the model (keep the returned relay)."""
    relay = _CatalogLoaded()

    def apply(catalog: Catalog | None, revisions: dict[str, int], problem: str | None) -> None:
        if catalog is not None:
            model.set_catalog(catalog, revisions)
        else:
            model.set_catalog_problem(problem or "catalog not readable")

    relay.loaded.connect(apply)
    QThreadPool.globalInstance().start(_LoadCatalog(folder, relay))
    return relay


def report_ready(app: QApplication, window: KioskWindow, model: KioskModel, shown_at: float) -> None:
    """Print when the first screen painted and when the attract screen took taps, then quit."""
    import os

    import psutil

    from kiosk.qt import QTimer

    marks: dict[str, float] = {"first_screen": shown_at}

    def mark(name: str) -> None:
        if name not in marks:
            marks[name] = time.time()

    def check() -> None:
        mark("first_screen")
        if model.catalog is not None or model.catalog_problem:
            window.repaint()
            mark("interactive")
            rss = psutil.Process(os.getpid()).memory_info().rss / 1e6
            print(f"READY first_screen={marks['first_screen']:.6f} interactive={marks['interactive']:.6f} "
                  f"rss_mb={rss:.1f} problem={model.catalog_problem or ''}", flush=True)
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
        model.set_catalog_problem(f"order store: {exc.message}")
        return None
    model.sink = link.sink()
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
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    style_application(app)
    model = KioskModel(None, MemorySink(), idle_timeout_s=config.get("kiosk.idle_timeout_s"),
                       admin_pin=config.get("kiosk.admin_pin"), language=config.get("node.language"))
    window = KioskWindow(model, receipts=data_dir / "receipts")
    window.setWindowTitle("FloorLink kiosk")
    if args.windowed:
        window.resize(1280, 800)
        window.show()
    else:
        window.showFullScreen()
    window.repaint()  # the "one moment" screen is up before the heavy imports below
    shown_at = time.time()
    link = None
    if sink is not None:
        model.sink = sink
    elif not args.no_sync:
        link = open_link(model, config, data_dir)
    relay = load_in_background(model, folder) if not model.catalog_problem else None
    if args.report_ready:
        report_ready(app, window, model, shown_at)
    if args.quit_after_ms:
        from kiosk.qt import QTimer

        QTimer.singleShot(args.quit_after_ms, app.quit)
    code = app.exec()
    del relay
    if link is not None:
        link.stop()
    return int(code)
