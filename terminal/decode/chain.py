"""The decode chain: zxing-cpp first, then gated retries that win reads zxing-cpp alone misses.

Why a chain: neither zxing-cpp nor zbar reads every real label, and a camera frame is rarely as
clean as a printed test image. Each retry below was kept because it won reads on the real test
images or on synthetic webcam frames (see bench/decode.py and docs/decoding.md). Retries only run
when the first pass saw something barcode-like (a code zxing-cpp found but could not decode, or a
patch of dense edges), so an empty frame costs one zxing-cpp pass and a few milliseconds.

The chain never invents text: every result is exactly what one decoder read from one image.
No Qt here: it runs in the capture worker thread and in the CLI.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

from sync.errors import DecodeError, SettingsError
from sync.settings import Settings

Point = tuple[float, float]
Image = np.ndarray

#: The formats FloorLink uses by default (labels are Code128 and QR; the rest come from suppliers).
DEFAULT_FORMATS: tuple[str, ...] = ("Code128", "QRCode", "DataMatrix", "EAN13")
MAX_SIDE = 1920
#: Frames larger than this (in px, longest side) are camera views: a fast first pass, then gated retries.
CAMERA_SIZED = 1000

# zbar names of the formats it can read, in zxing-cpp's spelling.
_ZBAR_SYMBOLS: dict[str, pyzbar.ZBarSymbol] = {
    "Code128": pyzbar.ZBarSymbol.CODE128,
    "QRCode": pyzbar.ZBarSymbol.QRCODE,
    "EAN13": pyzbar.ZBarSymbol.EAN13,
    "EAN8": pyzbar.ZBarSymbol.EAN8,
    "UPCA": pyzbar.ZBarSymbol.UPCA,
    "UPCE": pyzbar.ZBarSymbol.UPCE,
    "Code39": pyzbar.ZBarSymbol.CODE39,
    "Code93": pyzbar.ZBarSymbol.CODE93,
    "ITF": pyzbar.ZBarSymbol.I25,
    "Codabar": pyzbar.ZBarSymbol.CODABAR,
    "PDF417": pyzbar.ZBarSymbol.PDF417,
}
_FROM_ZBAR = {symbol.name: name for name, symbol in _ZBAR_SYMBOLS.items()}
_MATRIX = {"QRCode", "MicroQRCode", "RMQRCode", "DataMatrix", "Aztec", "MaxiCode"}
_WEAK_CHECK = {"EAN13", "EAN8", "UPCA", "UPCE"}
_LINEAR = {"Code128", "EAN13", "EAN8", "UPCA", "UPCE", "Code39", "Code93", "ITF", "Codabar"}
_SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32)


@dataclass(frozen=True)
class DecodedCode:
    """One code read from a frame: its format, its exact text, where it is and who read it."""

    format: str
    text: str
    position: tuple[Point, Point, Point, Point]
    decoder: str = "zxing-cpp"
    attempt: str = "plain"

    @property
    def center(self) -> Point:
        xs = [p[0] for p in self.position]
        ys = [p[1] for p in self.position]
        return (sum(xs) / 4, sum(ys) / 4)


@dataclass(frozen=True)
class Variant:
    """An image derived from the frame and the affine map from frame to image coordinates."""

    name: str
    image: Image
    to_image: np.ndarray  # 2x3 affine: frame point -> variant point

    def to_frame(self, points: Iterable[Point]) -> tuple[Point, Point, Point, Point]:
        back = cv2.invertAffineTransform(self.to_image)
        out = [(float(back[0, 0] * x + back[0, 1] * y + back[0, 2]), float(back[1, 0] * x + back[1, 1] * y + back[1, 2]))
               for x, y in points]
        while len(out) < 4:
            out.append(out[-1])
        return (out[0], out[1], out[2], out[3])


_IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _scaled(name: str, image: Image, factor: float, base: np.ndarray = _IDENTITY) -> Variant:
    interpolation = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    scaled = cv2.resize(image, None, fx=factor, fy=factor, interpolation=interpolation)
    return Variant(name, scaled, np.vstack([base, [0, 0, 1]])[:2] * factor)


def _rotated(image: Image, degrees: float) -> Variant:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    rotated = cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return Variant(f"rotated {degrees:+g}°", rotated, matrix)


def to_gray(frame: Image) -> Image:
    """A grayscale uint8 view of a BGR, BGRA or gray frame."""
    if frame.dtype != np.uint8:
        raise DecodeError(f"frame has pixel type {frame.dtype}, expected uint8", where="decode chain")
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 1:
        return frame[:, :, 0]
    raise DecodeError(f"frame has shape {frame.shape}, expected gray, BGR or BGRA", where="decode chain")


@dataclass(frozen=True)
class Region:
    """A patch that looks like a linear code: box in frame pixels and the bars' direction."""

    x: int
    y: int
    w: int
    h: int
    angle: float  # degrees to rotate the patch by so that its bars stand upright
    cells: int = 0  # how many 8x8 cells of the gate's copy it covers
    fill: float = 0.0  # share of its bounding box those cells fill


