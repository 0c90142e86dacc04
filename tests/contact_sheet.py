"""Contact sheets: every screenshot of one app on one PNG, so a person reviews all screens at a glance.

    python -m tests.contact_sheet [ARTIFACTS]      # default .artifacts (or $FLOORLINK_ARTIFACTS)

The tests save their screenshots in the artifacts folder (kiosk/*.png, terminal_*.png, dashboard_*.png);
at the end of each test session conftest.py calls :func:`build` and the sheets land beside them as
``contact_kiosk.png``, ``contact_terminal.png`` and ``contact_dashboard.png``: thumbnails in file
order (English and Chinese of the same screen side by side, as their names sort), each captioned with
its file name. A sheet is only written for an app that has screenshots.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

#: app -> the screenshots that belong to it, relative to the artifacts folder
APPS = {"kiosk": ("kiosk/*.png", "kiosk_*.png"), "terminal": ("terminal/*.png", "terminal_*.png"),
        "dashboard": ("dashboard/*.png", "dashboard_*.png")}
COLUMNS = 4
THUMB_WIDTH = 460
CAPTION = 34  # px under each thumbnail for its name
GAP = 16
PREFIX = "contact_"


def _sort_key(path: Path) -> tuple[list[int | str], str]:
    """The screen first (numbers as numbers: 2 before 10), the language second: ``en-03-x`` and
    ``zh_CN-03-x`` land next to each other."""
    name = path.stem
    language = re.search(r"(?:^|[-_])(en|zh_CN|zh)(?=[-_]|$)", name)
    screen = name.replace(language.group(0), "", 1) if language else name
    natural: list[int | str] = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", screen)]
    return natural, language.group(1) if language else ""


def screenshots(folder: Path, app: str) -> list[Path]:
    found = {p for pattern in APPS[app] for p in folder.glob(pattern) if not p.name.startswith(PREFIX)}
    return sorted(found, key=_sort_key)


def sheet(paths: list[Path], title: str, target: Path) -> Path:
    """Draw ``paths`` as captioned thumbnails on one PNG at ``target`` (Qt, offscreen)."""
    from terminal.qt import QApplication, QColor, QFont, QImage, QPainter, Qt

    app = QApplication.instance() or QApplication([])  # text needs a GUI application; offscreen is enough
    assert app is not None
    images = [(p, QImage(str(p))) for p in paths]
    images = [(p, i) for p, i in images if not i.isNull()]
    thumbs = [(p, i.scaledToWidth(THUMB_WIDTH, Qt.TransformationMode.SmoothTransformation)) for p, i in images]
    rows = [thumbs[i:i + COLUMNS] for i in range(0, len(thumbs), COLUMNS)]
    heights = [max(t.height() for _p, t in row) + CAPTION for row in rows]
    header = 64
    width = GAP + COLUMNS * (THUMB_WIDTH + GAP)
    height = header + sum(h + GAP for h in heights) + GAP
    canvas = QImage(width, height, QImage.Format.Format_RGB32)
    canvas.fill(QColor("#ffffff"))
    painter = QPainter(canvas)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont()
        font.setPixelSize(30)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#000000"))
        painter.drawText(GAP, 44, f"{title} — {len(thumbs)} screens")
        font.setPixelSize(16)
        font.setBold(False)
        painter.setFont(font)
        y = header
        for row, row_height in zip(rows, heights, strict=True):
            for column, (path, thumb) in enumerate(row):
                x = GAP + column * (THUMB_WIDTH + GAP)
                painter.drawImage(x, y, thumb)
                painter.setPen(QColor("#b0bec5"))
                painter.drawRect(x, y, thumb.width() - 1, thumb.height() - 1)
                painter.setPen(QColor("#000000"))
                name = painter.fontMetrics().elidedText(path.stem, Qt.TextElideMode.ElideMiddle, THUMB_WIDTH)
                painter.drawText(x, y + thumb.height() + 22, name)
            y += row_height + GAP
    finally:
        painter.end()
    if not canvas.save(str(target)):
        raise OSError(f"cannot write the contact sheet {target}")
    return target


def build(folder: Path) -> list[Path]:
    """One contact sheet per app that has screenshots in ``folder``; returns the sheets written."""
    written = []
    for app in APPS:
        paths = screenshots(folder, app)
        if paths:
            written.append(sheet(paths, app, folder / f"{PREFIX}{app}.png"))
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(os.environ.get("FLOORLINK_ARTIFACTS", ".artifacts"))
    if not folder.is_dir():
        print(f"contact_sheet: no folder {folder} (run the tests first: they save the screenshots)", file=sys.stderr)
        return 2
    for path in build(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
