"""``python -m terminal``: wrong options and settings stop it with a message, before any window opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.app import main


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Nothing is written outside tmp_path, whatever the test does."""
    monkeypatch.setenv("FLOORLINK_NODE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--source", "webcam"], "--source 'webcam' is not understood"),
     (["--source", "folder:/no/such/folder"], "no such folder"),
     (["--config", "/no/such/file.toml"], "configuration file not found")],
)
def test_bad_command_lines_stop_with_a_clear_message(argv: list[str], message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_station_settings_stop_with_the_file_and_key(tmp_path: Path, data_dir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "station.toml"
    config.write_text('[node]\ntime_zone = "Mars/Olympus"\n', encoding="utf-8")
    assert main(["--config", str(config), "--source", "none"]) == 2
    err = capsys.readouterr().err
    assert "'Mars/Olympus': unknown time zone" in err and str(config) in err
    assert not data_dir.exists()  # refused before any database was created


def test_roster_cli_adds_a_worker_who_can_then_log_in_with_the_pin(data_dir: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from sync.settings import load
    from terminal.app import build_session, open_ledger
    from terminal.station.roster import main as roster
    from terminal.station.session import Tone

    assert roster(["add", "e-0101", "Wang Fang", "--pin", "5150", "--supervisor"]) == 0
    assert roster(["list"]) == 0
    assert "E-0101\tWang Fang\tPIN\tsupervisor" in capsys.readouterr().out
    session = build_session(load(), open_ledger(load()))
    assert session.login_pin("5150").tone is Tone.OK
    assert session.worker is not None and session.worker.supervisor


@pytest.mark.parametrize(("argv", "message"), [(["add", "E 1", "X", "--pin", "1234"], "cannot be printed"),
                                               (["add", "E-1", "X", "--pin", "12"], "4 to 8 digits"),
                                               (["add", "E-1", " ", "--pin", "1234"], "name is empty")])
def test_roster_cli_refuses_bad_entries(argv: list[str], message: str, data_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from terminal.station.roster import main as roster

    assert roster(argv) == 2
    assert message in capsys.readouterr().err
    assert not data_dir.exists()


def test_station_rules_and_view_models_load_no_qt() -> None:
    """terminal/station is plain Python: tests and other front ends drive it without a screen."""
    import subprocess
    import sys

    code = (
        "import importlib, pkgutil, sys, terminal.station as p\n"
        "for m in pkgutil.walk_packages(p.__path__, 'terminal.station.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_roster_alone_lets_the_demo_workers_log_in_without_demo_work_orders(data_dir: Path) -> None:
    from sync.settings import load
    from terminal.app import build_session, open_ledger
    from terminal.station.session import Tone

    settings = load(environ={"FLOORLINK_NODE_DATA_DIR": str(data_dir), "FLOORLINK_STATION_DEMO_ROSTER": "1"})
    ledger = open_ledger(settings)
    session = build_session(settings, ledger)
    assert ledger.work_orders() == []
    assert session.login_pin("9999").tone is Tone.OK
