"""What customers at the kiosks tell the factory without saying it: the funnel, wished-for
combinations and options they found unclear.

Kiosks send ``kiosk.funnel`` (one per customer session: the screens seen, seconds on each, the
outcome) and ``kiosk.feedback`` (``combination_request``: an option the rules refused and the
choices it clashed with; ``unclear_option``: an option a customer flagged). The hub checks each
body on ingest (:func:`check_body`: a malformed one is rejected in the ack, nothing stored is
touched) and reports over a period with :func:`insight_report` — pure over event rows, so the
API, the CLI (``python -m sync.hub.insights``) and the feedback warnings count the same way.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from sync.errors import ProtocolError
from sync.times import from_iso

FUNNEL = "kiosk.funnel"
FEEDBACK = "kiosk.feedback"
FEEDBACK_KINDS = ("combination_request", "unclear_option")


@dataclass(frozen=True)
class FeedbackThresholds:
    """How often the same wish or flag must come in before the hub raises a feedback warning."""

    combination_requests: int = 3
    unclear_flags: int = 3
    days: int = 30


def _text(body: Mapping[str, Any], key: str, where: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def _pairs(body: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = body.get(key)
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ProtocolError(f"{where}: {key} must map attribute codes to option codes, got {value!r}")
    return value


def check_body(type_: str, body: Mapping[str, Any]) -> None:
    """Raise ProtocolError naming the field when a funnel or feedback body is not what kiosks send."""
    where = f"{type_} body"
    if type_ == FUNNEL:
        _text(body, "session", where)
        _text(body, "outcome", where)
        product = body.get("product")
        if product is not None and not isinstance(product, str):
            raise ProtocolError(f"{where}: product must be a string or null, got {product!r}")
        steps = body.get("steps")
        if not isinstance(steps, list):
            raise ProtocolError(f"{where}: steps must be a list, got {steps!r}")
        for number, step in enumerate(steps, start=1):
            if not isinstance(step, dict) or not isinstance(step.get("screen"), str):
                raise ProtocolError(f"{where}: step {number} needs a screen name, got {step!r}")
            seconds = step.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise ProtocolError(f"{where}: step {number} seconds must be a number ≥ 0, got {seconds!r}")
        if "configuration" in body:  # sessions that reached the summary: demand sensing's weaker signal
            _pairs(body, "configuration", where)
            revision = body.get("revision", 0)
            if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
                raise ProtocolError(f"{where}: revision must be a whole number ≥ 0, got {revision!r}")
    elif type_ == FEEDBACK:
        kind = body.get("kind")
        if kind not in FEEDBACK_KINDS:
            raise ProtocolError(f"{where}: kind must be one of {', '.join(FEEDBACK_KINDS)}, got {kind!r}")
        _text(body, "product", where)
        if kind == "combination_request":
            wanted = _pairs(body, "wanted", where)
            if len(wanted) != 1:
                raise ProtocolError(f"{where}: wanted must name exactly one attribute=option, got {wanted!r}")
            _pairs(body, "choices", where)
        else:
            _text(body, "attribute", where)
            _text(body, "option", where)
    else:
        raise ProtocolError(f"not an insight event: {type_!r}")


@dataclass(frozen=True)
class InsightEvent:
    """One stored funnel or feedback event, as the report reads it."""

    type: str
    device_id: str
    occurred_at: str
    body: Mapping[str, Any]


Query = Callable[[str, Sequence[Any]], Iterable[Mapping[str, Any]]]


def stored_rows(query: Query, since: datetime, types: Sequence[str] = (FUNNEL, FEEDBACK)) -> list[Mapping[str, Any]]:
    """Hub ``events`` rows of ``types`` from about ``since`` on, for :func:`insight_report`.

    The text bound on occurred_at only narrows the read (a day early, whatever zone an edge wrote);
    :func:`events_between` applies the exact period.
    """
    bound = (since.astimezone(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    marks = ", ".join("?" for _ in types)
    return list(query(f"SELECT type, device_id, occurred_at, body, status FROM events "
                      f"WHERE type IN ({marks}) AND occurred_at >= ?", [*types, bound]))


def events_between(rows: Iterable[Mapping[str, Any]], since: datetime, until: datetime) -> list[InsightEvent]:
    """Accepted insight events from hub ``events`` rows whose occurred_at falls in [since, until)."""
    found = []
    for row in rows:
        if row.get("status", "ok") != "ok" or row["type"] not in (FUNNEL, FEEDBACK):
            continue
        try:
            at = from_iso(str(row["occurred_at"]))
        except ValueError:
            continue
        if since <= at < until:
            body = row["body"] if isinstance(row["body"], Mapping) else json.loads(row["body"])
            found.append(InsightEvent(row["type"], row["device_id"], row["occurred_at"], body))
    return found


def funnel(events: Iterable[InsightEvent]) -> dict[str, Any]:
    """Sessions and outcomes; per screen how many sessions reached it, left from it and how long they stayed."""
    sessions = [e.body for e in events if e.type == FUNNEL]
    outcomes = Counter(str(s["outcome"]) for s in sessions)
    reached: Counter[str] = Counter()
    left_here: Counter[str] = Counter()
    seconds: dict[str, list[float]] = defaultdict(list)
    position: dict[str, list[int]] = defaultdict(list)
    by_product: dict[str, Counter[str]] = defaultdict(Counter)
    for session in sessions:
        steps = session["steps"]
        for index, step in enumerate(steps):
            seconds[step["screen"]].append(float(step["seconds"]))
            position[step["screen"]].append(index)
        for screen in {step["screen"] for step in steps}:
            reached[screen] += 1
        if session["outcome"] != "placed" and steps:
            left_here[steps[-1]["screen"]] += 1
        if session.get("product"):
            by_product[session["product"]][str(session["outcome"])] += 1
    order = sorted(reached, key=lambda screen: (median(position[screen]), screen))
    total = len(sessions)
    return {
        "sessions": total,
        "outcomes": dict(outcomes),
        "conversion": round(outcomes["placed"] / total, 3) if total else None,
        "screens": [{"screen": screen, "reached": reached[screen], "left_here": left_here[screen],
                     "median_seconds": round(median(seconds[screen]), 1)} for screen in order],
        "by_product": {code: {"sessions": sum(c.values()), "placed": c["placed"]} for code, c in sorted(by_product.items())},
    }


def combination_requests(events: Iterable[InsightEvent]) -> list[dict[str, Any]]:
    """Options customers asked for against the rules, most asked first, with the choices they clashed with."""
    count: Counter[tuple[str, str, str]] = Counter()
    clashes: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    kiosks: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in events:
        if e.type != FEEDBACK or e.body.get("kind") != "combination_request":
            continue
        ((attribute, option),) = e.body["wanted"].items()
        key = (e.body["product"], attribute, option)
        count[key] += 1
        kiosks[key].add(e.device_id)
        clashes[key].update(f"{a}={o}" for a, o in e.body["choices"].items() if a != attribute)
    return [{"product": p, "attribute": a, "option": o, "count": n, "kiosks": len(kiosks[(p, a, o)]),
             "with": [{"choice": c, "count": k} for c, k in clashes[(p, a, o)].most_common(3)]}
            for (p, a, o), n in sorted(count.items(), key=lambda item: (-item[1], item[0]))]


def unclear_options(events: Iterable[InsightEvent]) -> list[dict[str, Any]]:
    """Options customers flagged as unclear, most flagged first."""
    count = Counter((e.body["product"], e.body["attribute"], e.body["option"]) for e in events
                    if e.type == FEEDBACK and e.body.get("kind") == "unclear_option")
    return [{"product": p, "attribute": a, "option": o, "count": n}
            for (p, a, o), n in sorted(count.items(), key=lambda item: (-item[1], item[0]))]


def insight_report(rows: Iterable[Mapping[str, Any]], since: datetime, until: datetime) -> dict[str, Any]:
    """The whole report over [since, until) from hub ``events`` rows (type, device_id, occurred_at, body, status)."""
    events = events_between(rows, since, until)
    return {"since": since.isoformat(), "until": until.isoformat(), "funnel": funnel(events),
            "combination_requests": combination_requests(events), "unclear_options": unclear_options(events)}


def feedback_warnings(report: Mapping[str, Any], thresholds: FeedbackThresholds) -> list[dict[str, Any]]:
    """Wishes and flags that came in often enough to tell engineering and marketing (alert candidates)."""

    def wish_message(w: Mapping[str, Any]) -> str:
        return (f"customers asked {w['count']} times in {thresholds.days} days for {w['attribute']}={w['option']} "
                f"on {w['product']}, which the rules refuse"
                + (f" (mostly with {w['with'][0]['choice']})" if w["with"] else ""))

    def unclear_message(u: Mapping[str, Any]) -> str:
        return (f"customers flagged {u['attribute']}={u['option']} on {u['product']} as unclear "
                f"{u['count']} times in {thresholds.days} days: its label or help needs work")

    found = []
    for kind, entries, threshold, message in (
            ("wish", report["combination_requests"], thresholds.combination_requests, wish_message),
            ("unclear", report["unclear_options"], thresholds.unclear_flags, unclear_message)):
        for entry in entries:
            if entry["count"] >= threshold:
                subject = f"{entry['product']} {entry['attribute']}={entry['option']}"
                found.append({"key": f"feedback:{kind}:{subject.replace(' ', ':', 1)}", "subject": subject,
                              "message": message(entry), "data": entry})
    return found


def format_report(report: Mapping[str, Any]) -> str:
    """The report as plain text for a terminal."""
    f = report["funnel"]
    span = " .. ".join(datetime.fromisoformat(report[k]).strftime("%Y-%m-%d %H:%M %Z").strip() for k in ("since", "until"))
    lines = [f"Kiosk insights {span}", ""]
    conversion = "—" if f["conversion"] is None else f"{f['conversion']:.0%}"
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(f["outcomes"].items())) or "none"
    lines += [f"Sessions: {f['sessions']} ({outcomes}); placed an order: {conversion}", ""]
    if f["screens"]:
        lines.append(f"{'screen':<28}{'reached':>9}{'left here':>11}{'median s':>10}")
        lines += [f"{s['screen']:<28}{s['reached']:>9}{s['left_here']:>11}{s['median_seconds']:>10}" for s in f["screens"]]
        lines.append("")
    lines.append("Asked for against the rules:")
    lines += [f"  {w['count']:>4} × {w['product']} {w['attribute']}={w['option']}"
              + (f"  (with {', '.join(c['choice'] for c in w['with'])})" if w["with"] else "")
              for w in report["combination_requests"]] or ["  none"]
    lines.append("Flagged unclear:")
    lines += [f"  {u['count']:>4} × {u['product']} {u['attribute']}={u['option']}"
              for u in report["unclear_options"]] or ["  none"]
    return "\n".join(lines)
