"""The dashboard's settings come from their one declaration in sync/settings.py; bad values are refused there."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync import settings as settings_module
from sync.errors import SettingsError


def test_dashboard_defaults_are_declared_once() -> None:
    values = settings_module.load(environ={}).section("dashboard")
    assert values == {"stale_after_s": 15, "time_refresh_s": 5.0, "default_tab": "orders", "work_centre": ""}


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
