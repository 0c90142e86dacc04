"""The operation page names the configuration in the worker's language ("Battery: 400 Wh", "电池: 400瓦时"),
from the catalog names the hub puts in the work-order body, not the catalog codes ("battery: b400")."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sync.station.ledger import MemoryLedger
from sync.station.workorders import RoutedWorkOrder
from terminal.app import build_session, memory_link
from terminal.station import texts
from tests.station_window import Clock, badge, shown_window, station_settings, tap, wo
from tests.test_hub_core import Hub


def planned_body(tmp_path: Path) -> dict:
    """The body of a work order the hub planned for a placed order and sent to a station."""
    hub = Hub(tmp_path)
    try:
        hub.order("O1", colour="red")
        bodies = [body for stream, _type, body in hub.published if stream.startswith("station/")]
    finally:
        hub.store.close()
    assert bodies
    return bodies[0]


def test_a_hub_planned_work_order_carries_the_configurations_names_by_language(tmp_path: Path) -> None:
    body = planned_body(tmp_path)
    assert ["battery", "b400"] in body["configuration"]
    assert body["attribute_names"]["battery"] == {"en": "Battery", "zh_CN": "电池"}
    assert body["option_names"]["battery"] == {"en": "400 Wh", "zh_CN": "400瓦时"}
    read = RoutedWorkOrder.from_body(body)
    assert read.attribute_names["motor"]["zh_CN"] == "电机" and read.to_body() == body


def test_an_old_body_without_names_still_reads(tmp_path: Path) -> None:
    body = planned_body(tmp_path)
    del body["attribute_names"], body["option_names"]
    read = RoutedWorkOrder.from_body(body)
    assert read.attribute_names == {} and read.option_names == {} and ("battery", "b400") in read.configuration


def test_the_operation_page_shows_the_configuration_in_words_in_english_and_chinese(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, artifacts: Path) -> None:
    routed = RoutedWorkOrder.from_body(planned_body(tmp_path))
    op = routed.operations[0]
    settings = station_settings(FLOORLINK_STATION_WORK_CENTRES=op.work_centre)
    session = build_session(settings, MemoryLedger(), clock=Clock())
    session.ledger.put_work_order(routed)
    try:
        with shown_window(qtbot, settings, session, memory_link(session.ledger)) as win:
            for language, battery, motor in (("en", "Battery: 400 Wh", "Motor: "), ("zh_CN", "电池: 400瓦时", "电机: ")):
                tap(qtbot, win, win.login_page.language_buttons[language])  # as a worker switches
                win.scan(badge("E-0042"))
                assert win.wait_idle()
                win.scan(wo(routed.id, op.number))
                assert win.wait_idle()
                assert win.stack.currentWidget() is win.op_page, win.feedback.text()
                # what the worker reads: the two-column table's words, without its markup
                shown = html.unescape(re.sub(r"<[^>]+>", "", win.op_page.configuration.value.text()))
                assert battery in shown and motor in shown, shown
                assert "b400" not in shown and "battery" not in shown, shown
                assert win.grab().save(str(artifacts / f"terminal_configuration_{language}.png"))
                session.logout()
                win.refresh()
    finally:
        texts.use("en")
