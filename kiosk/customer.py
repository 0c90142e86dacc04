"""Checking what a customer types (name, phone) with messages they can act on.

Messages are English source strings marked with ``N_``: the widgets translate them, so this
module stays Qt-free and testable without a screen.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kiosk.texts import N_

NAME_MIN = 2
NAME_MAX = 40
_NAME_PUNCTUATION = set(" '-.·")
_MIDDLE_DOTS = str.maketrans(dict.fromkeys("•・‧･．", "·"))
"""Dots other keyboards put between the parts of a transcribed name (阿依古丽·买买提): stored as ·."""
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_INTERNATIONAL = re.compile(r"\+[0-9]{8,15}")
_FILLERS = set("\u115f\u1160\u3164\uffa0")
"""Hangul fillers: letters to Unicode, blank on screen (a name of them looked empty on the receipt)."""


@dataclass(frozen=True)
class Customer:
    name: str
    phone: str
    """Normalised: 11 digits for a mainland mobile, otherwise ``+`` and 8-15 digits."""


def check_name(raw: str) -> tuple[str, str | None]:
    """``(cleaned name, problem or None)``; letters of any script (王伟 as well as Li Wei), spaces,
    ' - . · only; full-width spaces and the other middle dots are normalised."""
    # NFKC: full-width letters from a PC keyboard's IME (Ｌｅｅ) are the letters they show
    name = " ".join(unicodedata.normalize("NFKC", raw.translate(_MIDDLE_DOTS)).split())
    if not name:
        return name, N_("Please enter your name.")
    if len(name) < NAME_MIN:
        return name, N_("The name is too short: at least 2 characters.")
    if len(name) > NAME_MAX:
        return name, N_("The name is too long: at most 40 characters.")
    for char in name:
        if char in _NAME_PUNCTUATION:
            continue
        if char.isdigit():
            return name, N_("A name has no digits: please check it.")
        if char in _FILLERS or not unicodedata.category(char).startswith(("L", "M")):
            return name, N_("Only letters, spaces, - and ' are allowed in a name.")
    return name, None


def check_phone(raw: str) -> tuple[str, str | None]:
    """``(normalised phone, problem or None)``; spaces, dashes and brackets are ignored."""
    # NFKC: full-width digits (１３８…, a Chinese IME's) are the digits they show; other scripts' digits are not
    phone = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw))
    if phone.startswith("0086"):
        phone = "+86" + phone[4:]
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone:
        return phone, N_("Please enter your phone number.")
    if not re.fullmatch(r"\+?[0-9]+", phone):
        return phone, N_("A phone number has only digits (and + in front for abroad).")
    if phone.startswith("+"):
        if _INTERNATIONAL.fullmatch(phone):
            return phone, None
        return phone, N_("An international number has 8 to 15 digits after the +.")
    if len(phone) != 11:
        return phone, N_("A mobile number has 11 digits: please check it.")
    if not _CN_MOBILE.fullmatch(phone):
        return phone, N_("A mobile number starts with 13 to 19: please check it.")
    return phone, None
