"""Measure candidate brokers the way FloorLink uses them, with Mosquitto as the baseline in the same run.

For each broker: QoS 1 throughput from one paho publisher to one persistent-session subscriber,
and whether messages published while that subscriber is offline all reach it when it comes back.
Clients speak MQTT 5 (clean_start off, session expiry) where the broker can; amqtt speaks only
3.1.1, so it is measured with a 3.1.1 client (clean_session off) and its MQTT 5 refusal is recorded.

``python -m sync.broker compare [--quick]``; the last line printed is one JSON object.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sync.broker.mosquitto import Mosquitto, find_mosquitto
from sync.broker.ports import free_port, wait_for_port
from sync.broker.probe import ProbeClient
from sync.errors import BrokerError

PAYLOAD = json.dumps({"v": 1, "type": "op.completed", "device": "st-1", "seq": 0, "body": {"good": 1, "pad": "x" * 120}})
# The demo moves a few events per second; the embedded broker must not be the bottleneck of a
# paho client and must keep up with at least half of what Mosquitto does with the same clients.
TARGET_MSGS_PER_S = 1000
TARGET_RATIO_TO_MOSQUITTO = 0.5

AMQTT_MAIN = textwrap.dedent("""
    import asyncio, sys
    from amqtt.broker import Broker
    async def main(port):
        config = {"listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
                  "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}}
        broker = Broker(config)
        await broker.start()
        await asyncio.Event().wait()
    asyncio.run(main(int(sys.argv[1])))
""")


@contextmanager
def mosquitto_broker(folder: Path) -> Iterator[tuple[str, int]]:
    with Mosquitto(folder / "mosquitto") as broker:
        yield broker.host, broker.port


@contextmanager
def iotcore_broker(folder: Path) -> Iterator[tuple[str, int]]:
    from sync.broker.embedded import EmbeddedBroker

    with EmbeddedBroker(data_dir=folder / "iotcore") as broker:
        yield broker.host, broker.port


@contextmanager
def amqtt_broker(folder: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = (folder / "amqtt.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", AMQTT_MAIN, str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for_port("127.0.0.1", port, 20, still_alive=lambda: process.poll() is None):
            raise BrokerError("amqtt did not start", where=str(folder / "amqtt.log"))
        yield "127.0.0.1", port
    finally:
        process.kill()
        process.wait()
        log.close()


CANDIDATES: dict[str, tuple[Callable[[Path], AbstractContextManager[tuple[str, int]]], bool]] = {
    # name: (start it, speaks MQTT 5)
    "mosquitto": (mosquitto_broker, True),
    "iotcore": (iotcore_broker, True),
    "amqtt": (amqtt_broker, False),
}


def throughput(host: str, port: int, count: int, mqtt5: bool) -> dict[str, Any]:
    """QoS 1 messages/s from publish of the first to arrival of the last at a persistent subscriber."""
    run = uuid.uuid4().hex[:8]
    topic = f"floorlink/v1/bench/up/{run}"
    with ProbeClient(host, port, f"sub-{run}", mqtt5=mqtt5) as sub, \
            ProbeClient(host, port, f"pub-{run}", mqtt5=mqtt5) as pub:
        sub.subscribe(topic + "/#")
        started = time.perf_counter()
        for i in range(count):
            pub.publish(f"{topic}/e", PAYLOAD.replace('"seq": 0', f'"seq": {i}'), wait=False)
        complete = sub.received.wait_for(count, 60)
        elapsed = time.perf_counter() - started
        got = len(sub.received.messages)
        unique = len(set(sub.received.payloads))
    return {"messages": count, "received": got, "unique": unique, "complete": complete and unique == count,
            "seconds": round(elapsed, 3), "msgs_per_s": round(got / elapsed)}


def offline_queue(host: str, port: int, count: int, mqtt5: bool, wait: float = 10) -> dict[str, Any]:
    """Publish ``count`` messages while a persistent subscriber is away; how many reach it on return."""
    run = uuid.uuid4().hex[:8]
    topic = f"floorlink/v1/bench/down/{run}"
    with ProbeClient(host, port, f"hub-{run}", mqtt5=mqtt5) as hub:
        hub.subscribe(topic)
    with ProbeClient(host, port, f"edge-{run}", mqtt5=mqtt5) as edge:
        infos = [edge.publish(topic, str(i), wait=False) for i in range(count)]
        for info in infos:
            info.wait_for_publish(30)
    started = time.perf_counter()
    with ProbeClient(host, port, f"hub-{run}", mqtt5=mqtt5) as hub:
        hub.received.wait_for(count, wait)
        elapsed = time.perf_counter() - started
        values = sorted({int(p) for p in hub.received.payloads})
    return {"queued": count, "delivered": len(values), "complete": values == list(range(count)),
            "drain_seconds": round(elapsed, 3)}


def mqtt5_session(host: str, port: int) -> bool:
    """Whether an MQTT 5 client with clean_start off and session expiry can connect at all."""
    try:
        with ProbeClient(host, port, f"v5-{uuid.uuid4().hex[:6]}", mqtt5=True, timeout=3):
            return True
    except BrokerError:
        return False


def measure(name: str, folder: Path, quick: bool) -> dict[str, Any]:
    start, speaks5 = CANDIDATES[name]
    count, queued = (5000, 2000) if quick else (20000, 10000)
    try:
        with start(folder) as (host, port):
            result: dict[str, Any] = {"mqtt5_persistent_session": mqtt5_session(host, port)}
            mqtt5 = speaks5 and result["mqtt5_persistent_session"]
            result["client_protocol"] = "5" if mqtt5 else "3.1.1"
            result["throughput"] = throughput(host, port, count, mqtt5)
            result["offline_queue"] = offline_queue(host, port, queued, mqtt5)
            return result
    except (BrokerError, OSError) as exc:
        return {"error": str(exc)}


#: how to add a candidate that is not installed (amqtt is in no extra: see pyproject.toml)
INSTALL = {"mosquitto": "apt-get install mosquitto", "iotcore": "pip install 'floorlink[demo]'",
           "amqtt": "pip install amqtt"}


def available(name: str) -> bool:
    if name == "mosquitto":
        return find_mosquitto() is not None
    return importlib.util.find_spec(name) is not None


def main(quick: bool = False, candidates: list[str] | None = None) -> int:
    names = candidates or list(CANDIDATES)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="floorlink-compare-") as tmp:
        for name in names:
            if name not in CANDIDATES:
                print(f"unknown broker {name!r}; choose from {', '.join(CANDIDATES)}", file=sys.stderr)
                return 2
            if not available(name):
                results[name] = {"error": f"not installed (to measure it: {INSTALL[name]})"}
                continue
            results[name] = measure(name, Path(tmp), quick)
            print(f"{name}: {json.dumps(results[name])}", flush=True)

    baseline = results.get("mosquitto", {}).get("throughput", {}).get("msgs_per_s")

    def ok(name: str) -> bool:
        r = results.get(name, {})
        rate = r.get("throughput", {}).get("msgs_per_s", 0)
        return (bool(r.get("mqtt5_persistent_session")) and r.get("throughput", {}).get("complete", False)
                and rate >= TARGET_MSGS_PER_S and (not baseline or rate >= TARGET_RATIO_TO_MOSQUITTO * baseline)
                and r.get("offline_queue", {}).get("complete", False))

    summary = {
        "bench": "brokers", "quick": quick, "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "figures": {n: r for n, r in results.items() if n != "mosquitto"},
        "baseline": {"mosquitto": results.get("mosquitto")},
        "ratio_to_baseline": {n: round(r["throughput"]["msgs_per_s"] / baseline, 2)
                              for n, r in results.items() if baseline and "throughput" in r},
        "targets": {"msgs_per_s": TARGET_MSGS_PER_S, "ratio_to_mosquitto": TARGET_RATIO_TO_MOSQUITTO,
                    "mqtt5_persistent_session": True, "offline_queue_complete": True},
        "met": {n: ok(n) for n in results},
    }
    print(json.dumps(summary))
    return 0
