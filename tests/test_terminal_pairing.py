"""First run of a station: the camera reads the hub's pairing code, the settings file is written, the terminal starts.

The frames are real images (the code as `python -m sync.hub enroll` makes it, and a label that is
not a pairing code) read by the real decoder chain through the folder camera source (issue 15 item 4).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import segno

from sync.pairing import Pairing, ca_fingerprint
from sync.settings import load
from terminal.app import pairing_screen, source_settings
from terminal.qt import QApplication, QLabel, QTimer
from terminal.station import texts
from terminal.station.first_run import PAIRED, PROBLEMS, FirstRun
from terminal.ui.pairing_page import PairingPage
from terminal.ui.parts import retranslate

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sync.broker.tls import make_certificates

    return make_certificates(tmp_path_factory.mktemp("certs"), ["127.0.0.1"]).ca


def code_for(ca: Path, kind: str = "station") -> str:
    return Pairing("plant-a", "st-weld-2", kind, ("WELD",), "192.168.1.10", 8883, ca_fingerprint(ca), "st-weld-2",
                   "s3cret", "Asia/Shanghai").to_json()


def test_the_first_run_screen_pairs_from_a_camera_frame_and_writes_the_settings(
        qtbot, ca: Path, tmp_path: Path, artifacts: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    segno.make("H-0001-02/10", error="m").save(frames / "1-a-label.png", scale=8, border=4)
    segno.make(code_for(ca), error="m").save(frames / "2-pairing.png", scale=8, border=4)
    camera = source_settings(load(None, environ={}), f"folder:{frames}")
    assert camera is not None
    config = tmp_path / "etc" / "terminal.toml"
    seen: list[str] = []

    def watch() -> None:
        pages = [w for w in QApplication.topLevelWidgets() if isinstance(w, PairingPage)]
        if pages and config.exists() and not seen:
            seen.append(pages[0].sentence.text())
            pages[0].grab().save(str(artifacts / "terminal_30_first_run_paired.png"))

    watcher = QTimer()
    watcher.timeout.connect(watch)
    watcher.start(50)
    try:
        assert pairing_screen(config, camera, windowed=True, ca_file=ca, quit_after_ms=500) == 0
    finally:
        watcher.stop()
    assert seen == ["Paired as st-weld-2. Starting…"]
    settings = load(config, environ={})
    assert (settings.get("node.device_id"), settings.get("mqtt.port"), settings.get("station.work_centres"),
            settings.get("mqtt.ca_file")) == ("st-weld-2", 8883, ["WELD"], str(ca))


def test_each_refused_code_gets_its_own_plain_sentence_in_both_languages(ca: Path, tmp_path: Path,
                                                                         artifacts: Path, qtbot) -> None:
    config = tmp_path / "terminal.toml"
    rule = FirstRun(config, tmp_path / "missing-ca.crt")
    page = PairingPage()
    qtbot.addWidget(page)
    page.resize(1024, 768)
    assert rule.offer("H-0001-02/10").template == PROBLEMS["not_pairing"]
    assert rule.offer(code_for(ca, "kiosk")).template == PROBLEMS["wrong_kind"]
    missing = rule.offer(code_for(ca))
    assert missing.template == PROBLEMS["no_ca"] and str(tmp_path / "missing-ca.crt") in missing
    assert not config.exists() and rule.paired is None
    try:
        texts.use("zh_CN")
        retranslate(page)
        page.say(missing)
        assert "ca.crt" in page.sentence.text() and "证书" in page.sentence.text()
        assert page.findChild(QLabel, "big").text() == "配对此工位"
        page.grab().save(str(artifacts / "terminal_31_first_run_no_ca_zh.png"))
    finally:
        texts.use("en")
    shutil.copy(ca, tmp_path / "missing-ca.crt")
    assert rule.offer(code_for(ca)).template == PAIRED and rule.paired is not None and config.exists()
