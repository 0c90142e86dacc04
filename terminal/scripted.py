"""Stations worked by a script: one real station session per routed station, each with its own SQLite and sync.

Why: the demo's check and the end-to-end loop test carry a kiosk order through the shop the way workers do —
a badge scanned, each traveler's labels read off the printed page by the station decoder, start, QC where the
operation has one, complete, in routing order — through the same session rules, ledger and EdgeSync as the
terminal's screen. A seam that breaks between the hub and a station then shows there, not in front of a newcomer.

``python -m terminal.scripted --stations st-kit-1=KIT,st-qc-1=QC,... [--travelers FOLDER]`` opens those
stations with the settings' broker, site and data folder, badges the worker in at each, prints ``ready``,
then works every traveler PDF of FOLDER in name order (without ``--travelers``: each PDF path read from
standard input, as a supervisor hands travelers out), printing one JSON line per operation done and
``traveler done`` after each; exit 1 when a step is refused or times out.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sync import labels
from sync.errors import FloorLinkError, StationError
from sync.protocol.edge import EdgeSync
from sync.settings import Settings
from sync.station.stored import StoredLedger, open_ledger
from sync.station.workorders import RoutedOperation, RoutedWorkOrder
from terminal.decode.pdf import PrintedLabel, read_labels, render_pdf, write_label_images
from terminal.station.session import Feedback, StationSession, Tone

#: refusals that only mean "not yet": the hub's message has not reached this station, or a person (--by-hand) has
#: not finished the step or the part work order this one waits for
NOT_YET = ("is not routed to this station", "waits for operation", "waits for parts")
#: refusals that mean "later, maybe much later": bought parts the hub has not booked in (a goods receipt does)
LATER = ("waits for bought parts",)
#: seconds between tries of a traveler put aside
RETRY_S = 5.0
#: seconds a step waits for its predecessor or parts before its traveler is put aside, so other travelers go on
#: (a part waiting for a delivery would otherwise hold up the whole floor)
WAIT_S = 10.0


class Deferred(StationError):
    """A step that cannot start for a while (bought parts not booked in, or what it waits for not done within
    the timeout): its traveler is put aside and tried again, from the first step not done yet."""


@dataclass
class Station:
    """One station terminal without its screen: the session the screen would drive, its ledger and its sync."""

    device: str
    ledger: StoredLedger
    session: StationSession
    sync: EdgeSync

    @classmethod
    def open(cls, base: Settings, device: str, work_centres: Iterable[str]) -> Station:
        """The station ``device`` as ``python -m terminal`` builds it (its own ``<device>.db`` in node.data_dir)."""
        from terminal.app import build_session, start_sync

        settings = base.with_overrides(node__device_id=device, station__work_centres=",".join(work_centres),
                                       station__demo_roster="true")
        ledger = open_ledger(settings)
        session = build_session(settings, ledger)
        sync = start_sync(settings, ledger)
        session.listeners.append(sync.wake)  # an accepted action goes up at once, as on the terminal
        return cls(device, ledger, session, sync)

    def close(self) -> None:
        self.sync.stop()
        self.ledger.store.close()


@dataclass(frozen=True)
class Step:
    """One operation as a station recorded it."""

    work_order: str
    operation: int
    name: str
    work_centre: str
    station: str
    worker: str
    started_at: datetime
    completed_at: datetime
    qc_passed: bool | None

    def to_json(self) -> dict[str, object]:
        return {"work_order": self.work_order, "operation": self.operation, "name": self.name,
                "work_centre": self.work_centre, "station": self.station, "worker": self.worker,
                "started_at": self.started_at.isoformat(), "completed_at": self.completed_at.isoformat(),
                "qc_passed": self.qc_passed}


def badge_card(badge: str) -> PrintedLabel:
    """A worker's badge as the station camera sees it, read back by the decode chain."""
    from terminal.station.label_images import label_frame

    (printed,) = read_labels([label_frame(labels.format(labels.BadgeLabel(badge)), "QRCode")])
    return printed


def read_traveler(pdf: bytes, where: str = "traveler") -> list[PrintedLabel]:
    """The labels of a traveler PDF as the station decoder reads them off the rendered pages."""
    return read_labels(render_pdf(pdf, where=where))


