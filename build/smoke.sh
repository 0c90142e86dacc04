#!/usr/bin/env bash
# Smoke test of a frozen build: each program starts from the bundle alone (offscreen), shows
# its first screen or answers, and exits cleanly; the terminal also decodes a label image. Usage: build/smoke.sh build/dist/floorlink
set -euo pipefail
dist=$(cd "${1:?usage: build/smoke.sh DIST_FOLDER}" && pwd)
export QT_QPA_PLATFORM=offscreen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLOORLINK_NODE_DATA_DIR="$work"

echo "smoke: hub --help"
"$dist/floorlink-hub" --help | grep -q "python -m sync.hub"

echo "smoke: hub starts against a real Mosquitto, serves its API and stops on SIGTERM"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; rm -rf "$work"' EXIT
api_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
FLOORLINK_MQTT_PORT=$port FLOORLINK_HUB_API_TOKENS=smoke "$dist/floorlink-hub" --allow-unknown-devices \
  --api-port "$api_port" > "$work/hub.out" 2>&1 &
hub=$!
for _ in $(seq 1 120); do grep -q "hub ready" "$work/hub.out" && break; sleep 0.5; done
grep -q "hub ready" "$work/hub.out" || { cat "$work/hub.out"; exit 1; }
api=$(grep -o 'http://[^ ]*/api/v1' "$work/hub.out")
curl -fsS "$api/health" > /dev/null || { echo "hub API did not answer at $api"; cat "$work/hub.out"; exit 1; }
echo "smoke: hub computes a report in its worker process, and leaves no process behind when it stops"
curl -fsS -H 'Authorization: Bearer smoke' "$api/kpis" > /dev/null || { echo "no KPIs from $api"; cat "$work/hub.out"; exit 1; }
descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
children=$(descendants $hub)
[ -n "$children" ] || { echo "the hub's report worker is not running"; cat "$work/hub.out"; exit 1; }
kill -TERM $hub; wait $hub || { echo "hub did not stop cleanly"; cat "$work/hub.out"; exit 1; }
sleep 1
for p in $children; do
  if kill -0 "$p" 2>/dev/null; then echo "process $p left running after the hub stopped"; ps -fp "$p"; exit 1; fi
done

echo "smoke: kiosk shows its first interactive screen"
# a kiosk does not start without a staff PIN hash (kiosk.admin_pin_hash): a throw-away one here
FLOORLINK_KIOSK_ADMIN_PIN_HASH=$(python3 -c 'import base64, hashlib, os; s = os.urandom(16); b = lambda x: base64.b64encode(x).decode(); print("pbkdf2_sha256$100000$" + b(s) + "$" + b(hashlib.pbkdf2_hmac("sha256", b"2468", s, 100000)))')
export FLOORLINK_KIOSK_ADMIN_PIN_HASH
(cd "$work" && "$dist/floorlink-kiosk" --windowed --no-sync --report-ready) > "$work/kiosk.out" 2>&1
grep -q "^READY" "$work/kiosk.out" || { cat "$work/kiosk.out"; exit 1; }
# the bundled demo catalog loaded: no out-of-service problem reported
grep -q "problem=$" "$work/kiosk.out" || { echo "kiosk is out of service:"; cat "$work/kiosk.out"; exit 1; }

echo "smoke: terminal starts offscreen, shows its station screen and decodes a badge label from an image"
"$dist/floorlink-terminal" --help | grep -q -- "--dashboard"
mkdir -p "$work/camera"
cp "$(cd "$(dirname "$0")" && pwd)/smoke-badge.png" "$work/camera/"   # a QR badge label, E-0042
FLOORLINK_MQTT_PORT=$port "$dist/floorlink-terminal" --windowed --source "folder:$work/camera" --report-ready \
  > "$work/terminal.out" 2>&1 || { echo "terminal failed:"; cat "$work/terminal.out"; exit 1; }
grep -q "^READY" "$work/terminal.out" || { echo "terminal showed no screen:"; cat "$work/terminal.out"; exit 1; }
grep -q "^SCANNED FL1:BADGE:E-0042:A$" "$work/terminal.out" || { echo "terminal decoded nothing:"; cat "$work/terminal.out"; exit 1; }
echo "smoke: all passed"
