"""Every text colour of the dashboard keeps 4.5:1 (WCAG AA) against what it is drawn on: the pairs of its
stylesheet (a rule's colour on the rule's background, or on every paper background when the rule sets
none) and the pairs its code draws (terminal.dashboard.look). The WARNING badge was white on amber, 2.0:1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from terminal.dashboard import look
from terminal.dashboard.look import contrast

STYLE = Path(__file__).resolve().parent.parent / "assets" / "styles" / "dashboard.qss"
COLOUR = r"(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|white|black)"
NAMED = {"white": "#ffffff", "black": "#000000"}
MINIMUM = 4.5


def stylesheet_pairs(text: str) -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every rule that sets a text colour or a background."""
    pairs = []
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", text, flags=re.S)):
        fore = re.search(rf"(?<![-\w])color:\s*{COLOUR}", body)
        back = re.search(rf"background(?:-color)?:\s*{COLOUR}", body)
        if not fore and not back:
            continue
        fores = [NAMED.get(fore.group(1), fore.group(1))] if fore else ["#000000"]  # Qt's default text: black
        backs = [NAMED.get(back.group(1), back.group(1))] if back else list(look.PAPER)
        pairs += [(selector.strip(), f, b) for f in fores for b in backs]
    return pairs


def test_the_stylesheet_is_read_whole() -> None:
    pairs = stylesheet_pairs(STYLE.read_text(encoding="utf-8"))
    assert len({p[0] for p in pairs}) >= 15, "the rule parser found too little"
    assert ("QLabel#staleBanner", "#000000", "#ffb300") in pairs


@pytest.mark.parametrize("selector, fore, back", stylesheet_pairs(STYLE.read_text(encoding="utf-8")))
def test_stylesheet_text_is_readable(selector: str, fore: str, back: str) -> None:
    assert contrast(fore, back) >= MINIMUM, f"{selector}: {fore} on {back} is {contrast(fore, back):.2f}:1"


@pytest.mark.parametrize("what, fore, back", look.text_pairs())
def test_colours_the_code_draws_are_readable(what: str, fore: str, back: str) -> None:
    assert contrast(fore, back) >= MINIMUM, f"{what}: {fore} on {back} is {contrast(fore, back):.2f}:1"


def test_the_contrast_formula_matches_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffffff", "#f9a825") < 2.1  # the old WARNING badge


def test_the_warning_badge_of_old_would_be_caught() -> None:
    old = stylesheet_pairs("QLabel#severity { color: white; background: #f9a825; }")
    assert [contrast(f, b) < MINIMUM for _s, f, b in old] == [True]


def test_no_dashboard_code_writes_a_colour_outside_look() -> None:
    """Colours live in look.py (checked above); a literal elsewhere would escape the check."""
    folder = STYLE.parent.parent.parent / "terminal" / "dashboard"
    for path in folder.glob("*.py"):
        if path.name == "look.py":
            continue
        found = re.findall(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found}"


@pytest.mark.parametrize("text, ground", [("WindowText", "Window"), ("Text", "Base"), ("Text", "AlternateBase"),
                                          ("ButtonText", "Button"), ("ToolTipText", "ToolTipBase"),
                                          ("PlaceholderText", "Base"), ("HighlightedText", "Highlight")])
def test_the_boards_own_palette_keeps_its_texts_readable(text: str, ground: str) -> None:
    assert contrast(look.PALETTE[text], look.PALETTE[ground]) >= MINIMUM, (text, ground)
    if ground != "Highlight":
        assert look.PALETTE[ground] in look.PAPER, "the stylesheet's colours were checked on the paper list"
