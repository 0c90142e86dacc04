"""A third-party station built from the docs alone (tests/thirdparty_station.py: paho + the schemas)
works a whole order against a real Mosquitto and a real hub process (issue 11 item 5): heartbeat,
start, pause, resume, QC, complete, a refused event, and a re-send after a disconnect."""

from __future__ import annotations

import ast
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.test_hub_core import released_catalog
from tests.thirdparty_station import Device, now

pytestmark = pytest.mark.broker
REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "docs" / "schemas"
SITE = "demo"
TOKEN = "third-party"


def test_the_client_imports_nothing_from_floorlink() -> None:
    tree = ast.parse((REPO / "tests" / "thirdparty_station.py").read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    roots = {m.split(".")[0] for m in modules}
    assert roots <= {"__future__", "json", "threading", "time", "uuid", "datetime", "pathlib", "typing",
                     "jsonschema", "paho", "referencing"}, roots
    assert not roots & {"sync", "kiosk", "terminal", "tests"}


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Any) -> Iterator[str]:
    """``python -m sync.hub`` in its own process; yields its API base URL."""
    released_catalog(tmp_path / "catalog.db").close()
    with socket.socket() as free:  # --api-port 0 means "no API": pick a free port
        free.bind(("127.0.0.1", 0))
        api_port = free.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "FLOORLINK_MQTT_PORT": str(mosquitto.port),
           "FLOORLINK_NODE_SITE": SITE, "FLOORLINK_NODE_DATA_DIR": str(tmp_path), "FLOORLINK_HUB_API_TOKENS": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "sync.hub", "--db", str(tmp_path / "hub.db"),
                             "--catalog-db", str(tmp_path / "catalog.db"), "--device", "kiosk:kiosk-1",
                             "--device", "station:st-assy-1", "--api-port", str(api_port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    api = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not api:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("hub ready"):
            api = line.split("API on ")[1].strip()
    try:
        assert api, "the hub did not say it was ready"
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def get(url: str) -> Any:
    response = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_third_party_station_works_an_order_from_the_docs_alone(hub: str, mosquitto: Any,
                                                                  tmp_path: Path) -> None:
    station = Device("st-assy-1", site=SITE, port=mosquitto.port, schemas=SCHEMAS,
                     follow=["station/st-assy-1"]).connect()
    kiosk = Device("kiosk-1", site=SITE, port=mosquitto.port, schemas=SCHEMAS).connect()
    try:
        placed = kiosk.send("order.placed", {
            "order_id": "0193a0c2-5d1e-7c4b-8f00-00000000a1b2", "product": "BIKE", "revision": 1, "quantity": 1,
            "price": "5000", "currency": "CNY", "customer": {"name": "Li Wei", "phone": "13800138000"},
            "configuration": {"motor": "hub", "battery": "b400", "wheel_size": "28", "colour": "black",
                              "rider": "short"}})
        assert placed["status"] == "ok", placed
        assert "promise" in placed["result"]

        released = station.wait_down("workorder.released")["body"]
        assert [op["number"] for op in released["operations"]] == [10, 20]
        wo = released["id"]
        assert released["operations"][1]["qc"] is True

        def op(type_: str, operation: int, **fields: Any) -> dict[str, Any]:
            return station.send(type_, {"work_order": wo, "operation": operation, "at": now(), "worker": "B-0042",
                                        "station": "st-assy-1", **fields})

        assert station.send("device.heartbeat", {"at": now(), "station": "st-assy-1", "worker": "B-0042",
                                                 "running": []})["status"] == "ok"
        # the bike's wheel set is a part work order made at another station: the first step waits for it
        assert released["parts"] and set(released["parts"].values()) == {"open"}, released
        waits = op("op.started", 10)
        assert (waits["status"], waits["code"]) == ("rejected", "waits"), waits
        started = op("op.started", 10, override_by="S-0001", override_reason="the wheel set is on the rack")
        assert started["status"] == "ok", started
        assert op("op.paused", 10, reason="material missing")["status"] == "ok"

        # a re-send after a disconnect: the event goes out, the link drops before its ack is read, the
        # device reconnects (same session) and sends the same event again; the hub stores it once
        resumed = station.event("op.resumed", {"work_order": wo, "operation": 10, "at": now(), "worker": "B-0042",
                                               "station": "st-assy-1"})
        station.publish(resumed)
        station.disconnect()
        station.connect()
        station.publish(resumed)  # same event id, same seq
        assert station.ack(resumed["event_id"])["status"] == "ok"

        for good, scrap in ((1.5, 0), ("2", 0), (1, 10**30)):  # stored as they came before (NaN is not JSON at all)
            wrong = station.send("op.completed", {"work_order": wo, "operation": 10, "at": now(), "good": good,
                                                  "scrap": scrap}, check=False)
            assert (wrong["status"], wrong["code"]) == ("rejected", "invalid_body"), wrong
        assert op("op.completed", 10, good=1, scrap=0)["status"] == "ok"
        assert op("op.started", 20)["status"] == "ok"
        early = op("op.completed", 20, good=1, scrap=0)  # a QC step without its QC result: refused
        assert early["status"] == "rejected" and early["code"] == "qc_missing", early
        assert op("qc.recorded", 20, passed=True)["status"] == "ok"
        done = op("op.completed", 20, good=1, scrap=0)
        assert done["status"] == "ok", done

        typo = station.send("op.complete", {"work_order": wo, "operation": 20, "at": now(), "good": 1, "scrap": 0},
                            check=False)  # no such type: the documented list has op.completed
        assert (typo["status"], typo["code"]) == ("rejected", "unknown_type"), typo
        bad = station.send("op.completed", {"work_order": wo, "op": 20, "at": now(), "good": 1, "scrap": 0},
                           check=False)  # the old docs' "op" instead of "operation"
        assert (bad["status"], bad["code"]) == ("rejected", "invalid_body") and "'operation'" in bad["reason"], bad
    finally:
        station.disconnect()
        kiosk.disconnect()

    (work_order,) = get(f"{hub}/work-orders?status=done")
    assert work_order["id"] == wo
    assert [(o["op"], o["status"], o["good"]) for o in work_order["operations"]] == [(10, "done", 1), (20, "done", 1)]
    with sqlite3.connect(tmp_path / "hub.db") as db:  # the re-sent event is stored once
        assert db.execute("SELECT count(*) FROM events WHERE event_id = ?", [resumed["event_id"]]).fetchone() == (1,)
    health = requests.get(f"{hub}/health", timeout=10).json()
    assert health["ok"] is True and health["ingest"]["quarantined"] >= 2  # unknown_type, invalid_body: not fatal
