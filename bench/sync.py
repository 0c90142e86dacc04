"""Sync benchmark: hub ingest through Mosquitto, backlog drain after an outage, app-ack round trip.

    .venv/bin/python bench/sync.py [--quick]

1. Ingest: 4 simulated edges publish envelopes at QoS 1 while the hub's ingest (``sync.hub.ingest``
   in its own process, no planning handlers) is away (its persistent session collects them); rate =
   all events / (the hub starting to connect, its store already open -> the last app ack at the
   edges), each event committed (fsync) and acked. Baseline, same run, same load, measured the same
   way: a bare paho subscriber with a persistent session that only counts messages, from starting to
   connect to its last message. Targets: >= 5,000 events/s, >= 0.5 x baseline.
2. Backlog drain: 4 edge processes (EdgeSync) hold 100,000 events (quick: 16,000) recorded while the
   broker was down; time from broker up to all committed at the hub (edges send batch messages once
   the hub's first ack invites them, see docs/protocol.md). Target <= 20 s.
3. App-ack round trip at 500 events/s: publish → ack, p50/p99. Target p99 <= 20 ms.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import paho.mqtt.client as paho  # noqa: E402
import uuid6  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from sync.broker import Mosquitto  # noqa: E402
from sync.protocol import topics  # noqa: E402
from sync.protocol.envelope import AckMessage, Envelope, utc_now  # noqa: E402

SITE = "bench"
EDGES = 4


def env_for(port: int, data_dir: Path, device: str = "hub") -> dict[str, str]:
    return {**os.environ, "FLOORLINK_MQTT_PORT": str(port), "FLOORLINK_NODE_SITE": SITE,
            "FLOORLINK_NODE_DATA_DIR": str(data_dir), "FLOORLINK_NODE_DEVICE_ID": device,
            "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}


def serve_hub(port: int, db: Path, client_id: str) -> None:
    """The hub's ingest layer alone (``Ingest`` with the schema checks, no planning handlers) until SIGTERM."""
    from sync.hub.ingest import Ingest
    from sync.store import Store

    sys.setswitchinterval(0.0005)  # MQTT thread and ingest thread hand over quickly: ack latency
    from sync.protocol.schemas import load

    store = Store(db, device_id=client_id, kind="hub")
    protocol = load()  # with the hub's schema checks (docs/schemas), as the real hub runs them
    connecting = time.time()  # queued messages may flow from here on: the rate is measured from this
    ingest = Ingest(store, site=SITE, port=port, client_id=client_id, register_unknown_devices=True,
                    protocol=protocol).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    if ingest.wait_ready(30):
        print(f"hub ready {connecting:.6f}", flush=True)
    done.wait()
    ingest.stop()


