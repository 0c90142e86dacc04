"""Camera-like pictures of FloorLink labels (QR or Code128 on a card on a bench), for demos and tests.

Rendered with the real encoders (segno for QR, zxing-cpp's writer for Code128), so a picture
reads exactly like a printed traveler or badge in front of the station camera. No Qt here.
"""

from __future__ import annotations

import cv2
import numpy as np
import segno
import zxingcpp

WIDTH, HEIGHT = 1280, 720


def bench(seed: int) -> np.ndarray:
    """An empty, slightly noisy 1280×720 bench view."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 25, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    return np.full((HEIGHT, WIDTH, 3), 90, np.uint8) + noise


def code_image(text: str, fmt: str) -> np.ndarray:
    """Black-on-white code with its quiet zone: ``fmt`` is "QRCode" or "Code128"."""
    if fmt == "QRCode":
        matrix = np.pad(np.array(segno.make(text, error="m", micro=False).matrix, dtype=np.uint8), 4)
        return cv2.resize(np.where(matrix > 0, 0, 255).astype(np.uint8), None, fx=8, fy=8,
                          interpolation=cv2.INTER_NEAREST)
    if fmt != "Code128":
        raise ValueError(f"labels are QRCode or Code128, not {fmt}")
    bars = np.array(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128),
                                                    scale=1))
    code = cv2.resize(bars, (bars.shape[1] * 3, 150), interpolation=cv2.INTER_NEAREST)
    return cv2.copyMakeBorder(code, 0, 0, 30, 30, cv2.BORDER_CONSTANT, value=255)


def label_frame(text: str, fmt: str, seed: int = 0) -> np.ndarray:
    """A bench view with one printed label (code + its text) on it, slightly out of focus."""
    frame = bench(seed)
    code = code_image(text, fmt)
    h, w = code.shape[:2]
    card = np.full((h + 70, w + 40), 255, np.uint8)
    card[20:20 + h, 20:20 + w] = code
    cv2.putText(card, text, (20, h + 55), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    y, x = 120, min(WIDTH - card.shape[1], 200 + (seed % 20) * 7)
    frame[y:y + card.shape[0], x:x + card.shape[1]] = cv2.cvtColor(card, cv2.COLOR_GRAY2BGR)
    return cv2.GaussianBlur(frame, (3, 3), 0)
