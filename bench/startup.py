"""Frozen bundles: size on disk and cold start, each beside the unfrozen app started the same way.

Reads the bundles ``bash build/build.sh`` left in build/dist/floorlink-{hub,kiosk,terminal}/ and builds
nothing; a missing bundle is skipped with the reason. For each bundle, in the same run:

* Size: the blocks its files take on disk (MB = 10^6 bytes; hard links counted once), against the
  targets hub <= 80, kiosk <= 150, terminal <= 220 MB. ``build.sh`` prints the same figure
  (``--sizes``).
* Cold start, frozen program vs ``python -m`` the same app with the same arguments and settings, both
  against a real Mosquitto (none installed: the hub is skipped, the kiosk and terminal run offline):
  - hub: launch to the first 200 from ``/api/v1/health`` (with the bearer token), then SIGTERM and a
    clean exit;
  - kiosk: ``--windowed --report-ready --catalog DB`` on a catalog database of released revisions, sync
    on (as bench/kiosk.py): launch to the first screen painted and to the gallery taking taps;
  - terminal: ``--windowed --report-ready --source none``: launch to the station screen drawn (READY).
  The first launch of each is reported apart (``first_s``: the disk cache as this run found it); without
  ``--quick`` the median of three as well.

    .venv/bin/python bench/startup.py [--quick]
    .venv/bin/python bench/startup.py --sizes hub kiosk   # sizes only, as build.sh prints them

The last line printed is one JSON object with the figures, the targets and whether they are met.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DIST = REPO / "build" / "dist"
APPS = ("hub", "kiosk", "terminal")
MODULES = {"hub": "sync.hub", "kiosk": "kiosk", "terminal": "terminal"}
TARGETS: dict[str, Any] = {"size_mb": {"hub": 80.0, "kiosk": 150.0, "terminal": 220.0},
                           "frozen_kiosk_first_screen_s": 3.0}
TOKEN = "bench-token"


def bundle(app: str, dist: Path = DIST) -> Path:
    """The folder of ``app``'s bundle (its program has the folder's name)."""
    return dist / f"floorlink-{app}"


def size_on_disk_mb(folder: Path) -> float:
    """What ``folder`` takes on disk: allocated blocks of every file, link and folder, each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in [folder, *folder.rglob("*")]:
        info = path.lstat()
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        total += info.st_blocks * 512
    return round(total / 1e6, 1)


def print_sizes(apps: list[str], dist: Path = DIST) -> int:
    """``--sizes``: one line per bundle, its size against its target; 1 when a bundle is missing."""
    missing = 0
    for app in apps:
        folder = bundle(app, dist)
        if not folder.is_dir():
            print(f"size: {app}: no bundle at {folder} (build it: bash build/build.sh {app})")
            missing += 1
            continue
        size, target = size_on_disk_mb(folder), TARGETS["size_mb"][app]
        verdict = "within target" if size <= target else f"OVER target by {size - target:.1f} MB"
        print(f"size: {app}: {size} MB on disk (target <= {target:.0f} MB): {verdict}")
    return 1 if missing else 0


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before its API answered")
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"no healthy API at {url} within {timeout:.0f} s")


#: hubs told to stop, waited for after the measurements (a hub takes seconds to stop: not what is measured)
STOPPING: list[tuple[subprocess.Popen[bytes], dict[str, Any], tempfile.TemporaryDirectory[str]]] = []