@dataclass(frozen=True)
class CellMaps:
    """Per-cell edge density and structure tensor of a frame (60 cells across): the gate's input."""

    density: np.ndarray
    coherence: np.ndarray
    jxx: np.ndarray
    jyy: np.ndarray
    jxy: np.ndarray
    cell_w: float
    cell_h: float


def cell_maps(gray: Image) -> CellMaps:
    """About 1 ms on 720p: a 640 px wide copy, Sobel gradients, averaged over cells by area resizes."""
    h, w = gray.shape[:2]
    step = max(1, math.ceil(w / 640))  # an integer step: OpenCV's area resize is 8x faster than for 0.375
    small = cv2.resize(gray, (w // step, h // step), interpolation=cv2.INTER_AREA) if step > 1 else gray
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    strong = (np.abs(gx) + np.abs(gy) > 120).astype(np.float32)
    size = max(4, small.shape[1] // 60)
    cells = (max(1, small.shape[1] // size), max(1, small.shape[0] // size))
    jxx = cv2.resize(gx * gx, cells, interpolation=cv2.INTER_AREA)
    jyy = cv2.resize(gy * gy, cells, interpolation=cv2.INTER_AREA)
    jxy = cv2.resize(gx * gy, cells, interpolation=cv2.INTER_AREA)
    density = cv2.resize(strong, cells, interpolation=cv2.INTER_AREA)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + 1e-3)
    return CellMaps(density, coherence, jxx, jyy, jxy, w / cells[0], h / cells[1])


def regions_in(maps: CellMaps, *, min_density: float, min_coherence: float, min_cells: int) -> list[Region]:
    """Connected patches of cells above both thresholds, largest first, in frame pixels."""
    mask = ((maps.density > min_density) & (maps.coherence > min_coherence)).astype(np.uint8)
    count, labels_img, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    regions = []
    for index in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[index])
        if area < min_cells:
            continue
        inside = labels_img == index
        orientation = 0.5 * np.degrees(np.arctan2(2 * float(maps.jxy[inside].mean()),
                                                  float(maps.jxx[inside].mean() - maps.jyy[inside].mean())))
        regions.append(Region(int(x * maps.cell_w), int(y * maps.cell_h), int(bw * maps.cell_w) + 1,
                              int(bh * maps.cell_h) + 1, orientation, area, area / (bw * bh)))
    regions.sort(key=lambda r: -r.w * r.h)
    return regions


def barcode_like_regions(gray: Image, *, min_density: float = 0.45, min_coherence: float = 0.8,
                         min_cells: int = 30) -> list[Region]:
    """Patches dense in strong edges that all run one way: where a linear code may be.

    The gate: a bar code has many strong, parallel edges (high structure-tensor coherence); text,
    cables and boxes have few or mixed ones. An empty bench view therefore skips every retry.
    """
    return regions_in(cell_maps(gray), min_density=min_density, min_coherence=min_coherence, min_cells=min_cells)


@dataclass
class DecodeChain:
    """Reads every code of the configured formats in a frame.

    ``formats`` restricts both decoders (fewer formats: faster and fewer false reads).
    ``retries`` can be turned off to get zxing-cpp then zbar only. ``budget_ms`` bounds the time
    spent on retries for live camera frames (the next frame is another chance); ``None`` means try
    everything, as the CLI and the benchmark do.
    """

    formats: Sequence[str] = DEFAULT_FORMATS
    retries: bool = True
    zbar_fallback: bool = True
    budget_ms: float | None = None
    max_side: int = MAX_SIDE
    _zxing_formats: zxingcpp.BarcodeFormats = field(init=False, repr=False)
    _zbar_symbols: list[pyzbar.ZBarSymbol] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if not hasattr(zxingcpp.BarcodeFormat, f)]
        if unknown or not self.formats:
            raise DecodeError(
                f"unknown barcode format(s) {', '.join(unknown) or '(none given)'}",
                where="decode chain formats",
                fix="use zxing-cpp names such as " + ", ".join(DEFAULT_FORMATS),
            )
        self._zxing_formats = zxingcpp.barcode_formats_from_str(",".join(self.formats))
        self._zbar_symbols = [_ZBAR_SYMBOLS[f] for f in self.formats if f in _ZBAR_SYMBOLS]

    @classmethod
    def for_camera(cls, settings: Settings) -> DecodeChain:
        """The chain a station camera uses: formats and retry budget from settings ``[camera]``."""
        camera = settings.section("camera")
        try:
            return cls(formats=tuple(camera["formats"]), budget_ms=float(camera["retry_budget_ms"]))
        except DecodeError as error:
            raise SettingsError(error.what, where="setting camera.formats", fix=error.fix) from None

    @classmethod
    def for_pairing(cls, settings: Settings) -> DecodeChain:
        """The chain of a station's first-run screen: the hub's pairing code is always a QR (sync.pairing), and
        in about one random code of 300 zxing-cpp also finds a Codabar among its modules, which flashed
        "That is not a pairing code" before the QR paired."""
        return cls(formats=("QRCode",), budget_ms=float(settings.section("camera")["retry_budget_ms"]))

    @property
    def has_matrix(self) -> bool:
        return any(f in _MATRIX for f in self.formats)

    def _matrix_crop(self, start: Variant, blob: Region) -> list[DecodedCode]:
        """A small QR or DataMatrix: the patch upscaled x2, as it is and sharpened (won 3 of 7 missed QR labels)."""
        crop = _cropped(start, blob, 0.0, factor=2.0)
        return self._zxing(crop)[0] or self._zxing(_derived(f"{crop.name}, sharpened", crop, _sharpen))[0]

    @property
    def has_linear(self) -> bool:
        return any(f in _LINEAR for f in self.formats)

    # --- the decoders -----------------------------------------------------------------------------
    def _zxing(self, variant: Variant, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
               fast: bool = False) -> tuple[list[DecodedCode], bool]:
        """Good reads, and whether zxing-cpp saw a code it could not decode.

        ``fast`` skips the 90° and inverted searches: the first look at a camera frame, where the
        gated retries (regions turned upright) cover what it skips.
        """
        found = zxingcpp.read_barcodes(variant.image, formats=self._zxing_formats, text_mode=zxingcpp.TextMode.Plain,
                                       binarizer=binarizer, return_errors=True, try_rotate=not fast, try_invert=not fast)
        codes = []
        saw_broken = False
        for barcode in found:
            if barcode.error is not None or not barcode.valid:
                saw_broken = True
                continue
            if not barcode.text:
                continue  # a code with no content is no label: never report it
            pos = barcode.position
            corners = [(p.x, p.y) for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)]
            codes.append(DecodedCode(barcode.format.name, barcode.text, variant.to_frame(corners), "zxing-cpp", variant.name))
        return codes, saw_broken

    def _zbar(self, variant: Variant) -> list[DecodedCode]:
        if not self._zbar_symbols:
            return []
        codes = []
        for symbol in pyzbar.decode(variant.image, symbols=self._zbar_symbols):
            name = _FROM_ZBAR.get(symbol.type)
            if name is None or name not in self.formats or not symbol.data:
                continue
            try:
                text = symbol.data.decode("utf-8")
            except UnicodeDecodeError:
                text = symbol.data.decode("latin-1")
            corners = [(float(p.x), float(p.y)) for p in symbol.polygon] or [
                (symbol.rect.left, symbol.rect.top), (symbol.rect.left + symbol.rect.width, symbol.rect.top + symbol.rect.height)]
            codes.append(DecodedCode(name, text, variant.to_frame(corners), "zbar", variant.name))
        return codes

    # --- the chain --------------------------------------------------------------------------------
    def decode(self, frame: Image) -> list[DecodedCode]:
        """Every code read in ``frame`` (BGR or gray), positions in ``frame`` pixels; [] when none."""
        gray = to_gray(frame)
        h, w = gray.shape[:2]
        if gray.size == 0 or _flat(gray):
            return []  # a covered lens or the drop folder's empty view: no code, and no retries (65 ms each)
        start = Variant("plain", gray, _IDENTITY)
        if max(h, w) > self.max_side:
            start = _scaled(f"downscaled to {self.max_side} px", gray, self.max_side / max(h, w))
        camera_sized = max(start.image.shape[:2]) > CAMERA_SIZED
        codes, saw_broken = self._zxing(start, fast=camera_sized)
        if codes:
            return self._settled(codes, start)
        if self.zbar_fallback and (not camera_sized or not self.retries):
            codes = self._zbar(start)
            if codes:
                return _unique(codes)
        if not self.retries:
            return []
        # Small images (a photo of one label, a test image) always get the retries; a camera view only
        # when it shows something code-like, so an empty bench costs one fast pass and the gate.
        maps = cell_maps(start.image)
        regions = regions_in(maps, min_density=0.45, min_coherence=0.8, min_cells=30 if camera_sized else 4)
        if camera_sized and not saw_broken and not regions:
            # No bars: a small matrix code may still be there (a dense patch of edges in any direction).
            # Only cheap crop-and-upscale retries for those, so text and clutter cost little.
            if self.has_matrix:
                for blob in regions_in(maps, min_density=0.5, min_coherence=-1.0, min_cells=6)[:3]:
                    if blob.cells <= 400:
                        codes = self._matrix_crop(start, blob)
                        if codes:
                            return self._settled(codes, start)
            return []
        deadline = None if self.budget_ms is None else time.perf_counter() + self.budget_ms / 1000
        for attempt in self._retries(start, regions, camera_sized):
            codes = attempt()
            if codes:
                return self._settled(codes, start)
            if deadline is not None and time.perf_counter() > deadline:
                break
        return []

    def _retries(self, start: Variant, regions: list[Region], camera_sized: bool,
                 ) -> Iterable[Callable[[], list[DecodedCode]]]:
        """The retries, most rewarding first (measured by bench/decode.py)."""
        image = start.image
        h, w = image.shape[:2]
        if camera_sized:  # the code is small somewhere in the view: look there first
            yield from self._region_retries(start, regions)
            yield lambda: self._zxing(start)[0]
            if self.zbar_fallback:
                yield lambda: self._zbar(start)
        if not camera_sized:  # these won reads on the real test images, in this order
            yield lambda: self._both(_scaled("upscaled x2", image, 2.0, start.to_image))
            yield lambda: self._both(_derived("adaptive threshold", start, _adaptive))
            yield lambda: self._both(_derived("median filtered", start, lambda g: cv2.medianBlur(g, 3)))
        yield lambda: self._zxing(start, binarizer=zxingcpp.Binarizer.GlobalHistogram)[0]
        if camera_sized:
            yield lambda: self._both(_derived("adaptive threshold", start, _adaptive))
        yield lambda: self._both(_derived("contrast equalised", start, _clahe))
        if not camera_sized:
            yield from self._region_retries(start, regions)
        if self.has_linear and regions:  # whole-image turns only where bars were seen
            for degrees in (15, -15, 30, -30, 45):
                yield partial(self._both_of, _rotated_variant, start, degrees)
        if camera_sized:
            yield lambda: self._both(_derived("median filtered", start, lambda g: cv2.medianBlur(g, 3)))
        yield lambda: self._both(_derived("sharpened", start, _sharpen))

    def _settled(self, codes: list[DecodedCode], start: Variant) -> list[DecodedCode]:
        """Unique reads, with every EAN/UPC read confirmed by a vote when decoders disagree.

        EAN and UPC carry a single mod-10 check digit, and zxing-cpp can misread a damaged one
        into another valid number (seen on the real test images). So zbar reads the same image;
        where it reads that symbol differently, zxing-cpp with two other binarizers votes too and
        only a text with a clear majority is reported. Code128, QR and DataMatrix have strong
        checks of their own and are reported as read.
        """
        codes = _unique(codes)
        if not any(c.format in _WEAK_CHECK for c in codes):
            return codes
        opinions = self._zbar(start) if self.zbar_fallback else []
        kept = []
        for code in codes:
            if code.format not in _WEAK_CHECK:
                kept.append(code)
                continue
            others = [o.text for o in opinions if o.format == code.format and _overlap(o, code)]
            if all(text == code.text for text in others):
                kept.append(code)
                continue
            votes = [code.text, *others]
            for binarizer in (zxingcpp.Binarizer.GlobalHistogram, zxingcpp.Binarizer.FixedThreshold):
                votes += [o.text for o in self._zxing(start, binarizer)[0] if o.format == code.format and _overlap(o, code)]
            ranked = Counter(votes).most_common()
            if ranked[0][1] >= 2 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
                winner = ranked[0][0]
                kept.append(code if winner == code.text else replace(code, text=winner, attempt=f"{code.attempt}, voted"))
        return _unique(kept)

    def _region_retries(self, start: Variant, regions: list[Region]) -> Iterable[Callable[[], list[DecodedCode]]]:
        """Each code-like region cropped, turned upright, then contrast-equalised (glare) or sharpened (blur)."""
        h, w = start.image.shape[:2]
        for region in regions[:3]:
            if region.w * region.h >= 0.5 * w * h:
                continue
            turn = self.has_linear and abs(region.angle) > 5
            upright = _cropped(start, region, region.angle if turn else 0.0)
            yield partial(self._both, upright)
            yield partial(self._both_of, _derived, f"{upright.name}, contrast equalised", upright, _clahe)
            yield partial(self._both_of, _derived, f"{upright.name}, sharpened", upright, _sharpen)
            if turn:
                yield partial(self._both_of, _cropped, start, region)

    def _both_of(self, make: Callable[..., Variant], *args: Any) -> list[DecodedCode]:
        return self._both(make(*args))

    def _both(self, variant: Variant) -> list[DecodedCode]:
        codes = self._zxing(variant)[0]
        if not codes and self.zbar_fallback:
            codes = self._zbar(variant)
        return codes


def _adaptive(gray: Image) -> Image:
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5)


