"""Texts and choice lists the screens show, kept out of the widgets so tests can check them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sync.errors import DecodeError, FloorLinkError, StoreError
from sync.times import MONTHS
from terminal.station.zh_cn import ZH_CN

LANGUAGES = ("en", "zh_CN")
#: the button that picks each language, written in that language
LANGUAGE_NAMES = {"en": "English", "zh_CN": "中文"}
_current = {"language": "en"}


def use(language: str) -> None:
    """Show every later text in ``language`` (``en`` or ``zh_CN``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    _current["language"] = language


def language() -> str:
    return _current["language"]


def tr(text: str) -> str:
    """The current language's version of an English source text (English when the catalogue lacks it)."""
    return ZH_CN.get(text, text) if _current["language"] == "zh_CN" else text


class Msg(str):
    """A sentence for a worker that keeps its English source and values, so the screen can show it in
    the language chosen now, even after a switch. As a ``str`` it is the English sentence (what tests,
    logs and recorded reasons use); ``english`` replaces that when a more detailed English text exists
    (a rule's own message) while ``template`` is the plain sentence the catalogue translates."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, english: str | None = None, **params: Any) -> Msg:
        text = english if english is not None else (template.format(**params) if params else template)
        made = super().__new__(cls, text)
        made.template = template
        made.params = params
        return made


class Named(str):
    """A name from the catalog (product, operation) with its other languages: shown in the chosen one
    when the catalog has it, else as it is (as a ``str`` it is the English, or only, name)."""

    names: Mapping[str, str]

    def __new__(cls, name: str, names: Mapping[str, str] | None = None) -> Named:
        made = super().__new__(cls, name)
        made.names = dict(names or {})
        return made


def local(text: str) -> str:
    """``text`` in the current language: a :class:`Msg` is rendered from its template (its Msg values
    too), a plain text is looked up whole (choice lists), anything else is shown as it is."""
    if isinstance(text, Named):
        return text.names.get(_current["language"]) or str(text)
    if not isinstance(text, Msg):
        return tr(text)
    if _current["language"] == "en":
        return str(text)
    if not text.params:
        return tr(text.template)
    values = {k: local(v) if isinstance(v, Msg | Named) else v for k, v in text.params.items()}
    return tr(text.template).format(**values)


def said(error: FloorLinkError) -> Msg:
    """A refusal as a worker reads it. Its English is the error's own words (what — fix); in another
    language: the station's own sentences as they are, a rule's refusal by its code, an unreadable code
    as one plain sentence, a store failure as "nothing was recorded" (its detail goes to the log), anything else as a plain "ask the supervisor" (its detail stays in English,
    in the log)."""
    if isinstance(error, StoreError):  # "database is locked while recording op.started" is no worker's sentence
        return Msg(STORE_FAILED)
    what, fix = error.what, error.fix
    english = f"{what} — {fix}" if fix else str(what)
    if isinstance(what, Msg):
        if not fix:
            return what
        return Msg("{what} — {fix}", english=english, what=what, fix=fix if isinstance(fix, Msg) else Msg(fix))
    if error.code in REFUSALS:
        return Msg(REFUSALS[error.code], english=english)
    if isinstance(error, DecodeError):
        return Msg(UNREADABLE, english=english)
    if english in ZH_CN:
        return Msg(english)
    return Msg(SOMETHING_WRONG, english=english)


def capitalized(text: str) -> str:
    """``text`` starting with a capital, the rest as it is (a rule's "operation 20 …" opening a banner)."""
    return text[:1].upper() + text[1:]


_WORD_JOINER = "\u2060"


def _wide(char: str) -> bool:
    """A character Chinese text is written in (ideographs, CJK and full-width punctuation). Not sync.orders.is_han:
    that module reads pinyin, which a station does not install."""
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def unbroken(text: str) -> str:
    """``text`` with its Chinese runs kept whole on one line: a label may wrap between any two ideographs,
    and a narrow card split "已暂停" into "已暂" and "停". Word joiners (invisible) go between neighbouring
    Chinese characters; English keeps its breaks at spaces."""
    out = []
    for before, char in zip((" " + text)[:len(text)], text, strict=True):
        out.append(_WORD_JOINER + char if _wide(before) and _wide(char) else char)
    return "".join(out)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday(moment: date) -> str:
    return tr(_WEEKDAYS[moment.weekday()])


def day_and_date(moment: date) -> str:
    """``Fri 4 Dec`` / ``12月4日 周五``: a day outside the coming week, which a weekday alone leaves open. The
    one way the station and the wall board write a day (never strftime's ``%b``/``%a``: Qt sets the machine's
    locale, and a Chinese one wrote ``12月`` inside English)."""
    if language() == "zh_CN":
        return f"{moment.month}月{moment.day}日 {weekday(moment)}"
    return f"{weekday(moment)} {moment.day} {MONTHS[moment.month - 1]}"


def date_and_time(moment: datetime) -> str:
    """``4 Dec 16:05`` / ``12月4日 16:05``: a time on another day, in tables with many times."""
    if language() == "zh_CN":
        return f"{moment.month}月{moment.day}日 {moment.hour:02d}:{moment.minute:02d}"
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.hour:02d}:{moment.minute:02d}"


#: plain sentences for the rules' refusal codes (sync.station.rules): shown in Chinese instead of the
#: rule's detailed English message, which stays the English text and goes to the log
REFUSALS = {
    "not_routed": "This operation belongs to another station: a supervisor badge or PIN can allow it here",
    "already_complete": "This operation is already complete",
    "cancelled": "This work order was cancelled: nothing new may start on it. Ask the supervisor",
    "not_started": "This operation has not been started: start it first",
    "already_on_it": "You are already working on this operation",
    "paused": "This operation is paused: resume it",
    "not_on_it": "You are not working on this operation now",
    "not_paused": "This operation is not paused",
    "pause_no_reason": "Choose a reason for the pause",
    "bad_quantity": "Type a whole number, 0 or more",
    "too_many": "More parts than reached this operation: check good and scrap",
    "scrap_no_reason": "Choose a scrap reason",
    "qc_missing": "Record the QC result first",
    "not_a_qc_step": "This operation has no QC step",
    "qc_no_result": "A QC result must say pass or fail",
    "qc_no_defect": "Choose a defect code for a failed check",
    "qc_failed": "The QC check failed: scrap the failed parts, or rework them and record QC again",
    "waits": "An earlier step or a part is not done yet: a supervisor badge or PIN can allow it",
}
#: refusals whose rule text names the worker's own badge: said to them as "you" in every language
ABOUT_YOU = frozenset({"already_on_it", "not_on_it"})
UNREADABLE = "This code cannot be read here: scan a badge or a traveler label, or type the number"
SOMETHING_WRONG = "This cannot be done now. Ask the supervisor"
STORE_FAILED = "Nothing was recorded: the station cannot save right now. Try again; if it keeps happening, ask the supervisor"


SCRAP_REASONS = ("Damaged part", "Wrong part", "Assembly fault", "Paint defect", "Out of tolerance")
DEFECT_CODES = ("D-01 Scratch", "D-02 Loose fastener", "D-03 Wiring fault", "D-04 Misalignment", "D-05 Paint defect",
                "D-06 Function test failed")

REFUSED_BANNER = "Supervisor: events the hub refused — send each again or set it aside"


def duration(seconds: float) -> str:
    """``h:mm:ss`` for a timer (never negative)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def minutes(seconds: float) -> str:
    """A standard time as people say it: ``45 min`` or ``1 h 30 min``."""
    total = round(seconds / 60)
    if total < 60:
        return tr("{minutes} min").format(minutes=total)
    hours, mins = divmod(total, 60)
    return tr("{hours} h {minutes} min").format(hours=hours, minutes=mins) if mins else tr("{hours} h").format(hours=hours)
