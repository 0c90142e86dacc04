"""build/smoke.sh checks what it prints: run against the programs from source (wrappers standing in
for the frozen bundles), the hub answers its API with its token, the kiosk shows released revisions and
the terminal step really starts the station offscreen, decodes a label and records an event."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_the_smoke_script_runs_each_app_and_the_terminal_decodes_a_label(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    for tool in ("mosquitto", "curl"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            pytest.skip(f"{tool} not installed")
    dist = tmp_path / "dist"
    dist.mkdir()
    for name, module in (("floorlink-hub", "sync.hub"), ("floorlink-kiosk", "kiosk"), ("floorlink-terminal", "terminal")):
        (dist / name).mkdir()
        wrapper = dist / name / name  # a bundle's folder and program: build/dist/floorlink-hub/floorlink-hub
        wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m {module} "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"/usr/sbin:{os.environ.get('PATH', '')}", "FLOORLINK_CONFIG": ""}
    done = subprocess.run(["bash", str(REPO / "build" / "smoke.sh"), str(dist)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "smoke: all passed" in done.stdout
    assert "decodes a badge label from an image" in done.stdout
    assert "terminal's event is in its outbox" in done.stdout  # the scan logged the worker in, a heartbeat names her
    for app in ("hub", "kiosk", "terminal"):
        assert f"smoke: {app} passed" in done.stdout


def test_the_smoke_script_fails_naming_a_missing_bundle(tmp_path: Path) -> None:
    for tool in ("mosquitto",):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            pytest.skip(f"{tool} not installed")
    env = {**os.environ, "PATH": f"/usr/sbin:{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", str(REPO / "build" / "smoke.sh"), str(tmp_path), "kiosk"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "no kiosk bundle" in done.stderr and "build.sh kiosk" in done.stderr
