"""The contact sheets a person reviews after a run: every screenshot of an app on one PNG, captioned,
English and Chinese of a screen side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from terminal.qt import QColor, QImage
from tests import contact_sheet


def shot(path: Path, colour: str, width: int = 1280, height: int = 800) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    assert image.save(str(path))
    return path


def test_one_sheet_per_app_with_every_screen_in_order(tmp_path: Path, qapp: Any) -> None:
    shot(tmp_path / "kiosk" / "zh_CN-01-welcome.png", "#c62828")
    shot(tmp_path / "kiosk" / "en-01-welcome.png", "#1565c0")
    shot(tmp_path / "kiosk" / "en-02-choose.png", "#1b5e20")
    for i in range(6):
        shot(tmp_path / f"dashboard_wall_tab{i}_en.png", "#455a64", 1920, 1080)
    (tmp_path / "dashboard_notes.txt").write_text("not a picture")
    written = contact_sheet.build(tmp_path)
    assert written == [tmp_path / "contact_kiosk.png", tmp_path / "contact_dashboard.png"]  # no terminal shots
    assert [p.name for p in contact_sheet.screenshots(tmp_path, "kiosk")] == \
        ["en-01-welcome.png", "zh_CN-01-welcome.png", "en-02-choose.png"]
    kiosk = QImage(str(written[0]))
    assert kiosk.width() == contact_sheet.GAP + contact_sheet.COLUMNS * (contact_sheet.THUMB_WIDTH + contact_sheet.GAP)
    # the thumbnails in file order: blue (en-01), red (zh_CN-01), green (en-02) along the first row
    y = 64 + 20
    colours = [kiosk.pixelColor(contact_sheet.GAP + i * (contact_sheet.THUMB_WIDTH + contact_sheet.GAP) + 40, y).name()
               for i in range(3)]
    assert colours == ["#1565c0", "#c62828", "#1b5e20"]
    dashboard = QImage(str(written[1]))
    thumb_height = round(1080 * contact_sheet.THUMB_WIDTH / 1920)
    assert dashboard.height() >= 64 + 2 * (thumb_height + contact_sheet.CAPTION + contact_sheet.GAP)  # 6 shots: 2 rows
    contact_sheet.build(tmp_path)  # again: a sheet never takes in an earlier sheet
    assert "contact_kiosk.png" not in [p.name for p in contact_sheet.screenshots(tmp_path, "kiosk")]


def test_the_command_says_when_there_is_nothing_to_read(tmp_path: Path, capsys: Any) -> None:
    assert contact_sheet.main([str(tmp_path / "missing")]) == 2
    assert "run the tests first" in capsys.readouterr().err