class Floor:
    """The stations an order passes through; :meth:`work` carries one traveler through them."""

    def __init__(self, stations: Sequence[Station], timeout: float = 30.0, by_hand: Iterable[str] = ()) -> None:
        self.stations = list(stations)
        self.timeout = timeout
        self.by_hand = frozenset(by_hand)
        """Work centres a person works (the live demo's station): their operations are left to them, and
        what follows waits until the hub says they are done."""
        self.left: list[tuple[str, int]] = []
        self.finished: set[tuple[str, int]] = set()

    def close(self) -> None:
        for station in self.stations:
            station.close()

    def wait_connected(self) -> None:
        """Every station subscribed to its work-order stream (work released before that may wait in the broker)."""
        for station in self.stations:
            if not station.sync.link.wait_subscribed(self.timeout):
                raise StationError(f"station {station.device} did not reach the broker", where=station.device)

    def log_in(self, badge: PrintedLabel) -> None:
        """The worker scans the badge at every station."""
        for station in self.stations:
            _ok(station, station.session.scan(badge.text), "badge")

    def station_for(self, work_order: str, operation: int) -> tuple[Station, RoutedWorkOrder, RoutedOperation]:
        """The station that records ``operation``: the first whose session says it works there, once the hub's
        work order has reached it."""
        deadline = time.monotonic() + self.timeout
        while True:
            for station in self.stations:
                wo = station.ledger.work_order(work_order)
                if wo is not None:
                    op = wo.operation(operation)
                    if station.session.works_here(wo, op):
                        return station, wo, op
            if time.monotonic() > deadline:
                raise StationError(f"no station got operation {operation} of work order {work_order}",
                                   where=", ".join(s.device for s in self.stations),
                                   fix="check the work order's routing and the stations' work centres")
            time.sleep(0.1)

    def work(self, traveler: Sequence[PrintedLabel], on_step: Callable[[Step], None] = lambda _step: None) -> list[Step]:
        """Every operation label of one traveler, in routing order: scan, start, QC pass where needed, complete
        (``on_step`` hears each as soon as the hub confirmed it)."""
        ops = sorted((p for p in traveler if isinstance(p.label, labels.WorkOrderLabel) and p.label.operation is not None),
                     key=lambda p: p.label.operation or 0)  # type: ignore[union-attr]
        if not ops:
            raise StationError("the traveler has no operation label the decoder could read", where="traveler")
        done = []
        for printed in ops:
            key = (printed.label.work_order, printed.label.operation)  # type: ignore[union-attr]
            if key in self.finished:
                continue  # worked before the traveler was put aside
            step = self.work_operation(printed)
            self.finished.add(key)  # type: ignore[arg-type]
            if step is not None:
                on_step(step)
                done.append(step)
        return done

    def work_operation(self, printed: PrintedLabel) -> Step | None:
        """One operation done, or None when it is left to a person (:attr:`by_hand`)."""
        label = printed.label
        assert isinstance(label, labels.WorkOrderLabel) and label.operation is not None
        station, wo, op = self.station_for(label.work_order, label.operation)
        if station_centre(wo, op) in self.by_hand:
            self.left.append((wo.id, op.number))
            return None
        session = station.session
        self._scan(station, printed.text)
        _ok(station, session.start(), "start")
        passed: bool | None = None
        if op.qc:
            _ok(station, session.record_qc(True), "QC")
            passed = True
        good = session.started_quantity(wo, op)
        _ok(station, session.complete(str(good), "0"), "complete")
        if not station.sync.wait_drained(self.timeout):
            raise StationError(f"the hub did not confirm {wo.id}/{op.number} within {self.timeout:g} s",
                               where=station.device, fix="is the hub running?")
        events = station.ledger.events(wo.id, op.number)
        started = next(e for e in events if e.type == "op.started")
        completed = next(e for e in reversed(events) if e.type == "op.completed")
        return Step(wo.id, op.number, op.name, op.work_centre, station.device, str(completed.body.get("worker")),
                    datetime.fromisoformat(started.body["at"]), datetime.fromisoformat(completed.body["at"]), passed)

    def _scan(self, station: Station, text: str) -> None:
        """Scan until the station takes the label: the work order or its predecessor's completion may still be
        on its way from the hub; any other refusal stops the script."""
        deadline = time.monotonic() + self.timeout
        patience = time.monotonic() + min(self.timeout, WAIT_S)
        while True:
            feedback = station.session.scan(text)
            if feedback.tone is Tone.OK:
                return
            waits = any(reason in feedback.text for reason in NOT_YET[1:])
            if any(reason in feedback.text for reason in LATER) or (waits and time.monotonic() > patience):
                station.session.clear_selection()
                raise Deferred(f"{text} waits: {feedback.text}", where=station.device)
            if not any(reason in feedback.text for reason in NOT_YET) or time.monotonic() > deadline:
                raise StationError(f"the station refused {text}: {feedback.text}", where=station.device)
            station.session.clear_selection()
            time.sleep(0.1)


