"""The service units in deploy/systemd parse, restart what they run, and name paths and commands that exist.

systemd-analyze verify reads each unit (on a copy whose install paths point at this checkout and
venv: /opt/floorlink/src and /opt/floorlink/venv in docs/install.md); without it a structural check
runs. Every module a unit starts is a real entry point, every /etc file it names is one
docs/install.md puts there, and every command it runs is installed here or by install.md's apt-get.
"""

from __future__ import annotations

import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
INSTALL = (REPO / "docs" / "install.md").read_text(encoding="utf-8")
SRC, VENV_PYTHON = "/opt/floorlink/src", "/opt/floorlink/venv/bin/python"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def apt_installed_by_the_guide() -> set[str]:
    return {word for line in re.findall(r"apt-get install[^\n]*", INSTALL) for word in line.split()}


def test_the_units_are_there() -> None:
    assert {p.name for p in UNITS} >= {"floorlink-hub.service", "mosquitto.service", "floorlink-kiosk.service",
                                       "floorlink-terminal.service"}


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_a_unit_restarts_its_service_and_names_what_exists(path: Path) -> None:
    parsed = unit(path)
    assert set(parsed.sections()) == {"Unit", "Service", "Install"}
    service = parsed["Service"]
    assert service.get("Restart") == "always", "a shop-floor service comes back by itself"
    assert parsed["Install"].get("WantedBy"), "enable would not start it at boot"
    command = service["ExecStart"].split()
    binary = command[0]
    if binary == "/usr/bin/cage":  # the kiosk compositor: apt-get install cage in docs/install.md
        assert "cage" in apt_installed_by_the_guide()
        command = command[command.index("--") + 1:]
        binary = command[0]
    if binary == VENV_PYTHON:
        assert command[1] == "-m" and importlib.util.find_spec(command[2]) is not None, command
        assert (REPO / Path(*command[2].split("."))).exists(), f"{command[2]} is not a module of this project"
        assert f"{SRC}" in INSTALL and "/opt/floorlink/venv" in INSTALL
        assert service.get("WorkingDirectory") == SRC, "assets/ are read relative to the checkout"
    else:
        assert Path(binary).name in apt_installed_by_the_guide() or Path(binary).exists(), binary
    for etc in re.findall(r"/etc/[\w./-]+", path.read_text(encoding="utf-8")):
        assert etc in INSTALL, f"{path.name} names {etc}, which docs/install.md never puts there"
    assert f"deploy/systemd/{path.name}" in INSTALL, f"docs/install.md does not install {path.name}"


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the structural checks above still ran)")
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace(VENV_PYTHON, sys.executable).replace(SRC, str(REPO))
        if not Path("/usr/bin/cage").exists():
            text = text.replace("/usr/bin/cage", shutil.which("true") or "/bin/true")
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run([analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
                            capture_output=True, text=True, timeout=120)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if str(tmp_path) in line or "Unknown" in line or "ignoring" in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr


def test_the_production_broker_config_is_the_one_the_guide_installs() -> None:
    assert "deploy/mosquitto/mosquitto.conf /etc/mosquitto/mosquitto.conf" in INSTALL
    assert "-c /etc/mosquitto/mosquitto.conf" in (REPO / "deploy" / "systemd" / "mosquitto.service").read_text()
    assert "deploy/floorlink/hub.toml /etc/floorlink/hub.toml" in INSTALL
