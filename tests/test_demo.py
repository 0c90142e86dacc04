"""The demo command works end to end: catalog released, embedded broker, hub, one order promised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sync.catalog.store import CatalogStore

REPO = Path(__file__).resolve().parent.parent


def run_check(data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.demo", "--check", "--data", str(data), "--port", "0",
                           "--api-port", "0"], cwd=REPO, capture_output=True, text=True, timeout=240)


def test_demo_check_places_an_order_through_broker_and_hub_and_gets_a_promise(tmp_path: Path) -> None:
    result = run_check(tmp_path / "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "promised for" in result.stdout
    store = CatalogStore(tmp_path / "demo" / "catalog.db")
    try:
        assert {code: r.state for code, r in store.released_products().items()} == {
            "CARGO": "released", "CITY": "released", "MTB": "released"}
    finally:
        store.close()


def test_running_the_demo_again_reuses_the_released_revisions(tmp_path: Path) -> None:
    assert run_check(tmp_path / "demo").returncode == 0
    again = run_check(tmp_path / "demo")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "CARGO@1, CITY@1, MTB@1" in again.stdout
