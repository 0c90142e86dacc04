"""Synthetic webcam-like frames of FloorLink labels, for the decode benchmark, tests and demos.

Why synthetic: the real test images are tight crops of codes; a station camera sees a label
somewhere in a 1280x720 view of a cluttered bench, tilted, a bit out of focus, noisy, with a lamp
reflection and JPEG artefacts. Each frame is reproducible from its seed, and frames without a
code check that the chain never reads what is not there.

    .venv/bin/python bench/frames.py OUT_DIR [COUNT]   # writes PNG frames + truth.csv for demos
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import segno
import zxingcpp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync import labels  # noqa: E402

WIDTH, HEIGHT = 1280, 720


@dataclass(frozen=True)
class SyntheticFrame:
    """One frame and its truth: the format and text of the code in it (None for an empty frame)."""

    image: np.ndarray
    format: str | None
    text: str | None
    seed: int


def render_code(text: str, fmt: str, module_px: int) -> np.ndarray:
    """A clean black-on-white code with quiet zones, ``module_px`` pixels per module."""
    if fmt == "QRCode":
        matrix = np.array(segno.make(text, error="m", micro=False).matrix, dtype=np.uint8)
        matrix = np.pad(matrix, 4)
        qr: np.ndarray = np.where(matrix > 0, 0, 255).astype(np.uint8)
        return cv2.resize(qr, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    barcode = zxingcpp.create_barcode(text, getattr(zxingcpp.BarcodeFormat, fmt))
    bars = np.array(zxingcpp.write_barcode_to_image(barcode, scale=1))
    return cv2.resize(bars, (bars.shape[1] * module_px, 60 * module_px), interpolation=cv2.INTER_NEAREST)


def label_text(rng: np.random.Generator) -> str:
    """A valid label text, as the hub prints them."""
    if rng.random() < 0.2:
        return labels.format(labels.BadgeLabel(f"E-{int(rng.integers(1, 9999)):04d}"))
    work_order = f"WO-{int(rng.integers(1, 999999)):06d}"
    return labels.format(labels.WorkOrderLabel(work_order, int(rng.choice([10, 20, 30, 40, 50]))))


def _background(rng: np.random.Generator) -> np.ndarray:
    base = rng.integers(60, 200)
    frame = np.full((HEIGHT, WIDTH, 3), base, np.uint8)
    gradient = np.linspace(-30, 30, WIDTH, dtype=np.float32)[None, :, None]
    frame = np.clip(frame.astype(np.float32) + gradient, 0, 255).astype(np.uint8)
    assert frame.dtype == np.uint8
    for _ in range(int(rng.integers(4, 14))):  # clutter: tools, boxes, cables, handwriting
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        kind = rng.integers(0, 3)
        p1 = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
        p2 = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
        if kind == 0:
            cv2.rectangle(frame, p1, p2, color, -1)
        elif kind == 1:
            cv2.line(frame, p1, p2, color, int(rng.integers(2, 12)))
        else:
            cv2.putText(frame, "part 4711 torque 12Nm", p1, cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.5, 1.5)), color, 2)
    return cv2.GaussianBlur(frame, (0, 0), 1.5)


def _place(frame: np.ndarray, code: np.ndarray, rng: np.random.Generator, tilt_deg: float, module_scale: float) -> None:
    """Paste ``code`` on a white label, rotated and seen in slight perspective, somewhere in view."""
    label = cv2.copyMakeBorder(code, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
    h, w = label.shape
    scale = min(module_scale, 0.8 * HEIGHT / h, 0.9 * WIDTH / w)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    center = np.array([rng.uniform(0.3, 0.7) * WIDTH, rng.uniform(0.3, 0.7) * HEIGHT], dtype=np.float32)
    angle = np.deg2rad(tilt_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], dtype=np.float32)
    corners = (src - [w / 2, h / 2]) * scale
    corners[:, 1] *= 1 + rng.uniform(-0.15, 0.15) * np.sign(corners[:, 0])  # perspective: one side nearer
    dst = (corners @ rotation.T + center).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(label, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_AREA, borderValue=0)
    mask = cv2.warpPerspective(np.full_like(label, 255), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_NEAREST, borderValue=0)
    paper = (warped.astype(np.float32) * rng.uniform(0.75, 1.0)).astype(np.uint8)
    frame[mask > 0] = paper[mask > 0, None]


def _degrade(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Defocus, a lamp reflection, sensor noise and JPEG compression."""
    sigma = float(rng.uniform(0.3, 2.0))
    frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    if rng.random() < 0.5:  # glare
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
        cx, cy, radius = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(60, 250)
        glare = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2)) * rng.uniform(60, 140)
        frame = np.clip(frame.astype(np.float32) + glare[:, :, None], 0, 255).astype(np.uint8)
    noise = rng.normal(0, rng.uniform(2, 9), frame.shape).astype(np.float32)
    noisy = np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 85))])
    return np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), dtype=np.uint8)


def make_frame(seed: int, fmt: str | None, text: str | None = None, tilt_deg: float | None = None) -> SyntheticFrame:
    """A 1280x720 BGR frame with one label code of ``fmt`` (or none when ``fmt`` is None)."""
    rng = np.random.default_rng(seed)
    frame = _background(rng)
    if fmt is not None:
        text = text or label_text(rng)
        code = render_code(text, fmt, module_px=4)
        # pixels per module in the frame: a label held 20-50 cm from a 720p webcam
        module_px = float(rng.uniform(1.6, 3.2)) if fmt == "Code128" else float(rng.uniform(2.5, 7.0))
        tilt = float(rng.uniform(-35, 35)) if tilt_deg is None else tilt_deg
        _place(frame, code, rng, tilt, module_px / 4)
    else:
        text = None
    return SyntheticFrame(_degrade(frame, rng), fmt, text, seed)


def frame_set(count: int, seed: int = 1) -> list[SyntheticFrame]:
    """``count`` frames: equal shares of Code128 labels, QR labels and frames with no code."""
    kinds: list[str | None] = ["Code128", "QRCode", None]
    return [make_frame(seed * 100003 + i, kinds[i % 3]) for i in range(count)]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    count = int(argv[1]) if len(argv) > 1 else 30
    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "format", "text"])
        for index, frame in enumerate(frame_set(count)):
            name = f"frame_{index:04d}.png"
            cv2.imwrite(str(out / name), frame.image)
            writer.writerow([name, frame.format or "", frame.text or ""])
    print(f"wrote {count} frames and truth.csv to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
