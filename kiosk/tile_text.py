"""Tile texts that fit their tile: a line wider than the tile breaks between words (between characters
in Chinese), so a narrower screen (1024x768) shows '2 × 625 Wh' over '(110 km)' instead of cutting both
ends; the full text stays in the tile's ``fullText`` property and is wrapped again when the tile resizes."""

from __future__ import annotations

import re

from kiosk.qt import QEvent, QFontMetrics, QObject, QPushButton

#: a tile's side padding (kiosk.qss, 6 px) and its thickest border (focused, 3 px), each side
SIDE = 6 + 3
#: between a tile's picture and its text (Qt's push button style)
ICON_GAP = 8
#: a number (``60``, ``(2``, ``27.5``, ``+¥2,100`` is not one: a price stays free to break before)
NUMBER = re.compile(r"^\(?\d+(?:[.,]\d+)?$")


def _words(line: str) -> list[str]:
    """The line's words, a number kept with what follows it and "×" with both sides, as typesetters tie them
    ("60 l", "2 × 60 l"): a tile read "Side bags (2 ×" over "60 l)"."""
    words: list[str] = []
    tie = False
    for word in line.split(" "):
        if words and (tie or word == "×"):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
        tie = word == "×" or bool(NUMBER.match(word))
    return words


def wrap_line(line: str, metrics: QFontMetrics, room: int) -> list[str]:
    """``line`` broken into pieces no wider than ``room``: at spaces (not inside "60 l" or "2 × 60 l"), and
    inside a word (Chinese has no spaces) only where a word alone is wider than the room."""
    if metrics.horizontalAdvance(line) <= room:
        return [line]
    pieces: list[str] = []
    current = ""
    words = _words(line)
    while words:
        word = words.pop(0)
        trial = f"{current} {word}" if current else word
        if metrics.horizontalAdvance(trial) <= room:
            current = trial
            continue
        if current:
            pieces.append(current)
        current = ""
        if " " in word and metrics.horizontalAdvance(word) > room:  # tied words wider than the tile: untie
            words[:0] = word.split(" ")
            continue
        for char in word:  # a word wider than the tile: break it where it must
            if current and metrics.horizontalAdvance(current + char) > room:
                pieces.append(current)
                current = ""
            current += char
    if current:
        pieces.append(current)
    return pieces


def _wrapped(tile: QPushButton, full: str, room: int) -> list[str]:
    metrics = tile.fontMetrics()
    return [piece for line in full.split("\n") for piece in wrap_line(line, metrics, room)]


def _restyle(tile: QPushButton, dense: str) -> None:
    tile.setProperty("dense", dense)
    tile.style().unpolish(tile)
    tile.style().polish(tile)


def fit_text(tile: QPushButton) -> None:
    """Show the tile's ``fullText`` wrapped to its width now (before layout gives it one: unwrapped). A tile
    of fixed height whose wrapped lines would not fit it takes the smaller type of ``dense`` (kiosk.qss)."""
    full = tile.property("fullText")
    if not isinstance(full, str):
        return
    room = tile.width() - 2 * SIDE
    if not tile.icon().isNull():  # the picture or swatch left of the text takes its width and a gap
        room -= tile.iconSize().width() + ICON_GAP
    if room < 60:  # not laid out yet: the resize that gives it its width wraps it
        text = full
    else:
        if tile.property("dense") == "true":  # decided in the normal type each time, so never flip-flops
            _restyle(tile, "false")
        lines = _wrapped(tile, full, room)
        fixed = tile.minimumHeight() == tile.maximumHeight()
        if fixed and len(lines) * tile.fontMetrics().height() + 4 > tile.height():
            _restyle(tile, "true")
            lines = _wrapped(tile, full, room)
        text = "\n".join(lines)
    if tile.text() != text:
        tile.setText(text)


def set_text(tile: QPushButton, text: str) -> None:
    """Give ``tile`` the text ``text``, wrapped to the tile's width."""
    if tile.property("fullText") != text:
        tile.setProperty("fullText", text)
        fit_text(tile)


class WrapOnResize(QObject):
    """Installed on tiles: wraps a tile's text again whenever the layout gives it another width."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and isinstance(watched, QPushButton):
            fit_text(watched)
        return False