def start_hub(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Launch to a healthy API, then SIGTERM; whether it stopped cleanly is filled in by :func:`stopped`."""
    from sync.broker import free_port

    port = free_port()
    data = tempfile.TemporaryDirectory(prefix="floorlink-bench-startup-")
    started = time.time()
    process = subprocess.Popen([*command, "--allow-unknown-devices", "--api-port", str(port)], cwd=data.name,
                               env=dict(env, FLOORLINK_NODE_DATA_DIR=data.name), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    result: dict[str, Any] = {"stopped_cleanly": None}
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/v1/health", process)
        result["healthy_api_s"] = round(time.time() - started, 3)
    finally:
        process.send_signal(signal.SIGTERM)
        STOPPING.append((process, result, data))
    return result


def stopped() -> None:
    """Wait for the hubs told to stop: exit status 0 is a clean stop."""
    while STOPPING:
        process, result, data = STOPPING.pop()
        try:
            result["stopped_cleanly"] = process.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:
            process.kill()
            result["stopped_cleanly"] = False
        data.cleanup()


def start_kiosk(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    from bench.kiosk import launch

    return launch(command, env)


def start_terminal(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Launch to READY (the station screen drawn), read as the line arrives."""
    with tempfile.TemporaryDirectory(prefix="floorlink-bench-startup-") as data:
        started = time.time()
        process = subprocess.Popen([*command, "--windowed", "--report-ready", "--source", "none"], cwd=data,
                                   env=dict(env, FLOORLINK_NODE_DATA_DIR=data), stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        assert process.stdout is not None
        ready = None
        for line in process.stdout:
            if line.startswith("READY") and ready is None:
                ready = time.time() - started
        code = process.wait(timeout=60)
    if ready is None:
        raise RuntimeError(f"exited with {code} and never reported READY")
    return {"first_screen_s": round(ready, 3), "stopped_cleanly": code == 0}


def runs_of(start: Callable[[list[str], dict[str, str]], dict[str, Any]], command: list[str],
            env: dict[str, str], runs: int, key: str) -> dict[str, Any]:
    """The first launch, and with several the median one by ``key``."""
    results = [start(command, env) for _ in range(runs)]
    figures: dict[str, Any] = {"first": results[0]}
    if runs > 1:
        figures["median"] = sorted(results, key=lambda r: r[key])[runs // 2]
        figures["runs"] = runs
    figures[key] = (figures.get("median") or results[0])[key]
    figures["first_s"] = results[0][key]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one launch of each (< 50 s)")
    parser.add_argument("--sizes", nargs="*", choices=[*APPS, "all"],
                        help="only print the bundles' sizes against their targets (build.sh)")
    parser.add_argument("--dist", type=Path, default=DIST, help="where the bundles are (default build/dist)")
    args = parser.parse_args()
    if args.sizes is not None:
        apps = list(APPS) if not args.sizes or "all" in args.sizes else args.sizes
        raise SystemExit(print_sizes(apps, args.dist))
    runs = 1 if args.quick else 3

    from sync.broker import Mosquitto, find_mosquitto, free_port
    from sync.pin import hash_pin

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="floorlink-bench-startup-") as tmp:
        broker = Mosquitto(Path(tmp) / "mq").start() if find_mosquitto() else None
        try:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO), FLOORLINK_CONFIG="",
                       FLOORLINK_MQTT_HOST="127.0.0.1",
                       FLOORLINK_MQTT_PORT=str(broker.port if broker is not None else free_port()),
                       FLOORLINK_HUB_API_TOKENS=TOKEN, FLOORLINK_NODE_DATA_DIR=str(Path(tmp) / "data"),
                       FLOORLINK_KIOSK_ADMIN_PIN_HASH=hash_pin("2468"))
            database: Path | None = None
            for app in APPS:
                folder = bundle(app, args.dist)
                program = folder / folder.name
                if not program.is_file():
                    results[app] = {"skipped": f"no bundle at {folder} (build it: bash build/build.sh {app})"}
                    print(f"{app}: skipped, {results[app]['skipped']}", flush=True)
                    continue
                if app == "hub" and broker is None:
                    results[app] = {"size_mb": size_on_disk_mb(folder),
                                    "skipped": "mosquitto is not installed: the hub needs its broker to start"}
                    print(f"{app}: start skipped, {results[app]['skipped']}", flush=True)
                    continue
                extra: list[str] = []
                if app == "kiosk":
                    if database is None:
                        from bench.kiosk import released_database

                        database = released_database(Path(tmp))
                    extra = ["--windowed", "--report-ready", "--catalog", str(database)]
                start, key = {"hub": (start_hub, "healthy_api_s"), "kiosk": (start_kiosk, "first_screen_s"),
                              "terminal": (start_terminal, "first_screen_s")}[app]
                frozen = runs_of(start, [str(program), *extra], env, runs, key)
                unfrozen = runs_of(start, [sys.executable, "-m", MODULES[app], *extra], env, runs, key)
                results[app] = {"size_mb": size_on_disk_mb(folder), "measure": key, "frozen": frozen,
                                "unfrozen": unfrozen}
                print(f"{app}: {results[app]['size_mb']} MB on disk (target <= {TARGETS['size_mb'][app]:.0f}); "
                      f"{key} frozen {frozen[key]} s (first {frozen['first_s']} s) vs "
                      f"python -m {MODULES[app]} {unfrozen[key]} s (first {unfrozen['first_s']} s)", flush=True)
        finally:
            stopped()
            if broker is not None:
                broker.stop()
    met: dict[str, bool | None] = {}
    for app in APPS:
        size = results[app].get("size_mb")
        met[f"size_{app}"] = None if size is None else size <= TARGETS["size_mb"][app]
    kiosk = results["kiosk"].get("frozen")
    met["frozen_kiosk_first_screen_s"] = (None if kiosk is None else
                                          kiosk["first_screen_s"] <= TARGETS["frozen_kiosk_first_screen_s"])
    print(json.dumps({"bench": "startup", "quick": args.quick, "cpus": os.cpu_count(),
                      "load_average_1m": round(os.getloadavg()[0], 2),
                      "broker": "mosquitto" if broker is not None else "none installed (kiosk and terminal offline)",
                      "apps": results, "targets": TARGETS, "met": met}))


if __name__ == "__main__":
    main()
