"""Where frames come from: a camera, a video file or a folder of images, and a capture thread.

Why one interface: the station screen, the tests and the demos all run the same scan loop; only
the source changes (settings ``[camera] source``). The capture thread keeps just the newest frame,
so a slow decode or a busy screen never makes the camera lag behind: old frames are dropped.
No Qt here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from sync.errors import DecodeError
from sync.settings import Settings

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"}
DROP_PREFIX = "drop:"  # camera.source "drop:FOLDER": pictures dropped into FOLDER are shown once (DropFolderSource)
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"}


class FrameSource(Protocol):
    """Anything that hands out BGR frames one by one; ``read()`` returns None at the end."""

    name: str

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


def image_files(path: Path) -> list[Path]:
    """The image files under ``path`` (a file or a folder, searched recursively), sorted."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DecodeError("no such file or folder", where=str(path))
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_image(path: Path) -> np.ndarray:
    """A BGR image from a file, or DecodeError saying why it cannot be read."""
    if not path.is_file():
        raise DecodeError("no such file", where=str(path))
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DecodeError("not an image OpenCV can read (unknown format or damaged file)", where=str(path),
                          fix="use PNG, JPEG, WebP, BMP or TIFF")
    return np.asarray(image)


class ImageFolderSource:
    """Images of a folder (recursively, sorted) as frames; each shown ``repeat`` times, like a camera would.

    Unreadable files are skipped and listed in ``skipped`` with the reason.
    """

    def __init__(self, path: str | Path, *, repeat: int = 2, loop: bool = False) -> None:
        self.path = Path(path)
        self.files = image_files(self.path)
        if not self.files:
            raise DecodeError("no image files found", where=str(self.path),
                              fix="put PNG/JPEG/WebP images in the folder")
        self.name = f"images {self.path}"
        self.repeat = max(1, repeat)
        self.loop = loop
        self.skipped: list[DecodeError] = []
        self._frames = self._iterate()

    def _iterate(self) -> Iterator[np.ndarray]:
        while True:
            shown = 0
            for file in self.files:
                try:
                    image = read_image(file)
                except DecodeError as error:
                    if len(self.skipped) < len(self.files):
                        self.skipped.append(error)
                    continue
                shown += 1
                for _ in range(self.repeat):
                    yield image
            if not self.loop or not shown:
                return

    def read(self) -> np.ndarray | None:
        return next(self._frames, None)

    def close(self) -> None:
        self._frames = iter(())


class DropFolderSource:
    """A folder a person drops label pictures into: each image that appears after the start is shown for
    ``repeat`` frames, then a blank sheet, like a label held up to the camera and taken away again.

    Why: on a machine without a camera (the demo) a newcomer scans a traveler's label by copying its
    picture into the folder. Images already there at the start are not shown (a restart re-scans nothing);
    an image replaced under the same name counts as new. While nothing new comes it gives a blank frame
    every ``idle_s`` seconds, so the capture never ends and the scan confirmer sees the view empty.
    """

    def __init__(self, path: str | Path, *, repeat: int = 5, idle_s: float = 0.2) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise DecodeError("no such folder", where=str(self.path), fix="create it, then drop label pictures into it")
        self.name = f"drop folder {self.path}"
        self.repeat = max(1, repeat)
        self.idle_s = idle_s
        self.skipped: list[DecodeError] = []
        self._seen = self._listing()
        self._queue: list[np.ndarray] = []
        self._blank = np.full((360, 640, 3), 235, np.uint8)  # nothing in view: a light grey 16:9 frame
        self._closed = threading.Event()

    def _listing(self) -> dict[Path, int]:
        try:
            return {p: p.stat().st_mtime_ns for p in image_files(self.path)}
        except (DecodeError, OSError):  # the folder went away: nothing new until it is back
            return {}

    def read(self) -> np.ndarray | None:
        while not self._queue:
            if self._closed.is_set():
                return None
            listing = self._listing()
            fresh = sorted(p for p, mtime in listing.items() if self._seen.get(p) != mtime)
            self._seen = listing
            for file in fresh:
                try:
                    image = read_image(file)
                except DecodeError as error:  # half-written or not an image: said, and skipped
                    self.skipped.append(error)
                    continue
                self._queue += [image] * self.repeat + [self._blank] * 2
            if not self._queue:
                self._closed.wait(self.idle_s)
                return self._blank
        return self._queue.pop(0)

    def close(self) -> None:
        self._closed.set()


