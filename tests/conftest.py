"""Shared fixtures: offscreen Qt, the ../shared test data, an artifacts folder for screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FLOORLINK_SHARED", REPO.parent / "shared"))
TESTDATA = SHARED / "testdata"
ARTIFACTS = Path(os.environ.get("FLOORLINK_ARTIFACTS", REPO / ".artifacts"))


@pytest.fixture(scope="session")
def testdata() -> Path:
    """``../shared/testdata``; tests that need it skip with the reason when it is absent."""
    if not TESTDATA.is_dir():
        pytest.skip(f"shared test data not found at {TESTDATA} (clone with ../shared beside the repo)")
    return TESTDATA


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A folder for files a person should look at after the run (screenshots, PDFs)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
