"""bench/startup.py reads bundles it did not build: a missing one is skipped with the reason, sizes are
what the files take on disk, and build.sh's size lines say when a bundle is over its target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def test_missing_bundles_are_skipped_with_the_build_command_and_the_last_line_is_json(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "bench" / "startup.py"), "--quick", "--dist", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for app in ("hub", "kiosk", "terminal"):
        assert f"bash build/build.sh {app}" in result["apps"][app]["skipped"]
        assert result["met"][f"size_{app}"] is None  # nothing measured, nothing claimed
    assert result["met"]["frozen_kiosk_first_screen_s"] is None


def test_a_bundle_size_counts_blocks_on_disk_and_hard_links_once(tmp_path: Path) -> None:
    from bench.startup import size_on_disk_mb

    folder = tmp_path / "floorlink-hub"
    folder.mkdir()
    (folder / "lib.so").write_bytes(os.urandom(3_000_000))
    os.link(folder / "lib.so", folder / "same.so")
    with open(folder / "sparse.bin", "wb") as handle:  # 50 MB long, nothing written: no blocks
        handle.truncate(50_000_000)
    assert 3.0 <= size_on_disk_mb(folder) < 3.2


def test_the_size_lines_name_a_bundle_over_its_target_and_a_missing_one(tmp_path: Path) -> None:
    folder = tmp_path / "floorlink-hub"
    folder.mkdir()
    (folder / "big.so").write_bytes(b"\1" * 81_000_000)
    done = subprocess.run([sys.executable, str(REPO / "bench" / "startup.py"), "--sizes", "hub", "kiosk",
                           "--dist", str(tmp_path)], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 1  # the kiosk bundle is missing
    assert "size: hub: 81.0 MB on disk (target <= 80 MB): OVER target by 1.0 MB" in done.stdout
    assert "size: kiosk: no bundle at" in done.stdout and "bash build/build.sh kiosk" in done.stdout
