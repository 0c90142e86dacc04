#!/usr/bin/env bash
# Sets up everything FloorLink needs on a Debian/Ubuntu machine with Python 3.11+:
# system packages (through apt-get when run as root, otherwise a message naming them)
# and a virtualenv in .venv with the project installed in editable mode.
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "FloorLink needs Python 3.11 or newer as '$PY' (set PYTHON=/path/to/python3.11 to choose one)." >&2
  exit 1
fi

# libzbar0: pyzbar's decoder; mosquitto: the broker tests and production use;
# libgl1 ... libdbus-1-3: what Qt needs to draw (offscreen too); libxcb-*/libxkbcommon-x11-0: Qt's
# X11 windows for the demo on a desktop; libpulse0: QtMultimedia, the terminal's scan tones;
# fonts-wqy-microhei: Simplified Chinese glyphs; gcc, make, mosquitto-dev, libmosquitto-dev (mosquitto.h,
# which mosquitto-dev does not pull in): the broker plugin that refuses
# retained publishes upward (deploy/mosquitto/plugin), built by its test.
SYSTEM_PACKAGES=(libzbar0 mosquitto gcc make mosquitto-dev libmosquitto-dev libgl1 libegl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libpulse0 fonts-wqy-microhei)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packaged mosquitto service would hold port 1883; FloorLink starts its own brokers.
    if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
      systemctl stop mosquitto || true
    fi
  else
    echo "FloorLink needs these system packages, which are not installed: ${missing[*]}" >&2
    echo "Install them as root, then run this again:  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.floorlink-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
