"""Shared fixtures: offscreen Qt, the ../shared test data, an artifacts folder for screenshots."""

from __future__ import annotations

import functools
import os
import traceback
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


# --- MQTT brokers (sync.broker) ------------------------------------------------------------------

def _require_mosquitto() -> None:
    from sync.broker import find_mosquitto

    if find_mosquitto() is None:
        pytest.skip("mosquitto binary not found (apt-get install mosquitto, or set FLOORLINK_MOSQUITTO)")


@pytest.fixture
def mosquitto_factory(tmp_path: Path):
    """Make Mosquitto brokers (not started) in folders under tmp_path; all are stopped afterwards.

    ``broker = mosquitto_factory(users=[BrokerUser("kiosk-1", "pw")], site="demo").start()``
    """
    from sync.broker import Mosquitto

    _require_mosquitto()
    made: list[Mosquitto] = []

    def make(name: str | None = None, **options) -> Mosquitto:
        broker = Mosquitto(tmp_path / (name or f"mosquitto-{len(made)}"), **options)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.kill()


@pytest.fixture
def mosquitto(mosquitto_factory):
    """A running Mosquitto on 127.0.0.1 (free port, MQTT 5, persistence on, anonymous allowed)."""
    return mosquitto_factory("mosquitto").start()


@functools.cache
def _opens_kiosk_windows(module_file: str) -> bool:
    return "kiosk" in Path(module_file).read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _kiosk_taps_count_at_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kiosk ignores taps for a moment after its screen changes (a person's double tap, kiosk.window.SETTLE_S);
    a test taps through screens faster than any person, so its windows take every tap unless it is marked
    ``settle`` (the test of that guard)."""
    module_file = getattr(request.module, "__file__", None)
    if module_file and _opens_kiosk_windows(module_file) and request.node.get_closest_marker("settle") is None:
        monkeypatch.setattr("kiosk.window.SETTLE_S", 0.0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a Mosquitto fixture carry the ``broker`` marker (``-m "not broker"`` skips them)."""
    for item in items:
        if {"mosquitto", "mosquitto_factory"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.broker)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """One contact sheet per app from the screenshots in the artifacts folder (tests/contact_sheet.py),
    so a person reviews every screen at a glance; a failure here is reported, never fails the run."""
    if not ARTIFACTS.is_dir() or getattr(session.config, "workerinput", None) is not None:
        return
    from tests import contact_sheet

    if not any(contact_sheet.screenshots(ARTIFACTS, app) for app in contact_sheet.APPS):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else print
    try:
        written = contact_sheet.build(ARTIFACTS)
    except Exception:  # noqa: BLE001 - the sheets are a convenience: say why with the traceback, keep the result
        say("contact sheets not written:\n" + traceback.format_exc())
        return
    say("contact sheets: " + ", ".join(str(p) for p in written))
