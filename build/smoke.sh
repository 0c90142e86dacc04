#!/usr/bin/env bash
# Smoke test of the frozen bundles: each program starts from its bundle alone against a real Mosquitto,
# does one real thing and stops cleanly.
#   hub       answers its API: /api/v1/health, and /api/v1/orders with the bearer token (401 without);
#             computes KPIs in its report worker and leaves no process behind
#   kiosk     (offscreen) shows the gallery from a catalog database of released revisions, sync on
#   terminal  (offscreen) shows its station screen, decodes a badge label from an image (logging the
#             worker in) and records an event naming her (a device.heartbeat in its outbox)
# Usage: build/smoke.sh DIST_FOLDER [hub|kiosk|terminal|all]...   (DIST_FOLDER/floorlink-APP/floorlink-APP)
set -euo pipefail
dist=$(cd "${1:?usage: build/smoke.sh DIST_FOLDER [hub|kiosk|terminal|all]...}" && pwd)
shift
apps=("$@")
if [ ${#apps[@]} -eq 0 ] || [ "${apps[0]}" = all ]; then apps=(hub kiosk terminal); fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# the build's own Python makes the test inputs (a released catalog, a PIN hash); the bundles never use it
python=${FLOORLINK_SMOKE_PYTHON:-$repo/.venv/bin/python}
export QT_QPA_PLATFORM=offscreen
work=$(mktemp -d)
broker=
trap '[ -n "$broker" ] && kill $broker 2>/dev/null; rm -rf "$work"' EXIT
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
program() {
  local path="$dist/floorlink-$1/floorlink-$1"
  [ -x "$path" ] || { echo "smoke: no $1 bundle at $path (build it: bash build/build.sh $1)" >&2; exit 1; }
  echo "$path"
}

port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker=$!
export FLOORLINK_MQTT_PORT=$port

smoke_hub() {
  local hub data api_port api pid children child state
  hub=$(program hub)
  data="$work/hub" && mkdir -p "$data"
  echo "smoke: hub --help"
  "$hub" --help | grep -q "python -m sync.hub"
  echo "smoke: hub starts against a real Mosquitto, answers its API and stops on SIGTERM"
  api_port=$(free_port)
  FLOORLINK_NODE_DATA_DIR="$data" FLOORLINK_HUB_API_TOKENS=smoke-token "$hub" --allow-unknown-devices \
    --api-port "$api_port" > "$work/hub.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do grep -q "hub ready" "$work/hub.out" && break; sleep 0.5; done
  grep -q "hub ready" "$work/hub.out" || { echo "hub did not get ready:"; cat "$work/hub.out"; exit 1; }
  api=$(grep -o 'http://[^ ]*/api/v1' "$work/hub.out")
  curl -fsS -H "Authorization: Bearer smoke-token" "$api/health" | grep -q '"ok": *true' \
    || { echo "hub API not healthy at $api/health"; cat "$work/hub.out"; exit 1; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/orders")" = 401 ] \
    || { echo "hub API answered /orders without a token"; exit 1; }
  curl -fsS -H "Authorization: Bearer smoke-token" "$api/orders" > /dev/null \
    || { echo "hub API refused /orders with its token"; cat "$work/hub.out"; exit 1; }
  echo "smoke: hub computes a report in its worker process, and leaves no process behind when it stops"
  curl -fsS -H "Authorization: Bearer smoke-token" "$api/kpis" > /dev/null \
    || { echo "no KPIs from $api"; cat "$work/hub.out"; exit 1; }
  children=$(descendants $pid)
  [ -n "$children" ] || { echo "the hub's report worker is not running"; cat "$work/hub.out"; exit 1; }
  kill -TERM $pid
  wait $pid || { echo "hub did not stop cleanly"; cat "$work/hub.out"; exit 1; }
  sleep 1
  for child in $children; do
    # a zombie (Z) has exited: only waiting for an init that does not reap (containers)
    state=$(ps -o stat= -p "$child" 2>/dev/null || true)
    if [ -n "$state" ] && [ "${state:0:1}" != Z ]; then
      echo "process $child left running after the hub stopped"; ps -fp "$child"; exit 1
    fi
  done
  echo "smoke: hub passed"
}

smoke_kiosk() {
  local kiosk data
  kiosk=$(program kiosk)
  data="$work/kiosk" && mkdir -p "$data"
  echo "smoke: kiosk shows the gallery from a released catalog revision (sync on, real Mosquitto)"
  "$python" -c 'import sys; from pathlib import Path; from sync.demo import release_catalog
print(release_catalog(Path(sys.argv[1]), Path(sys.argv[2])))' "$repo/assets/catalog" "$data/catalog.db" > "$work/released.out"
  # a kiosk does not start without a staff PIN hash (kiosk.admin_pin_hash): a throw-away one here
  FLOORLINK_KIOSK_ADMIN_PIN_HASH=$("$python" -c 'import base64, hashlib, os; s = os.urandom(16); b = lambda x: base64.b64encode(x).decode(); print("pbkdf2_sha256$100000$" + b(s) + "$" + b(hashlib.pbkdf2_hmac("sha256", b"2468", s, 100000)))')
  (cd "$data" && FLOORLINK_NODE_DATA_DIR="$data" FLOORLINK_KIOSK_ADMIN_PIN_HASH=$FLOORLINK_KIOSK_ADMIN_PIN_HASH \
    "$kiosk" --windowed --catalog "$data/catalog.db" --report-ready) > "$work/kiosk.out" 2>&1 \
    || { echo "kiosk did not stop cleanly:"; cat "$work/kiosk.out"; exit 1; }
  grep -q "^READY" "$work/kiosk.out" || { echo "kiosk showed no screen:"; cat "$work/kiosk.out"; exit 1; }
  # the released revisions loaded: no out-of-service problem reported
  grep -q "problem=$" "$work/kiosk.out" || { echo "kiosk is out of service:"; cat "$work/kiosk.out"; exit 1; }
  echo "smoke: kiosk passed"
}

smoke_terminal() {
  local terminal data
  terminal=$(program terminal)
  data="$work/terminal" && mkdir -p "$data/camera"
  echo "smoke: terminal starts offscreen, shows its station screen and decodes a badge label from an image"
  "$terminal" --help | grep -q -- "--dashboard"
  cp "$here/smoke-badge.png" "$data/camera/"   # a QR badge label, E-0042
  # the demo roster knows badge E-0042: the scan logs Li Wei in, and the heartbeat recorded next names her
  (cd "$data" && FLOORLINK_NODE_DATA_DIR="$data" FLOORLINK_NODE_DEVICE_ID=st-smoke FLOORLINK_STATION_DEMO_ROSTER=true \
    "$terminal" --windowed --source "folder:$data/camera" --report-ready) \
    > "$work/terminal.out" 2>&1 || { echo "terminal failed or did not stop cleanly:"; cat "$work/terminal.out"; exit 1; }
  grep -q "^READY" "$work/terminal.out" || { echo "terminal showed no screen:"; cat "$work/terminal.out"; exit 1; }
  grep -q "^SCANNED FL1:BADGE:E-0042:A$" "$work/terminal.out" || { echo "terminal decoded nothing:"; cat "$work/terminal.out"; exit 1; }
  grep -q "^RECORDED device.heartbeat worker=E-0042$" "$work/terminal.out" \
    || { echo "terminal recorded no event naming the badge:"; cat "$work/terminal.out"; exit 1; }
  echo "smoke: terminal's event is in its outbox ($data/st-smoke.db)"
  "$python" -c 'import json, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT body FROM outbox WHERE type = ?", ("device.heartbeat",)).fetchall()
sys.exit(0 if any(json.loads(body).get("worker") == "E-0042" for (body,) in rows) else 1)' "$data/st-smoke.db" \
    || { echo "no device.heartbeat naming E-0042 in the terminal's outbox"; exit 1; }
  echo "smoke: terminal passed"
}

for app in "${apps[@]}"; do
  case "$app" in
    hub|kiosk|terminal) "smoke_$app" ;;
    *) echo "smoke: unknown app '$app' (hub, kiosk, terminal or all)"; exit 2 ;;
  esac
done
echo "smoke: all passed (${apps[*]})"
