"""Every text colour of the kiosk keeps 4.5:1 (WCAG AA) against what it is drawn on: a rule's colour on
the rule's background, or on each paper the kiosk draws text on when the rule sets none. The report
measured greyed options at 2.6:1 and a disabled Undo at 2.3:1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLE = Path(__file__).resolve().parent.parent / "assets" / "styles" / "kiosk.qss"
COLOUR = r"(#[0-9a-fA-F]{6}|white|black)"
NAMED = {"white": "#ffffff", "black": "#000000"}
PAPER = ("#f5f3ef", "#ffffff", "#fff8e6")
"""The page, white panels and buttons, the reason panel."""
MINIMUM = 4.5


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fore: str, back: str) -> float:
    high, low = sorted((luminance(fore), luminance(back)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def stylesheet_pairs(text: str) -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every rule that sets a text colour."""
    pairs = []
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", text, flags=re.S)):
        fore = re.search(rf"(?<![-\w])color:\s*{COLOUR}", body)
        back = re.search(rf"background(?:-color)?:\s*{COLOUR}", body)
        if not fore:
            continue
        backs = [NAMED.get(back.group(1), back.group(1))] if back else list(PAPER)
        pairs += [(selector.strip(), NAMED.get(fore.group(1), fore.group(1)), b) for b in backs]
    return pairs


def test_the_stylesheet_is_read_whole() -> None:
    pairs = stylesheet_pairs(STYLE.read_text(encoding="utf-8"))
    assert len({p[0] for p in pairs}) >= 25, "the rule parser found too little"
    assert any(s == 'QPushButton[role="option"][state="unavailable"]' for s, _f, _b in pairs)


@pytest.mark.parametrize("selector, fore, back", stylesheet_pairs(STYLE.read_text(encoding="utf-8")))
def test_kiosk_text_is_readable(selector: str, fore: str, back: str) -> None:
    assert contrast(fore, back) >= MINIMUM, f"{selector}: {fore} on {back} is {contrast(fore, back):.2f}:1"


def test_the_greyed_option_of_old_would_be_caught() -> None:
    old = stylesheet_pairs('QPushButton[role="option"][state="unavailable"] { background: #eceae6; color: #8a9299; }')
    assert [contrast(f, b) < MINIMUM for _s, f, b in old] == [True]
