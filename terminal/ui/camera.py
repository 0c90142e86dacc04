"""Camera scans and preview frames into the UI thread as queued Qt signals."""

from __future__ import annotations

import cv2
import numpy as np

from terminal.decode.confirm import ConfirmedScan
from terminal.qt import QImage, QObject, Signal
from terminal.station.camera_scan import CameraScanner

PREVIEW_WIDTH, PREVIEW_HEIGHT = 360, 203  # a 16:9 box: a square or upright frame must not push the work list down


def preview_image(image: np.ndarray) -> QImage:
    """A camera frame (BGR or grey) scaled to fit the preview box, as a QImage that owns its pixels. Live, a
    square frame grew the scan page's top to 370 px and the work list showed two rows instead of four."""
    h, w = image.shape[:2]
    scale = min(PREVIEW_WIDTH / max(1, w), PREVIEW_HEIGHT / max(1, h))
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB) if small.ndim == 3 else cv2.cvtColor(small, cv2.COLOR_GRAY2RGB)
    rgb = np.ascontiguousarray(rgb)
    return QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888).copy()


class CameraBridge(QObject):
    """Owns the scan loop; ``scanned`` and ``preview`` are emitted from its thread, delivered queued."""

    scanned = Signal(str)
    preview = Signal(QImage)
    stopped = Signal(str)  # why the camera loop ended

    def __init__(self) -> None:
        super().__init__()
        self.scanner: CameraScanner | None = None

    def attach(self, scanner: CameraScanner) -> None:
        scanner.on_scan = self._scan
        scanner.on_frame = self._frame
        scanner.on_stopped = self.stopped.emit
        self.scanner = scanner

    def _scan(self, scan: ConfirmedScan) -> None:
        self.scanned.emit(scan.text)

    def _frame(self, image: np.ndarray) -> None:
        self.preview.emit(preview_image(image))

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
