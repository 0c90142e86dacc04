"""The benchmarks score what they measured in the same run, and a broken input fails the run."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def test_the_configurator_bench_fails_on_a_broken_catalog(tmp_path: Path) -> None:
    pytest.importorskip("pysat")
    from bench.configurator import catalog_problems

    broken = tmp_path / "catalog"
    broken.mkdir()
    (broken / "catalog.yaml").write_text("format: 1\nname: [not a label\n", encoding="utf-8")
    products, problem = catalog_problems(broken)
    assert products == [] and problem is not None and str(broken) in problem
    good, none = catalog_problems(REPO / "tests" / "catalogs" / "small")
    assert none is None and [code for code, _ in good] == ["BIKE"]


def test_the_decode_bench_scores_against_the_plain_chain_measured_in_the_run(tmp_path: Path) -> None:
    """Two QR images and one empty: every decoder, the plain zxing-cpp → zbar chain included, is run
    on them and reported; no figure comes from a file."""
    pytest.importorskip("zxingcpp")
    import cv2
    import numpy as np

    import bench.decode as decode
    from terminal.station.label_images import code_image

    folder = tmp_path / "barcodes"
    folder.mkdir()
    rows = []
    for n, text in enumerate(("FL1:BADGE:E-0042:A", "hello")):
        cv2.imwrite(str(folder / f"qr-{n}.png"), cv2.copyMakeBorder(code_image(text, "QRCode"), 40, 40, 40, 40,
                                                                    cv2.BORDER_CONSTANT, value=255))
        rows.append({"path": f"qr-{n}.png", "format": "QRCode", "expected_text": text})
    cv2.imwrite(str(folder / "empty.png"), np.full((200, 200), 255, np.uint8))
    rows.append({"path": "empty.png", "format": "", "expected_text": ""})
    with open(folder / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "format", "expected_text"])
        writer.writeheader()
        writer.writerows(rows)
    real = decode.real_images(folder)
    reads = real["reads"]
    assert isinstance(reads, dict)
    assert reads["zxing-cpp then zbar"]["QRCode"] == 2 and reads["chain"]["QRCode"] == 2
    assert not hasattr(decode, "SOURCES_FIGURES"), "no figure copied from a file is scored"


def test_the_insights_bench_scores_the_forecast_against_a_baseline_from_the_same_events() -> None:
    """A small year through bench/insights.py: the report is timed, and both MAPEs come from the events it wrote
    (a different seed gives different figures: nothing is read from a file)."""
    import json
    import subprocess

    runs = []
    for seed in ("3", "4"):
        result = subprocess.run([sys.executable, str(REPO / "bench" / "insights.py"), "--events", "20000", "--seed", seed],
                                cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stderr[-2000:]
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    for run in runs:
        assert run["events"] == 20000 and run["report_s"] > 0 and run["series"] > 0
        assert run["mape_forecast"] is not None and run["mape_seasonal_naive"] is not None
    assert (runs[0]["mape_forecast"], runs[0]["mape_seasonal_naive"]) != (runs[1]["mape_forecast"], runs[1]["mape_seasonal_naive"])
