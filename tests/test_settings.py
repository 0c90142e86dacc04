"""Settings are declared once, validated from that declaration and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync import settings
from sync.errors import SettingsError

REPO = Path(__file__).resolve().parent.parent


def test_defaults_apply_when_nothing_is_configured() -> None:
    s = settings.load(environ={})
    assert s.get("mqtt.port") == 1883
    assert s.sources["mqtt.port"] == "default"


def test_file_then_environment_override_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "floorlink.toml"
    cfg.write_text('[mqtt]\nport = 1999\nhost = "broker.local"\n', encoding="utf-8")
    s = settings.load(cfg, environ={"FLOORLINK_MQTT_PORT": "2001"})
    assert s.get("mqtt.host") == "broker.local"
    assert s.get("mqtt.port") == 2001
    assert s.sources["mqtt.port"] == "FLOORLINK_MQTT_PORT"


def test_wrong_type_names_the_file_section_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "floorlink.toml"
    cfg.write_text('[mqtt]\nport = "eighty"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        settings.load(cfg, environ={})
    assert "mqtt.port" in str(err.value) and str(cfg) in str(err.value)


def test_out_of_range_environment_value_is_refused() -> None:
    with pytest.raises(SettingsError, match="FLOORLINK_MQTT_PORT"):
        settings.load(environ={"FLOORLINK_MQTT_PORT": "70000"})


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "floorlink.toml"
    cfg.write_text("[mqtt]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="mqtt.prot"):
        settings.load(cfg, environ={})


def test_choice_outside_the_declared_ones_is_refused() -> None:
    with pytest.raises(SettingsError, match="node.language"):
        settings.load(environ={"FLOORLINK_NODE_LANGUAGE": "fr"})


def test_unknown_time_zone_is_refused_where_it_was_set(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="FLOORLINK_NODE_TIME_ZONE") as err:
        settings.load(environ={"FLOORLINK_NODE_TIME_ZONE": "Asia/Shanghia"})
    assert "unknown time zone" in str(err.value)
    assert settings.load(environ={"FLOORLINK_NODE_TIME_ZONE": "Asia/Shanghai"}).get("node.time_zone") == "Asia/Shanghai"


def test_a_moved_setting_in_a_file_points_to_its_new_place(tmp_path: Path) -> None:
    cfg = tmp_path / "floorlink.toml"
    cfg.write_text('[station]\ntime_zone = "Asia/Shanghai"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="moved to 'node.time_zone'") as err:
        settings.load(cfg, environ={})
    assert "[node]" in str(err.value) and str(cfg) in str(err.value)


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        settings.load(tmp_path / "nope.toml", environ={})


def test_docs_settings_md_matches_the_declarations() -> None:
    documented = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert documented == settings.reference_markdown(), (
        "docs/settings.md is out of date: run  .venv/bin/python -m sync.settings > docs/settings.md"
    )