def station_centre(wo: RoutedWorkOrder, op: RoutedOperation) -> str:
    """The work centre whose station records ``op``: its own, or for an outsourced step the next step's."""
    after = next((o for o in wo.operations if o.predecessor == op.number), None)
    return after.work_centre if op.outsourced and after is not None else op.work_centre


def _ok(station: Station, feedback: Feedback, what: str) -> None:
    if feedback.tone is not Tone.OK:
        raise StationError(f"{what} refused: {feedback.text}", where=station.device)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m terminal.scripted", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="settings TOML file (see docs/settings.md)")
    p.add_argument("--stations", required=True, help="comma-separated STATION=WORK_CENTRE[+WORK_CENTRE] list")
    p.add_argument("--travelers", help="folder of traveler PDFs, worked in name order (default: paths on stdin)")
    p.add_argument("--badge", default="E-0042", help="the worker's badge (default: the demo roster's Li Wei)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the hub at each step")
    p.add_argument("--by-hand", default="", metavar="CENTRE[,CENTRE]",
                   help="work centres a person works: their operations are left to them and what follows waits")
    p.add_argument("--label-pictures", action="store_true",
                   help="write one picture per label of each traveler beside it (FOLDER named after the PDF)")
    return p.parse_args(argv)


def _read_paths(lines: Iterable[str], into: queue.Queue[Path | None]) -> None:
    """Traveler paths as the demo hands them out, one a line; None at the end."""
    for line in lines:
        if line.strip():
            into.put(Path(line.strip()))
    into.put(None)


def main(argv: Sequence[str] | None = None) -> int:
    from sync import settings as settings_module

    args = parse_args(argv)
    floor: Floor | None = None
    try:
        base = settings_module.load(args.config)
        stations = []
        for item in args.stations.split(","):
            device, _, centres = item.partition("=")
            stations.append(Station.open(base, device.strip(), centres.split("+")))
        floor = Floor(stations, args.timeout, by_hand=[c.strip() for c in args.by_hand.split(",") if c.strip()])
        floor.wait_connected()
        floor.log_in(badge_card(args.badge))
        print("ready", flush=True)
        handed_out: queue.Queue[Path | None] = queue.Queue()
        if args.travelers:
            for found in sorted(Path(args.travelers).glob("*.pdf")):
                handed_out.put(found)
            handed_out.put(None)
        else:
            threading.Thread(target=_read_paths, args=(sys.stdin, handed_out), daemon=True).start()
        waiting: list[list[PrintedLabel]] = []  # travelers put aside (Deferred), tried again every few seconds
        more = True
        while more or waiting:
            try:
                pdf = handed_out.get(timeout=RETRY_S if waiting else None)
            except queue.Empty:
                pdf = None if not more else Path()
            if pdf is None:
                more = False
            elif pdf != Path():
                try:
                    data = pdf.read_bytes()
                except OSError as exc:
                    raise StationError(f"cannot read the traveler: {exc.strerror}", where=str(pdf)) from None
                traveler = read_traveler(data, str(pdf))
                if args.label_pictures:
                    write_label_images(traveler, pdf.with_suffix(""))
                waiting.append(traveler)
            for traveler in list(waiting):
                try:
                    floor.work(traveler, lambda step: print(json.dumps(step.to_json()), flush=True))
                except Deferred as exc:
                    print(f"traveler waits: {exc.what}", flush=True)
                    if not more:
                        time.sleep(RETRY_S)
                    continue
                waiting.remove(traveler)
                print("traveler done", flush=True)
    except FloorLinkError as exc:
        print(f"terminal.scripted: {exc}", file=sys.stderr)
        return 1
    finally:
        if floor is not None:
            floor.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
