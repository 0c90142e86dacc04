"""Node stores: safe opening, migrations, outbox written with the change, inbox applied once in order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync.errors import StoreError
from sync.protocol.envelope import Ack, Envelope, utc_now
from sync.store import Inbox, Outbox, Store, Transaction


def edge(tmp_path: Path, name: str = "kiosk-1") -> Store:
    return Store(tmp_path / f"{name}.db", device_id=name)


def test_store_opens_in_wal_with_full_sync(tmp_path: Path) -> None:
    store = edge(tmp_path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.version("outbox") == 3 and store.version("inbox") == 2


def test_event_commits_with_the_state_change_and_rolls_back_with_it(tmp_path: Path) -> None:
    store = edge(tmp_path)
    with store.transaction() as tx:
        tx.table("orders").insert({"id": "O-1", "total": 1200})
        first = tx.outbox("order.placed", {"order": "O-1"})
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.table("orders").insert({"id": "O-2", "total": 900})
            tx.outbox("order.placed", {"order": "O-2"})
            raise RuntimeError("power cut simulated by an exception")
    with store.transaction() as tx:
        third = tx.outbox("order.cancelled", {"order": "O-1"})
    assert [r["id"] for r in store.query("SELECT id FROM orders")] == ["O-1"]
    assert (first.seq, third.seq) == (1, 2)  # the rolled-back event took no number
    assert [e.type for e in Outbox(store).after(0, 10)] == ["order.placed", "order.cancelled"]


def test_work_asked_for_before_commit_runs_once_inside_the_transaction_and_fails_with_it(tmp_path: Path) -> None:
    store = edge(tmp_path)
    with store.transaction() as tx:
        tx.execute("CREATE TABLE totals (n INTEGER)")
    runs: list[int] = []

    def settle(tx: Transaction) -> None:
        runs.append(1)
        count = tx.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        tx.execute("INSERT INTO totals VALUES (?)", [count])

    with store.transaction() as tx:
        for n in range(3):
            tx.table("orders").insert({"id": f"O-{n}", "total": n})
            tx.before_commit("totals", lambda tx=tx: settle(tx))
    assert runs == [1], "asked three times, done once"
    assert store.query("SELECT n FROM totals") == [{"n": 3}], "it saw every write of the block"

    def broken() -> None:
        raise RuntimeError("the settling failed")

    with pytest.raises(RuntimeError, match="settling failed"):
        with store.transaction() as tx:
            tx.table("orders").insert({"id": "O-9", "total": 9})
            tx.before_commit("totals", broken)
    assert store.query("SELECT COUNT(*) AS n FROM orders") == [{"n": 3}], "the block's writes rolled back with it"
    with store.transaction() as tx:  # a later transaction starts with nothing asked for
        tx.table("orders").insert({"id": "O-10", "total": 10})
    assert runs == [1]


def test_sequence_and_pending_events_survive_reopening(tmp_path: Path) -> None:
    store = edge(tmp_path)
    for i in range(3):
        Outbox.record(store, "kiosk.funnel", {"step": i})
    store.close()
    again = edge(tmp_path)
    assert Outbox(again).pending_count() == 3
    assert Outbox.record(again, "kiosk.funnel", {"step": 3}).seq == 4
    event = Outbox(again).after(3, 1)[0]
    assert event.device_id == "kiosk-1" and event.body == {"step": 3}
    assert event.event_id[14] == "7"  # UUID version 7


def test_events_leave_only_on_the_hub_ack_and_keep_its_result(tmp_path: Path) -> None:
    store = edge(tmp_path)
    placed = Outbox.record(store, "order.placed", {"order": "O-1"})
    bad = Outbox.record(store, "order.placed", {"order": "O-2"})
    outbox = Outbox(store)
    done = outbox.acknowledge([Ack(placed.event_id, placed.seq, "ok", result={"promise_date": "2026-12-03"}),
                               Ack(bad.event_id, bad.seq, "rejected", reason="unknown revision")])
    assert [d.status for d in done] == ["ok", "rejected"]
    assert outbox.acknowledge([Ack(placed.event_id, placed.seq)]) == []  # duplicate ack
    assert outbox.pending_count() == 0
    stored = outbox.ack_for(placed.event_id)
    assert stored is not None and stored.result == {"promise_date": "2026-12-03"}
    rejected = outbox.ack_for(bad.event_id)
    assert rejected is not None and rejected.reason == "unknown revision"


def test_unserialisable_body_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = edge(tmp_path)
    with pytest.raises(StoreError, match="order.placed"):
        with store.transaction() as tx:
            tx.table("orders").insert({"id": "O-1"})
            tx.outbox("order.placed", {"when": object()})
    assert "orders" not in store.db.table_names() or store.query("SELECT * FROM orders") == []
    assert Outbox(store).pending_count() == 0


def test_migrations_run_once_each_in_a_transaction(tmp_path: Path) -> None:
    store = edge(tmp_path)
    calls: list[int] = []

    def one(db: object) -> None:
        calls.append(1)
        store.db.execute("CREATE TABLE stock (item TEXT PRIMARY KEY, qty INTEGER)")

    def broken(db: object) -> None:
        store.db.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    assert store.migrate("stock", [one]) == 1
    assert store.migrate("stock", [one]) == 1 and calls == [1]
    with pytest.raises(StoreError, match="migrating stock to version 2"):
        store.migrate("stock", [one, broken])
    assert store.version("stock") == 1 and "half_done" not in store.db.table_names()


def test_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    store = edge(tmp_path)
    with pytest.raises(StoreError, match="newer than this program"):
        store.migrate("outbox", [])


def test_corrupt_database_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(StoreError) as err:
        Store(path, device_id="st-1")
    assert str(path) in str(err.value) and "corrupt" in str(err.value)


def test_locked_database_is_reported_with_the_file(tmp_path: Path) -> None:
    store = edge(tmp_path)
    other = Store(store.path, device_id="kiosk-1", kind="", busy_timeout_ms=100)
    with store.transaction():
        with pytest.raises(StoreError) as err:
            with other.transaction():
                pass
    assert "locked" in str(err.value) and str(store.path) in str(err.value)


def down(stream: str, seq: int, type: str = "workorder.released", body: dict[str, object] | None = None,
         **fields: object) -> Envelope:
    return Envelope(f"01900000-0000-7000-8000-{seq:012d}", "hub", seq, utc_now(), type, {**(body or {}), **fields},
                    stream)


def test_inbox_applies_in_order_once_despite_reordering_and_duplicates(tmp_path: Path) -> None:
    store = edge(tmp_path, "st-1")
    inbox = Inbox(store)
    seen: list[int] = []

    def release(tx: Transaction, env: Envelope) -> None:
        tx.table("work_orders").insert({"id": env.body["wo"]})
        seen.append(env.seq)

    inbox.on("workorder.released", release)
    assert inbox.receive(down("station/st-1", 2, wo="W2")) == []
    assert inbox.gaps() == {"station/st-1": 1}
    assert inbox.receive(down("station/st-1", 3, wo="W3")) == []
    assert [e.seq for e in inbox.receive(down("station/st-1", 1, wo="W1"))] == [1, 2, 3]
    assert inbox.receive(down("station/st-1", 2, wo="W2")) == []  # duplicate
    assert seen == [1, 2, 3] and inbox.applied_seq("station/st-1") == 3 and inbox.gaps() == {}
    assert [r["id"] for r in store.query("SELECT id FROM work_orders ORDER BY id")] == ["W1", "W2", "W3"]


def test_failing_handler_is_recorded_and_does_not_block_the_stream(tmp_path: Path) -> None:
    store = edge(tmp_path, "st-1")
    inbox = Inbox(store)

    def release(tx: Transaction, env: Envelope) -> None:
        tx.table("work_orders").insert({"id": env.body["wo"]})
        if env.body.get("bad"):
            raise KeyError("routing")

    inbox.on("workorder.released", release)
    inbox.receive(down("s", 1, wo="W1", bad=True))
    inbox.receive(down("s", 2, wo="W2"))
    inbox.receive(down("s", 3, type="mystery.thing"))
    assert [r["id"] for r in store.query("SELECT id FROM work_orders")] == ["W2"]
    assert [(f["seq"], f["type"]) for f in inbox.failures()] == [(1, "workorder.released"), (3, "mystery.thing")]
    assert inbox.applied_seq("s") == 3


def test_paged_catalog_revision_is_applied_whole_after_its_hash_checks(tmp_path: Path) -> None:
    from sync.protocol import paging

    store = edge(tmp_path, "kiosk-2")
    inbox = Inbox(store)
    got: list[dict[str, object]] = []
    inbox.on("catalog.revision", lambda tx, env: got.append(env.body))
    revision = {"product": "e-bike", "number": 7, "options": [f"opt-{i}" * 20 for i in range(500)]}
    paged = paging.split("rev-7", "catalog.revision", revision, page_bytes=4096)
    assert paged.manifest["count"] > 3
    messages = [down("catalog", 1, "page.manifest", paged.manifest)]
    messages += [down("catalog", i + 2, "page.part", part) for i, part in enumerate(paged.parts)]
    for message in reversed(messages):
        inbox.receive(message)
    assert got == [revision]
    assert store.query("SELECT count(*) AS n FROM inbox_pages")[0]["n"] == 0


def test_tampered_page_is_refused_and_recorded(tmp_path: Path) -> None:
    from sync.protocol import paging

    store = edge(tmp_path, "kiosk-3")
    inbox = Inbox(store)
    got: list[object] = []
    inbox.on("catalog.revision", lambda tx, env: got.append(env.body))
    paged = paging.split("rev-8", "catalog.revision", {"number": 8, "x": "y" * 100}, page_bytes=40)
    part = dict(paged.parts[1], data="AAAA")
    inbox.receive(down("catalog", 1, "page.manifest", paged.manifest))
    inbox.receive(down("catalog", 2, "page.part", paged.parts[0]))
    inbox.receive(down("catalog", 3, "page.part", part))
    assert got == []
    assert "does not match its hash" in inbox.failures()[0]["error"]
