"""One roster at the hub reaches every station (``python -m sync.hub roster``): a technician's review found a
station installed by the guide let nobody in until the roster was typed again at each station. Real hub
service, real Mosquitto, the station's own store and sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.dashboard_cache import DashboardCache
from sync.hub import roster
from sync.hub.service import HubConfig, HubService
from sync.settings import load
from sync.station.ledger import by_pin, pin_hash
from sync.station.stored import StoredLedger
from sync.store import Store
from terminal.app import open_ledger, start_sync
from terminal.dashboard.app import start_sync as dashboard_sync
from tests.test_hub_core import released_catalog
from tests.test_station_catch_up import wait_for

pytestmark = pytest.mark.broker


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Any) -> Iterator[HubService]:
    released_catalog(tmp_path / "catalog.db").close()
    service = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                                   devices=["station:st-wheel-1", "st-wheel-2"], tick_seconds=0.1)).start()
    assert service.wait_ready(20)
    yield service
    service.stop()


def station(tmp_path: Path, port: int, device: str) -> Any:
    return load(environ={"FLOORLINK_NODE_DEVICE_ID": device, "FLOORLINK_NODE_SITE": "demo",
                         "FLOORLINK_NODE_DATA_DIR": str(tmp_path / device), "FLOORLINK_MQTT_PORT": str(port),
                         "FLOORLINK_STATION_WORK_CENTRES": "WHEEL"})


def test_a_worker_added_at_the_hub_can_log_in_at_every_station_and_a_removed_one_no_more(
        hub: HubService, mosquitto: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "hub.db")  # st-wheel-2 is registered without a kind and has sent nothing yet
    assert roster.main(["--db", db, "add", "e-0101", "Wang Fang", "--pin", "5150"]) == 0
    assert roster.main(["--db", db, "add", "S-0001", "Zhang Min", "--pin", "9999", "--supervisor"]) == 0
    ledgers = [open_ledger(station(tmp_path, mosquitto.port, device)) for device in ("st-wheel-1", "st-wheel-2")]
    local = ledgers[1]
    from sync.station.ledger import make_worker

    local.put_worker(make_worker("E-0500", "Local Li", "1234", False))  # typed in at the station: kept
    syncs = [start_sync(station(tmp_path, mosquitto.port, device), ledger)
             for device, ledger in zip(("st-wheel-1", "st-wheel-2"), ledgers, strict=True)]
    # the supervisors' dashboard names the workers from the same roster (seen live: 'E-0101' for Wang Fang)
    dashboard_store = Store(tmp_path / "dash-1.db", device_id="dash-1")
    board_roster = StoredLedger(dashboard_store)
    syncs.append(dashboard_sync(station(tmp_path, mosquitto.port, "dash-1"), dashboard_store,
                                DashboardCache(dashboard_store)))
    ledgers.append(board_roster)
    try:
        for ledger in ledgers:  # both stations and the dashboard
            wait_for(lambda ledger=ledger: {"E-0101", "S-0001"} <= {w.badge for w in ledger.workers()})
            worker = by_pin(ledger.workers(), "5150")
            assert worker is not None and worker.name == "Wang Fang" and not worker.supervisor
            assert worker.pin_hash == pin_hash("E-0101", "5150"), "the PIN as a station checks it"
            assert next(w for w in ledger.workers() if w.badge == "S-0001").supervisor
        assert roster.main(["--db", db, "remove", "E-0101"]) == 0
        for ledger in ledgers:
            wait_for(lambda ledger=ledger: "E-0101" not in {w.badge for w in ledger.workers()})
        assert "E-0500" in {w.badge for w in local.workers()}, "the hub removes only whom it removed"
        capsys.readouterr()
        assert roster.main(["--db", db, "list"]) == 0
        listed = capsys.readouterr().out
        assert "S-0001\tZhang Min\tPIN\tsupervisor" in listed and "E-0101\tWang" not in listed
    finally:
        for sync in syncs:
            sync.stop()


@pytest.mark.parametrize("argv, named", [
    (["add", "E 01", "Wang Fang"], "badge"), (["add", "E-01", ""], "name"),
    (["add", "E-01", "Wang Fang", "--pin", "12"], "4 to 8 digits"), (["remove", "E-9999"], "not on the hub's roster"),
])
def test_a_wrong_entry_is_refused_naming_the_field(hub: HubService, tmp_path: Path, argv: list[str], named: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert roster.main(["--db", str(tmp_path / "hub.db"), *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err, err
    assert roster.workers(hub.store.query) == []


def test_without_a_hub_database_the_command_says_where_it_looked(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert roster.main(["--db", str(tmp_path / "nowhere.db"), "list"]) == 2
    assert "no hub database" in capsys.readouterr().err and not (tmp_path / "nowhere.db").exists()
