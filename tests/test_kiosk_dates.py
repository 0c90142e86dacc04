"""What the customer is told, as plain state: options the kiosk picked (with their price and a way back),
and one delivery date story ("about …" until the hub's firm date replaces it)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.events import MemorySink
from kiosk.flow import KioskModel, Screen
from kiosk.promise import DateStory, day_text
from kiosk.texts import ZH_CN
from sync.catalog import Catalog, load_catalog

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "assets" / "catalog"
TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(DEMO, deep=False)


def to_group(model: KioskModel, product: str, group: str) -> None:
    model.start()
    model.select_product(product)
    while model.groups[model.step].code != group:
        model.next()


def summary_with_the_box(demo: Catalog) -> KioskModel:
    model = KioskModel(demo, MemorySink(), today=lambda: TODAY)
    to_group(model, "CARGO", "carry")
    model.tap_option("cargo_box", "box")  # the wooden box needs the wide stand (+¥260), left open
    model.finish()  # "Looks good — go to summary": the open questions take their preselected options
    return model


def test_next_announces_a_priced_option_it_picked_with_its_price_and_change_goes_back_to_it(demo: Catalog) -> None:
    model = summary_with_the_box(demo)
    assert model.screen == Screen.SUMMARY
    assert [(p.attribute, p.option, p.price) for p in model.picked] == [("kickstand", "wide", Decimal(260))]
    assert model.notice is not None
    assert "Wide centre stand +¥260" in model.notice.text("en")
    chinese = model.notice.text("zh_CN", lambda s: ZH_CN[s])
    assert "宽幅中置脚撑 +¥260" in chinese and "更改" in chinese
    assert model.filled.get("lights") == "std" and "lights" not in [p.attribute for p in model.picked], \
        "a free default is filled quietly"
    model.change("kickstand")
    assert model.screen == Screen.OPTIONS and model.groups[model.step].code == "carry"
    # the box leaves no other stand: the step opens on the stand it replaced, with its reason (review: "see why"
    # showed only the forced stand)
    assert model.focus is not None and model.focus[0] == "kickstand" and model.focus[1] != "wide"
    assert model.notice is not None and "not available" in model.notice.text("en") and model.picked == []
    assert any("Wooden" in line.text("en") or "box" in line.text("en").lower() for line in model.why(*model.focus))
    model.tap_option("kickstand", "wide")  # the customer keeps it: now their own choice
    assert "kickstand" not in model.filled


def test_undo_and_a_new_choice_keep_picked_for_you_true(demo: Catalog) -> None:
    model = summary_with_the_box(demo)
    model.back()
    assert model.picked == [] and model.notice is None
    assert model.filled.get("lock") == "none"
    model.undo()  # the last thing the customer did was "Looks good": all it filled in goes, in one tap
    assert "lock" not in model._config().choices and "lock" not in model.filled
    assert "kickstand" not in model._config().choices and model._config().choices["cargo_box"] == "box"
    assert model.groups[model.step].code == "carry", "the page of the first option taken back"
    model.finish()  # the kiosk fills them again
    model.back()
    model.tap_option("cargo_box", "bags")  # the wide stand is no longer needed but stays, still the kiosk's pick
    assert model.filled.get("kickstand") == "wide"
    model.tap_option("kickstand", "centre")
    assert "kickstand" not in model.filled


def test_undo_after_a_jump_takes_back_the_customers_choice_and_shows_its_page(demo: Catalog) -> None:
    """On the live demo Undo after a jump to a later step took back, one tap at a time, options the kiosk
    had filled in on the pages passed over, and the screen stayed where it was."""
    model = KioskModel(demo, MemorySink(), today=lambda: TODAY)
    model.start()
    model.select_product("CARGO")
    assert not model.can_undo()
    first = model.attributes()[0]
    other = next(o.code for o in first.options if o.available and o.code != first.suggested)
    model.tap_option(first.code, other)  # the customer's own choice, page 1
    model.jump(len(model.groups) - 1)  # straight to the last step: the pages between take their defaults
    assert model.filled and model.at > 1
    filled = set(model.filled)
    model.undo()  # the jump's fills, in one tap, showing the first page they were on
    assert model.filled == {} and model._config().choices == {first.code: other}
    assert model.at == min(i for i, page in enumerate(model.pages) if filled & set(page.attributes))
    assert model.can_undo()
    model.undo()  # the customer's own choice
    assert model._config().choices == {} and not model.can_undo()
    assert model.at == 0


def test_the_summary_says_about_and_the_hubs_later_date_replaces_it_and_is_said(demo: Catalog) -> None:
    model = summary_with_the_box(demo)
    story = model.date_story()
    estimate = model.estimate()
    assert estimate is not None and story == DateStory(estimate.ready_by, estimate.working_days)
    about = day_text(estimate.ready_by)
    assert f"about {about}" in story.summary_text() and "once you order" in story.summary_text()
    model.to_details()
    model.set_field("name", "Li Wei")
    model.set_field("phone", "13800138000")
    order = model.place_order()
    assert order is not None and model.screen == Screen.RECEIPT
    assert model.date_story().receipt_line() == f"Ready about {about} (the factory is confirming the date)"
    firm = estimate.ready_by + timedelta(days=11)
    model.order_acked(order.id, "ok", {"promise_date": firm.isoformat()})
    story = model.date_story()
    assert story.firm == firm and story.later_by == 11
    assert story.receipt_line() == f"Ready on {day_text(firm)} (confirmed by the factory)"
    change = story.change_text()
    assert change is not None and day_text(firm) in change and "11 days later" in change and about in change

    from kiosk.receipt import receipt_lines

    lines = receipt_lines(order, "en", story)
    dates = {d for line in lines if not line.startswith("Ordered ")  # the day it was ordered is no delivery date
             for d in re.findall(r"\w{3} \d{1,2} \w{3} \d{4}", line)}
    assert dates == {day_text(firm)}, f"one delivery date on the receipt: {lines}"
    assert not any(about in line for line in lines)


def test_the_date_while_choosing_follows_choices_and_a_new_capacity_snapshot(demo: Catalog) -> None:
    """The side panel's date is the summary's estimate of the choices so far; it is kept per set of
    choices (the snapshot planner costs ~15 ms), so a newer hub snapshot must not be hidden by that."""
    from datetime import UTC, datetime

    from sync.planning import Planner, from_catalog
    from sync.planning.estimate import capacity_snapshot

    model = KioskModel(demo, MemorySink(), today=lambda: TODAY)
    to_group(model, "CARGO", "drive")
    assert model.estimate() is None and model.date_story(so_far=True).about is not None
    rough = model.date_story(so_far=True).about
    model.tap_option("motor", "mid85")  # bought with a long lead time
    longer = model.date_story(so_far=True).about
    assert rough is not None and longer is not None and longer > rough
    assert "Ready about " + day_text(longer) == model.date_story(so_far=True).side_text()
    cargo = demo.products["CARGO"]
    busy = Planner({}, {})
    busy.learn(from_catalog.items(cargo), from_catalog.centres(cargo, model.zone))
    now = datetime.combine(TODAY, datetime.min.time(), UTC)
    for i in range(40):
        busy.plan(f"O{i}", from_catalog.structure(cargo, cargo.defaults()), 1, now, ship_from_stock=False)
    model.capacity = capacity_snapshot(busy, now)
    planned = model.date_story(so_far=True).about
    assert planned is not None and planned != longer, "the hub's snapshot replaces the rough estimate at once"
    while model.screen == Screen.OPTIONS:
        model.next()
    assert model.date_story().about == planned, "the summary shows the date the side panel showed"


def test_a_firm_date_no_later_than_shown_replaces_it_without_a_warning(demo: Catalog) -> None:
    shown = DateStory(date(2026, 12, 10), 9)
    assert DateStory(date(2026, 12, 10), 9, firm=date(2026, 12, 8)).change_text() is None
    assert DateStory(date(2026, 12, 10), 9, firm=date(2026, 12, 10)).change_text() is None
    assert shown.change_text() is None
    assert DateStory(None, firm=date(2026, 12, 8)).receipt_line() == "Ready on Tue 8 Dec 2026 (confirmed by the factory)"
    assert "staff will call" in (DateStory(date(2026, 12, 10), refused=True).receipt_line() or "")


def test_an_answer_that_beats_the_save_back_to_the_screen_is_kept(demo: Catalog) -> None:
    model = summary_with_the_box(demo)
    model.to_details()
    model.set_field("name", "Li Wei")
    model.set_field("phone", "13800138000")
    order = model.begin_order()
    assert order is not None
    model.order_acked(order.id, "ok", {"promise_date": "2026-12-21"})  # the hub was faster than this thread
    model.finish_order(*model.save_order(order))
    assert model.confirmed == "2026-12-21" and model.date_story().firm == date(2026, 12, 21)


def test_a_promise_that_is_not_a_date_keeps_about(demo: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    model = summary_with_the_box(demo)
    model.to_details()
    model.set_field("name", "Li Wei")
    model.set_field("phone", "13800138000")
    order = model.place_order()
    assert order is not None
    model.order_acked(order.id, "ok", {"promise_date": "soon"})
    assert model.date_story().firm is None and "about" in (model.date_story().receipt_line() or "")
    assert "not a date" in caplog.text


def test_the_standard_build_on_the_shelf_is_ready_today_like_the_hub_ships_it(demo: Catalog) -> None:
    from sync.planning import Planner, from_catalog

    city = demo.products["CITY"]
    assert city.items[city.item].stock >= 1, "the demo catalog keeps standard city bikes on the shelf"
    model = KioskModel(demo, MemorySink(), today=lambda: TODAY)
    model.start()
    model.select_product("CITY")
    while model.screen != Screen.SUMMARY:
        model.next()
    story = model.date_story()
    assert story.summary_text() == f"In stock: ready today, {day_text(TODAY)}. The factory confirms it once you order."
    assert story.side_text() == "In stock: ready today"
    assert story.summary_text(ZH_CN.get).startswith("有现货")
    # the hub's planner, from the same catalog, takes it off the shelf too
    planner = Planner(from_catalog.items(city), from_catalog.centres(city, UTC))
    plan = planner.plan("O1", from_catalog.structure(city, model.configurator.choices), 1, datetime(2026, 11, 27, 9, tzinfo=UTC),
                        ship_from_stock=from_catalog.ships_from_stock(city, model.configurator.choices))
    assert plan.ships_from_stock


def test_a_build_other_than_the_standard_one_is_made_and_its_date_says_about(demo: Catalog) -> None:
    city = demo.products["CITY"]
    model = KioskModel(demo, MemorySink(), today=lambda: TODAY)
    model.start()
    model.select_product("CITY")
    attribute, options = next((a.code, a.options) for a in city.attributes if len(a.options) > 1)
    other = next(o.code for o in options if o.code != city.defaults()[attribute])
    model.tap_option(attribute, other)
    while model.screen != Screen.SUMMARY:
        model.next()
    story = model.date_story()
    assert story.working_days and story.working_days > 0
    assert story.summary_text().startswith("Ready in about")


def test_the_kiosks_day_is_the_stores_day_not_the_machines(demo: Catalog) -> None:
    """A kiosk whose machine clock runs on UTC in Suzhou was a day behind until 08:00 and planned its
    estimate from yesterday's midnight (a date days before the hub's). Two zones 25 hours apart always
    have different dates, so at least one of them differs from the machine's whatever the time."""
    from zoneinfo import ZoneInfo

    model = KioskModel(demo, MemorySink())
    seen = set()
    for name in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        model.zone = ZoneInfo(name)
        before = datetime.now(model.zone).date()
        day = model.today()
        assert day in (before, datetime.now(model.zone).date()), name  # (the date may turn between the reads)
        seen.add(day)
    assert len(seen) == 2


