"""An alert's sentence in the board's language, from the facts the hub sends with it.

The hub writes each alert's ``message`` in English for its log, the API and the ERP; a Shanghai wall
board in Chinese showed those English sentences under Chinese headings. Alerts carry their facts in
``data`` (work order, centre, ratio, dates...), so the board builds the sentence itself from a
template per kind, translated like every other board text, with times in the site's zone. A kind
without a template, or data missing a fact the template needs, shows the hub's own message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.money import money
from terminal.dashboard.model import AlertRow, day_text, site_time
from terminal.station.texts import tr

log = logging.getLogger("floorlink.dashboard")


def _when(value: Any, zone: tzinfo) -> str:
    """``Tue 08 Dec 14:00`` / ``12月8日 周二 14:00`` in the site's zone (no time at midnight: a day)."""
    moment = datetime.fromisoformat(str(value)).astimezone(zone)
    if moment.strftime("%H:%M") == "00:00":
        return day_text(moment.date())
    return site_time(moment, zone)


def _promise(value: Any, zone: tzinfo) -> str:
    """A promise is a day (the end of it, ``sync.planning.promise``): ``Mon 14 Dec``, never ``23:59``."""
    return day_text(datetime.fromisoformat(str(value)).astimezone(zone).date())


def _day(value: Any) -> str:
    """A calendar day (``2026-12-09``): no zone, it is the site's day."""
    return day_text(date.fromisoformat(str(value)[:10]))


def _money(amount: Any, currency: Any) -> str:
    """``¥12,999`` (the hub sends ``12999``): as the kiosk showed it."""
    return money(Decimal(str(amount)), str(currency))


def _reason(value: Any) -> str:
    """A scrap reason as the station offered it (``Damaged part``), in the board's language."""
    return tr(str(value)) if value else tr("no reason given")


#: what kept an order (the planner's facts, ``sync.planning.planner``): the part that says which wait
WHY: dict[str, str] = {
    "centre": "{centre} is booked until {day}",
    "material": "{item} arrives {day}",
    "material_from": "{item} from {supplier} arrives {day}",
    "subcontract": "{supplier} returns the parts on {day}",
}
#: how much of the order's time that wait is
SHARE = {"days": "({waited} of {of} days)", "hours": "({waited} of {of} hours)"}


def _why(value: Any, zone: tzinfo) -> str:
    """The planner's reason for a moved promise in the board's language ("QC is booked until Thu 10 Dec (41 of
    49 days)"): the hub's own sentence is English. KeyError for facts it cannot write (the plain sentence then)."""
    kind = value["kind"]
    if kind == "material" and value.get("supplier"):
        kind = "material_from"
    words = tr(WHY[kind]).format(centre=str(value.get("centre")), item=str(value.get("item")),
                                 supplier=str(value.get("supplier")),
                                 day=day_text(datetime.fromisoformat(str(value["until"])).astimezone(zone).date()))
    if value.get("unit") not in SHARE:
        return words
    share = tr(SHARE[value["unit"]]).format(waited=int(value["waited"]), of=int(value["of"]))
    return words + ("" if share.startswith("（") else " ") + share  # Chinese brackets take no space


def _percent(value: Any) -> str:
    return f"{float(value):.0%}"


