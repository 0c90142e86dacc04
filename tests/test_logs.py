"""Logging set up at every entry point (sync.logs): time, level, node, a rotating file in the node's
data folder, --log-level; uncaught exceptions, on any thread, logged with time and traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) (\S+): ")


def env(data: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "FLOORLINK_CONFIG": "",
            "FLOORLINK_NODE_DATA_DIR": str(data), **extra}


def test_an_uncaught_exception_in_a_thread_is_logged_with_time_node_and_traceback(tmp_path: Path) -> None:
    code = (f"import threading\nfrom sync import logs\nlogs.setup('hub', data_dir=__import__('pathlib').Path({str(tmp_path)!r}))\n"
            "t = threading.Thread(target=lambda: 1 / 0, name='hub-ingest'); t.start(); t.join()\n")
    done = subprocess.run([sys.executable, "-c", code], env=env(tmp_path), capture_output=True, text=True, timeout=60)
    text = (tmp_path / "logs" / "hub.log").read_text(encoding="utf-8")
    crash = [line for line in text.splitlines() if "uncaught exception in thread hub-ingest" in line]
    assert crash and LINE.match(crash[0]) and LINE.match(crash[0]).group(1, 2) == ("CRITICAL", "hub")  # type: ignore[union-attr]
    assert "ZeroDivisionError: division by zero" in text and "Traceback" in text
    assert LINE.match(done.stderr.splitlines()[0]), "stderr lines carry the time too"


def test_the_hub_logs_to_its_data_folder_at_the_level_asked_for(mosquitto, tmp_path: Path) -> None:
    data = tmp_path / "hub"
    hub = subprocess.Popen([sys.executable, "-m", "sync.hub", "--db", str(data / "hub.db"), "--api-port", "0",
                            "--allow-unknown-devices", "--log-level", "debug"], cwd=REPO,
                           env=env(data, FLOORLINK_MQTT_PORT=str(mosquitto.port), FLOORLINK_MQTT_HOST="127.0.0.1",
                                   FLOORLINK_CATALOG_DATABASE=str(tmp_path / "catalog.db")),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert hub.stdout is not None
        assert "hub ready" in hub.stdout.readline()
    finally:
        hub.terminate()
        hub.wait(30)
    log = data / "logs" / "hub.log"
    lines = log.read_text(encoding="utf-8").splitlines()
    assert any(LINE.match(x) and "hub logging at debug to " + str(log) in x for x in lines), lines[:5]
    assert all(LINE.match(x) for x in lines if not x.startswith((" ", "Traceback")))


def test_the_kiosk_logs_under_its_device_id(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    from sync.pin import hash_pin

    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "kiosk", "--windowed", "--no-sync", "--report-ready",
                           "--log-level", "warning"], cwd=REPO,
                          env=env(tmp_path, FLOORLINK_NODE_DEVICE_ID="kiosk-7",
                                  FLOORLINK_KIOSK_ADMIN_PIN_HASH=hash_pin("2468")), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 120
    assert (tmp_path / "logs" / "kiosk-7.log").is_file(), "the log file sits in the node's data folder"
    assert "logging at" not in done.stderr, "--log-level warning leaves the info line out"


def test_a_wrong_log_level_setting_is_refused_with_the_key(tmp_path: Path) -> None:
    from sync.errors import SettingsError
    from sync.settings import load

    with pytest.raises(SettingsError, match="node.log_level"):
        load(environ={"FLOORLINK_NODE_LOG_LEVEL": "loud"})


def test_a_camera_loop_that_crashes_logs_its_traceback_and_says_why(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """The station shows "camera stopped: ..." and the log keeps the traceback (it was only kept in memory)."""
    import cv2
    import numpy as np

    from terminal.decode.sources import CaptureWorker, ImageFolderSource
    from terminal.station.camera_scan import CameraScanner

    cv2.imwrite(str(tmp_path / "frame.png"), np.full((120, 160, 3), 200, np.uint8))

    class BrokenChain:
        def decode(self, _image: object) -> list[object]:
            raise ValueError("decoder state lost")

    told: list[str] = []
    scanner = CameraScanner(CaptureWorker(ImageFolderSource(tmp_path, repeat=2), fps=20), BrokenChain(),  # type: ignore[arg-type]
                            lambda _scan: None, on_stopped=told.append)
    with caplog.at_level("ERROR"):
        scanner.start()
        deadline = time.monotonic() + 10
        while not told and time.monotonic() < deadline:
            time.sleep(0.02)
    scanner.stop()
    assert told == ["camera stopped: decoder state lost"]
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records), "the traceback is logged"
