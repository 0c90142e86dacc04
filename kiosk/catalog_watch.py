"""Keeping the kiosk's catalog current: load it off the UI thread, then look for changes.

A changed catalog is read in the background; a good one reaches the model, which applies it
between customer sessions; a broken one keeps the last good catalog (or puts the kiosk out of
service when there is none).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.catalog_source import fingerprint, read_source
from kiosk.flow import KioskModel
from kiosk.qt import QObject, QRunnable, QThreadPool, QTimer, Signal

if TYPE_CHECKING:
    from sync.catalog import Catalog


class _Load(QRunnable):
    def __init__(self, path: Path, watcher: CatalogWatcher) -> None:
        super().__init__()
        self.path = path
        self.watcher = watcher

    def run(self) -> None:
        result = read_source(self.path)
        try:
            self.watcher.loaded.emit(*result)
        except RuntimeError:  # the app quit while this read: nobody is left to tell
            pass


class CatalogWatcher(QObject):
    """``CatalogWatcher(model, path).start()``: first load now, then a check every ``interval_ms``."""

    loaded = Signal(object, object, object)

    def __init__(self, model: KioskModel, path: Path, interval_ms: int = 30_000) -> None:
        super().__init__()
        self.model = model
        self.path = path
        self.busy = False
        self._seen: tuple[int, int, int] | None = None
        self.loaded.connect(self._apply)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)

    def start(self) -> CatalogWatcher:
        self.check()
        self.timer.start()
        return self

    def stop(self) -> None:
        self.timer.stop()

    def check(self) -> bool:
        """Load the catalog if it changed since the last load; True when a load started."""
        current = fingerprint(self.path)
        if self.busy or current == self._seen:
            return False
        self._seen = current
        self.busy = True
        QThreadPool.globalInstance().start(_Load(self.path, self))
        return True

    def _apply(self, catalog: Catalog | None, revisions: dict[str, int], problem: str | None) -> None:
        self.busy = False
        if catalog is not None:
            self.model.set_catalog(catalog, revisions)
        else:
            self.model.set_catalog_problem(problem or "catalog not readable")
