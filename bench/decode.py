"""Decode benchmark: our chain against zxing-cpp alone and zbar alone, in the same run.

    .venv/bin/python bench/decode.py [--quick] [--testdata DIR]

1. Real images: ``<testdata>/barcodes/manifest.csv`` (zxing-cpp's sample sets). An image counts as
   read when a decoded text equals ``expected_text``; any read on a no-barcode image is a false
   read; a read of the image's format with another text is listed as ``other_text``.
2. Synthetic webcam frames (bench/frames.py): 1280x720 Code128 and QR labels, tilted, blurred, noisy,
   JPEG'd, with glare and clutter, and frames with no code. Here the truth is exact, so any read
   other than the label is a wrong text.
3. Time per 1280x720 frame, median, with and without a code.

The last line is one JSON object: our figures, the baselines, the targets and whether they are met.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # before bench/ itself, so that sync/ and kiosk/ are the packages

from bench.frames import frame_set, make_frame  # noqa: E402
from terminal.decode.chain import DEFAULT_FORMATS, DecodeChain  # noqa: E402

FORMATS = list(DEFAULT_FORMATS)
ZXING_FORMATS = zxingcpp.barcode_formats_from_str(",".join(FORMATS))
ZBAR_SYMBOLS = [pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.EAN13]
ZBAR_NAMES = {"CODE128": "Code128", "QRCODE": "QRCode", "EAN13": "EAN13"}

Reads = list[tuple[str, str]]  # (format, text)


def zxing_alone(image: np.ndarray) -> Reads:
    """zxing-cpp as it comes (default options, text as HRI), restricted to the four formats."""
    return [(b.format.name, b.text) for b in zxingcpp.read_barcodes(image, formats=ZXING_FORMATS)]


def zbar_alone(image: np.ndarray) -> Reads:
    out = []
    for symbol in pyzbar.decode(image, symbols=ZBAR_SYMBOLS):
        try:
            text = symbol.data.decode("utf-8")
        except UnicodeDecodeError:
            text = symbol.data.decode("latin-1")
        out.append((ZBAR_NAMES.get(symbol.type, symbol.type), text))
    return out


def zxing_then_zbar(image: np.ndarray) -> Reads:
    """The plain chain of SOURCES.md: zbar only when zxing-cpp read nothing."""
    return zxing_alone(image) or zbar_alone(image)


def decoders(with_plain_chain: bool = True) -> dict[str, Callable[[np.ndarray], Reads]]:
    chain = DecodeChain(formats=tuple(FORMATS))
    runs: dict[str, Callable[[np.ndarray], Reads]] = {
        "chain": lambda image: [(c.format, c.text) for c in chain.decode(image)],
        "zxing-cpp": zxing_alone,
        "zbar": zbar_alone,
    }
    if with_plain_chain:
        runs["zxing-cpp then zbar"] = zxing_then_zbar
    return runs


def real_images(folder: Path) -> dict[str, object]:
    with open(folder / "manifest.csv", encoding="utf-8", newline="") as handle:  # newline="": keep CR LF in texts
        rows = list(csv.DictReader(handle))
    runs = decoders(with_plain_chain=True)  # the plain chain is the baseline the target compares with: always run
    totals: Counter[str] = Counter()
    reads: dict[str, Counter[str]] = {name: Counter() for name in runs}
    false_reads: dict[str, list[str]] = {name: [] for name in runs}
    other_text: dict[str, list[str]] = {name: [] for name in runs}
    no_code_images = unreadable = 0
    for row in rows:
        image = cv2.imread(str(folder / row["path"]), cv2.IMREAD_GRAYSCALE)
        if image is None:
            unreadable += 1
            continue
        fmt, expected = row["format"], row["expected_text"]
        if fmt and not expected:
            continue  # no text expectation upstream (binary content)
        if fmt:
            totals[fmt] += 1
        else:
            no_code_images += 1
        for name, run in runs.items():
            found = run(image)
            if not fmt:
                false_reads[name] += [f"{row['path']}: {f} {t!r}" for f, t in found]
            elif expected in [t for _, t in found]:
                reads[name][fmt] += 1
            else:
                other_text[name] += [f"{row['path']}: {f} {t!r}" for f, t in found if f == fmt]
    return {
        "images": dict(totals),
        "no_code_images": no_code_images,
        "unreadable_by_opencv": unreadable,
        "reads": {name: {f: counts[f] for f in FORMATS} for name, counts in reads.items()},
        "false_reads": {name: len(v) for name, v in false_reads.items()},
        "false_read_list": {name: v for name, v in false_reads.items() if v},
        "other_text": {name: v for name, v in other_text.items() if v},
    }


def synthetic(count: int) -> dict[str, object]:
    runs = decoders(with_plain_chain=False)
    frames = frame_set(count)
    totals: Counter[str] = Counter()
    reads: dict[str, Counter[str]] = {name: Counter() for name in runs}
    false_reads: Counter[str] = Counter()
    wrong: dict[str, list[str]] = {name: [] for name in runs}
    for frame in frames:
        if frame.format:
            totals[frame.format] += 1
        for name, run in runs.items():
            found = run(frame.image)
            if frame.format is None:
                false_reads[name] += len(found)
                continue
            if frame.text in [t for _, t in found]:
                reads[name][frame.format] += 1
            wrong[name] += [f"seed {frame.seed}: {t!r}" for _, t in found if t != frame.text]
    return {
        "frames": dict(totals),
        "empty_frames": sum(1 for f in frames if f.format is None),
        "reads": {name: {f: c[f] for f in ("Code128", "QRCode")} for name, c in reads.items()},
        "false_reads": {name: false_reads[name] for name in runs},
        "wrong_text": {name: len(v) for name, v in wrong.items()},
        "wrong_text_list": {name: v for name, v in wrong.items() if v},
    }


def timing(count: int) -> dict[str, dict[str, float]]:
    """Median ms per 1280x720 BGR frame, as a camera gives them (colour conversion included).

    Both wall-clock and CPU time (all threads of this process) are given: on a shared, loaded
    machine the wall clock also counts the time spent waiting for a core, which is not the
    decoder's cost; the 10 ms target is judged on CPU time and the wall figure is reported beside it.
    """
    runs = decoders(with_plain_chain=False)
    empty = [make_frame(50_000 + i, None).image for i in range(count)]
    labelled = [make_frame(60_000 + i, ("Code128", "QRCode")[i % 2]).image for i in range(count)]
    out: dict[str, dict[str, float]] = {}
    for name, run in runs.items():
        run(empty[0])  # warm up
        per_set = {}
        for label, images in (("empty", empty), ("with_code", labelled)):
            wall, cpu = [], []
            for image in images:
                wall_start, cpu_start = time.perf_counter(), time.process_time()
                run(image)
                cpu.append((time.process_time() - cpu_start) * 1000)
                wall.append((time.perf_counter() - wall_start) * 1000)
            per_set[f"{label}_ms"] = round(statistics.median(wall), 2)
            per_set[f"{label}_cpu_ms"] = round(statistics.median(cpu), 2)
        out[name] = per_set
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer synthetic frames (about 30 s of CPU)")
    parser.add_argument("--testdata", type=Path, default=REPO.parent / "shared" / "testdata")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = args.testdata / "barcodes"
    result: dict[str, object] = {"benchmark": "decode", "quick": args.quick, "formats": FORMATS}

    real: dict[str, object] | None = None
    if (folder / "manifest.csv").is_file():
        real = real_images(folder)
        result["real"] = real
        print("real images", json.dumps(real["reads"]), "false reads", real["false_reads"], flush=True)
    else:
        print(f"no manifest at {folder}: real images skipped", flush=True)
    syn = synthetic(18 if args.quick else 240)
    result["synthetic"] = syn
    print("synthetic", json.dumps(syn["reads"]), "false", syn["false_reads"], "wrong", syn["wrong_text"], flush=True)
    times = timing(10 if args.quick else 40)
    result["ms_per_720p_frame"] = times
    print("timing", json.dumps(times), flush=True)

    targets: dict[str, bool] = {}
    syn_reads = syn["reads"]
    assert isinstance(syn_reads, dict)
    targets["chain >= zxing-cpp alone on every synthetic format"] = all(
        syn_reads["chain"][f] >= syn_reads["zxing-cpp"][f] for f in ("Code128", "QRCode"))
    targets["no read on empty synthetic frames"] = syn["false_reads"]["chain"] == 0  # type: ignore[index]
    targets["no wrong text on synthetic frames"] = syn["wrong_text"]["chain"] == 0  # type: ignore[index]
    targets["empty 720p frame <= 10 ms median (CPU time)"] = times["chain"]["empty_cpu_ms"] <= 10.0
    result["load_average"] = round(os.getloadavg()[0], 2)
    if real is not None:
        reads = real["reads"]
        assert isinstance(reads, dict)
        targets["chain >= zxing-cpp alone on every real format"] = all(reads["chain"][f] >= reads["zxing-cpp"][f] for f in FORMATS)
        targets["no read on the falsepositives sets"] = real["false_reads"]["chain"] == 0  # type: ignore[index]
        plain = reads["zxing-cpp then zbar"]
        targets["chain >= zxing-cpp then zbar (measured in this run) on every real format"] = all(
            reads["chain"][f] >= plain[f] for f in FORMATS)
        targets["chain > zxing-cpp then zbar (measured in this run) on QRCode and EAN13"] = (
            reads["chain"]["QRCode"] > plain["QRCode"] and reads["chain"]["EAN13"] > plain["EAN13"])
    result["targets"] = targets
    result["all_targets_met"] = all(targets.values())
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