def start_hub(port: int, db: Path) -> tuple[subprocess.Popen[str], float]:
    """The hub process and the wall-clock time its ingest started connecting."""
    proc = subprocess.Popen([sys.executable, __file__, "--serve-hub", str(db), "--port", str(port)], cwd=REPO,
                            env=env_for(port, db.parent), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    while line and not line.startswith("hub ready"):  # log lines first
        line = proc.stdout.readline()
    if not line.startswith("hub ready"):
        raise SystemExit(f"hub did not start: {line}")
    return proc, float(line.split()[2])


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def hub_count(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def payloads(device: str, count: int) -> list[bytes]:
    return [Envelope(str(uuid6.uuid7()), device, seq, utc_now(), "op.completed",
                     {"work_order": "WO-1", "operation": 10, "at": utc_now(), "good": 1, "scrap": 0}).encode()
            for seq in range(1, count + 1)]


def edge_load(port: int, per_edge: int, want_acks: bool, result: Any, tag: str) -> None:
    """Child process: EDGES paho clients publish ``per_edge`` events each, then wait for the acks."""
    acked = [0]
    first_ack = [0.0]
    last_ack = [0.0]
    done = threading.Event()
    lock = threading.Lock()
    total = per_edge * EDGES

    first_count = [0]

    def on_message(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        n = len(AckMessage.decode(message.payload).acks)
        with lock:
            if not first_ack[0]:
                first_ack[0], first_count[0] = time.time(), n
            acked[0] += n
            if acked[0] >= total:
                last_ack[0] = time.time()
                done.set()

    clients = []
    data = {}
    for i in range(EDGES):
        device = f"{tag}-edge-{i}"
        data[device] = payloads(device, per_edge)
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=device, protocol=paho.MQTTv5)
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        c.on_message = on_message
        c.connect("127.0.0.1", port)
        c.subscribe(topics.ack(SITE, device), qos=1)
        c.loop_start()
        clients.append((device, c))
    time.sleep(0.3)
    infos = []
    for index in range(per_edge):
        for device, c in clients:
            infos.append(c.publish(topics.up(SITE, device, "op.completed"), data[device][index], qos=1))
    for info in infos:
        info.wait_for_publish(120)
    result.put({"published": True})
    if want_acks:
        done.wait(180)
    result.put({"acked": acked[0], "first_ack": first_ack[0], "first_count": first_count[0], "last_ack": last_ack[0]})
    for _, c in clients:
        c.loop_stop()
        c.disconnect()


def spawn_load(port: int, per_edge: int, want_acks: bool, tag: str) -> tuple[Any, Any]:
    ctx = mp.get_context("spawn")
    queue: Any = ctx.Queue()
    proc = ctx.Process(target=edge_load, args=(port, per_edge, want_acks, queue, tag))
    proc.start()
    assert queue.get(timeout=300) == {"published": True}
    return proc, queue


def baseline_rate(port: int, per_edge: int) -> float:
    """A bare paho subscriber that only counts, draining the same queued load: messages/s."""
    total = per_edge * EDGES
    count = [0]
    first = [0.0]
    last = [0.0]
    done = threading.Event()

    def on_message(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        count[0] += 1
        if count[0] == 1:
            first[0] = time.time()
        if count[0] >= total:
            last[0] = time.time()
            done.set()

    def subscriber() -> paho.Client:
        sub = paho.Client(CallbackAPIVersion.VERSION2, client_id="baseline", protocol=paho.MQTTv5)
        sub.on_message = on_message
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        sub.connect("127.0.0.1", port, clean_start=False, properties=props)
        return sub

    sub = subscriber()
    sub.subscribe(topics.up_filter(SITE), qos=1)
    sub.loop_start()
    time.sleep(0.3)
    sub.disconnect()
    sub.loop_stop()
    proc, queue = spawn_load(port, per_edge, False, "base")
    queue.get(timeout=60)
    proc.join(30)
    connecting = time.time()  # like the hub: from starting to connect to the last message
    sub = subscriber()
    sub.loop_start()
    done.wait(120)
    sub.loop_stop()
    sub.disconnect()
    return count[0] / ((last[0] or time.time()) - connecting)


def ingest_rate(port: int, per_edge: int, folder: Path) -> tuple[float, int]:
    """The hub drains the same queued load: store, commit (fsync), app-ack every event."""
    db = folder / "ingest.db"
    stop(start_hub(port, db)[0])  # its persistent session now collects the load
    proc, queue = spawn_load(port, per_edge, True, "ing")
    hub, connecting = start_hub(port, db)
    try:
        info = queue.get(timeout=300)
        proc.join(30)
    finally:
        stop(hub)
    committed = hub_count(db)
    # From the hub starting to connect (its persistent session hands over the queue) to the last ack.
    span = (info["last_ack"] or time.time()) - connecting
    return info["acked"] / span, committed


def backlog_drain(broker: Mosquitto, total: int, folder: Path) -> tuple[float, int]:
    db = folder / "drain.db"
    hub, _ = start_hub(broker.port, db)
    broker.stop()
    edges = []
    try:
        for i in range(EDGES):
            args = [sys.executable, "-m", "sync.protocol", "edge", "--db", str(folder / f"drain-edge-{i}.db"),
                    "--emit", str(total // EDGES), "--per-tx", "1000", "--until-drained"]
            edges.append(subprocess.Popen(args, cwd=REPO, env=env_for(broker.port, folder, f"drain-edge-{i}"),
                                          text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        for e in edges:
            assert e.stdout is not None
            line = e.stdout.readline()
            while line and "recorded" not in line:  # log lines may come first
                line = e.stdout.readline()
            assert "recorded" in line, line
        broker.start()
        t0 = time.perf_counter()
        deadline = t0 + 180
        while hub_count(db) < total and time.perf_counter() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        for e in edges:
            e.wait(60)
    finally:
        for e in edges:
            if e.poll() is None:
                e.kill()
        stop(hub)
    return elapsed, hub_count(db)


def ack_round_trip(port: int, rate: int, seconds: float, folder: Path) -> tuple[float, float, int]:
    hub, _ = start_hub(port, folder / "rtt.db")
    sys.setswitchinterval(0.0005)
    sent: dict[str, float] = {}
    rtts: list[float] = []

    def on_message(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        now = time.perf_counter()
        for ack in AckMessage.decode(message.payload).acks:
            t = sent.pop(ack.event_id, None)
            if t is not None:
                rtts.append(now - t)

    device = "rtt-edge"
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=device, protocol=paho.MQTTv5)
    c.on_message = on_message
    c.on_socket_open = lambda client, userdata, sock: sock.setsockopt(6, 1, 1)  # TCP_NODELAY
    c.connect("127.0.0.1", port)
    c.subscribe(topics.ack(SITE, device), qos=1)
    c.loop_start()
    time.sleep(0.5)
    count = int(rate * seconds)
    topic = topics.up(SITE, device, "op.started")
    start = time.perf_counter()
    try:
        for seq in range(1, count + 1):
            due = start + seq / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            env = Envelope(str(uuid6.uuid7()), device, seq, utc_now(), "op.started", {"op": seq})
            sent[env.event_id] = time.perf_counter()
            c.publish(topic, env.encode(), qos=1)
        time.sleep(1.0)
    finally:
        c.loop_stop()
        c.disconnect()
        stop(hub)
    rtts.sort()
    if not rtts:
        return float("inf"), float("inf"), 0
    return rtts[len(rtts) // 2] * 1000, rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))] * 1000, len(rtts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs, under 50 s")
    parser.add_argument("--serve-hub", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hub:
        serve_hub(args.port, Path(args.serve_hub), f"hub-{Path(args.serve_hub).stem}")
        return
    per_edge = 2_500 if args.quick else 10_000
    backlog = 16_000 if args.quick else 100_000
    rtt_seconds = 3.0 if args.quick else 10.0
    folder = Path(tempfile.mkdtemp(prefix="floorlink-bench-sync-"))
    t_all = time.perf_counter()
    brokers: list[Mosquitto] = []

    def fresh_broker(name: str) -> Mosquitto:
        """One broker per measurement: sessions left by one (queueing for an absent subscriber,
        saved every second) must not slow the next."""
        brokers.append(Mosquitto(folder / name, max_inflight_messages=1000).start())
        return brokers[-1]

    try:
        base = baseline_rate(fresh_broker("mq-baseline").port, per_edge)
        print(f"baseline bare subscriber (connect -> last message): {base:,.0f} msg/s", flush=True)
        rate, committed = ingest_rate(fresh_broker("mq-ingest").port, per_edge, folder)
        print(f"hub ingest (connect -> last app ack, commit + ack each): {rate:,.0f} events/s, "
              f"{committed} committed", flush=True)
        p50, p99, n = ack_round_trip(fresh_broker("mq-rtt").port, 500, rtt_seconds, folder)
        print(f"app-ack round trip at 500/s: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({n} acks)", flush=True)
        drain, drained = backlog_drain(fresh_broker("mq-drain"), backlog, folder)
        print(f"backlog drain of {backlog:,}: {drain:.2f} s ({drained} committed)", flush=True)
    finally:
        for broker in brokers:
            broker.stop()
    result = {
        "bench": "sync", "quick": args.quick, "edges": EDGES, "seconds": round(time.perf_counter() - t_all, 1),
        "ingest_events_per_s": round(rate), "baseline_bare_subscriber_msgs_per_s": round(base),
        "ingest_vs_baseline": round(rate / base, 3) if base else None, "ingest_events": per_edge * EDGES,
        "ingest_committed": committed,
        "drain_events": backlog, "drain_s": round(drain, 2), "drain_committed": drained,
        "ack_rtt_p50_ms": round(p50, 2), "ack_rtt_p99_ms": round(p99, 2), "ack_rtt_samples": n,
        "targets": {"ingest_events_per_s": 5000, "ingest_vs_baseline": 0.5, "drain_s": 20, "ack_rtt_p99_ms": 20},
    }
    result["targets_met"] = {
        "ingest_events_per_s": rate >= 5000,
        "ingest_vs_baseline": bool(base) and rate / base >= 0.5,
        "drain_s": drain <= 20 and drained == backlog,
        "ack_rtt_p99_ms": p99 <= 20,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
