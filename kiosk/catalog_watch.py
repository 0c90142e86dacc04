"""Keeping the kiosk's catalog current: load it off the UI thread, then look for changes.

A changed catalog is read in the background; a good one reaches the model, which applies it
between customer sessions; a broken one keeps the last good catalog (or puts the kiosk out of
service when there is none).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.catalog_source import fingerprint, read_source
from kiosk.flow import KioskModel
from kiosk.qt import QObject, QTimer, ui_post
from sync.ops import OpRunner

if TYPE_CHECKING:
    from sync.catalog import Catalog

log = logging.getLogger(__name__)


class CatalogWatcher(QObject):
    """``CatalogWatcher(model, path).start()``: first load now, then a check every ``interval_ms``."""

    def __init__(self, model: KioskModel, path: Path, interval_ms: int = 30_000) -> None:
        super().__init__()
        self.model = model
        self.path = path
        self.busy = False
        self._seen: tuple[int, int, int] | None = None
        self.ops = OpRunner(ui_post(self), self._failed, name="kiosk-catalog", logger=log)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)

    def start(self) -> CatalogWatcher:
        self.check()
        self.timer.start()
        return self

    def stop(self) -> None:
        """No more checks; a read in flight ends first."""
        self.timer.stop()
        self.ops.close(wait=True)

    def check(self) -> bool:
        """Load the catalog if it changed since the last load; True when a load started."""
        current = fingerprint(self.path)
        if self.busy or current == self._seen:
            return False
        self._seen = current
        self.busy = True
        if not self.ops.run(lambda: read_source(self.path), lambda result: self._apply(*result), what="catalog read"):
            self.busy = False
            return False
        return True

    def _apply(self, catalog: Catalog | None, revisions: dict[str, int], problem: str | None) -> None:
        self.busy = False
        if catalog is not None:
            self.model.set_catalog(catalog, revisions)
        else:
            self.model.set_catalog_problem(problem or "catalog not readable")

    def _failed(self, message: str, _exc: BaseException) -> None:
        """The read itself crashed (the log has the traceback): like a broken catalog, the last good
        one stays (none yet: out of service, saying why) and the next change is read again."""
        self._apply(None, {}, f"catalog {self.path}: {message}")
