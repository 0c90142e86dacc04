"""Popular builds: the hub counts its most-ordered configurations (sync.hub.popular) and the kiosk offers
them on the first options page; offline, without orders or with builds of another revision, the catalog's
defaults as "Standard" (never an empty strip). Real hub core and SQLite, real widgets offscreen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.events import MemorySink
from kiosk.flow import KioskModel, Screen
from sync.catalog import load_catalog
from sync.errors import ProtocolError
from sync.hub.popular import check_popular, popular_builds
from tests.test_hub_scenarios import MONDAY, DemoHub

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
MID = {"rider_height": "h180", "motor": "mid65", "battery": "b625", "cargo_box": "box"}
FAMILY = {"battery": "dual", "child_seat": "bench2", "colour": "orange"}


def hub_payload(tmp_path: Path) -> dict:
    """What the hub sends kiosks after 3 mid-range, 2 family, 2 standard and 1 cargo bike with a chain lock and a city bike."""
    hub = DemoHub(tmp_path)
    for _ in range(3):
        hub.order("CARGO", hub.configuration("CARGO", **MID))
    for _ in range(2):
        hub.order("CARGO", hub.configuration("CARGO", **FAMILY))
    hub.order("CARGO")
    hub.order("CARGO")
    hub.order("CARGO", hub.configuration("CARGO", lock="frame_chain"))
    hub.order("CITY")
    try:
        return popular_builds(hub.store.query, MONDAY + timedelta(hours=1))
    finally:
        hub.store.close()


def test_the_hub_sends_each_products_most_ordered_builds_first(tmp_path) -> None:
    body = hub_payload(tmp_path)
    cargo = body["products"]["CARGO"]
    assert [b["orders"] for b in cargo] == [3, 2, 2]
    assert all(cargo[0]["configuration"][k] == v for k, v in MID.items())
    assert "CITY" not in body["products"], "a build ordered once is one customer's, not popular"
    assert not any(b["configuration"]["lock"] == "frame_chain" for b in cargo)
    assert check_popular(body)["CARGO"] == cargo, "what the hub writes is what a kiosk accepts"
    assert popular_builds(DemoHub(tmp_path / "empty").store.query, MONDAY)["products"] == {}


def test_the_kiosk_offers_the_hubs_builds_and_loading_one_chooses_it(tmp_path) -> None:
    model = KioskModel(load_catalog(DEMO, deep=False), MemorySink())
    model.popular = hub_payload(tmp_path)
    model.start()
    model.select_product("CARGO")
    builds = model.builds()
    assert [b.name for b in builds] == ["Most ordered", "Also popular", "Also popular"]
    assert [b.orders for b in builds] == [3, 2, 2]
    assert builds[0].differs[0]["en"] == "Mid-drive, 65 Nm", "the priciest difference first"
    model.load_build(0)
    assert model._config().choices == builds[0].configuration and model.at == 0
    assert model.price().total == builds[0].total
    model.finish()
    assert model.screen == Screen.SUMMARY and model.picked == [], "nothing left for the kiosk to pick"


@pytest.mark.parametrize("popular", [None, {"products": {}},
                                     {"products": {"CARGO": [{"configuration": {"motor": "warp9"}, "orders": 9}]}},
                                     {"products": "nonsense"}],
                         ids=["offline", "no-orders", "another-revision", "malformed"])
def test_without_fitting_builds_the_kiosk_offers_the_standard_build(popular) -> None:
    catalog = load_catalog(DEMO, deep=False)
    model = KioskModel(catalog, MemorySink())
    model.popular = popular
    model.start()
    model.select_product("CARGO")
    builds = model.builds()
    assert [b.name for b in builds] == ["Standard"] and builds[0].standard
    assert builds[0].configuration == catalog.products["CARGO"].defaults() and builds[0].differs == []
    assert (popular == {"products": "nonsense"}) == any("popular builds ignored" in n for n in model.staff_notes)
    model.tap_option("rider_height", "h180")
    model.load_build(0)  # back to the catalog's defaults: nothing chosen, every default preselected
    assert model._config().choices == {}


def test_a_malformed_build_is_refused_naming_where() -> None:
    with pytest.raises(ProtocolError) as caught:
        check_popular({"products": {"CARGO": [{"configuration": {"motor": 7}, "orders": 2}]}})
    assert caught.value.where == "kiosk/popular products.CARGO[0]"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_popular_build_on_the_real_screen_makes_a_short_order(qtbot, tmp_path, artifacts, language) -> None:
    pytest.importorskip("PySide6")
    from kiosk.i18n import languages
    from kiosk.qt import QPushButton
    from tests.test_kiosk_steps import open_window
    from tests.test_kiosk_ui import shot, tap, visible

    window, model = open_window(qtbot, tmp_path, DEMO)
    model.popular = hub_payload(tmp_path)
    try:
        model.set_language(language)
        taps = ["startButton", "product-CARGO", "build-0", "option-rider_height-h165", "finishButton"]
        for name in taps[:3]:
            tap(qtbot, window, name)
        strip = [w for i in range(3) for w in visible(window, QPushButton, f"build-{i}")]
        assert len(strip) == 3 and strip[0].property("state") == "chosen"
        assert {"en": "Most ordered", "zh_CN": "订得最多"}[language] in strip[0].text()
        assert all(tile.height() >= 56 for tile in strip)
        assert not any("…" in tile.text() for tile in strip), "a tile's summary is shown in full, not cut"
        assert all(tile.height() >= tile.sizeHint().height() for tile in strip), "every line of a tile fits it"
        area = window.screens[Screen.OPTIONS].scroller  # type: ignore[attr-defined]
        assert area.verticalScrollBar().maximum() == 0, "the strip and the first question fit without scrolling"
        shot(window, artifacts, f"{language}-41-popular-builds")
        for name in taps[3:]:
            tap(qtbot, window, name)
        assert model.screen == Screen.SUMMARY and model._config().choices["motor"] == "mid65"
        assert model._config().choices["rider_height"] == "h165"
        shot(window, artifacts, f"{language}-42-popular-build-summary")
    finally:
        languages().use("en")


def test_the_kiosk_keeps_the_newest_good_builds_across_a_restart(tmp_path) -> None:
    from sync.hub.popular import POPULAR_MESSAGE, POPULAR_STREAM, follow_popular, latest_popular
    from sync.protocol.envelope import Envelope, utc_now
    from sync.store import Inbox, Store

    body = hub_payload(tmp_path / "hub")
    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
    inbox = Inbox(store)
    seen: list[dict] = []
    follow_popular(store, inbox, on_builds=seen.append)
    assert latest_popular(store) is None
    for seq, sent in ((7, {"products": {}}), (8, body), (9, {"products": {"CARGO": "broken"}})):
        inbox.receive(Envelope(f"01900000-0000-7000-8000-{seq:012d}", "hub", seq, utc_now(), POPULAR_MESSAGE,
                               sent, POPULAR_STREAM))
    assert seen == [{"products": {}}, body] and [f["seq"] for f in inbox.failures()] == [9]
    store.close()
    again = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
    try:
        assert latest_popular(again) == body, "offline after a restart: the last good builds"
    finally:
        again.close()


def test_the_running_hub_publishes_the_builds_retained_and_only_when_they_change(tmp_path, mosquitto) -> None:
    import json

    from sync.demo import release_catalog
    from sync.hub.service import HubConfig, HubService

    release_catalog(DEMO, tmp_path / "catalog.db")
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               tick_seconds=60)).start()
    try:
        assert hub.wait_ready(20)
        product = hub.catalog.released_products()["CARGO"]
        for n in (1, 2):  # a build is popular from its second order
            with hub.store.transaction() as tx:
                hub.core.on_order_placed(tx, f"ev-{n}", "kiosk-1", {"order_id": f"P{n}", "product": "CARGO",
                                                                   "revision": product.number, "quantity": 1,
                                                                   "configuration": product.product().defaults()},
                                         MONDAY)

        def sent() -> list[dict]:
            rows = hub.store.query("SELECT envelope, retain FROM down_log WHERE stream = 'kiosk/popular' ORDER BY rowid")
            assert all(r["retain"] for r in rows)
            return [json.loads(r["envelope"])["body"] for r in rows]

        at_start = sent()  # what the hub had when it started (no order yet), sent as it started
        assert [b["products"] for b in at_start] in ([], [{}])
        hub._publish_capacity(MONDAY + timedelta(hours=1))  # the hub's periodic job, called now
        hub._publish_capacity(MONDAY + timedelta(hours=2))  # nothing new: not sent again
        assert len(sent()) == len(at_start) + 1 and sent()[-1]["products"]["CARGO"][0]["orders"] == 2
    finally:
        hub.stop()
