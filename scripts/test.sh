#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the checks CI runs: ruff, mypy and the test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k catalog   or   scripts/test.sh -m slow
# Tests run in one process per core, at most 4 (pytest-xdist); scripts/test.sh -n 0 runs them in one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check sync kiosk terminal tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -m "not slow" -n auto --maxprocesses 4 "$@"
