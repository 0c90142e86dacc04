"""One way to run work off an app's UI thread (like Anki's ``CollectionOp``), with one error rule.

``OpRunner(post, on_failure)`` runs ``work`` on its own worker thread(s); afterwards, on the UI
thread (through ``post``, which each app's Qt shim provides), it calls ``success(result)`` — or,
when ``work`` raised, logs the traceback and calls ``failure(exc)`` (the caller's, or the app's
default that shows a plain sentence on screen). The busy count is released after the callback
in every case, even when the callback itself fails or the app is closing, so "busy" never sticks.

It lives in ``sync`` (Qt-free, both apps may import it) and takes the "post to the UI thread"
callable from outside, because kiosk and terminal may not import each other and sync may not import Qt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sync.errors import FloorLinkError

T = TypeVar("T")

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]
"""Run a callable on the UI thread soon (from any thread); raises RuntimeError once the UI is gone."""


def plain_message(exc: BaseException) -> str:
    """One sentence a person can act on: FloorLink errors say what, where and the fix; anything else
    is named as unexpected with a pointer to the log (the traceback is there, not on screen)."""
    if isinstance(exc, FloorLinkError):
        return exc.message
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"Something went wrong ({type(exc).__name__}); the details are in the log"


class OpRunner:
    """``runner.run(work, success, failure, what=...)`` from the UI thread; callbacks come back on it."""

    def __init__(self, post: Post, on_failure: Callable[[str, BaseException], None], *,
                 name: str = "ops", workers: int = 1, logger: logging.Logger | None = None) -> None:
        self._post = post
        self._on_failure = on_failure
        self._log = logger or log
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False

    @property
    def pending(self) -> int:
        """Ops started whose callback has not finished yet."""
        with self._lock:
            return self._pending

    @property
    def idle(self) -> bool:
        return self.pending == 0

    def run(self, work: Callable[[], T], success: Callable[[T], None] | None = None,
            failure: Callable[[BaseException], None] | None = None, *, what: str = "") -> bool:
        """Start ``work`` off the UI thread; False (nothing started) once the runner is closed."""
        with self._lock:
            if self._closed:
                return False
            self._pending += 1
        label = what or getattr(work, "__name__", "work")

        def job() -> None:
            try:
                result: Any = work()
            except BaseException as exc:  # noqa: BLE001 - logged here, shown on screen by the callback
                self._log.error("%s failed", label, exc_info=exc)
                error = exc  # ``exc`` is unbound after the except block; the callback runs later
                self._deliver(lambda: self._fail(failure, error))
                return
            self._deliver(lambda: success(result) if success is not None else None)

        try:
            self._pool.submit(job)
        except RuntimeError:  # shut down meanwhile
            self._release()
            return False
        return True

    def _fail(self, failure: Callable[[BaseException], None] | None, exc: BaseException) -> None:
        if failure is not None:
            failure(exc)
        else:
            self._on_failure(plain_message(exc), exc)

    def _deliver(self, callback: Callable[[], None]) -> None:
        def on_ui() -> None:
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - a broken callback must not stick "busy" or kill the loop
                self._log.error("callback after background work failed", exc_info=exc)
                try:
                    self._on_failure(plain_message(exc), exc)
                except Exception:  # noqa: BLE001 - the screen itself failed: the log has it
                    self._log.exception("showing a failure failed")
            finally:
                self._release()

        try:
            self._post(on_ui)
        except RuntimeError:  # the UI is gone (app quitting): nobody left to tell
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1

    def call(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the worker and wait for it (start-up: opening a store on the thread that keeps it)."""
        return self._pool.submit(work).result()

    def close(self, wait: bool = True) -> None:
        """Finish what is queued and stop; later :meth:`run` calls start nothing."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait)
