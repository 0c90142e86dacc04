"""The dashboard's settings come from their one declaration in sync/settings.py; bad values are refused there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync import settings as settings_module
from sync.errors import SettingsError
from terminal.station import roster

REPO = Path(__file__).resolve().parent.parent


def test_dashboard_defaults_are_declared_once() -> None:
    values = settings_module.load(environ={}).section("dashboard")
    assert values == {"stale_after_s": 15, "time_refresh_s": 5.0, "default_tab": "overview", "cycle_s": 0,
                      "at_risk_h": 8.0, "work_centre": "", "camera": False}


def test_a_stale_after_below_the_snapshot_period_names_the_setting_and_the_file(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text("[dashboard]\nstale_after_s = 2\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        settings_module.load(config, environ={})
    text = str(caught.value)
    assert "dashboard.stale_after_s" in text and "below the minimum 6" in text and str(config) in text


def test_an_unknown_default_tab_in_the_environment_lists_the_allowed_tabs() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_module.load(environ={"FLOORLINK_DASHBOARD_DEFAULT_TAB": "charts"})
    text = str(caught.value)
    assert "dashboard.default_tab" in text and "FLOORLINK_DASHBOARD_DEFAULT_TAB" in text and "'alerts'" in text


def test_a_refresh_period_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(SettingsError, match="dashboard.time_refresh_s must be of type float"):
        settings_module.load(environ={"FLOORLINK_DASHBOARD_TIME_REFRESH_S": "fast"})


SCREEN_PROBE = """
import argparse, json, sys
from sync import settings
from terminal.dashboard import app
from terminal.dashboard.widgets import DashboardWindow
from terminal.qt import QApplication, QTimer

qapp = QApplication([])
seen = {}

def look():
    (window,) = [w for w in qapp.topLevelWidgets() if isinstance(w, DashboardWindow)]
    seen.update(tab=window.tabs.currentWidget() is window.alerts, refresh=window.timer.interval(),
                stale=window.model.stale_after.total_seconds(), centre=window.stations.preferred,
                banner=window.banner.text(), cycle=window.cycle.interval() if window.cycle.isActive() else 0,
                zh=window.tabs.tabText(0), size=[window.width(), window.height()])
    worker = window.core.call(lambda: window.model.identify(sys.argv[2]))  # the roster in this node's store
    seen.update(who=worker.name if worker else None)
    qapp.quit()

QTimer.singleShot(1500, look)
code = app.run(settings.load(sys.argv[1], environ={}), argparse.Namespace(windowed=True))
print(json.dumps({"code": code, **seen}))
"""


def test_the_dashboard_app_starts_with_the_configured_tab_centre_and_timings(tmp_path: Path) -> None:
    """The real entry point in its own process (app.exec() would end this one's event loop for later tests):
    store and sync opened on the core thread, the hub unreachable, the settings reach the screen."""
    config = tmp_path / "site.toml"
    config.write_text(f'[node]\ndata_dir = "{tmp_path / "node"}"\nlanguage = "zh_CN"\n[mqtt]\nport = 1\n'
                      '[dashboard]\ndefault_tab = "alerts"\nwork_centre = "WHEEL"\nstale_after_s = 20\n'
                      'time_refresh_s = 2.5\ncycle_s = 30\n', encoding="utf-8")
    # who may acknowledge: added with the station's roster tool into the dashboard node's own store
    assert roster.main(["--config", str(config), "add", "S-0001", "Chen Jie", "--pin", "2468", "--supervisor"]) == 0
    done = subprocess.run([sys.executable, "-c", SCREEN_PROBE, str(config), "2468"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "code": 0, "tab": True, "refresh": 2500, "stale": 20.0, "centre": "WHEEL",
        "banner": "尚未收到服务器数据 — 与服务器的连接已断开", "cycle": 30_000, "zh": "总览", "size": [1920, 1080],
        "who": "Chen Jie"}
    assert (tmp_path / "node").is_dir()


def test_the_demo_dashboard_takes_the_demo_roster_for_acknowledgements(tmp_path: Path) -> None:
    """sync.demo starts the dashboard with station.demo_roster: its supervisor's PIN names who acknowledges."""
    config = tmp_path / "site.toml"
    config.write_text(f'[node]\ndata_dir = "{tmp_path / "node"}"\n[mqtt]\nport = 1\n[station]\ndemo_roster = true\n',
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", SCREEN_PROBE, str(config), "9999"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["who"] == "Zhang Min"
