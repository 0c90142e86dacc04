"""``python -m sync.broker``: the commands a person runs to set up and check brokers."""

from __future__ import annotations

import pytest

from sync.broker.__main__ import main


def test_passwd_writes_password_file_and_acl_for_the_site(tmp_path, capsys) -> None:
    assert main(["passwd", "--site", "plant-a", "--out", str(tmp_path), "kiosk-1", "hub:hub"]) == 0
    passwd = (tmp_path / "passwd").read_text().splitlines()
    assert [line.split(":")[0] for line in passwd] == ["kiosk-1", "hub"]
    assert all(line.split(":", 1)[1].startswith("$7$") for line in passwd)
    acl = (tmp_path / "acl").read_text()
    assert "topic write floorlink/v1/plant-a/up/kiosk-1/#" in acl
    printed = capsys.readouterr().out
    assert "kiosk-1\tdevice\t" in printed and "hub\thub\t" in printed


def test_passwd_refuses_a_user_name_that_would_break_topics(tmp_path, capsys) -> None:
    assert main(["passwd", "--out", str(tmp_path), "kiosk/1"]) == 2
    assert "not allowed" in capsys.readouterr().err
    assert not (tmp_path / "passwd").exists()


@pytest.mark.broker
def test_check_reports_a_round_trip_through_a_running_broker(mosquitto, capsys) -> None:
    assert main(["check", "--host", mosquitto.host, "--port", str(mosquitto.port)]) == 0
    assert "ok: QoS 1 MQTT 5 round trip" in capsys.readouterr().out


def test_check_reports_an_unreachable_broker(capsys) -> None:
    from sync.broker import free_port

    assert main(["check", "--port", str(free_port())]) == 2
    assert "cannot connect" in capsys.readouterr().err


def test_passwd_keeps_known_passwords_adds_new_users_and_removes_unlisted(tmp_path, capsys) -> None:
    assert main(["passwd", "--out", str(tmp_path), "hub:hub", "kiosk-1", "st-1"]) == 0
    before = dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())
    capsys.readouterr()
    assert main(["passwd", "--out", str(tmp_path), "--renew", "st-1", "hub:hub", "kiosk-1", "st-1", "st-2"]) == 0
    after = dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())
    assert after["hub"] == before["hub"] and after["kiosk-1"] == before["kiosk-1"]
    assert after["st-1"] != before["st-1"] and "st-2" in after
    printed = capsys.readouterr().out
    assert "st-1\tdevice\t" in printed and "st-2\tdevice\t" in printed and "kiosk-1\tdevice" not in printed
    assert main(["passwd", "--out", str(tmp_path), "hub:hub", "kiosk-1"]) == 0
    assert "removed st-1" in capsys.readouterr().out
    assert set(dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())) == {"hub", "kiosk-1"}


def test_passwd_refuses_a_broken_existing_password_file_and_keeps_it(tmp_path, capsys) -> None:
    (tmp_path / "passwd").write_text("hub:$7$ok\nthis line is broken\n")
    assert main(["passwd", "--out", str(tmp_path), "hub:hub"]) == 2
    assert f"{tmp_path / 'passwd'}:2" in capsys.readouterr().err
    assert (tmp_path / "passwd").read_text() == "hub:$7$ok\nthis line is broken\n"


def test_run_with_kind_none_starts_nothing(monkeypatch, capsys) -> None:
    monkeypatch.setenv("FLOORLINK_BROKER_KIND", "none")
    assert main(["run"]) == 0
    assert "nothing to start" in capsys.readouterr().out
