"""The Qt binding the apps run on does not leak references to None (PySide6 6.12.0 on Python 3.11
dropped one per void call, and a long-running kiosk or terminal aborted with 'deallocating None')."""

from __future__ import annotations

import sys

import pytest


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_thousands_of_void_qt_calls_leave_the_none_refcount_alone(qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("scan")
    assert sys.getrefcount(None) - before > -100, "this PySide6 leaks None: pin another version in pyproject.toml"
