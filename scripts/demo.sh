#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the demo: every app on this machine, an embedded broker, the demo catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m sync.demo "$@"
