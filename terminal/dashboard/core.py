"""The dashboard's core thread: every cache call (reads, acknowledgements) runs here, never on the UI thread.

Like Anki's aqt/operations: the inbox handler (sync thread) tells the cache a revision was written,
this core reads the new state off the UI thread and one Qt signal, :attr:`DashboardCore.changed`,
carries it to the screens, which repaint what changed. Requests arriving while a read is queued
merge into it, so a burst of events costs one read, not one per event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sync.ops import OpRunner
from terminal.dashboard.model import DashboardModel, DashboardState
from terminal.qt import QObject, Signal, ui_post

T = TypeVar("T")

log = logging.getLogger(__name__)


class DashboardCore(QObject):
    """``DashboardCore(model)``: :meth:`request_read` / :meth:`run` from anywhere, ``changed`` on the UI thread."""

    #: (DashboardState, set of changed parts), delivered on the UI thread after each read that found a change
    changed = Signal(object, object)
    #: why a read failed (the store locked, full or damaged), on the UI thread; the screen keeps its last state
    failed = Signal(str)

    def __init__(self, model: DashboardModel | None = None, name: str = "dashboard-core") -> None:
        super().__init__()
        self.ops = OpRunner(ui_post(self), lambda message, _exc: self.failed.emit(message), name=name, logger=log)
        """The one core thread (sync.ops): failures are logged with their traceback and reach ``failed``."""
        self._lock = threading.Lock()
        self._queued = False
        self._target = 0
        self.model: DashboardModel | None = None
        if model is not None:
            self.attach(model)

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the core thread and wait for it (start-up: opening the store, migrating)."""
        return self.ops.call(function)

    def attach(self, model: DashboardModel) -> None:
        """Follow ``model``'s cache: each revision its inbox handlers write leads to one read."""
        self.model = model
        model.cache.listeners.append(self.request_read)

    # --- reads ------------------------------------------------------------------------------------
    def request_read(self, revision: int = 0) -> None:
        """Read the cache once ``revision`` is committed (any thread; merged with a read still queued)."""
        with self._lock:
            self._target = max(self._target, revision)
            if self._queued:
                return
            self._queued = True
        if not self.ops.run(self._read, self._show, what="dashboard read"):  # closed meanwhile
            with self._lock:
                self._queued = False

    def _read(self) -> tuple[DashboardState, set[str]] | None:
        with self._lock:
            self._queued = False
            target = self._target
        model = self.model
        if model is None:
            return None
        if target:
            model.cache.wait_visible(target)
        return model.read()

    def _show(self, result: tuple[DashboardState, set[str]] | None) -> None:
        if result is not None and result[1]:
            self.changed.emit(*result)

    # --- commands -----------------------------------------------------------------------------------
    def run(self, call: Callable[[], Any], then: Callable[[Any], None] | None = None) -> None:
        """Run ``call`` on the core thread, then ``then(result or exception)`` on the UI thread and a read."""

        def finish(result: object) -> None:
            try:
                if then is not None:
                    then(result)
            finally:
                self.request_read()  # before this call counts as done, so ``idle`` never lies in between

        self.ops.run(call, finish, finish, what="dashboard command")

    @property
    def idle(self) -> bool:
        """Nothing queued or running on the core thread, nor waiting to be shown (tests, shutdown)."""
        return self.ops.idle

    def close(self) -> None:
        """Finish what is queued and stop the thread; later requests are ignored."""
        if self.model is not None and self.request_read in self.model.cache.listeners:
            self.model.cache.listeners.remove(self.request_read)
        self.ops.close(wait=True)
