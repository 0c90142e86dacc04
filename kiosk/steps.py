"""One decision at a time: a product's option groups cut into pages that fit the screen without scrolling.

Plain Python (no Qt): :class:`kiosk.flow.KioskModel` walks these pages and the options screen draws one
at a time with the sizes below, so what the model counts as "fits" is what the widget builds.
``tests/test_kiosk_steps.py`` measures the real widgets of every page of the demo catalogs at 1280x800.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync.catalog import Attribute, Product

TILE_COLUMNS = 3
"""Option tiles per row."""
TILE_HEIGHT = 96
"""A text tile: the option, its price ("+¥450" or "included") and "Recommended" on three short lines."""
ICON = 48
"""An option's picture or colour swatch, left of its text on the tile (inside :data:`TILE_HEIGHT`)."""
TITLE_HEIGHT = 48
"""A question's title (one line, 26 px bold) with its spacing."""
HELP_HEIGHT = 34
"""A question's help line."""
ROW_GAP = 12
"""Between tile rows and between questions."""
PAGE_HEIGHT = 430
"""What a page may take of the options list at 1280x800 (567 px there), leaving room for a notice such as
"We picked for you: …" with its Change buttons above the navigation without a scrollbar."""
BUILDS_HEIGHT = 150
"""The popular builds strip above the first page's questions (its title and one row of tiles)."""
MAX_QUESTIONS = 2
"""At most this many questions on a page, even when more would fit: one decision at a time."""


@dataclass(frozen=True)
class Page:
    """One options screen: a group (index into the product's groups in use) and the attributes it asks."""

    step: int
    """Index of the group in :attr:`kiosk.flow.KioskModel.groups`."""
    index: int
    """Which page of that group (0 first)."""
    attributes: tuple[str, ...]


def tile_height(attribute: Attribute) -> int:
    """The height of one row of tiles of ``attribute`` (one size for a whole question)."""
    return TILE_HEIGHT


def question_height(attribute: Attribute) -> int:
    """What one question takes on a page: title, help line and its rows of tiles."""
    rows = -(-len(attribute.options) // TILE_COLUMNS)
    return (TITLE_HEIGHT + (HELP_HEIGHT if attribute.help else 0)
            + rows * tile_height(attribute) + (rows - 1) * ROW_GAP + ROW_GAP)


def paginate(product: Product, groups: list[str], first_page_reserve: int = 0) -> list[Page]:
    """The pages of ``product``: each group's attributes in catalog order, a new page whenever the next
    question would not fit (:data:`PAGE_HEIGHT`) or the page has :data:`MAX_QUESTIONS`. A question taller
    than a page gets a page of its own (the list then scrolls; the catalog check should keep it short).
    ``first_page_reserve``: what the first page shows above its questions (the popular builds)."""
    pages: list[Page] = []
    for step, group in enumerate(groups):
        current: list[str] = []
        height = first_page_reserve if not pages else 0
        index = 0
        for attribute in product.attributes:
            if attribute.group != group:
                continue
            needed = question_height(attribute)
            if current and (height + needed > PAGE_HEIGHT or len(current) >= MAX_QUESTIONS):
                pages.append(Page(step, index, tuple(current)))
                current, height, index = [], 0, index + 1
            current.append(attribute.code)
            height += needed
        if current:
            pages.append(Page(step, index, tuple(current)))
    return pages
