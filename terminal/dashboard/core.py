"""The dashboard's core thread: every cache call (reads, acknowledgements) runs here, never on the UI thread.

Like Anki's aqt/operations: the inbox handler (sync thread) tells the cache a revision was written,
this core reads the new state off the UI thread and one Qt signal, :attr:`DashboardCore.changed`,
carries it to the screens, which repaint what changed. Requests arriving while a read is queued
merge into it, so a burst of events costs one read, not one per event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sync.errors import FloorLinkError
from terminal.dashboard.model import DashboardModel
from terminal.qt import QObject, Signal

T = TypeVar("T")


class DashboardCore(QObject):
    """``DashboardCore(model)``: :meth:`request_read` / :meth:`run` from anywhere, ``changed`` on the UI thread."""

    #: (DashboardState, set of changed parts), delivered on the UI thread after each read that found a change
    changed = Signal(object, object)
    #: why a read failed (the store locked, full or damaged), on the UI thread; the screen keeps its last state
    failed = Signal(str)
    _done = Signal(object, object)  # (then, result) of a :meth:`run` call, on the UI thread

    def __init__(self, model: DashboardModel | None = None, name: str = "dashboard-core") -> None:
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._queued = False
        self._target = 0
        self._pending = 0
        self._closed = False
        self.model: DashboardModel | None = None
        self._done.connect(self._finish)
        if model is not None:
            self.attach(model)

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the core thread and wait for it (start-up: opening the store, migrating)."""
        return self._pool.submit(function).result()

    def attach(self, model: DashboardModel) -> None:
        """Follow ``model``'s cache: each revision its inbox handlers write leads to one read."""
        self.model = model
        model.cache.listeners.append(self.request_read)

    # --- reads ------------------------------------------------------------------------------------
    def request_read(self, revision: int = 0) -> None:
        """Read the cache once ``revision`` is committed (any thread; merged with a read still queued)."""
        with self._lock:
            self._target = max(self._target, revision)
            if self._queued or self._closed:
                return
            self._queued = True
            self._pending += 1
        try:
            self._pool.submit(self._read)
        except RuntimeError:  # shut down meanwhile
            with self._lock:
                self._queued = False
                self._pending -= 1

    def _read(self) -> None:
        with self._lock:
            self._queued = False
            target = self._target
        try:
            model = self.model
            if model is None:
                return
            if target:
                model.cache.wait_visible(target)
            state, parts = model.read()
            if parts:
                self.changed.emit(state, parts)
        except FloorLinkError as exc:  # StoreError names the file and what to do; the next event tries again
            self.failed.emit(str(exc))
        finally:
            with self._lock:
                self._pending -= 1

    # --- commands -----------------------------------------------------------------------------------
    def run(self, call: Callable[[], Any], then: Callable[[Any], None] | None = None) -> None:
        """Run ``call`` on the core thread, then ``then(result or exception)`` on the UI thread and a read."""
        with self._lock:
            if self._closed:
                return
            self._pending += 1

        def job() -> None:
            try:
                result: object = call()
            except Exception as exc:  # noqa: BLE001 - shown on screen; the core thread must go on
                result = exc
            self._done.emit(then, result)
            self.request_read()  # before this job counts as done, so ``idle`` never lies in between
            with self._lock:
                self._pending -= 1

        self._pool.submit(job)

    def _finish(self, then: Callable[[Any], None] | None, result: object) -> None:
        if then is not None:
            then(result)

    @property
    def idle(self) -> bool:
        """Nothing queued or running on the core thread (tests, shutdown)."""
        with self._lock:
            return self._pending == 0

    def close(self) -> None:
        """Finish what is queued and stop the thread; later requests are ignored."""
        with self._lock:
            self._closed = True
        if self.model is not None and self.request_read in self.model.cache.listeners:
            self.model.cache.listeners.remove(self.request_read)
        self._pool.shutdown(wait=True)

