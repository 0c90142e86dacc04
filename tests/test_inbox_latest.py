"""State streams (dashboard snapshots) apply the newest message and skip what they missed."""

from __future__ import annotations

from pathlib import Path

from sync.protocol.envelope import Envelope, utc_now
from sync.store import Inbox, Store
from sync.store.database import Transaction


def message(stream: str, seq: int) -> Envelope:
    return Envelope(f"01900000-0000-7000-8000-{seq:012d}", "hub", seq, utc_now(), "progress.snapshot",
                    {"n": seq}, stream)


def test_a_late_joiner_applies_the_retained_snapshot_at_once_and_ignores_older_ones(tmp_path: Path) -> None:
    inbox = Inbox(Store(tmp_path / "dash.db", device_id="dash-1"))
    inbox.latest_only("dashboard/")
    seen: list[int] = []

    def keep(tx: Transaction, env: Envelope) -> None:
        seen.append(env.body["n"])

    inbox.on("progress.snapshot", keep)
    inbox.receive(message("dashboard/orders", 41))
    inbox.receive(message("dashboard/orders", 40))
    inbox.receive(message("dashboard/orders", 45))
    assert seen == [41, 45] and inbox.gaps() == {}


def test_ordinary_streams_still_wait_for_the_missing_message(tmp_path: Path) -> None:
    inbox = Inbox(Store(tmp_path / "st.db", device_id="st-1"))
    inbox.latest_only("dashboard/")
    seen: list[int] = []
    inbox.on("progress.snapshot", lambda tx, env: seen.append(env.seq))
    inbox.receive(message("station/st-1", 2))
    assert seen == [] and inbox.gaps() == {"station/st-1": 1}
