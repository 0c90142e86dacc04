"""The PyInstaller build produces programs that start from the bundle alone (slow: minutes)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_frozen_build_passes_its_smoke_test() -> None:
    result = subprocess.run(["bash", "build/build.sh"], cwd=REPO, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smoke: all passed" in result.stdout
