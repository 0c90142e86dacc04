"""The station's rules as one plain object: who is logged in, what was scanned, what may be recorded.

Every refused action leaves the ledger untouched and says why in ``feedback``; every accepted one
writes its event and outbox message in one ledger transaction. Widgets call these methods and
redraw from :meth:`StationSession.view` when ``changed`` fires; they never hold state of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum

from sync import labels
from sync.errors import FloorLinkError, StationError, StoreError
from sync.labels import BadgeLabel, WorkOrderLabel
from sync.station import rules
from sync.station.calendar import AlwaysWorking, WorkingTime
from sync.station.ledger import RecordedEvent, StationLedger, by_badge, by_pin, event_body, operation_state
from sync.station.pauses import LOGGED_OUT
from sync.station.rules import OperationFacts
from sync.station.timing import OperationState, Status, TimerColour, derive
from sync.station.workorders import RoutedOperation, RoutedWorkOrder, Worker
from terminal.station.look import Look, timer_look
from terminal.station.quantities import parse_quantity
from terminal.station.texts import ABOUT_YOU, REFUSALS, Msg, Named, day_and_date, said

log = logging.getLogger("floorlink.station")


class Tone(StrEnum):
    """What the screen flashes and the speaker plays."""

    OK = "ok"
    WARN = "warn"  # recorded, but parts were scrapped or failed QC: amber, a falling tone (not success's green)
    ERROR = "error"
    INFO = "info"
    OVERRIDE = "override"  # refused, but a supervisor badge may allow it
    ASK = "ask"  # nothing recorded yet: the same tap again records it (counts short of what reached)


@dataclass(frozen=True)
class Feedback:
    tone: Tone
    text: str


@dataclass(frozen=True)
class PendingOverride:
    """A refused selection a supervisor may allow; the allowed actions then carry ``override_by``."""

    work_order: str
    operation: int
    reason: str


@dataclass(frozen=True)
class Selection:
    work_order: str
    operation: int
    override_by: str | None = None
    override_reason: str | None = None


@dataclass(frozen=True)
class OperationView:
    """All the screen shows about the selected operation, computed at one moment."""

    wo: RoutedWorkOrder
    op: RoutedOperation
    state: OperationState
    can_start: bool
    can_pause: bool
    can_resume: bool
    can_complete: bool
    can_record_qc: bool
    override_by: str | None

    @property
    def colour(self) -> TimerColour:
        return self.state.colour

    @property
    def look(self) -> Look:
        return timer_look(self.state, self.op.alert_at)


#: a supervisor's allowance as the events carry it: who allowed (badge), and the refusal they allowed
Allowance = tuple[str, str | None]


def allowance(events: Iterable[RecordedEvent], station: str) -> Allowance | None:
    """The allowance an operation was started under at ``station`` (the last of its events there naming one):
    the events that follow carry it, as the hub asks of every event on an operation routed elsewhere, and a
    worker is not sent to the supervisor again to pause, resume or complete it."""
    found = None
    for event in events:
        by, why = event.body.get("override_by"), event.body.get("override_reason")
        if event.body.get("station") == station and isinstance(by, str) and by.strip():
            found = by, why if isinstance(why, str) else None
    return found


def clock_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class StationSession:
    ledger: StationLedger
    station: str
    work_centres: frozenset[str]
    clock: Callable[[], datetime] = clock_utc
    calendar_for: Callable[[str], WorkingTime] = lambda _wc: AlwaysWorking()  # when the work order has none
    zone: tzinfo = UTC  # the site's time zone, in which work-centre shifts are read
    worker: Worker | None = None
    selection: Selection | None = None
    pending_override: PendingOverride | None = None
    feedback: Feedback = field(default_factory=lambda: Feedback(Tone.INFO, Msg("Scan your badge or type your PIN")))
    _uncounted: tuple[str, int, int, int] | None = None  # counts short of what reached, asked once (complete)
    listeners: list[Callable[[], None]] = field(default_factory=list)

    # --- plumbing --------------------------------------------------------------------------------
    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def _say(self, tone: Tone, text: str) -> Feedback:
        self.feedback = Feedback(tone, text)
        self._changed()
        return self.feedback

    def _refuse(self, error: FloorLinkError) -> Feedback:
        if isinstance(error, StoreError):  # the worker reads "nothing was recorded"; the log gets the cause
            log.error("station: the store failed: %s", error, exc_info=error)
        return self._say(Tone.ERROR, said(error))

    # --- scanning and login ----------------------------------------------------------------------
    def scan(self, text: str) -> Feedback:
        """A confirmed code from the camera chain or a wedge scanner."""
        try:
            label = labels.parse(text)
            if isinstance(label, BadgeLabel):
                return self._badge(label.badge_id)
            return self._work_order_label(label)
        except FloorLinkError as exc:  # a malformed code, or the store cannot be read: nothing recorded
            return self._refuse(exc)

    def enter_code(self, text: str) -> Feedback:
        """A code typed on the keypad: a whole label, or the work-order number printed on the traveler
        (its next operation here is chosen, as for the traveler's header label)."""
        clean = text.strip().upper()
        if clean.startswith(labels.PREFIX + labels.SEPARATOR):
            return self.scan(clean)
        if not labels.ID_PATTERN.fullmatch(clean):
            return self._refuse(StationError(Msg("{code} is not a work-order number",
                                                 code=labels.shortened(clean) or "…"),
                                             where="typed code",
                                             fix=Msg("type the number printed on the traveler, e.g. WO-1001")))
        return self.open_operation(clean, None)

    def open_operation(self, work_order: str, operation: int | None) -> Feedback:
        """A tapped row of the work list (or a typed number): exactly the rules of scanning that label."""
        try:
            return self._work_order_label(WorkOrderLabel(work_order, operation))
        except FloorLinkError as exc:  # the store cannot be read: nothing recorded
            return self._refuse(exc)

    def _find_worker(self, badge: str) -> Worker | None:
        return by_badge(self.ledger.workers(), badge)

    def name_of(self, badge: str) -> str:
        """The roster name for a badge (the badge itself when unknown, e.g. a worker of another station)."""
        worker = self._find_worker(badge)
        return worker.name if worker else badge

    def _badge(self, badge: str) -> Feedback:
        worker = self._find_worker(badge)
        if worker is None:
            return self._refuse(StationError(Msg("badge {badge} is not on this station's roster", badge=badge),
                                             fix=Msg("ask a supervisor to add it")))
        if self.pending_override is not None and worker.supervisor:
            return self._approve(worker)
        return self._login(worker)

    def login_pin(self, pin: str) -> Feedback:
        """A typed PIN: logs in its owner, or approves a pending override when a supervisor's."""
        pin = pin.strip()
        try:
            workers = self.ledger.workers()
        except FloorLinkError as exc:
            return self._refuse(exc)
        worker = by_pin(workers, pin)
        if worker is None:
            return self._refuse(StationError(Msg("unknown PIN"), fix=Msg("type it again or scan your badge")))
        if self.pending_override is not None and worker.supervisor:
            return self._approve(worker)
        return self._login(worker)

    def approve_pin(self, pin: str) -> Feedback:
        """A PIN typed on the supervisor's page while a refusal waits: allows it, and nothing else (review: the
        window had no masked entry for it; typed as a work-order number the digits showed). Any other PIN is
        refused and the refusal keeps waiting."""
        if self.pending_override is None:
            return self._refuse(StationError(Msg("nothing waits for a supervisor now"),
                                             fix=Msg("scan a work order")))
        try:
            workers = self.ledger.workers()
        except FloorLinkError as exc:
            return self._refuse(exc)
        supervisor = by_pin(workers, pin)
        if supervisor is None or not supervisor.supervisor:
            return self._refuse(StationError(Msg("this is not a supervisor's PIN"),
                                             fix=Msg("a supervisor types their own PIN or scans their badge")))
        return self._approve(supervisor)

    def _login(self, worker: Worker) -> Feedback:
        """Log ``worker`` in. Another worker's badge while one is logged in ends the first one's choice and any
        supervisor's allowance (review: the second worker inherited both), but not their work: two workers may
        build one bike, so the first one's running operations go on and the greeting names them (the first
        worker pauses them by logging in and out again)."""
        before = self.worker
        hello = Msg("Hello {name} (supervisor) — scan a work order", name=worker.name) if worker.supervisor \
            else Msg("Hello {name} — scan a work order", name=worker.name)
        self.worker = worker
        self.pending_override = None
        if before is None or before.badge == worker.badge:
            return self._say(Tone.OK, hello)
        self.selection = None
        try:
            running = [f"{line.wo.id} · {line.op.number}" for line in self._running_of(before)]
        except FloorLinkError:  # the greeting's extra line is not worth refusing the login: logged, left out
            log.warning("station: could not list %s's running work at a change of worker", before.badge,
                        exc_info=True)
            running = []
        if running:
            return self._say(Tone.OK, Msg("{hello}. {name} is still on {operations}", hello=hello, name=before.name,
                                          operations=", ".join(running)))
        return self._say(Tone.OK, hello)

    def _running_of(self, worker: Worker) -> list[RoutedLine]:
        """The operations ``worker`` is on at this station now."""
        return [line for line in routed_here(self)
                if line.state.status is Status.RUNNING and worker.badge in line.state.workers]

    def _pause_running_of(self, worker: Worker) -> tuple[list[str], FloorLinkError | None]:
        """Record ``op.paused`` ("Logged out") for each operation ``worker`` runs at this station; the
        operations paused ("WO · op"), and the error that stopped the rest (logged with its traceback)."""
        paused: list[str] = []
        try:
            for line in self._running_of(worker):
                override_by, override_reason = line.allowance or (None, None)
                body = event_body(line.wo.id, line.op.number, self.clock(), worker.badge, station=self.station,
                                  reason=LOGGED_OUT, override_by=override_by, override_reason=override_reason)
                rules.check("op.paused", body, line.state, self._facts(line.wo, line.op))
                self.ledger.record("op.paused", body)
                paused.append(f"{line.wo.id} · {line.op.number}")
        except FloorLinkError as exc:  # the store failed, or the rules changed under us: nothing half recorded
            log.warning("station: pausing %s's operations failed", worker.badge, exc_info=True)
            return paused, exc
        return paused, None

    def logout(self) -> Feedback:
        """Log out; the operations the worker is on here are paused for them first ("Logged out"): live, a
        worker logged out with an operation running and its timer ran on for nobody until someone completed it.
        A pause that cannot be recorded is said, and the worker is logged out all the same."""
        worker = self.worker
        paused, failed = self._pause_running_of(worker) if worker is not None else ([], None)
        self.worker = None
        self.selection = None
        self.pending_override = None
        if failed is not None:
            return self._say(Tone.ERROR, Msg("Logged out, but the work you are on still runs: {problem}",
                                             problem=said(failed)))
        if paused:
            return self._say(Tone.INFO, Msg("Paused for you: {operations}. Scan your badge or type your PIN",
                                            operations=", ".join(paused)))
        return self._say(Tone.INFO, Msg("Scan your badge or type your PIN"))

    def _approve(self, supervisor: Worker) -> Feedback:
        pending = self.pending_override
        assert pending is not None
        self.pending_override = None
        self.selection = Selection(pending.work_order, pending.operation, supervisor.badge, pending.reason)
        return self._say(Tone.OK, Msg("Allowed by {name}: {reason}", name=supervisor.name, reason=pending.reason))

    def clear_selection(self) -> None:
        """Back to "scan a work order" (nothing is recorded). The banner says so too: it kept the work order
        just left in green, which a worker read as still chosen (live demo)."""
        self.selection = None
        self.pending_override = None
        self._say(Tone.INFO, Msg("Scan a work order or tap it below"))

    # --- choosing an operation -------------------------------------------------------------------
    def _work_order_label(self, label: WorkOrderLabel) -> Feedback:
        if self.worker is None:
            return self._refuse(StationError(Msg("log in first"), fix=Msg("scan your badge or type your PIN")))
        self.pending_override = None
        wo = self.ledger.work_order(label.work_order)
        if wo is None:
            self.selection = None
            return self._refuse(StationError(Msg("work order {wo} is not routed to this station", wo=label.work_order),
                                             fix=Msg("check the traveler, or ask the supervisor to release it here")))
        try:
            number = label.operation if label.operation is not None else self._next_operation(wo)
            op = wo.operation(number)
            allowed = self._check_selectable(wo, op)
        except StationError as exc:
            self.selection = None
            if exc.overridable:
                self.pending_override = PendingOverride(wo.id, number, exc.what)
                return self._say(Tone.OVERRIDE, Msg("{what} — a supervisor badge or PIN can allow it", what=said(exc)))
            return self._refuse(exc)
        self.selection = Selection(wo.id, op.number, *(allowed or (None, None)))
        return self._say(Tone.OK, Msg("{wo} · {op} {name}", wo=wo.id, op=op.number, name=Named(op.name, op.names)))

    def _next_operation(self, wo: RoutedWorkOrder) -> int:
        here = [o for o in wo.operations if self.works_here(wo, o)]
        if not here:
            raise StationError(Msg("work order {wo} has no operation at this station", wo=wo.id),
                               fix=Msg("take it to the station of its next operation"))
        for op in here:
            if self._state(wo, op).status is not Status.DONE:
                return op.number
        raise StationError(Msg("work order {wo} is already complete at this station", wo=wo.id))

    def works_here(self, wo: RoutedWorkOrder, op: RoutedOperation) -> bool:
        """An operation of this station's work centres, or an outsourced one whose parts come back here (its
        next operation is here): no supplier has a station, so receiving records the supplier's step."""
        return rules.serves(wo, op, self.work_centres)

    def _state(self, wo: RoutedWorkOrder, op: RoutedOperation) -> OperationState:
        calendar = wo.calendar(op.work_centre, self.zone) or self.calendar_for(op.work_centre)
        return operation_state(self.ledger, wo, op.number, self.clock(), calendar)

    def _is_done(self, wo: RoutedWorkOrder, op: RoutedOperation) -> bool:
        return op.hub_status == "done" or self._state(wo, op).status is Status.DONE

    def _check_selectable(self, wo: RoutedWorkOrder, op: RoutedOperation) -> Allowance | None:
        """Refusals in order of importance: done or cancelled (never allowed), then the overridable ones. An
        operation already started here under a supervisor's allowance is not asked again (review: resuming or
        completing it asked for the supervisor each time); the allowance is returned to go with its events."""
        if self._is_done(wo, op):
            raise StationError(Msg("operation {op} of {wo} is already complete", op=op.number, wo=wo.id))
        first_start = self._state(wo, op).status is Status.QUEUED
        if wo.cancelled and first_start:
            order = wo.order_number or wo.order_id
            what = Msg("work order {wo} was cancelled with order {order}", wo=wo.id, order=order) if order \
                else Msg("work order {wo} was cancelled", wo=wo.id)
            raise StationError(what, fix=Msg("put the parts aside and ask the supervisor"), code="cancelled")
        allowed = None if first_start else allowance(self.ledger.events(wo.id, op.number), self.station)
        if not self.works_here(wo, op) and allowed is None:
            raise StationError(Msg("operation {op} of {wo} is routed to {centre}, not this station", op=op.number,
                                   wo=wo.id, centre=op.work_centre),
                               overridable=True)
        if not first_start:  # an earlier step or a part still open was allowed (or overlooked) at the start
            return allowed
        if op.predecessor is not None and not self._is_done(wo, before := wo.operation(op.predecessor)):
            what = Msg("operation {op} of {wo} waits for operation {before}, not done yet", op=op.number, wo=wo.id,
                       before=op.predecessor) if before.work_centre == op.work_centre else \
                Msg("operation {op} of {wo} waits for operation {before} at {centre}, not done yet", op=op.number,
                    wo=wo.id, before=op.predecessor, centre=before.work_centre)  # where to ask for it
            raise StationError(what, overridable=True, code=rules.WAITS)
        parts = rules.parts_open(wo, op)
        if parts:
            raise StationError(Msg("operation {op} of {wo} waits for parts not made yet: {parts}", op=op.number,
                                   wo=wo.id, parts=", ".join(parts)),
                               overridable=True, code=rules.WAITS)
        bought = rules.materials_open(wo, op, due_day)
        if bought:
            raise StationError(Msg("operation {op} of {wo} waits for bought parts not in yet: {parts}", op=op.number,
                                   wo=wo.id, parts=", ".join(bought)),
                               overridable=True, code=rules.WAITS)
        return None

    # --- what the screen shows -------------------------------------------------------------------
    def _facts(self, wo: RoutedWorkOrder, op: RoutedOperation, *, with_quantity: bool = False) -> OperationFacts:
        """The work order's side of the rules (sync.station.rules, the same the hub applies)."""
        waits = op.predecessor if op.predecessor is not None and not self._is_done(
            wo, wo.operation(op.predecessor)) else None
        return OperationFacts(wo.id, op.number, qc=op.qc, cancelled=wo.cancelled,
                              quantity_in=self.started_quantity(wo, op) if with_quantity else wo.quantity,
                              routed=self.works_here(wo, op), work_centre=op.work_centre,
                              waits_for_operation=waits, waits_for_parts=rules.parts_open(wo, op),
                              waits_for_material=rules.materials_open(wo, op, due_day))

    def view(self) -> OperationView | None:
        if self.selection is None:
            return None
        wo = self.ledger.work_order(self.selection.work_order)
        if wo is None:
            return None
        op = wo.operation(self.selection.operation)
        state = self._state(wo, op)
        me = self.worker.badge if self.worker else None
        facts = self._facts(wo, op)

        def may(type_: str) -> bool:
            return me is not None and rules.permits(type_, me, state, facts)

        return OperationView(
            wo=wo, op=op, state=state,
            can_start=may("op.started"),
            can_pause=may("op.paused"),
            can_resume=may("op.resumed"),
            can_complete=may("op.completed"),
            can_record_qc=op.qc and may("qc.recorded"),
            override_by=self.selection.override_by,
        )

    # --- actions ---------------------------------------------------------------------------------
    def _act(self, action: str | Msg, type_: str, tone: Tone = Tone.OK, **fields: object) -> Feedback:
        """Check the action with the shared rules, then record it; a refusal records nothing."""
        if self.worker is None:
            return self._refuse(StationError(Msg("log in first"), fix=Msg("scan your badge or type your PIN")))
        try:
            view = self.view()
            if view is None or self.selection is None:
                raise StationError(Msg("scan a work order first"))
            if self.selection.override_by is None and type_ == "op.started":
                self._check_selectable(view.wo, view.op)  # the state may have changed since the scan
            body = event_body(view.wo.id, view.op.number, self.clock(), self.worker.badge, station=self.station,
                              override_by=self.selection.override_by,
                              override_reason=self.selection.override_reason, **fields)
            try:
                rules.check(type_, body, view.state, self._facts(view.wo, view.op, with_quantity=type_ == "op.completed"))
            except StationError as exc:
                if exc.code not in ABOUT_YOU:
                    raise
                # the rule names the worker by badge ("E-0042 is not on it"); said to that worker, it is "you"
                raise StationError(Msg(REFUSALS[exc.code]), code=exc.code) from exc
            self.ledger.record(type_, body)
        except FloorLinkError as exc:  # refused, or the store failed: either way nothing was recorded
            return self._refuse(exc)
        said = action if isinstance(action, Msg) else Msg(action)
        return self._say(tone, Msg("{action}: {wo} · {op} {name}", action=said, wo=view.wo.id, op=view.op.number,
                                   name=Named(view.op.name, view.op.names)))

    def start(self) -> Feedback:
        return self._act("Started", "op.started")

    def pause(self, reason: str) -> Feedback:
        return self._act("Paused", "op.paused", reason=reason.strip())

    def resume(self) -> Feedback:
        return self._act("Resumed", "op.resumed")

    def complete(self, good_text: str, scrap_text: str, scrap_reason: str = "") -> Feedback:
        """Record the counts. Fewer good + scrap than reached the operation is asked once ("1 of 2 parts not
        counted"): the same counts again record it (a part may have gone to rework), other counts are checked
        anew; a cancelled work order's are not asked (its parts are put aside). Review: a miscount lost a part
        without a word."""
        try:
            good = parse_quantity(good_text, "good quantity")
            scrap = parse_quantity(scrap_text, "scrap quantity")
            view = self.view()
        except FloorLinkError as exc:
            return self._refuse(exc)
        if view is not None and self.worker is not None and view.can_complete and not view.wo.cancelled:
            reached = self.started_quantity(view.wo, view.op)
            counted = (view.wo.id, view.op.number, good, scrap)
            if good + scrap < reached and self._uncounted != counted:
                self._uncounted = counted
                if reached == 1:  # "1 of 1 parts" (live)
                    return self._say(Tone.ASK, Msg("The part was not counted (0 good + 0 scrap): count again, or "
                                                    "tap Complete again to record it so"))
                return self._say(Tone.ASK, Msg("{missing} of {reached} parts not counted ({good} good + {scrap} "
                                                "scrap): count again, or tap Complete again to record it so",
                                                missing=reached - good - scrap, reached=reached, good=good,
                                                scrap=scrap))
        self._uncounted = None
        action = Msg("Completed, {scrap} scrapped", scrap=scrap) if scrap else Msg("Completed")
        return self._act(action, "op.completed", Tone.WARN if scrap else Tone.OK, good=good, scrap=scrap,
                         reason=scrap_reason.strip() or None)

    def record_qc(self, passed: bool, defect: str = "") -> Feedback:
        return self._act("QC pass" if passed else "QC fail", "qc.recorded", Tone.OK if passed else Tone.WARN, passed=passed,
                         defect=defect.strip() or None)

    def started_quantity(self, wo: RoutedWorkOrder, op: RoutedOperation) -> int:
        """What reached this operation: the predecessor's good quantity when known, else the order's."""
        if op.predecessor is not None:
            pred = self._state(wo, wo.operation(op.predecessor))
            if pred.good is not None:
                return pred.good
        return wo.quantity


@dataclass(frozen=True)
class RoutedLine:
    """One operation of this station in the work list."""

    wo: RoutedWorkOrder
    op: RoutedOperation
    state: OperationState
    waits_for: int | None = None  # the predecessor not done yet (a tap then asks for a supervisor)
    waits_for_parts: tuple[str, ...] = ()  # part work orders not done yet (sync.station.rules.parts_open)
    waits_for_material: tuple[str, ...] = ()  # bought parts not in yet (sync.station.rules.materials_open)
    allowance: Allowance | None = None  # the supervisor's allowance it was started under here (see allowance)


_LIST_ORDER = {Status.RUNNING: 0, Status.PAUSED: 1, Status.QUEUED: 2, Status.DONE: 3}
_NEVER = datetime.max.replace(tzinfo=UTC)


def _line_key(line: RoutedLine) -> tuple[int, bool, datetime, str, int]:
    """Work in hand first, then what is ready before what waits, each by planned start (unplanned last)."""
    planned = line.op.planned_start or _NEVER
    waiting = line.waits_for is not None or bool(line.waits_for_parts) or bool(line.waits_for_material)
    return (_LIST_ORDER[line.state.status], waiting, planned, line.wo.id, line.op.number)


def _state_in(session: StationSession, wo: RoutedWorkOrder, op: RoutedOperation, events: list[RecordedEvent],
              states: dict[int, OperationState], now: datetime) -> OperationState:
    """The state of ``op`` from its work order's events, derived once per list."""
    if op.number not in states:
        calendar = wo.calendar(op.work_centre, session.zone) or session.calendar_for(op.work_centre)
        states[op.number] = derive((e.op_event() for e in events if e.operation == op.number), now,
                                   standard=op.standard_seconds(wo.quantity), calendar=calendar)
    return states[op.number]


def routed_here(session: StationSession) -> list[RoutedLine]:
    """This station's operations of every routed work order: running and paused ones first, then
    the queued ones by planned start (ready before waiting), done ones last."""
    now = session.clock()
    lines = []
    for wo in session.ledger.work_orders():
        if wo.cancelled:
            continue
        events = session.ledger.events(wo.id)  # one read per work order, split per operation below
        allowed = {op.number: found for op in wo.operations
                   if (found := allowance((e for e in events if e.operation == op.number), session.station))}
        # an operation routed elsewhere but started here with an allowance stays on this station's list
        here = [op for op in wo.operations if session.works_here(wo, op) or op.number in allowed]
        states: dict[int, OperationState] = {}
        for op in here:
            pred = wo.operation(op.predecessor) if op.predecessor is not None else None
            waits = pred is not None and pred.hub_status != "done" and \
                _state_in(session, wo, pred, events, states, now).status is not Status.DONE
            lines.append(RoutedLine(wo, op, _state_in(session, wo, op, events, states, now),
                                    pred.number if waits and pred else None, rules.parts_open(wo, op),
                                    rules.materials_open(wo, op, due_day), allowed.get(op.number)))
    return sorted(lines, key=_line_key)


def due_day(text: str) -> str:
    """A purchase's due day (the hub's ``2026-12-19``) as the worker reads days: ``Sat 19 Dec`` / ``12月19日 周六``;
    a value that is no day is shown as it came."""
    try:
        return day_and_date(date.fromisoformat(text[:10]))
    except ValueError:
        return text


#: rows the work list shows at most (the rest are reached by scan or typed number)
WORK_LIST_ROWS = 40


@dataclass(frozen=True)
class Snapshot:
    """Everything one screen redraw needs, read in one go on the core thread (the UI thread never reads the store)."""

    feedback: Feedback
    worker: Worker | None
    view: OperationView | None
    started: int | None  # what reached the selected operation (the Complete page's default good quantity)
    lines: tuple[RoutedLine, ...]  # this station's work list, when no operation is selected
    names: dict[str, str]  # badge -> name of the roster
    pending: PendingOverride | None = None  # a refusal a supervisor's badge or PIN may allow


def snapshot(session: StationSession) -> Snapshot:
    feedback, worker = session.feedback, session.worker
    view = session.view()
    started = session.started_quantity(view.wo, view.op) if view is not None else None
    lines = tuple(line for line in routed_here(session)
                  if line.state.status is not Status.DONE)[:WORK_LIST_ROWS] if worker is not None and view is None else ()
    names = {w.badge: w.name for w in session.ledger.workers()} if view is not None else {}
    return Snapshot(feedback, worker, view, started, lines, names, session.pending_override)


def heartbeat_body(session: StationSession) -> dict[str, object]:
    """What a heartbeat tells the hub: when, who is logged in, and the operations running here."""
    running = [f"{line.wo.id}/{line.op.number}" for line in routed_here(session) if line.state.status is Status.RUNNING]
    return {"at": session.clock().isoformat(), "station": session.station,
            "worker": session.worker.badge if session.worker else None, "running": running}
