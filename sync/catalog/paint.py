"""A product's picture in the colour the customer chose.

A colour option declares its colour (``swatch: "#23395b"``); the product's SVG picture marks the parts that
take it with ``class="paint"`` (the frame, not the tyres). The kiosk draws the picture with those parts in
the chosen colour, so the customer sees their bike rather than a colour chip. The catalog check uses
:func:`paintable` to warn when a product offers colours but its picture has nothing marked.

    >>> svg = b'<svg xmlns="http://www.w3.org/2000/svg"><g class="paint" stroke="#2f3a40" fill="none"/></svg>'
    >>> b'stroke="#23395b"' in paint_svg(svg, "#23395b")
    True
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

SVG_NS = "http://www.w3.org/2000/svg"
#: a colour as #rrggbb (the same form as an option's ``swatch``)
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
PAINT_CLASS = "paint"
#: the presentation attributes a painted part gives the colour (where they are set and not ``none``)
_PAINTED = ("stroke", "fill")


class PaintError(ValueError):
    """The picture is not an SVG this module can read, or the colour is not #rrggbb."""


def _painted_parts(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter() if PAINT_CLASS in (el.get("class") or "").split()]


def _parse(data: bytes) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # a picture has no use for a document type; entity expansion is how a hostile file blows up
        raise PaintError("the SVG declares a document type or entities")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise PaintError(f"not a readable SVG: {exc}") from exc


def paintable(data: bytes) -> bool:
    """Whether the SVG marks any part ``class="paint"``."""
    return bool(_painted_parts(_parse(data)))


def _terms(when: str) -> list[tuple[str, tuple[str, ...]]]:
    """``frame_type=step_through colour=white,sage`` as [(attribute, options)...]: every one must hold."""
    out = []
    for term in when.split():
        attribute, _, options = term.partition("=")
        out.append((attribute, tuple(o for o in options.split(",") if o)))
    return out


def conditions(data: bytes) -> list[tuple[str, tuple[str, ...]]]:
    """Every ``data-when`` condition in the SVG as (attribute, options), for the catalog check."""
    return [term for el in _parse(data).iter() for term in _terms(el.get("data-when") or "")]


def _check_colour(colour: str) -> None:
    if not COLOUR.fullmatch(colour):
        raise PaintError(f"colour {colour!r} is not #rrggbb")


def _paint(root: ET.Element, colour: str) -> None:
    for part in _painted_parts(root):
        for el in part.iter():
            for name in _PAINTED:
                value = el.get(name)
                if value is not None and value.strip().lower() != "none":
                    el.set(name, colour)


def _serialise(root: ET.Element) -> bytes:
    ET.register_namespace("", SVG_NS)  # the default namespace stays the default (Qt reads no ns0: prefix)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def picture_svg(data: bytes, colour: str | None, choices: Mapping[str, str]) -> bytes:
    """The picture of one configuration: each part with a ``data-when`` shown when ``choices`` hold it and
    hidden otherwise, then the marked parts in ``colour`` (none: as drawn)."""
    if colour is not None:
        _check_colour(colour)
    root = _parse(data)
    for el in root.iter():
        when = el.get("data-when")
        if when is None:
            continue
        if all(choices.get(attribute) in options for attribute, options in _terms(when)):
            if el.get("display") == "none":
                del el.attrib["display"]
        else:
            el.set("display", "none")
    if colour is not None:
        _paint(root, colour)
    return _serialise(root)


def paint_svg(data: bytes, colour: str) -> bytes:
    """The SVG with every part marked ``class="paint"`` (and everything inside it) in ``colour``: each
    ``stroke`` and ``fill`` set there, other than ``none``, becomes the colour. Unmarked parts are unchanged."""
    _check_colour(colour)
    root = _parse(data)
    _paint(root, colour)
    return _serialise(root)
