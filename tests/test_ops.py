"""The one off-UI-thread runner (sync.ops) and the apps that use it: a failure is logged with its
traceback, shown in a plain sentence, and never leaves an app busy."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync.errors import StoreError
from sync.ops import OpRunner, plain_message


class Pump:
    """A stand-in UI thread: posted callables wait here until the test runs them."""

    def __init__(self) -> None:
        self.posted: queue.Queue[Callable[[], None]] = queue.Queue()
        self.closed = False

    def post(self, function: Callable[[], None]) -> None:
        if self.closed:
            raise RuntimeError("the UI is gone")
        self.posted.put(function)

    def drain(self, runner: OpRunner, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not runner.idle:
            assert time.monotonic() < deadline, "the runner stayed busy"
            try:
                self.posted.get(timeout=0.05)()
            except queue.Empty:
                pass


def make(pump: Pump) -> tuple[OpRunner, list[str]]:
    shown: list[str] = []
    return OpRunner(pump.post, lambda message, _exc: shown.append(message), name="test-ops"), shown


def test_success_comes_back_through_the_post_callable() -> None:
    pump = Pump()
    runner, shown = make(pump)
    got: list[int] = []
    runner.run(lambda: 6 * 7, got.append)
    pump.drain(runner)
    assert got == [42] and shown == [] and runner.idle
    runner.close()


def test_a_failure_is_logged_with_its_traceback_and_shown_plainly(caplog: pytest.LogCaptureFixture) -> None:
    pump = Pump()
    runner, shown = make(pump)
    with caplog.at_level(logging.ERROR, logger="sync.ops"):
        runner.run(lambda: {}["missing"], what="reading the thing")
        runner.run(lambda: (_ for _ in ()).throw(StoreError("disk full", where="/data/x.db", fix="free space")))
        pump.drain(runner)
    assert shown[0] == "Something went wrong (KeyError); the details are in the log"
    assert shown[1] == "/data/x.db: disk full (free space)"
    logged = [r for r in caplog.records if r.exc_info]
    assert [r.exc_info[0] for r in logged] == [KeyError, StoreError]  # type: ignore[index]
    assert "reading the thing failed" in logged[0].getMessage()
    runner.close()


def test_a_failing_callback_is_shown_and_still_releases_busy(caplog: pytest.LogCaptureFixture) -> None:
    pump = Pump()
    runner, shown = make(pump)

    def broken(_result: object) -> None:
        raise ValueError("bad draw")

    with caplog.at_level(logging.ERROR, logger="sync.ops"):
        runner.run(lambda: 1, broken)
        pump.drain(runner)
    assert runner.idle and shown == ["Something went wrong (ValueError); the details are in the log"]
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)
    runner.close()


def test_a_caller_failure_handler_replaces_the_default_and_the_ui_gone_releases_busy() -> None:
    pump = Pump()
    runner, shown = make(pump)
    seen: list[BaseException] = []
    runner.run(lambda: 1 / 0, failure=seen.append)
    pump.drain(runner)
    assert isinstance(seen[0], ZeroDivisionError) and shown == []
    pump.closed = True  # the app quits while work is in flight: nothing to tell, nothing stuck
    runner.run(lambda: 1)
    deadline = time.monotonic() + 5
    while not runner.idle and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.idle
    runner.close()
    assert runner.run(lambda: 1) is False and runner.idle


def test_plain_message_names_the_file_of_an_os_error() -> None:
    assert plain_message(PermissionError(13, "Permission denied", "/data/receipts")) == \
        "Permission denied (/data/receipts)"


# --- the apps ----------------------------------------------------------------------------------------

pytest.importorskip("PySide6")


def test_the_station_logs_an_unexpected_error_and_shows_it(qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    from sync.settings import load
    from sync.station.ledger import MemoryLedger
    from terminal.app import build_session, build_window, memory_link
    from terminal.qt import QApplication

    settings = load(environ={"FLOORLINK_STATION_SOUND": "0", "FLOORLINK_NODE_DEVICE_ID": "ST-ASM-1"})
    ledger = MemoryLedger()
    session = build_session(settings, ledger)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    win, wedge = build_window(settings, session, memory_link(ledger), app)
    qtbot.addWidget(win)
    try:
        assert win.wait_idle()

        def crash() -> None:
            raise KeyError("operation 0042")

        with caplog.at_level(logging.ERROR):
            win.run(crash)
            assert win.wait_idle()
        assert win.feedback.text() == "Something went wrong (KeyError); the details are in the log"
        assert win.feedback.property("tone") == "error"
        assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records), "the traceback is logged"
    finally:
        app.removeEventFilter(wedge)
        win.close()


def test_the_dashboard_shows_and_logs_a_read_that_crashes(qtbot: Any, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    from tests.test_dashboard_ui import open_screen

    screen = open_screen(qtbot, tmp_path)
    win = screen.win
    try:
        assert win.wait_idle()

        def crash() -> Any:
            raise RuntimeError("cache row of an unknown shape")

        win.model.read = crash  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR):
            win.core.request_read()
            assert win.wait_idle()
        assert win.banner.isVisible()
        assert win.banner.text().startswith("Cannot read the local cache: Something went wrong (RuntimeError)")
        assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
    finally:
        win.close()


def test_a_catalog_read_that_crashes_does_not_leave_the_watcher_busy(qtbot: Any, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    import kiosk.catalog_watch as catalog_watch
    from kiosk.events import MemorySink
    from kiosk.flow import KioskModel, Screen

    def crash(_path: Path) -> Any:
        raise MemoryError("catalog too large")

    monkeypatch.setattr(catalog_watch, "read_source", crash)
    model = KioskModel(None, MemorySink())
    watcher = catalog_watch.CatalogWatcher(model, tmp_path)
    with caplog.at_level(logging.ERROR):
        assert watcher.check()
        qtbot.waitUntil(lambda: not watcher.busy, timeout=5000)
    assert model.screen == Screen.OUT_OF_SERVICE and not model.loading
    assert model.catalog_problem == f"catalog {tmp_path}: Something went wrong (MemoryError); the details are in the log"
    assert any(r.exc_info and r.exc_info[0] is MemoryError for r in caplog.records)
    watcher.stop()
