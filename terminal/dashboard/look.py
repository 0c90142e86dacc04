"""The dashboard's colours in one place, each text colour with the backgrounds it is drawn on.

A wall board is read from across the hall: every text colour keeps a contrast of at least 4.5:1
(WCAG AA) against each background it sits on. tests/test_dashboard_contrast.py checks these pairs and
every colour pair of the dashboard stylesheet with :func:`contrast`.
"""

from __future__ import annotations

from pathlib import Path

#: the dashboard's stylesheet (the app sets it; the wall board scales its wall* rules to a smaller screen)
STYLE = Path(__file__).resolve().parents[2] / "assets" / "styles" / "dashboard.qss"

#: backgrounds text is drawn on: window, cards, tables (alternate rows), the selected station card
PAPER = ("#ffffff", "#f5f5f5", "#fafafa", "#efefef", "#e3f2fd")
#: severity badge: (background, text) — amber is read in black, the darker ones in white
SEVERITY = {"critical": ("#c62828", "#ffffff"), "high": ("#bf360c", "#ffffff"),
            "warning": ("#f9a825", "#000000"), "info": ("#1565c0", "#ffffff")}
OTHER_SEVERITY = ("#455a64", "#ffffff")
#: operation states as text on paper
STATUS = {"running": "#1b5e20", "paused": "#a84300", "queued": "#455a64", "done": "#616161"}
LATE = "#c62828"
AT_RISK = "#a84300"
INK = "#000000"  # chart titles, axis labels and legends (terminal.dashboard.demand)
MUTED = "#455a64"  # secondary lines: kind and age of an alert, "nothing waiting"
#: line and bar colours of the charts: far apart in hue and lightness, each readable on white
SERIES = ("#1565c0", "#c62828", "#1b5e20", "#6a1b9a", "#a84300", "#00695c", "#ad1457", "#37474f")
CAPACITY = "#90a4ae"  # the capacity bar beside the planned one (a bar, not text)
#: the board's own palette (QPalette role -> colour), set whatever the machine's theme: a PC in dark mode
#: gave black tab labels on dark grey and light rows of the stylesheet under light text (seen in a test)
PALETTE = {"Window": "#efefef", "WindowText": INK, "Base": "#ffffff", "AlternateBase": "#f5f5f5", "Text": INK,
           "Button": "#efefef", "ButtonText": INK, "ToolTipBase": "#ffffff", "ToolTipText": INK,
           "PlaceholderText": MUTED, "Highlight": "#1565c0", "HighlightedText": "#ffffff", "BrightText": "#ffffff"}


def luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG 2.x)."""
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    a, b = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_pairs() -> list[tuple[str, str, str]]:
    """Every (what, text colour, background) the dashboard's code draws."""
    pairs = [(f"severity {name}", text, back) for name, (back, text) in SEVERITY.items()]
    pairs.append(("severity other", OTHER_SEVERITY[1], OTHER_SEVERITY[0]))
    for back in PAPER:
        pairs += [(f"status {name}", colour, back) for name, colour in STATUS.items()]
        pairs += [("late", LATE, back), ("at risk", AT_RISK, back), ("muted", MUTED, back), ("ink", INK, back)]
        pairs += [(f"series {i}", colour, back) for i, colour in enumerate(SERIES)]
    return pairs