def _sharpen(gray: Image) -> Image:
    return cv2.filter2D(gray, -1, _SHARPEN)


def _clahe(gray: Image) -> Image:
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)


def _derived(name: str, start: Variant, transform: Callable[[Image], Image]) -> Variant:
    return Variant(name, transform(start.image), start.to_image)


def _rotated_variant(start: Variant, degrees: float) -> Variant:
    rotated = _rotated(start.image, degrees)
    matrix = np.vstack([rotated.to_image, [0, 0, 1]]) @ np.vstack([start.to_image, [0, 0, 1]])
    return Variant(rotated.name, rotated.image, matrix[:2])


def _cropped(start: Variant, region: Region, degrees: float = 0.0, factor: float | None = None) -> Variant:
    """The region with a margin, turned upright, upscaled so a small code gets enough pixels per module."""
    x, y, w, h = region.x, region.y, region.w, region.h
    img_h, img_w = start.image.shape[:2]
    margin = max(w, h) // 4 + 8
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(img_w, x + w + margin), min(img_h, y + h + margin)
    crop = start.image[y0:y1, x0:x1]
    if factor is None:
        factor = 2.0 if max(crop.shape[:2]) < 600 else 1.0
    shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]]) @ np.vstack([start.to_image, [0, 0, 1]])
    variant = Variant(f"region {x},{y}", crop, shift[:2])
    if degrees:
        variant = _rotated_variant(variant, degrees)
    if factor == 1.0:
        return variant
    return _scaled(f"{variant.name} upscaled", variant.image, factor, variant.to_image)


def _overlap(a: DecodedCode, b: DecodedCode) -> bool:
    """Whether the centre of one code lies in the bounding box of the other (one symbol read twice)."""
    def inside(point: Point, code: DecodedCode) -> bool:
        xs = [p[0] for p in code.position]
        ys = [p[1] for p in code.position]
        return min(xs) - 2 <= point[0] <= max(xs) + 2 and min(ys) - 2 <= point[1] <= max(ys) + 2

    return inside(a.center, b) or inside(b.center, a)


#: grey levels between a frame's darkest and brightest pixel below which it cannot hold a code
FLAT_RANGE = 16


def _flat(gray: np.ndarray) -> bool:
    """Too little contrast anywhere for bars or modules (min and max over a quarter-size copy: cheap)."""
    low, high, _, _ = cv2.minMaxLoc(gray[::2, ::2])
    return high - low < FLAT_RANGE


def _unique(codes: list[DecodedCode]) -> list[DecodedCode]:
    seen: set[tuple[str, str]] = set()
    out = []
    for code in codes:
        if (code.format, code.text) not in seen:
            seen.add((code.format, code.text))
            out.append(code)
    return out
