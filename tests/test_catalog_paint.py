"""A product's picture in the chosen colour: only the parts marked ``class="paint"`` change, hostile or broken
SVGs are refused with a reason, and the catalog check warns when a product offers colours its picture cannot
show."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.catalog import inspect_catalog, load_catalog
from sync.catalog.paint import PaintError, paint_svg, paintable, picture_svg

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
NAVY = "#23395b"
BIKE = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">
  <rect width="100" height="50" fill="#f4f1ea"/>
  <g fill="none" stroke="#2b2b2b"><circle cx="20" cy="30" r="10"/></g>
  <g class="outline paint" fill="none" stroke="#2f3a40" stroke-width="4">
    <path d="M20 30 L50 10" stroke="#111111"/>
    <circle cx="50" cy="30" r="3" fill="#555555"/>
  </g>
  <line x1="0" y1="0" x2="1" y2="1" class="painted-not" stroke="#777777"/>
</svg>"""


def _marked(el: ET.Element) -> bool:
    return "paint" in (el.get("class") or "").split()


def _expected(before: ET.Element) -> list[dict[str, str]]:
    """The checker's own model: walk the tree, carrying whether an ancestor (or the element) is marked."""
    out: list[dict[str, str]] = []

    def walk(el: ET.Element, inside: bool) -> None:
        inside = inside or _marked(el)
        attrs = dict(el.attrib)
        if inside:
            for name in ("stroke", "fill"):
                if name in attrs and attrs[name] != "none":
                    attrs[name] = NAVY
        out.append(attrs)
        for child in el:
            walk(child, inside)

    walk(before, False)
    return out


def _attributes(root: ET.Element) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def walk(el: ET.Element) -> None:
        out.append(dict(el.attrib))
        for child in el:
            walk(child)

    walk(root)
    return out


def test_only_the_marked_parts_and_what_they_hold_take_the_colour() -> None:
    painted = ET.fromstring(paint_svg(BIKE, NAVY))
    assert _attributes(painted) == _expected(ET.fromstring(BIKE))
    assert painted.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"ns0:" not in paint_svg(BIKE, NAVY), "the default namespace stays the default (Qt reads it)"


def test_the_checker_sees_a_wrong_paint() -> None:
    """Planted faults: a painter that also paints unmarked parts, or leaves the inner stroke, is caught."""
    before = ET.fromstring(BIKE)
    over = ET.fromstring(BIKE)
    for el in over.iter():
        if el.get("stroke") not in (None, "none"):
            el.set("stroke", NAVY)
    assert _attributes(over) != _expected(before)
    under = ET.fromstring(paint_svg(BIKE, NAVY))
    next(el for el in under.iter() if el.tag.endswith("path")).set("stroke", "#111111")
    assert _attributes(under) != _expected(before)


def test_every_demo_product_with_colours_has_a_paintable_picture() -> None:
    catalog, findings = inspect_catalog(DEMO)
    assert catalog is not None
    for product in catalog.products.values():
        colours = [o for a in product.attributes for o in a.options if o.swatch]
        assert colours, product.code
        assert product.image and paintable((DEMO / product.image).read_bytes()), product.code
    assert not [f for f in findings if "paint" in str(f)]


@pytest.mark.parametrize("colour", ["navy", "#23395", "#23395bb", "23395b", "#gggggg", ""])
def test_a_colour_that_is_not_rrggbb_is_refused(colour: str) -> None:
    with pytest.raises(PaintError, match="not #rrggbb"):
        paint_svg(BIKE, colour)


@pytest.mark.parametrize("data, says", [
    (b"not xml at all", "not a readable SVG"),
    (b"<svg><g class='paint'></svg>", "not a readable SVG"),
    (b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><svg>&b;</svg>', "document type"),
    (b"", "not a readable SVG"),
])
def test_a_broken_or_hostile_picture_is_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(PaintError, match=says):
        paint_svg(data, NAVY)
    with pytest.raises(PaintError, match=says):
        paintable(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: f"<svg class='paint' stroke='{t}'/>".encode()))
def test_any_bytes_paint_or_give_a_paint_error(data: bytes) -> None:
    try:
        out = paint_svg(data, NAVY)
    except PaintError:
        return
    assert ET.fromstring(out) is not None


def _demo_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(DEMO, folder)
    return folder


def test_a_product_offering_colours_without_a_paintable_picture_is_warned(tmp_path: Path) -> None:
    folder = _demo_copy(tmp_path)
    city = folder / "images" / "city.svg"
    city.write_text(city.read_text(encoding="utf-8").replace('class="paint" ', ""), encoding="utf-8")
    catalog, findings = inspect_catalog(folder)
    assert catalog is not None, "a warning, not an error: the kiosk still shows the bike as drawn"
    warned = [str(f) for f in findings if f.severity == "warning" and "paint" in str(f)]
    assert len(warned) == 1, warned
    assert "city.yaml" in warned[0] and "images/city.svg" in warned[0] and "black, white, sage, navy" in warned[0]


def test_an_unreadable_picture_of_a_product_with_colours_is_warned(tmp_path: Path) -> None:
    folder = _demo_copy(tmp_path)
    (folder / "images" / "mtb.svg").write_bytes(b"<svg><g class='paint'>")
    catalog, findings = inspect_catalog(folder)
    assert catalog is not None
    warned = [str(f) for f in findings if f.severity == "warning"]
    assert any("mtb.yaml" in w and "images/mtb.svg" in w and "not a readable SVG" in w for w in warned), warned
    assert load_catalog(folder) is not None, "a warning: the catalog still loads"