def video_formats() -> str:
    """What videos this OpenCV reads: MP4 and the rest through FFmpeg; the frozen terminal's OpenCV
    (build/trimmed.sh) has no FFmpeg and reads MJPEG AVI only."""
    if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG):
        return "use MP4 (H.264) or AVI (MJPG)"
    return "this terminal reads AVI (MJPG) videos only: convert it with ffmpeg -i VIDEO -c:v mjpeg VIDEO.avi"


class VideoFileSource:
    """Frames of a video file (any container OpenCV's FFmpeg reads)."""

    def __init__(self, path: str | Path, *, loop: bool = False) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DecodeError("no such video file", where=str(self.path))
        self.name = f"video {self.path}"
        self.loop = loop
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise DecodeError("OpenCV cannot open this video", where=str(self.path), fix=video_formats())

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        if not ok and self.loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        return np.asarray(frame) if ok else None

    def close(self) -> None:
        self._capture.release()


class CameraSource:
    """A camera through ``cv2.VideoCapture`` at the index and resolution from settings."""

    def __init__(self, index: int = 0, *, width: int = 1280, height: int = 720) -> None:
        self.name = f"camera {index}"
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            raise DecodeError(f"camera {index} cannot be opened", where="setting camera.index",
                              fix="plug the camera in, check it is not used by another program, or set camera.index")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        return np.asarray(frame) if ok else None

    def close(self) -> None:
        self._capture.release()


def open_source(settings: Settings) -> FrameSource:
    """The frame source settings name: ``camera.source`` (file or folder, ``drop:FOLDER``) or else camera
    ``camera.index``."""
    camera = settings.section("camera")
    if camera["source"].startswith(DROP_PREFIX):
        return DropFolderSource(Path(camera["source"][len(DROP_PREFIX):]).expanduser())
    if camera["source"]:
        path = Path(camera["source"]).expanduser()
        if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
            # each image half a second at 30 fps, like a label held in front of the camera
            return ImageFolderSource(path, repeat=15, loop=True)
        if path.suffix.lower() in VIDEO_SUFFIXES or path.is_file():
            return VideoFileSource(path, loop=True)
        raise DecodeError("no such file or folder", where=f"setting camera.source = {camera['source']!r}")
    return CameraSource(camera["index"], width=camera["width"], height=camera["height"])


@dataclass(frozen=True)
class Frame:
    """A captured frame and its number (consecutive numbers mean no frame was dropped in between)."""

    number: int
    image: np.ndarray
    captured_at: float


class CaptureWorker:
    """Reads a source in its own thread and keeps only the newest frame.

    ``latest()`` never waits longer than its timeout and never makes the capture wait; frames
    the consumer was too slow for are dropped (``dropped`` counts them). ``fps`` paces file sources
    like a camera (None: as fast as the source gives them). A source error stops the thread and is
    kept in ``error``; the end of a file source sets ``finished``.
    """

    def __init__(self, source: FrameSource, *, fps: float | None = None) -> None:
        self.source = source
        self.fps = fps
        self.error: Exception | None = None
        self.finished = threading.Event()
        self.dropped = 0
        self._stop = threading.Event()
        self._new = threading.Condition()
        self._latest: Frame | None = None
        self._taken = 0
        self._thread = threading.Thread(target=self._run, name=f"capture {source.name}", daemon=True)

    def start(self) -> CaptureWorker:
        self._thread.start()
        return self

    def _run(self) -> None:
        number = 0
        try:
            while not self._stop.is_set():
                began = time.perf_counter()
                image = self.source.read()
                if image is None:
                    break
                number += 1
                with self._new:
                    if self._latest is not None and self._latest.number > self._taken:
                        self.dropped += 1
                    self._latest = Frame(number, image, time.time())
                    self._new.notify_all()
                if self.fps:
                    self._stop.wait(max(0.0, 1 / self.fps - (time.perf_counter() - began)))
        except Exception as error:  # noqa: BLE001 - kept for the consumer to show, the thread must end cleanly
            log.error("frame capture stopped", exc_info=error)
            self.error = error
        finally:
            self.finished.set()
            with self._new:
                self._new.notify_all()

    def latest(self, timeout: float = 0.5) -> Frame | None:
        """The newest frame not yet taken, waiting at most ``timeout`` s; None if there is none."""
        deadline = time.monotonic() + timeout
        with self._new:
            while self._latest is None or self._latest.number <= self._taken:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.finished.is_set():
                    return None
                self._new.wait(remaining)
            self._taken = self._latest.number
            return self._latest

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.source.close()

    def __enter__(self) -> CaptureWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
