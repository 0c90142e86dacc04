#!/usr/bin/env bash
# Smoke test of a frozen build: each program starts from the bundle alone (offscreen), shows
# its first screen or answers, and exits cleanly. Usage: build/smoke.sh build/dist/floorlink
set -euo pipefail
dist=$(cd "${1:?usage: build/smoke.sh DIST_FOLDER}" && pwd)
export QT_QPA_PLATFORM=offscreen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLOORLINK_NODE_DATA_DIR="$work"

echo "smoke: hub --help"
"$dist/floorlink-hub" --help | grep -q "python -m sync.hub"

echo "smoke: kiosk shows its first interactive screen"
(cd "$work" && "$dist/floorlink-kiosk" --windowed --no-sync --report-ready) > "$work/kiosk.out" 2>&1
grep -q "^READY" "$work/kiosk.out" || { cat "$work/kiosk.out"; exit 1; }
# the bundled demo catalog loaded: no out-of-service problem reported
grep -q "problem=$" "$work/kiosk.out" || { echo "kiosk is out of service:"; cat "$work/kiosk.out"; exit 1; }

echo "smoke: terminal starts and quits"
"$dist/floorlink-terminal" --help | grep -q -- "--dashboard"
echo "smoke: all passed"
