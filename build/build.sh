#!/usr/bin/env bash
# Builds the frozen apps with PyInstaller, one bundle per app (build/floorlink.spec):
#   build/dist/floorlink-hub/       the hub: no Qt, no OpenCV                    (target <= 80 MB)
#   build/dist/floorlink-kiosk/     the kiosk: Qt essentials, no OpenCV/decoders (target <= 150 MB)
#   build/dist/floorlink-terminal/  the station terminal and dashboard           (target <= 220 MB)
# then prints each bundle's size on disk against its target and runs its smoke test (build/smoke.sh).
# Only a build whose smoke test passes counts. The bundles are frozen from build/venv (build/trimmed.sh):
# the extras at .venv's versions with OpenCV and numpy built smaller; the first build compiles them
# (about 25 minutes on 2 cores), later ones reuse build/cache/.
# Usage: bash build/build.sh [hub|kiosk|terminal|all]...   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
apps=("$@")
if [ ${#apps[@]} -eq 0 ] || [ "${apps[0]}" = all ]; then apps=(hub kiosk terminal); fi
for app in "${apps[@]}"; do
  case "$app" in
    hub|kiosk|terminal) ;;
    *) echo "build.sh: unknown app '$app': name hub, kiosk, terminal or all" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
bash build/trimmed.sh
for app in "${apps[@]}"; do
  echo "build: $app"
  build/venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
    --distpath build/dist --workpath "build/work/$app" build/floorlink.spec -- "$app"
done
# sizes on disk (blocks used, MB = 10^6 bytes), the same measure bench/startup.py reports
.venv/bin/python bench/startup.py --sizes "${apps[@]}"
bash build/smoke.sh build/dist "${apps[@]}"