def test_the_documented_examples_run() -> None:
    import doctest
    import re

    import sync.catalog.paint

    assert doctest.testmod(sync.catalog.paint).failed == 0
    docs = (Path(__file__).resolve().parent.parent / "docs" / "catalog-format.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(>>> from sync.catalog.paint.*?)```", docs, re.S)
    assert block, "docs/catalog-format.md shows paint_svg with an example"
    test = doctest.DocTestParser().get_doctest(block.group(1), {}, "catalog-format.md", None, 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.failures == 0 and runner.tries == 3


def test_the_kiosk_paints_with_the_colour_the_order_has(tmp_path: Path) -> None:
    from kiosk.app import read_catalog
    from kiosk.events import MemorySink
    from kiosk.flow import KioskModel

    catalog, _ = read_catalog(DEMO)
    assert catalog is not None
    model = KioskModel(catalog, MemorySink())
    model.start()
    model.select_product("CITY")
    assert model.paint() == "#222222", "no colour chosen yet: the one shown preselected (the default, black)"
    model.tap_option("colour", "navy")
    assert model.paint() == NAVY
    model.undo()
    assert model.paint() == "#222222"
    model.tap_option("frame_type", "step_through")  # black stays possible; navy is for the diamond frame only
    model.tap_option("colour", "sage")
    assert model.paint() == "#9cae8f"
    assert ("frame_type", "step_through") in model.picture_choices(), "the bike drawn with its step-through frame"
    model.reset()
    assert model.paint() is None, "a new customer starts with no product: nothing to paint"


def _display(svg: bytes) -> list[tuple[str | None, str | None]]:
    return [(el.get("data-when"), el.get("display")) for el in ET.fromstring(svg).iter() if el.get("data-when")]


def test_a_part_drawn_for_an_option_shows_only_with_that_option() -> None:
    """The City's picture had a diamond frame whatever the customer chose: the step-through is drawn too."""
    city = (DEMO / "images" / "city.svg").read_bytes()
    as_filed = _display(city)
    assert ("frame_type=diamond", None) in as_filed and ("frame_type=step_through", "none") in as_filed, \
        "the file itself shows the defaults (the gallery draws it as it is)"
    step = _display(picture_svg(city, None, {"frame_type": "step_through"}))
    assert {d for w, d in step if w == "frame_type=step_through"} == {None}
    assert {d for w, d in step if w == "frame_type=diamond"} == {"none"}
    diamond = _display(picture_svg(city, "#23395b", {"frame_type": "diamond"}))
    assert diamond == as_filed
    assert b'stroke="#23395b"' in picture_svg(city, "#23395b", {"frame_type": "step_through"})
    several = b'<svg xmlns="http://www.w3.org/2000/svg"><g data-when="a=x,y b=z"/></svg>'
    assert _display(picture_svg(several, None, {"a": "y", "b": "z"})) == [("a=x,y b=z", None)]
    assert _display(picture_svg(several, None, {"a": "y", "b": "q"})) == [("a=x,y b=z", "none")], "all must hold"
    assert _display(picture_svg(several, None, {})) == [("a=x,y b=z", "none")]


def test_a_part_for_an_option_the_product_lacks_is_warned(tmp_path: Path) -> None:
    folder = _demo_copy(tmp_path)
    city = folder / "images" / "city.svg"
    city.write_text(city.read_text(encoding="utf-8").replace("frame_type=step_through", "frame_type=stepthru", 1),
                    encoding="utf-8")
    catalog, findings = inspect_catalog(folder)
    assert catalog is not None
    warned = [str(f) for f in findings if "data-when" in str(f)]
    assert len(warned) == 1 and "frame_type=stepthru" in warned[0] and "(stepthru)" in warned[0], warned


def _holds(when: str, choices: dict[str, str]) -> bool:
    """The test's own reading of ``data-when``: space-separated terms ``attr=opt1,opt2``, all must hold."""
    terms = [term.split("=", 1) for term in when.split()]
    return all(choices.get(attribute) in options.split(",") for attribute, options in terms)


def test_every_demo_picture_is_filed_as_its_defaults_and_draws_each_option_it_names() -> None:
    """The e-MTB was drawn with a rear shock while a hardtail is its default (and full suspension was never
    drawn); the cargo bike with side bags and a child's handrail on an open deck. Each picture, as filed, shows
    what the product's defaults hold, and each option a part is drawn for changes the picture when chosen."""
    catalog = load_catalog(DEMO, deep=False)
    named = set()
    for product in catalog.products.values():
        data = (DEMO / product.image).read_bytes()
        defaults = product.defaults()
        as_filed = _display(data)
        for when, display in as_filed:
            assert when is not None
            assert (display != "none") == _holds(when, defaults), f"{product.code}: {when} filed as {display}"
        for when, _ in as_filed:
            for attribute, options in (term.split("=", 1) for term in str(when).split()):
                for option in options.split(","):
                    named.add((product.code, attribute, option))
                    chosen = {**defaults, attribute: option}
                    shown = _display(picture_svg(data, None, chosen))
                    assert [d != "none" for _, d in shown] == [_holds(str(w), chosen) for w, _ in shown]
                    if option != defaults.get(attribute):
                        assert shown != as_filed, f"{product.code}: {attribute}={option} draws nothing of its own"
    assert {("MTB", "rear_shock", "air"), ("MTB", "rear_shock", "coil"), ("CARGO", "cargo_box", "box"),
            ("CARGO", "cargo_box", "bags"), ("CARGO", "child_seat", "bench2"), ("CITY", "frame_type", "step_through")} <= named
