#!/usr/bin/env bash
# Makes build/venv, the environment the bundles are frozen from: the apps' extras and PyInstaller at the
# versions .venv has, with two packages built smaller than PyPI ships them (issue 15's bundle sizes):
#   OpenCV   only core, imgproc, imgcodecs (PNG, JPEG, WebP, TIFF, BMP) and videoio (V4L2 cameras, MJPEG AVI);
#            PyPI's cv2 links FFmpeg, AV1/AVIF decoders and OpenBLAS the terminal never calls: 172 MB -> ~20 MB.
#   numpy    without BLAS (its own lapack_lite): PyPI's wheel carries OpenBLAS, 28 MB; the apps' arrays are
#            daily series and camera frames, never large matrix products.
# Both are built once from their source releases (sha256 checked against PyPI) and kept in build/cache/;
# the first run takes about 25 minutes on 2 cores, later runs a minute. Needs cmake, ninja, g++ and the
# Python headers (apt-get as root, else a message naming them).
# Usage: bash build/trimmed.sh        (build.sh runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=build/cache
mkdir -p "$CACHE/wheels"

PY=.venv/bin/python
[ -x "$PY" ] || { echo "trimmed.sh: run scripts/setup.sh first (no .venv)" >&2; exit 1; }
PYVER=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
missing=()
for tool in cmake ninja g++; do command -v "$tool" >/dev/null || missing+=("$tool")
done
"$PY" -c 'import sysconfig, os, sys; sys.exit(0 if os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
  || missing+=("python$PYVER-dev")
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sed 's/^ninja$/ninja-build/' | tr '\n' ' ')  # Debian's names
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "trimmed.sh: installing $pkgs"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  else
    echo "trimmed.sh: the trimmed OpenCV and numpy need build tools that are missing: sudo apt-get install $pkgs" >&2
    exit 1
  fi
fi

version() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))"; }
OPENCV=$(version opencv-python-headless)
NUMPY=$(version numpy)
CV2="$CACHE/opencv-$OPENCV-py$PYVER/cv2.so"

# ---------------------------------------------------------------- numpy without BLAS
if ! ls "$CACHE/wheels/numpy-$NUMPY-"*.whl >/dev/null 2>&1; then
  echo "trimmed.sh: building numpy $NUMPY without BLAS (about 8 minutes)"
  "$PY" -m pip wheel -q --no-binary numpy "numpy==$NUMPY" --no-deps -w "$CACHE/wheels" \
    -Csetup-args=-Dblas=none -Csetup-args=-Dlapack=none -Csetup-args=-Dallow-noblas=true
fi

# ---------------------------------------------------------------- OpenCV's cv2, four modules
if [ ! -f "$CV2" ]; then
  echo "trimmed.sh: building OpenCV $OPENCV with core, imgproc, imgcodecs and videoio (about 20 minutes)"
  src="$CACHE/opencv-src-$OPENCV"
  if [ ! -d "$src" ]; then
    "$PY" build/fetch_sdist.py opencv-python-headless "$OPENCV" "$CACHE"
    mkdir -p "$src" && tar xzf "$CACHE/opencv_python_headless-$OPENCV.tar.gz" -C "$src" --strip-components=1
  fi
  work="$CACHE/opencv-build-$OPENCV-py$PYVER"
  cmake -S "$src/opencv" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=Release -Wno-dev \
    -DBUILD_LIST=core,imgproc,imgcodecs,videoio,python3 -DBUILD_SHARED_LIBS=OFF -DOPENCV_SKIP_PYTHON_LOADER=ON \
    -DPYTHON3_EXECUTABLE="$PWD/$PY" \
    -DPYTHON3_NUMPY_INCLUDE_DIRS="$("$PY" -c 'import numpy; print(numpy.get_include())')" \
    -DPYTHON3_INCLUDE_DIR="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
    -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=ON -DWITH_LAPACK=OFF -DWITH_EIGEN=OFF -DWITH_IPP=OFF \
    -DWITH_ITT=OFF -DWITH_OPENCL=OFF -DWITH_TBB=OFF -DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF -DWITH_OPENEXR=OFF \
    -DWITH_AVIF=OFF -DWITH_JPEGXL=OFF -DWITH_PROTOBUF=OFF -DWITH_GTK=OFF -DWITH_QT=OFF -DWITH_VA=OFF \
    -DWITH_VA_INTEL=OFF -DWITH_1394=OFF -DWITH_GPHOTO2=OFF -DWITH_OBSENSOR=OFF -DWITH_GDAL=OFF -DWITH_GDCM=OFF \
    -DWITH_SPNG=OFF -DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF -DWITH_IMGCODEC_PXM=OFF \
    -DWITH_IMGCODEC_PFM=OFF -DWITH_WEBP=ON -DWITH_TIFF=ON \
    -DBUILD_JPEG=ON -DBUILD_PNG=ON -DBUILD_ZLIB=ON -DBUILD_WEBP=ON -DBUILD_TIFF=ON \
    -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOCS=OFF -DBUILD_opencv_apps=OFF \
    -DBUILD_JAVA=OFF -DCPU_DISPATCH=AVX2 -DCMAKE_INSTALL_PREFIX="$PWD/$work/install" \
    -DOPENCV_PYTHON3_INSTALL_PATH="$PWD/$work/python" >"$work.cmake.log" 2>&1 \
    || { echo "trimmed.sh: OpenCV's configuration failed, see $work.cmake.log" >&2; exit 1; }
  ninja -C "$work" opencv_python3 >"$work.ninja.log" 2>&1 \
    || { echo "trimmed.sh: OpenCV's build failed, see $work.ninja.log" >&2; exit 1; }
  built=$(find "$work/lib" -name 'cv2*.so' | head -1)
  [ -n "$built" ] || { echo "trimmed.sh: OpenCV built no cv2 module, see $work.ninja.log" >&2; exit 1; }
  strip --strip-unneeded "$built"
  mkdir -p "$(dirname "$CV2")" && cp "$built" "$CV2"
fi

# ---------------------------------------------------------------- build/venv
VENV=build/venv
want="$(sha256sum pyproject.toml | cut -d' ' -f1) numpy-$NUMPY opencv-$OPENCV"
if [ ! -f "$VENV/.floorlink-bundle" ] || [ "$(cat "$VENV/.floorlink-bundle")" != "$want" ]; then
  echo "trimmed.sh: making $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  .venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' >"$CACHE/constraints.txt"
  "$VENV/bin/python" -m pip install -q "$CACHE/wheels/numpy-$NUMPY-"*.whl
  "$VENV/bin/python" -m pip install -q -c "$CACHE/constraints.txt" -e '.[hub,kiosk,terminal]' pyinstaller
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  rm -rf "$site/cv2" "$site/opencv_python_headless.libs"
  cp "$CV2" "$site/cv2.so"
  "$VENV/bin/python" -c 'import cv2, numpy; blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]; has = cv2.videoio_registry.hasBackend; print("trimmed.sh: OpenCV", cv2.__version__, "(V4L2 cameras:", has(cv2.CAP_V4L2), "FFmpeg:", has(cv2.CAP_FFMPEG), ") numpy", numpy.__version__, "(BLAS:", blas.get("name") + ")")'
  echo "$want" >"$VENV/.floorlink-bundle"
fi
