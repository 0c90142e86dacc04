"""A technician's typical mistakes each get one sentence naming what and where, not silence or a traceback
(found by a review that installed FloorLink by the docs alone)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sync.errors import SettingsError
from sync.settings import load


def test_a_misspelt_environment_variable_is_refused_like_a_misspelt_file_key() -> None:
    with pytest.raises(SettingsError) as caught:
        load(environ={"FLOORLINK_HUB_API_TOKNS": "secret"})
    assert "FLOORLINK_HUB_API_TOKNS" in str(caught.value) and "docs/settings.md" in str(caught.value)
    assert load(environ={"FLOORLINK_HUB_API_TOKENS": "secret"}).get("hub.api_tokens") == ["secret"]
    assert load(environ={"FLOORLINK_FUZZ_SEEDS": "3"}) is not None, "not a settings section: a test's own knob"
    with pytest.raises(SettingsError, match="FLOORLINK_NODE_TIME_ZONE"):
        load(environ={"FLOORLINK_STATION_TIME_ZONE": "Asia/Shanghai"})  # moved: says where to


def test_a_generated_broker_password_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """About 1 in 64 did, and install.md's `--password HUB-PASSWORD` then read it as an option."""
    from sync.broker import access

    drawn = iter(["-2N1fcSa0AsSlYNOTBUWs-9K", "x2N1fcSa0AsSlYNOTBUWs-9K"])
    monkeypatch.setattr(access.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert access.new_password() == "x2N1fcSa0AsSlYNOTBUWs-9K"


def test_a_second_hub_on_the_same_database_is_refused(tmp_path: Path) -> None:
    """A second hub printed 'hub ready' and the two threw each other off the broker 7,343 times in 13 min."""
    from sync.hub.__main__ import single_hub_lock

    first = single_hub_lock(tmp_path / "hub.db")
    with pytest.raises(SettingsError) as caught:
        single_hub_lock(tmp_path / "hub.db")
    assert "another hub is already running" in str(caught.value) and "hub.db" in str(caught.value)
    assert single_hub_lock(tmp_path / "other" / "hub.db") is not None, "another database: another hub"
    del first


def test_an_api_port_in_use_names_the_setting() -> None:
    from flask import Flask

    from sync.hub.api import ApiServer

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SettingsError) as caught:
            ApiServer(Flask("t"), port=port)
    assert "hub.api_port" in str(caught.value) and str(port) in str(caught.value)


def test_a_missing_ca_file_names_the_setting_not_a_traceback(tmp_path: Path) -> None:
    from sync.protocol.client import MqttLink

    with pytest.raises(SettingsError) as caught:
        MqttLink(client_id="st-1", site="s", tls=True, ca_file=str(tmp_path / "ca.crt"))
    assert "mqtt.ca_file" in str(caught.value) and "ca.crt" in str(caught.value)


def test_a_refused_login_says_so_on_the_station_bar_in_both_languages() -> None:
    from terminal.station import texts
    from terminal.station.status import LinkStatus

    refused = LinkStatus(False, 1, "broker refused the connection: Not authorized")
    assert refused.text.startswith("Offline: this station's login was refused, call IT")
    assert LinkStatus(False, 1, "disconnected: timeout").text.startswith("Offline · ")
    texts.use("zh_CN")
    try:
        assert refused.text.startswith("离线：本工位的登录被拒绝")
    finally:
        texts.use("en")


def test_sync_pin_without_a_terminal_says_so_and_prints_nothing(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Run from a pipe or a service it raised a traceback out of getpass."""
    from sync import pin

    def no_terminal(_prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr(pin.getpass, "getpass", no_terminal)
    assert pin.main() == 2
    out = capsys.readouterr()
    assert out.out == "" and "no PIN typed" in out.err


def test_sync_pin_prints_a_section_to_append_to_the_kiosk_settings(monkeypatch: pytest.MonkeyPatch, capsys,
                                                                   tmp_path: Path) -> None:
    from sync import pin

    monkeypatch.setattr(pin.getpass, "getpass", lambda _prompt: "2468")
    assert pin.main() == 0
    settings = tmp_path / "kiosk.toml"
    settings.write_text('[node]\ndevice_id = "kiosk-1"', encoding="utf-8")  # no newline at its end
    with settings.open("a", encoding="utf-8") as appended:
        appended.write(capsys.readouterr().out)
    loaded = load(settings)
    assert pin.verify_pin("2468", loaded.get("kiosk.admin_pin_hash"))