def test_a_priced_option_the_choices_need_is_not_called_the_kiosks_pick(tmp_path) -> None:
    """Seen live: a coil shock needs the enduro fork, the dropper post and 4-piston brakes, and the kiosk said
    "We picked for you: ... Tap Change to choose another" where nothing cheaper was possible. A priced option
    the customer's choices need reads "Your choices need ..."; a real pick (a free option was possible) keeps
    "We picked for you"."""
    import shutil

    from sync.catalog import load_catalog

    folder = tmp_path / "catalog"
    shutil.copytree(Path(__file__).parent / "catalogs" / "small", folder)
    product = next((folder / "products").glob("*.yaml"))
    text = product.read_text(encoding="utf-8")
    bell = ('  - code: bell\n    group: look\n    label: {en: Bell, zh_CN: 车铃}\n    default: none\n    options:\n'
            '      - {code: loud, label: {en: Loud bell, zh_CN: 响铃}, price: 50}\n'
            '      - {code: none, label: {en: No bell, zh_CN: 无}}\n'
            '      - {code: quiet, label: {en: Quiet bell, zh_CN: 轻铃}}\n')
    rule = '  - id: bell-on-26\n    kind: excludes\n    when: {bell: [none], wheel_size: ["26"]}\n'
    product.write_text(text.replace("rules:\n", bell + "rules:\n" + rule, 1), encoding="utf-8")
    catalog = load_catalog(folder, deep=False)
    model = KioskModel(catalog, MemorySink(), today=lambda: TODAY)
    model.start()
    model.select_product("BIKE")
    model.tap_option("wheel_size", "26")  # no "no bell" on 26 inch: the nearest is the loud one, a quiet one is free
    model.finish()
    assert [(p.attribute, p.option, p.needed) for p in model.picked] == [("bell", "loud", False)]
    assert model.notice is not None and model.notice.text("en") == \
        "We picked for you: Loud bell +¥50. Tap Change to choose another."
    model.reset()
    model.start()
    model.select_product("BIKE")
    model.tap_option("motor", "mid")  # needs the 625 Wh battery: nothing cheaper is possible
    model.finish()
    assert [(p.attribute, p.option, p.needed) for p in model.picked] == [("battery", "b625", True)]
    assert model.notice is not None
    assert model.notice.text("en") == "Your choices need 625 Wh +¥800.50. Tap Change to see why or to choose otherwise."
    assert model.notice.text("zh_CN", lambda s: ZH_CN[s]) == "您的选择需要：625瓦时 +¥800.50。点“更改”可查看原因或改选。"
