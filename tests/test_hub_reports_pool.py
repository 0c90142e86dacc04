"""The API's heavy reports compute in a worker process (sync.hub.reports_pool): same answers as in the hub
process, a dead worker costs one 503 and is replaced, and stopping the hub leaves no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from sync.hub.api import ApiServer, create_app
from sync.hub.reports_pool import REPORTS, ReportPool
from sync.hub.service import HubConfig, HubService
from tests.test_hub_api import hub_with_progress
from tests.test_hub_core import released_catalog

TOKEN = "s3cret-token"
REPO = Path(__file__).resolve().parent.parent


def get(url: str, timeout: float = 60) -> requests.Response:
    return requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=timeout)


@pytest.fixture
def two_apis(tmp_path: Path) -> Iterator[tuple[str, str, ReportPool]]:
    """One hub with orders and operation events, served twice: reports in a worker process, and in-process."""
    hub, now = hub_with_progress(tmp_path)
    pool = ReportPool(hub.core, workers=1)
    apart = ApiServer(create_app(hub.core, [TOKEN], now=lambda: now, reports=pool)).start()
    inside = ApiServer(create_app(hub.core, [TOKEN], now=lambda: now, reports=ReportPool(hub.core, workers=0))).start()
    yield f"http://127.0.0.1:{apart.port}/api/v1", f"http://127.0.0.1:{inside.port}/api/v1", pool
    apart.stop()
    inside.stop()
    pool.close()
    hub.store.close()


def test_every_report_answers_the_same_from_the_worker_process_as_in_the_hub_process(
        two_apis: tuple[str, str, ReportPool]) -> None:
    apart, inside, pool = two_apis
    week = "since=2026-11-20T00:00:00%2B00:00&until=2026-11-27T00:00:00%2B00:00"
    paths = ["orders", "orders/O1", "orders/NOPE", "work-orders", "work-orders?status=done", "wip", f"kpis?{week}",
             f"kpis/oee.csv?{week}", f"insights?{week}", "demand"]
    for path in paths:
        a, b = get(f"{apart}/{path}"), get(f"{inside}/{path}")
        assert (a.status_code, a.content) == (b.status_code, b.content), path
        assert a.status_code == (404 if path == "orders/NOPE" else 200), (path, a.text[:300])
    assert get(f"{apart}/kpis?{week}").json()["oee"], "the week has a completed operation: the comparison saw data"
    pids = pool.worker_pids()
    assert pids and os.getpid() not in pids, "the reports ran in a worker process"
    assert set(REPORTS) == {"kpis", "oee_csv", "insights", "demand", "orders", "order", "work_orders", "wip"}


def test_a_worker_that_died_between_requests_is_replaced_before_the_next_one(
        two_apis: tuple[str, str, ReportPool]) -> None:
    apart, _, pool = two_apis
    assert get(f"{apart}/wip").status_code == 200
    (pid,) = pool.worker_pids()
    dead = psutil.Process(pid)
    dead.kill()
    dead.wait(10)
    time.sleep(0.5)  # the executor notices its process is gone
    answer = get(f"{apart}/wip")
    assert answer.status_code == 200, answer.text
    assert pool.replaced == 1 and pid not in pool.worker_pids()


@pytest.fixture
def service(tmp_path: Path, mosquitto: Any) -> Iterator[HubService]:
    released_catalog(tmp_path / "catalog.db").close()
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               api_port=0, api_tokens=[TOKEN], api_report_workers=2)).start()
    yield hub
    hub.stop()


def test_stopping_the_hub_stops_its_report_workers(service: HubService) -> None:
    assert service.api is not None and service.reports is not None
    base = f"http://127.0.0.1:{service.api.port}/api/v1"
    assert get(f"{base}/kpis").status_code == 200
    workers = [psutil.Process(pid) for pid in service.reports.worker_pids()]
    assert len(workers) == 2 and all(w.is_running() for w in workers)
    service.stop()
    gone, alive = psutil.wait_procs(workers, timeout=1)
    assert not alive, f"report workers left running: {alive}"


def test_a_report_worker_killed_mid_request_gives_503_and_the_next_request_is_answered(tmp_path: Path,
                                                                                       mosquitto: Any) -> None:
    from bench.api_load import heavy_history

    heavy_history(tmp_path / "hub.db", tmp_path / "catalog.db", work_orders=5000)  # a year of KPIs: seconds
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               api_port=0, api_tokens=[TOKEN], api_report_workers=1)).start()
    try:
        assert hub.api is not None and hub.reports is not None
        base = f"http://127.0.0.1:{hub.api.port}/api/v1"
        year = "since=2025-12-01T00:00:00%2B00:00&until=2026-12-01T00:00:00%2B00:00"
        started = time.monotonic()
        assert get(f"{base}/kpis?{year}").status_code == 200
        took = time.monotonic() - started
        # the kill below comes 0.2 s of the worker's CPU into the next request: it must take well longer
        assert took > 0.6, f"the report took {took:.2f} s: too quick to be stopped in the middle"
        (pid,) = hub.reports.worker_pids()
        answers: list[requests.Response] = []
        asking = threading.Thread(target=lambda: answers.append(get(f"{base}/kpis?{year}")))
        asking.start()
        worker = psutil.Process(pid)
        busy_from = worker.cpu_times().user
        deadline = time.monotonic() + 30
        while worker.cpu_times().user < busy_from + 0.2:  # the worker is computing this request
            assert not answers, "the report was answered before the worker could be stopped in the middle"
            assert time.monotonic() < deadline, "the worker never started computing the report"
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        asking.join(30)
        (answer,) = answers
        assert answer.status_code == 503
        assert answer.json()["error"] == "the report could not be finished; try again in a moment"
        assert get(f"{base}/kpis?{year}").status_code == 200, "a new worker answers the next request"
        assert hub.reports.replaced == 1 and pid not in hub.reports.worker_pids()
    finally:
        hub.stop()


def test_reports_asked_for_all_at_once_leave_the_api_free_for_health_and_other_routes(tmp_path: Path,
                                                                                      mosquitto: Any) -> None:
    """Waiting reports held every thread of the API's server: /health went unanswered while they waited."""
    from bench.api_load import heavy_history
    from sync.hub.reports_pool import QUEUE

    heavy_history(tmp_path / "hub.db", tmp_path / "catalog.db", work_orders=1500)
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               api_port=0, api_tokens=[TOKEN], api_report_workers=1)).start()
    try:
        assert hub.api is not None
        base = f"http://127.0.0.1:{hub.api.port}/api/v1"
        year = "since=2025-12-01T00:00:00%2B00:00&until=2026-12-01T00:00:00%2B00:00"
        answers: list[requests.Response] = []
        asking = [threading.Thread(target=lambda: answers.append(get(f"{base}/kpis?{year}", timeout=120)))
                  for _ in range(1 + QUEUE + 2)]
        for thread in asking:
            thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        assert requests.get(f"{base}/health", timeout=5).status_code == 200
        assert get(f"{base}/alerts").status_code == 200
        assert time.monotonic() - started < 2, "health and alerts waited for the reports"
        for thread in asking:
            thread.join(120)
        assert len(answers) == 1 + QUEUE + 2 and any(a.status_code == 200 for a in answers)
        too_many = [a for a in answers if a.status_code == 503
                    and a.json()["error"] == "too many reports are being asked for at once; try again in a moment"]
        assert len(too_many) == 2 and all(a.headers["Retry-After"] == "10" for a in too_many)
        # the others were answered, or (a slow machine) waited their 30 s for the worker
        assert all(a.status_code == 200 or a.json()["error"].startswith("another report") for a in answers
                   if a not in too_many)
    finally:
        hub.stop()


