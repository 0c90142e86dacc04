"""The OpenCV build/trimmed.sh compiles for the frozen terminal (four modules, no FFmpeg) has everything the
terminal's code calls, and decodes the real barcode photos as PyPI's OpenCV does. Skipped until
``bash build/trimmed.sh`` (or build.sh) has built it: a clean clone does not compile OpenCV for its tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILT = sorted(REPO.glob("build/cache/opencv-*-py*/cv2.so"))
pytestmark = pytest.mark.skipif(not BUILT, reason="no trimmed OpenCV in build/cache (bash build/trimmed.sh builds it)")


def with_trimmed(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(BUILT[-1].parent), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_the_trimmed_opencv_has_every_name_the_terminal_calls() -> None:
    names = sorted({m for path in (REPO / "terminal").rglob("*.py")
                    for m in re.findall(r"\bcv2\.([A-Za-z_][A-Za-z0-9_]*)", path.read_text(encoding="utf-8"))})
    assert "VideoCapture" in names and "createCLAHE" in names  # the scan above found the terminal's calls
    probe = with_trimmed("-c", "import cv2, sys; print(cv2.__file__); "
                         f"print([n for n in {names!r} if not hasattr(cv2, n)]); "
                         "print(cv2.videoio_registry.hasBackend(cv2.CAP_V4L2))")
    assert probe.returncode == 0, probe.stderr
    where, missing, v4l2 = probe.stdout.splitlines()[:3]
    assert where == str(BUILT[-1])
    assert missing == "[]"
    assert v4l2 == "True"


@pytest.mark.slow
def test_the_trimmed_opencv_passes_the_decoders_tests() -> None:
    run = with_trimmed("-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "tests/test_decode_chain.py",
                       "tests/test_decode_sources.py", "tests/test_terminal_camera.py", timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
