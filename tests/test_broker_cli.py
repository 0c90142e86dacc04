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
