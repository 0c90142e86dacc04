"""First run of a station: no settings file yet, so the camera waits for the pairing code the hub printed.

``python -m sync.hub enroll st-weld-2 --kind station ...`` prints a QR code; shown to this camera,
:func:`sync.pairing.pair` checks the site's CA certificate against it and writes the settings file,
and the terminal starts as that station. What the screen says for each outcome lives here (no Qt).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sync.pairing import DEVICE_CA, Pairing, PairingProblem, pair
from terminal.decode.chain import DecodeChain
from terminal.decode.sources import CaptureWorker
from terminal.station.texts import Msg

log = logging.getLogger(__name__)

TITLE = "Pair this station"
INSTRUCTION = "Hold the pairing code from the hub in front of the camera."
#: what a worker or technician reads for each refused code (sync.pairing.PairingProblem.code)
PROBLEMS = {
    "not_pairing": "That is not a pairing code. Show the code the hub printed for this station.",
    "wrong_kind": "That code is for another device. Show the code the hub printed for this station.",
    "no_ca": "The site's certificate is missing. Copy ca.crt from the hub to {path}, then show the code again.",
    "ca_mismatch": "The certificate here is not this site's. Copy ca.crt from this site's hub to {path}.",
}
PAIRED = "Paired as {device}. Starting…"


class FirstRun:
    """The pairing rule of the first-run screen: each scanned text either pairs the station or says why not."""

    def __init__(self, config_path: Path, ca_file: Path = Path(DEVICE_CA)) -> None:
        self.config_path = config_path
        self.ca_file = ca_file
        self.paired: Pairing | None = None
        self.message = Msg(INSTRUCTION)

    def offer(self, text: str) -> Msg:
        """Try one scanned text; the sentence to show (the settings file is written when it pairs)."""
        if self.paired is not None:
            return self.message
        try:
            self.paired = pair(text, self.config_path, kind="station", ca_file=self.ca_file)
            self.message = Msg(PAIRED, device=self.paired.device)
            log.info("paired as %s of site %s; settings written to %s", self.paired.device, self.paired.site,
                     self.config_path)
        except PairingProblem as problem:
            log.warning("pairing code refused: %s", problem)
            self.message = Msg(PROBLEMS[problem.code], path=str(self.ca_file))  # the detail is in the log
        return self.message


class CodeReader:
    """Camera frames -> decoded texts, off the UI thread (any QR text: the pairing code is not a label)."""

    def __init__(self, capture: CaptureWorker, chain: DecodeChain, on_text: Callable[[str], None],
                 on_frame: Callable[[np.ndarray], None] | None = None) -> None:
        self.capture, self.chain, self.on_text, self.on_frame = capture, chain, on_text, on_frame
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pairing scan", daemon=True)

    def start(self) -> CodeReader:
        self.capture.start()
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                frame = self.capture.latest(timeout=0.2)
                if frame is None:
                    if self.capture.finished.is_set():
                        return
                    continue
                if self.on_frame is not None:
                    self.on_frame(frame.image)
                texts = {code.text for code in self.chain.decode(frame.image)}
                for text in texts - self._seen:  # once per time it comes into view
                    self.on_text(text)
                self._seen = texts
        except Exception:  # noqa: BLE001 - the screen keeps its last sentence; the log has the traceback
            log.exception("pairing scan loop stopped")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.capture.stop()