#: kind -> (English template marked for translation, the template's facts from (alert, data, zone))
TEMPLATES: dict[str, tuple[str, Callable[[AlertRow, Mapping[str, Any], tzinfo], dict[str, str]]]] = {
    "overrun": ("Operation {op} of {work_order} at {work_centre} has run {percent} of its standard time",
                lambda a, d, z: {"op": str(d["op"]), "work_order": str(d["work_order"]),
                                 "work_centre": str(d["work_centre"]), "percent": _percent(d["ratio"])}),
    "qc_rate": ("QC fail rate at {work_centre} is {percent} over the last {checks} checks",
                lambda a, d, z: {"work_centre": str(d["work_centre"]), "percent": _percent(d["rate"]),
                                 "checks": str(d["checks"])}),
    "silent_station": ("Station {device} not heard from since {time}",
                       lambda a, d, z: {"device": str(d["device"]), "time": _when(d["last_seen"], z)}),
    "order_late": ("Order {order} will miss its promise of {promise}",
                   lambda a, d, z: {"order": a.subject, "promise": _promise(d["promise"], z)}),
    "material_short": ("{work_order} waits for {item}, due {due}",
                       lambda a, d, z: {"work_order": str(d["work_order"]), "item": str(d["item"]),
                                        "due": _when(d["arrives"], z)}),
    "promise_later": ("Order {order} will be ready {promise} instead of {was}: tell the customer",
                      lambda a, d, z: {"order": a.subject, "promise": _promise(d["promise"], z),
                                       "was": _promise(d["was"], z)}),
    # with what the planner says keeps it (a purchaser's review: the board dropped the why the hub sent)
    "promise_later_why": ("Order {order} will be ready {promise} instead of {was}: {why}. Tell the customer",
                          lambda a, d, z: {"order": a.subject, "promise": _promise(d["promise"], z),
                                           "was": _promise(d["was"], z), "why": _why(d["why"], z)}),
    "demand_short": ("{item} runs short on {day} at the current trend: order {quantity} by {order_by}",
                     lambda a, d, z: {"item": str(d["item"]), "day": _day(d["runs_short_on"]),
                                      "quantity": f"{float(d['order_qty']):g}", "order_by": _day(d["order_by"])}),
    # the day to order by is already behind us (the hub's "order now and expedite"): a past date alone misleads
    "demand_short_passed": ("{item} runs short on {day} at the current trend: order {quantity} now and expedite "
                            "(it was due by {order_by})",
                            lambda a, d, z: {"item": str(d["item"]), "day": _day(d["runs_short_on"]),
                                             "quantity": f"{float(d['order_qty']):g}", "order_by": _day(d["order_by"])}),
    "demand_capacity": ("{work_centre} is loaded {percent} in the week of {week}: add a shift or move work",
                        lambda a, d, z: {"work_centre": str(d["work_centre"]), "percent": _percent(d["load"]),
                                         "week": _day(d["week"])}),
    "price_mismatch": ("Order {order} was placed at {price}; the catalog lists {list_price} for that build: "
                       "check the kiosk before invoicing",
                       lambda a, d, z: {"order": a.subject, "price": _money(d["price"], d["currency"]),
                                        "list_price": _money(d["list_price"], d["list_currency"])}),
    "scrap": ("{quantity} scrapped at operation {op} of {work_order} ({work_centre}): {reason}",
              lambda a, d, z: {"quantity": str(d["quantity"]), "op": str(d["op"]), "work_order": str(d["work_order"]),
                               "work_centre": str(d["work_centre"]), "reason": _reason(d["reason"])}),
    # the units are made again by a new work order (the hub's remake): where the supervisor finds them
    "scrap_remade": ("{quantity} scrapped at operation {op} of {work_order} ({work_centre}): {reason}. Made again by "
                     "{remade_by}",
                     lambda a, d, z: {"quantity": str(d["quantity"]), "op": str(d["op"]),
                                      "work_order": str(d["work_order"]), "work_centre": str(d["work_centre"]),
                                      "reason": _reason(d["reason"]), "remade_by": ", ".join(d["remade_by"])}),
    # a station paused for a reason that needs the supervisor (sync.station.pauses): where to go, and why
    "stop": ("Operation {op} of {work_order} stopped at {station} since {time}: {reason}",
             lambda a, d, z: {"op": str(d["op"]), "work_order": str(d["work_order"]),
                              "station": str(d["device"] or d["work_centre"]), "time": _when(d["since"], z),
                              "reason": _reason(d["reason"])}),
    "stock_short": ("{item}: {short} fewer on hand than orders were promised: buy or move them",
                    lambda a, d, z: {"item": str(d["item"]), "short": f"{float(d['short']):g}"}),
}


def _writes(why: Any, zone: tzinfo) -> bool:
    """The planner's facts can be written (an older hub sent none; a free plan has no wait to name)."""
    try:
        return isinstance(why, Mapping) and bool(_why(why, zone))
    except (KeyError, TypeError, ValueError, OverflowError):
        return False


def alert_text(alert: AlertRow, zone: tzinfo) -> str:
    """The alert's sentence in the current language (the hub's English message when no template fits)."""
    passed = alert.kind == "demand_short" and alert.data.get("order_by_passed") is True
    remade = alert.kind == "scrap" and bool(alert.data.get("remade_by"))
    why = alert.kind == "promise_later" and _writes(alert.data.get("why"), zone)
    template = TEMPLATES.get("demand_short_passed" if passed else "scrap_remade" if remade
                             else "promise_later_why" if why else alert.kind)
    if template is None or not alert.data:
        return alert.message
    words, facts = template
    try:
        return tr(words).format(**facts(alert, alert.data, zone))
    except (KeyError, TypeError, ValueError, InvalidOperation, OverflowError):  # an older hub's data, a fact of
        # another shape, or one too large to write (a ratio of 10**400, a day in the year 9999)
        log.warning("alert %s (%s): data %r does not fit its sentence; showing the hub's message",
                    alert.id, alert.kind, dict(alert.data), exc_info=True)
        return alert.message
