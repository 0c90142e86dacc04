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
    [(["--dashboard"], "dashboard mode is not built yet"),
     (["--source", "webcam"], "--source 'webcam' is not understood"),
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
    config.write_text('[station]\ntime_zone = "Mars/Olympus"\n', encoding="utf-8")
    assert main(["--config", str(config), "--source", "none"]) == 2
    err = capsys.readouterr().err
    assert "unknown time zone 'Mars/Olympus'" in err and str(config) in err
    assert not data_dir.exists()  # refused before any database was created