def test_a_report_that_overruns_gives_503_and_its_worker_is_replaced(tmp_path: Path) -> None:
    from bench.api_load import END, heavy_history
    from sync.catalog.store import CatalogStore
    from sync.hub.core import HubCore
    from sync.store import Store

    heavy_history(tmp_path / "hub.db", tmp_path / "catalog.db", work_orders=3000)
    store, catalog = Store(tmp_path / "hub.db", device_id="hub", kind="hub"), CatalogStore(tmp_path / "catalog.db")
    pool = ReportPool(HubCore(store, catalog), workers=1, timeout_s=0.3)
    server = ApiServer(create_app(pool.core, [TOKEN], now=lambda: END, reports=pool)).start()
    try:
        base = f"http://127.0.0.1:{server.port}/api/v1"
        year = "since=2025-12-01T00:00:00%2B00:00&until=2026-12-01T00:00:00%2B00:00"
        (first,) = pool.worker_pids()
        started = time.monotonic()
        answer = get(f"{base}/kpis?{year}")
        assert answer.status_code == 503 and time.monotonic() - started < 10
        assert answer.json()["error"] == "the report took longer than 0.3 seconds and was stopped; ask for a shorter period"
        assert pool.replaced == 1 and first not in pool.worker_pids()
        assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
        pool.timeout_s = 120
        assert get(f"{base}/kpis?{year}").status_code == 200, "the new worker answers"
    finally:
        server.stop()
        pool.close()
        store.close()
        catalog.close()


@pytest.mark.parametrize("stop", ["SIGTERM", "Ctrl+C"])
def test_the_hub_program_leaves_no_process_behind_when_it_stops(tmp_path: Path, mosquitto: Any, stop: str) -> None:
    """SIGTERM (systemd) reaches the hub; Ctrl+C in its terminal reaches the hub and its workers alike."""
    released_catalog(tmp_path / "catalog.db").close()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        api_port = free.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "FLOORLINK_MQTT_PORT": str(mosquitto.port),
           "FLOORLINK_NODE_DATA_DIR": str(tmp_path), "FLOORLINK_HUB_API_TOKENS": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "sync.hub", "--db", str(tmp_path / "hub.db"), "--catalog-db",
                             str(tmp_path / "catalog.db"), "--api-port", str(api_port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        ready = proc.stdout.readline()
        assert "hub ready" in ready, ready
        base = ready.split("API on ")[1].strip()
        assert get(f"{base}/kpis").status_code == 200
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the report worker runs as a child process"
        if stop == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
        else:  # the terminal sends SIGINT to the whole foreground process group
            os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 0
        assert "KeyboardInterrupt" not in proc.stderr.read()
        gone, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"left running after the hub stopped: {[p.cmdline() for p in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
