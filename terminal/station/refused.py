"""Events the hub refused, as a supervisor at the station sees and settles them.

The hub's "rejected" answer moves an event whole into the edge's dead letters and turns the status
bar red. This plain object lists them in plain words and lets a supervisor (only a supervisor)
send one again once the hub was fixed, or set it aside as handled (kept, with who and when).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from sync.errors import StationError
from sync.protocol.edge import EdgeSync
from sync.station.workorders import Worker
from sync.store import DeadLetter, Outbox
from sync.times import from_iso
from terminal.station import texts
from terminal.station.texts import Msg

_VERBS = {"op.started": "Start", "op.paused": "Pause", "op.resumed": "Resume", "op.completed": "Complete",
          "qc.recorded": "QC"}


@dataclass(frozen=True)
class RefusedItem:
    """One refused event in the words the screen shows."""

    event_id: str
    what: str  # "Start WO-1001 · 10"
    when: str  # "25 Nov 18:03", site time
    who: str  # the worker's name, or "" when the body names nobody
    reason: str  # the hub's reason


def describe(type_: str, body: dict[str, Any]) -> str:
    """What the event asked for, as a worker would say it (the raw type for unknown events)."""
    verb = _VERBS.get(type_)
    if verb is None or "work_order" not in body:
        return type_
    if type_ == "qc.recorded":
        verb = "QC pass" if body.get("passed") else "QC fail"
    text = f"{texts.tr(verb)} {body['work_order']} · {body.get('operation', '?')}"
    if type_ == "op.completed":
        text += ": " + texts.tr("{good} good, {scrap} scrap").format(good=body.get("good", "?"),
                                                                    scrap=body.get("scrap", 0))
    elif type_ == "op.paused" and body.get("reason"):
        text += f" ({texts.tr(str(body['reason']))})"
    elif type_ == "qc.recorded" and body.get("defect"):
        text += f" ({texts.tr(str(body['defect']))})"
    return text


def when(dead: DeadLetter, zone: tzinfo) -> str:
    """The moment the worker acted (the body's ``at``, else when the event was written), site time."""
    raw = dead.body.get("at") or dead.occurred_at
    try:
        moment = from_iso(str(raw))
    except ValueError:
        return str(raw)  # an old or broken row: show it as it is rather than hide the event
    return texts.date_and_time(moment.astimezone(zone))


def reason(dead: DeadLetter) -> str:
    """The hub's reason: a rule's refusal as its plain sentence in the chosen language (the hub's own
    English words in English), anything else as the hub wrote it (a supervisor may act on the detail)."""
    if dead.code in texts.REFUSALS:
        return texts.local(Msg(texts.REFUSALS[dead.code], english=dead.reason))
    return dead.reason


class RefusedEvents:
    """``RefusedEvents.for_sync(sync, names, zone)``: list, send again, set aside."""

    def __init__(self, outbox: Outbox, requeue: Callable[[Iterable[str]], int],
                 names: Callable[[str], str] = str, zone: tzinfo = UTC) -> None:
        self.outbox = outbox
        self.requeue = requeue
        self.names = names
        self.zone = zone

    @classmethod
    def for_sync(cls, sync: EdgeSync, names: Callable[[str], str] = str, zone: tzinfo = UTC) -> RefusedEvents:
        """Over the running sync: a re-queued event is sent at once, the status bar count follows."""
        return cls(sync.outbox, sync.requeue, names, zone)

    def items(self) -> list[RefusedItem]:
        """The refused events still waiting for a supervisor, oldest first."""
        return [RefusedItem(d.event_id, describe(d.type, d.body), when(d, self.zone),
                            self.names(str(d.body["worker"])) if d.body.get("worker") else "", reason(d))
                for d in self.outbox.dead_letters()]

    def send_again(self, event_id: str, by: Worker | None) -> str:
        """Put the event back in the outbox unchanged (the hub was fixed, e.g. the work order released)."""
        _check_supervisor(by, Msg("send a refused event again"))
        if self.requeue([event_id]) == 0:
            raise StationError(Msg("this refused event is no longer waiting"), fix=Msg("it was already handled"))
        return Msg("Sent again: the hub answers in a moment")

    def set_aside(self, event_id: str, by: Worker | None) -> str:
        """The supervisor handled it another way: kept, marked with their badge and the time, no longer red."""
        supervisor = _check_supervisor(by, Msg("set a refused event aside"))
        if self.outbox.set_aside([event_id], supervisor.badge) == 0:
            raise StationError(Msg("this refused event is no longer waiting"), fix=Msg("it was already handled"))
        return Msg("Set aside by {name}", name=supervisor.name)


def _check_supervisor(worker: Worker | None, action: Msg) -> Worker:
    if worker is None or not worker.supervisor:
        raise StationError(Msg("only a supervisor may {action}", action=action), fix=Msg("scan a supervisor badge"))
    return worker
