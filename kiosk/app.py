"""Starting the kiosk: settings, style, fonts, the catalog (loaded off the UI thread), the window.

The first screen shows at once; the catalog loads in the background and the attract screen
becomes usable when it is in. A missing or broken catalog puts the kiosk out of service.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.events import EventSink, MemorySink
from kiosk.flow import KioskModel
from kiosk.qt import QApplication, QFont, QFontDatabase, QObject, QRunnable, QThreadPool, Signal
from kiosk.window import KioskWindow
from sync import settings as settings_module
from sync.catalog import Catalog, CatalogInvalid, load_catalog
from sync.errors import FloorLinkError

REPO = Path(__file__).resolve().parent.parent
STYLE = REPO / "assets" / "styles" / "kiosk.qss"
FONT_FAMILIES = ["Noto Sans", "DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Droid Sans Fallback"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kiosk", description="FloorLink in-store configurator")
    parser.add_argument("--config", help="settings TOML file (see docs/settings.md)")
    parser.add_argument("--catalog", help="catalog folder (default: the kiosk.catalog_folder setting)")
    parser.add_argument("--windowed", action="store_true", help="a 1280x800 window instead of fullscreen")
    parser.add_argument("--quit-after-ms", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def read_catalog(folder: Path) -> tuple[Catalog | None, str | None]:
    """The catalog, or None and a one-line problem for the out-of-service screen."""
    try:
        return load_catalog(folder, deep=False), None
    except CatalogInvalid as exc:
        first = exc.errors[0] if exc.errors else None
        return None, f"catalog {folder}: {first}" if first else exc.message
    except (FloorLinkError, OSError) as exc:
        return None, f"catalog {folder}: {exc}"


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
    loaded = Signal(object, object)


class _LoadCatalog(QRunnable):
    def __init__(self, folder: Path, relay: _CatalogLoaded) -> None:
        super().__init__()
        self.folder = folder
        self.relay = relay

    def run(self) -> None:
        catalog, problem = read_catalog(self.folder)
        self.relay.loaded.emit(catalog, problem)


def load_in_background(model: KioskModel, folder: Path) -> _CatalogLoaded:
    """Read the catalog on the thread pool and hand it to the model (keep the returned relay)."""
    relay = _CatalogLoaded()

    def apply(catalog: Catalog | None, problem: str | None) -> None:
        if catalog is not None:
            model.set_catalog(catalog)
        else:
            model.set_catalog_problem(problem or "catalog not readable")

    relay.loaded.connect(apply)
    QThreadPool.globalInstance().start(_LoadCatalog(folder, relay))
    return relay


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
    model = KioskModel(None, sink or MemorySink(), idle_timeout_s=config.get("kiosk.idle_timeout_s"),
                       admin_pin=config.get("kiosk.admin_pin"), language=config.get("node.language"))
    window = KioskWindow(model, receipts=data_dir / "receipts")
    window.setWindowTitle("FloorLink kiosk")
    if args.windowed:
        window.resize(1280, 800)
        window.show()
    else:
        window.showFullScreen()
    relay = load_in_background(model, folder)
    if args.quit_after_ms:
        from kiosk.qt import QTimer

        QTimer.singleShot(args.quit_after_ms, app.quit)
    code = app.exec()
    del relay
    return int(code)
