"""The camera scan loop off the UI thread: newest frame → decode chain → ScanConfirmer → callback.

The capture itself runs in D's :class:`CaptureWorker` thread; this loop runs in a second thread so
decoding never blocks the screen. Confirmed scans and (throttled) preview frames go out through
callbacks; the Qt layer turns them into queued signals. No Qt here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from terminal.decode.chain import DecodeChain
from terminal.decode.confirm import ConfirmedScan, ScanConfirmer
from terminal.decode.sources import CaptureWorker

log = logging.getLogger(__name__)


class CameraScanner:
    def __init__(
        self,
        capture: CaptureWorker,
        chain: DecodeChain,
        on_scan: Callable[[ConfirmedScan], None],
        *,
        confirmer: ScanConfirmer | None = None,
        on_frame: Callable[[np.ndarray], None] | None = None,
        on_stopped: Callable[[str], None] | None = None,
        preview_every_s: float = 0.2,
    ) -> None:
        self.capture = capture
        self.chain = chain
        self.confirmer = confirmer or ScanConfirmer()
        self.on_scan = on_scan
        self.on_frame = on_frame
        self.on_stopped = on_stopped  # told why the loop ended (source error, end of a file source)
        self.preview_every_s = preview_every_s
        self.frames = 0
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera scan", daemon=True)

    def start(self) -> CameraScanner:
        self.capture.start()
        self._thread.start()
        return self

    def _run(self) -> None:
        last_preview = 0.0
        try:
            while not self._stop.is_set():
                frame = self.capture.latest(timeout=0.2)
                if frame is None:
                    if self.capture.finished.is_set():
                        self.error = self.capture.error
                        if self.on_stopped is not None and not self._stop.is_set():
                            self.on_stopped(f"camera stopped: {self.error}" if self.error else "camera source ended")
                        return
                    continue
                self.frames += 1
                if self.on_frame is not None and time.monotonic() - last_preview >= self.preview_every_s:
                    last_preview = time.monotonic()
                    self.on_frame(frame.image)
                for scan in self.confirmer.feed_frame(self.chain.decode(frame.image)):
                    self.on_scan(scan)
        except Exception as error:  # noqa: BLE001 - kept for the screen to show; the thread ends cleanly
            log.error("camera scan loop stopped", exc_info=error)
            self.error = error
            if self.on_stopped is not None:
                self.on_stopped(f"camera stopped: {error}")

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.capture.stop()
