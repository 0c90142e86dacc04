"""Camera scanning at the station: real rendered label images through D's image-folder source,
capture thread, decode chain and ScanConfirmer into the terminal, never blocking the UI thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from sync import labels
from sync.errors import SettingsError
from sync.labels import BadgeLabel, WorkOrderLabel
from sync.settings import load
from sync.station.ledger import MemoryLedger
from terminal.app import build_session, build_window, memory_link, source_settings, start_camera
from terminal.decode.chain import DecodeChain
from terminal.decode.sources import CaptureWorker, ImageFolderSource
from terminal.qt import QApplication, Qt
from terminal.station.camera_scan import CameraScanner
from terminal.station.demo import write_demo_frames
from terminal.station.label_images import bench, label_frame
from terminal.ui.camera import CameraBridge
from terminal.ui.window import StationWindow


@pytest.fixture
def label_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "frames"
    folder.mkdir()
    shots = [
        label_frame(labels.format(BadgeLabel("E-0042")), "QRCode", 1),
        bench(2),
        label_frame(labels.format(WorkOrderLabel("WO-1001", 10)), "Code128", 3),
        bench(4),
    ]
    for i, image in enumerate(shots):
        cv2.imwrite(str(folder / f"{i:02d}.png"), image)
    return folder


@pytest.fixture
def window(qtbot, clock_free_ledger: MemoryLedger) -> Iterator[StationWindow]:  # type: ignore[no-untyped-def]
    settings = load(environ={"FLOORLINK_STATION_DEMO_WORK_ORDERS": "1", "FLOORLINK_STATION_SOUND": "0"})
    session = build_session(settings, clock_free_ledger)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    win, wedge = build_window(settings, session, memory_link(clock_free_ledger), app)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    app.removeEventFilter(wedge)


@pytest.fixture
def clock_free_ledger() -> MemoryLedger:
    return MemoryLedger()


def test_camera_scans_badge_then_work_order_and_the_worker_starts(
    qtbot, window: StationWindow, label_folder: Path, clock_free_ledger: MemoryLedger, artifacts: Path  # type: ignore[no-untyped-def]
) -> None:
    bridge = CameraBridge()
    scanner = CameraScanner(CaptureWorker(ImageFolderSource(label_folder, repeat=4), fps=20),
                            DecodeChain(formats=("Code128", "QRCode")), lambda _s: None)
    bridge.attach(scanner)
    window.attach_camera(bridge)
    ui_thread = threading.get_ident()
    seen_in: list[int] = []
    bridge.scanned.connect(lambda _t: seen_in.append(threading.get_ident()))
    scanner.start()
    try:
        qtbot.waitUntil(lambda: window.session.selection is not None, timeout=20_000)
        # the screen follows the session on the next drawn snapshot (drawing is asynchronous)
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.op_page, timeout=10_000)
    finally:
        bridge.stop()
    assert window.session.worker is not None and window.session.worker.badge == "E-0042"
    assert window.stack.currentWidget() is window.op_page
    assert "WO-1001" in window.op_page.work_order.value.text()
    assert seen_in and set(seen_in) == {ui_thread}  # delivered queued, into the UI thread
    assert scanner.frames >= 4
    assert not window.login_page.preview.pixmap().isNull()
    window.grab().save(str(artifacts / "terminal_11_camera_scanned.png"))
    qtbot.mouseClick(window.op_page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.idle)
    assert [t for t, _ in clock_free_ledger.outbox] == ["op.started"]


def test_ui_thread_stays_responsive_while_the_camera_decodes(qtbot, window: StationWindow, label_folder: Path) -> None:  # type: ignore[no-untyped-def]
    bridge = CameraBridge()
    scanner = CameraScanner(CaptureWorker(ImageFolderSource(label_folder, repeat=3, loop=True), fps=None),
                            DecodeChain(formats=("Code128", "QRCode")), lambda _s: None)
    bridge.attach(scanner)
    window.attach_camera(bridge)
    scanner.start()
    gaps = []
    try:
        last = time.perf_counter()
        for _ in range(40):
            qtbot.wait(10)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
    finally:
        bridge.stop()
    assert scanner.frames > 5
    assert max(gaps) < 0.25, f"UI thread stalled for {max(gaps) * 1000:.0f} ms"


def test_source_option_selects_folder_video_camera_or_none(tmp_path: Path) -> None:
    settings = load(environ={})
    assert source_settings(settings, f"folder:{tmp_path}").get("camera.source") == str(tmp_path)  # type: ignore[union-attr]
    assert source_settings(settings, "camera").get("camera.source") == ""  # type: ignore[union-attr]
    assert source_settings(settings, "none") is None
    with pytest.raises(SettingsError, match="not understood"):
        source_settings(settings, "webcam")
    with pytest.raises(SettingsError, match="no such folder"):
        source_settings(settings, f"folder:{tmp_path / 'missing'}")


def test_a_folder_without_images_leaves_the_wedge_scanner_working(tmp_path: Path) -> None:
    settings = source_settings(load(environ={}), f"folder:{tmp_path}")
    bridge, note = start_camera(settings)
    assert bridge is None and "no image files" in note


def test_start_camera_from_settings_reads_the_folder(qtbot, label_folder: Path) -> None:  # type: ignore[no-untyped-def]
    bridge, note = start_camera(source_settings(load(environ={}), f"folder:{label_folder}"))
    assert bridge is not None and str(label_folder) in note
    texts: list[str] = []
    bridge.scanned.connect(texts.append)
    try:
        qtbot.waitUntil(lambda: len(texts) >= 2, timeout=20_000)
    finally:
        bridge.stop()
    assert texts[:2] == [labels.format(BadgeLabel("E-0042")), labels.format(WorkOrderLabel("WO-1001", 10))]


def test_demo_frames_drive_the_station_from_login_to_the_first_operation(
    qtbot, window: StationWindow, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    frames = write_demo_frames(tmp_path / "demo")
    assert len(frames) == 2 * (1 + 5)
    bridge, note = start_camera(source_settings(load(environ={}), f"folder:{tmp_path / 'demo'}"))
    assert bridge is not None, note
    window.attach_camera(bridge)
    try:
        qtbot.waitUntil(lambda: window.session.selection is not None, timeout=20_000)
        # the screen follows the session on the next drawn snapshot (drawing is asynchronous)
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.op_page, timeout=10_000)
    finally:
        bridge.stop()
    assert window.session.worker is not None and window.session.worker.name == "Li Wei"
    assert window.session.selection is not None and window.session.selection.work_order == "WO-1001"


def test_when_the_camera_source_ends_the_screen_says_so_and_the_wedge_still_works(
    qtbot, window: StationWindow, label_folder: Path, artifacts: Path  # type: ignore[no-untyped-def]
) -> None:
    bridge = CameraBridge()
    scanner = CameraScanner(CaptureWorker(ImageFolderSource(label_folder, repeat=1), fps=50),
                            DecodeChain(formats=("Code128", "QRCode")), lambda _s: None)
    bridge.attach(scanner)
    window.attach_camera(bridge)
    scanner.start()
    try:
        qtbot.waitUntil(lambda: "Camera source ended" in window.login_page.preview.text(), timeout=20_000)
    finally:
        bridge.stop()
    assert "hand scanner" in window.scan_page.preview.text()
    window.grab().save(str(artifacts / "terminal_16_camera_stopped.png"))
    qtbot.keyClicks(window, labels.format(BadgeLabel("E-0007")))
    qtbot.keyClick(window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.worker is not None and window.session.worker.badge == "E-0007")


@pytest.mark.parametrize("shape", [(1080, 1920, 3), (800, 800, 3), (1920, 1080, 3), (480, 640)])
def test_a_preview_fits_its_box_whatever_the_frame_shape(shape: tuple[int, ...]) -> None:
    """Live: a square frame made the preview 360×370 and pushed the work list half off the scan page."""
    from terminal.ui.camera import PREVIEW_HEIGHT, PREVIEW_WIDTH, preview_image

    image = preview_image(np.zeros(shape, dtype=np.uint8))
    assert image.width() <= PREVIEW_WIDTH and image.height() <= PREVIEW_HEIGHT
    assert image.width() == PREVIEW_WIDTH or image.height() == PREVIEW_HEIGHT, "it fills the box one way"
    assert abs(image.width() / image.height() - shape[1] / shape[0]) < 0.02, "the frame keeps its proportions"
