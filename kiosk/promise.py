"""One date story for the customer: "about …" until the hub answers, then the hub's firm date only.

The summary shows the kiosk's own estimate, plainly as "about" (the hub's capacity snapshot or the
catalog's rough estimate, :mod:`kiosk.estimate`). The order's ack carries the hub planner's promise;
from then on the screen and the printed receipt show that date and nothing else, so a receipt never
holds two dates that contradict each other. A firm date later than the one shown is said in so many
words on the receipt screen, while the customer is still in the store. Qt-free: texts are English
templates marked ``N_`` that the widgets translate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from kiosk.texts import N_
from sync.times import MONTHS

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


_WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def day_text(day: date, translate: Translate = _same) -> str:
    """A day as a customer reads it: ``Mon 14 Dec 2026``, ``2026年12月14日（周一）`` (the live kiosk showed
    2026-12-14). Month names are spelt here, not by strftime: Qt sets the machine's locale."""
    return translate(N_("{weekday} {day} {month} {year}")).format(
        weekday=translate(_WEEKDAYS[day.weekday()]), day=day.day, month=MONTHS[day.month - 1],
        month_number=day.month, year=day.year)


@dataclass(frozen=True)
class DateStory:
    about: date | None
    """What the kiosk showed before the hub answered (None: it could not estimate)."""
    working_days: int | None = None
    firm: date | None = None
    """The hub's promise from the order's ack."""
    refused: bool = False
    """The hub refused the order: staff call the customer, there is no firm date."""

    @property
    def later_by(self) -> int:
        """Calendar days the firm date is after the one shown (0 when not later or not known)."""
        if self.firm is None or self.about is None:
            return 0
        return max(0, (self.firm - self.about).days)

    def summary_text(self, translate: Translate = _same) -> str:
        """The summary's date line, before the order: an estimate, called one."""
        if self.firm is not None:
            return translate(N_("Ready on {date}, confirmed by the factory.")).format(date=day_text(self.firm, translate))
        if self.about is None:
            return translate(N_("Delivery date: the factory confirms it once you order."))
        if self.working_days == 0:
            return translate(N_("In stock: ready today, {date}. The factory confirms it once you order.")).format(
                date=day_text(self.about, translate))
        return translate(N_("Ready in about {days} working days: about {date}. "
                            "The factory confirms the date once you order.")).format(
            days=self.working_days if self.working_days is not None else "?", date=day_text(self.about, translate))

    def side_text(self, translate: Translate = _same) -> str:
        """The options side panel's short date line while choosing: "about", like the summary."""
        if self.about is None:
            return translate(N_("Delivery date: the factory confirms it once you order."))
        if self.working_days == 0:
            return translate(N_("In stock: ready today"))
        return translate(N_("Ready about {date}")).format(date=day_text(self.about, translate))

    def receipt_line(self, translate: Translate = _same) -> str | None:
        """The one date line of the receipt (screen and paper): the firm date once known, else "about"."""
        if self.firm is not None:
            return translate(N_("Ready on {date} (confirmed by the factory)")).format(date=day_text(self.firm, translate))
        if self.refused:
            return translate(N_("Delivery date: our staff will call you with it"))
        if self.about is None:
            return None
        return translate(N_("Ready about {date} (the factory is confirming the date)")).format(
            date=day_text(self.about, translate))

    def change_text(self, translate: Translate = _same) -> str | None:
        """What the receipt screen says when the firm date is later than the one shown, else None."""
        if not self.later_by:
            return None
        assert self.firm is not None and self.about is not None
        return translate(N_("Please note: the factory can finish your bike on {firm}, {days} days later than the "
                            "{about} we showed you. If that does not suit you, please talk to our staff before "
                            "you leave.")).format(firm=day_text(self.firm, translate), days=self.later_by,
                                                  about=day_text(self.about, translate))


def firm_date(text: str | None) -> date | None:
    """The hub's ``promise_date`` (ISO); None when it is missing or not a date."""
    if not text:
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None
