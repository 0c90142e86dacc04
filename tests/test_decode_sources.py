"""Frame sources and the capture thread: real files, real threads, no camera needed."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.frames import make_frame
from sync import labels
from sync.errors import DecodeError
from sync.settings import load
from terminal.decode.chain import DecodeChain
from terminal.decode.confirm import ScanConfirmer
from terminal.decode.sources import CaptureWorker, ImageFolderSource, VideoFileSource, open_source, read_image

TEXT = labels.format(labels.WorkOrderLabel("WO-000777", 40))


def write_frames(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "a_empty.png"), make_frame(1, None).image)
    (folder / "sub").mkdir(exist_ok=True)
    cv2.imwrite(str(folder / "sub" / "b_label.jpg"), make_frame(4, "QRCode", TEXT, tilt_deg=5).image)
    (folder / "c_broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("ignored")


def test_image_folder_source_gives_each_image_twice_and_skips_broken_files(tmp_path: Path) -> None:
    write_frames(tmp_path)
    source = ImageFolderSource(tmp_path, repeat=2)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    assert len(frames) == 4 and frames[0].shape == (720, 1280, 3)
    assert len(source.skipped) == 1 and "c_broken.png" in str(source.skipped[0])


def test_scanning_an_image_folder_confirms_the_label_once(tmp_path: Path) -> None:
    write_frames(tmp_path)
    chain, confirmer = DecodeChain(formats=("Code128", "QRCode")), ScanConfirmer()
    source = ImageFolderSource(tmp_path, repeat=3)
    scans = []
    while (frame := source.read()) is not None:
        scans += confirmer.feed_frame(chain.decode(frame))
    assert [s.text for s in scans] == [TEXT]


def test_video_file_source_reads_every_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (1280, 720))
    assert writer.isOpened()
    for seed in range(4, 9):
        writer.write(make_frame(seed, "QRCode", TEXT, tilt_deg=0).image)
    writer.release()
    source = VideoFileSource(path)
    chain = DecodeChain(formats=("QRCode",))
    texts = []
    while (frame := source.read()) is not None:
        texts.append([c.text for c in chain.decode(frame)])
    source.close()
    assert len(texts) == 5
    assert all(t in ([], [TEXT]) for t in texts)  # a hard frame may be missed, never misread
    assert texts.count([TEXT]) >= 3


def test_missing_or_unreadable_sources_say_where(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="no such video file"):
        VideoFileSource(tmp_path / "nope.mp4")
    (tmp_path / "fake.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(DecodeError, match="cannot open this video") as refused:
        VideoFileSource(tmp_path / "fake.mp4")
    # PyPI's OpenCV reads MP4 through FFmpeg; the frozen terminal's (build/trimmed.sh) has no FFmpeg
    assert ("MP4" in str(refused.value)) == cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG)
    with pytest.raises(DecodeError, match="no image files"):
        ImageFolderSource(tmp_path)
    with pytest.raises(DecodeError, match="not an image"):
        read_image(tmp_path / "fake.mp4")
    with pytest.raises(DecodeError, match="camera.source"):
        open_source(load(environ={"FLOORLINK_CAMERA_SOURCE": str(tmp_path / "gone")}))


def test_settings_choose_the_image_folder_source(tmp_path: Path) -> None:
    write_frames(tmp_path)
    source = open_source(load(environ={"FLOORLINK_CAMERA_SOURCE": str(tmp_path)}))
    assert isinstance(source, ImageFolderSource) and source.loop


class SlowSource:
    """A source that counts reads and gives small frames quickly."""

    name = "counter"

    def __init__(self, count: int) -> None:
        self.count = count
        self.served = 0

    def read(self) -> np.ndarray | None:
        if self.served >= self.count:
            return None
        self.served += 1
        time.sleep(0.002)
        return np.full((4, 4), self.served, np.uint8)

    def close(self) -> None:
        pass


def test_capture_worker_hands_out_only_the_newest_frame_and_never_blocks() -> None:
    with CaptureWorker(SlowSource(200)) as worker:
        first = worker.latest(timeout=1)
        time.sleep(0.1)  # a slow consumer: the capture goes on without it
        second = worker.latest(timeout=1)
        assert first is not None and second is not None
        assert second.number > first.number + 1
        assert worker.dropped > 0
        worker.finished.wait(2)
        last = worker.latest(timeout=0.05)
        start = time.perf_counter()
        assert worker.latest(timeout=0.05) is None  # nothing new: returns within the timeout
        assert time.perf_counter() - start < 0.5
    assert last is None or last.number <= 200


def test_capture_worker_keeps_the_source_error() -> None:
    class Broken(SlowSource):
        def read(self) -> np.ndarray | None:
            raise DecodeError("camera unplugged", where="camera 0")

    worker = CaptureWorker(Broken(1)).start()
    assert worker.finished.wait(2)
    assert worker.latest(timeout=0.05) is None
    assert isinstance(worker.error, DecodeError)
    worker.stop()


def test_a_picture_dropped_into_the_drop_folder_is_scanned_once_and_old_ones_never(tmp_path: Path) -> None:
    """The demo's camera: copying a label's picture into the folder scans it once; dropping it again scans
    it again; what was there before the start and what is not an image are never scans."""
    from terminal.decode.sources import DropFolderSource

    old = labels.format(labels.WorkOrderLabel("WO-000111", 10))
    cv2.imwrite(str(tmp_path / "old.png"), make_frame(2, "QRCode", old).image)
    source = open_source(load(environ={"FLOORLINK_CAMERA_SOURCE": f"drop:{tmp_path}"}))
    assert isinstance(source, DropFolderSource)
    source.idle_s = 0.01
    chain, confirmer = DecodeChain(formats=("QRCode",)), ScanConfirmer()

    def scans(frames: int) -> list[str]:
        found = []
        for _ in range(frames):
            frame = source.read()
            assert frame is not None
            found += [scan.text for scan in confirmer.feed_frame(chain.decode(frame))]
        return found

    assert scans(5) == []
    cv2.imwrite(str(tmp_path / "label.png"), make_frame(3, "QRCode", TEXT).image)
    (tmp_path / "half-copied.png").write_bytes(b"\x89PNG")
    assert scans(12) == [TEXT]
    assert len(source.skipped) == 1 and "half-copied.png" in str(source.skipped[0])
    (tmp_path / "label.png").unlink()
    time.sleep(0.01)
    cv2.imwrite(str(tmp_path / "label.png"), make_frame(3, "QRCode", TEXT).image)  # dropped again
    assert scans(12) == [TEXT]
    source.close()
    assert source.read() is None


def test_a_drop_folder_that_does_not_exist_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="no such folder"):
        open_source(load(environ={"FLOORLINK_CAMERA_SOURCE": f"drop:{tmp_path / 'nope'}"}))
