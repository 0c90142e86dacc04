#!/usr/bin/env bash
# Builds the frozen apps into build/dist/floorlink/ with PyInstaller, then runs the smoke test
# (build/smoke.sh). Only a build whose smoke test passes counts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath build/dist --workpath build/work build/floorlink.spec
bash build/smoke.sh build/dist/floorlink
