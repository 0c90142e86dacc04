"""The staff PIN: only a hash is stored, checks are constant-time, 5 wrong tries lock the pad with a
countdown, and a kiosk without a PIN does not start (the demo sets its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.errors import SettingsError
from sync.pin import PinGuard, hash_pin, hash_problem, verify_pin
from sync.settings import load
from tests.staff_pin import STAFF_HASH, STAFF_PIN

REPO = Path(__file__).resolve().parent.parent


def test_the_hash_is_salted_and_verifies_only_the_right_pin() -> None:
    one, two = hash_pin("2468", iterations=10_000), hash_pin("2468", iterations=10_000)
    assert one != two and "2468" not in one  # a fresh salt each time, the PIN nowhere in it
    assert verify_pin("2468", one) and verify_pin("2468", two)
    assert not verify_pin("2469", one) and not verify_pin("", one) and not verify_pin("2468", "")
    assert hash_problem(one) is None and hash_problem("2468") is not None


def test_the_check_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    import sync.pin as pin

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(pin.hmac, "compare_digest", spy)
    assert verify_pin(STAFF_PIN, STAFF_HASH) and not verify_pin("0000", STAFF_HASH)
    assert len(compared) == 2


def test_five_wrong_pins_lock_the_pad_and_the_lockout_grows() -> None:
    now = [0.0]
    guard = PinGuard(STAFF_HASH, clock=lambda: now[0])
    for _ in range(4):
        assert not guard.check("0000")
    assert guard.locked_for() == 0
    assert not guard.check("0000")
    assert guard.locked_for() == 60
    assert not guard.check(STAFF_PIN), "even the right PIN waits out the lockout"
    now[0] = 59.2
    assert guard.locked_for() == 1
    now[0] = 60.0
    for _ in range(5):
        guard.check("1111")
    assert guard.locked_for() == 120  # the second lockout is twice as long
    now[0] = 200.0
    assert guard.check(STAFF_PIN) and guard.locked_for() == 0 and guard.wrong == 0


def test_a_plain_pin_in_the_settings_is_refused_with_what_to_do(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\nadmin_pin = "2468"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="python -m sync.pin") as caught:
        load(config, environ={})
    assert str(config) in str(caught.value)
    with pytest.raises(SettingsError, match="FLOORLINK_KIOSK_ADMIN_PIN"):
        load(environ={"FLOORLINK_KIOSK_ADMIN_PIN": "2468"})
    with pytest.raises(SettingsError, match="kiosk.admin_pin_hash"):
        load(environ={"FLOORLINK_KIOSK_ADMIN_PIN_HASH": "2468"})
    assert load(environ={}).get("kiosk.admin_pin_hash") == "", "no PIN unless one is set"


def test_the_kiosk_does_not_start_without_a_staff_pin(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "FLOORLINK_CONFIG": "",
           "FLOORLINK_NODE_DATA_DIR": str(tmp_path)}
    env.pop("FLOORLINK_KIOSK_ADMIN_PIN_HASH", None)
    done = subprocess.run([sys.executable, "-m", "kiosk", "--windowed", "--no-sync", "--report-ready"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "READY" not in done.stdout
    assert "no staff PIN is set" in done.stderr and "python -m sync.pin" in done.stderr


def test_the_kiosk_pad_locks_after_five_wrong_pins_and_counts_down(qtbot, tmp_path: Path, artifacts: Path) -> None:
    pytest.importorskip("PySide6")
    from kiosk.app import style_application
    from kiosk.events import MemorySink
    from kiosk.flow import KioskModel, Screen
    from kiosk.qt import QApplication, QLabel
    from kiosk.window import KioskWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    now = [1000.0]
    model = KioskModel(None, MemorySink(), admin_pin_hash=STAFF_HASH, clock=lambda: now[0])
    window = KioskWindow(model, receipts=tmp_path)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    model.open_admin()

    def error_text() -> str:
        QApplication.processEvents()
        return next(w.text() for w in window.findChildren(QLabel, "fieldError") if w.isVisible())

    for _ in range(5):
        for key in "1357":
            model.admin_key(key)
        model.admin_submit()
    assert error_text() == "Too many wrong PINs. Try again in 60 s."
    for key in STAFF_PIN:
        model.admin_key(key)
    assert not model.admin_submit() and not model.admin_unlocked
    now[0] += 45
    model.tick()
    assert error_text() == "Too many wrong PINs. Try again in 15 s."
    from tests.test_kiosk_ui import shot

    shot(window, artifacts, "en-19-admin-locked")
    now[0] += 15
    model.tick()
    assert error_text() == ""
    for key in STAFF_PIN:
        model.admin_key(key)
    assert model.admin_submit() and model.admin_unlocked and model.screen == Screen.ADMIN
