"""``python -m terminal.decode PATH...``: one line per code, path TAB format TAB text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.frames import render_code
from terminal.decode.__main__ import main

REPO = Path(__file__).resolve().parent.parent


def write_codes(folder: Path) -> dict[str, tuple[str, str]]:
    (folder / "nested" / "deeper").mkdir(parents=True)
    truth = {
        "badge.png": ("Code128", "FL1:BADGE:4711:8"),
        "nested/qr.png": ("QRCode", "FL1:WO:WO-000123:OP:20:L"),
        "nested/deeper/book.jpg": ("EAN13", "9780441014989"),
    }
    for name, (fmt, text) in truth.items():
        code = render_code(text, fmt, module_px=4)
        cv2.imwrite(str(folder / name), cv2.copyMakeBorder(code, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255))
    cv2.imwrite(str(folder / "nested" / "blank.png"), np.full((200, 200), 255, np.uint8))
    return truth


def test_cli_prints_path_format_text_for_every_code_in_folders_recursively(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = write_codes(tmp_path)
    assert main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == sorted(f"{tmp_path / name}\t{fmt}\t{text}" for name, (fmt, text) in truth.items())


def test_cli_reports_unreadable_files_and_goes_on(tmp_path: Path) -> None:
    truth = write_codes(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    result = subprocess.run(
        [sys.executable, "-m", "terminal.decode", str(tmp_path / "broken.png"), str(tmp_path / "missing.jpg"),
         str(tmp_path / "badge.png")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == f"{tmp_path / 'badge.png'}\tCode128\t{truth['badge.png'][1]}\n"
    assert f"{tmp_path / 'broken.png'}: not an image OpenCV can read" in result.stderr
    assert f"{tmp_path / 'missing.jpg'}: no such file" in result.stderr


def test_cli_refuses_unknown_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--formats", "Code128,Bogus", str(tmp_path)]) == 2
    assert "unknown barcode format(s) Bogus" in capsys.readouterr().err


@pytest.mark.shared
def test_cli_reads_the_real_code128_images(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = testdata / "barcodes" / "zxing-cpp" / "code128-1"
    assert main([str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"{folder / '1.png'}\tCode128\t168901" in lines
    assert all(line.count("\t") == 2 for line in lines) and len(lines) >= 6


def test_decode_package_loads_no_qt() -> None:
    """The chain runs in a worker thread and in this CLI: it must not pull in PySide6."""
    code = (
        "import sys, terminal.decode.chain, terminal.decode.confirm, terminal.decode.sources, terminal.decode.__main__\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_live_mode_prints_each_confirmed_label_once_from_an_image_folder(tmp_path: Path) -> None:
    from bench.frames import make_frame
    from sync import labels

    texts = [labels.format(labels.WorkOrderLabel("WO-000123", 20)), labels.format(labels.BadgeLabel("E-0042"))]
    cv2.imwrite(str(tmp_path / "1.png"), make_frame(4, "QRCode", texts[0], tilt_deg=5).image)
    cv2.imwrite(str(tmp_path / "2.png"), make_frame(5, None).image)
    cv2.imwrite(str(tmp_path / "3.png"), make_frame(6, "Code128", texts[1], tilt_deg=5).image)
    result = subprocess.run(
        [sys.executable, "-m", "terminal.decode", "--live"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "FLOORLINK_CAMERA_SOURCE": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"scan\timages {tmp_path}\t{text}" for text in texts]


def test_live_mode_reports_a_missing_source(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "terminal.decode", "--live"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "FLOORLINK_CAMERA_SOURCE": str(tmp_path / "gone")},
    )
    assert result.returncode == 2
    assert "camera.source" in result.stderr and "no such file or folder" in result.stderr
