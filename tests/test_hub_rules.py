"""The hub applies the station's operation rules (sync.station.rules) to every operation event it receives.

Each case was acked ``ok`` by the old hub (or refused only as a TypeError): anything can publish on a
station's topic, and a station offline meets a state it could not see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.errors import FloorLinkError, StationError
from sync.station import rules
from sync.station.stored import WORK_ORDER_MESSAGE
from tests.test_hub_core import MONDAY_8, Hub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(tmp_path)
    yield h
    h.store.close()


def refused(hub: Hub, type_: str, wo: str, op: int, minutes: float = 30, **fields: Any) -> StationError:
    before = hub.store.query("SELECT COUNT(*) AS n FROM op_events")[0]["n"]
    with pytest.raises(StationError) as caught:
        hub.op(type_, wo, op, MONDAY_8 + timedelta(minutes=minutes), **fields)
    assert hub.store.query("SELECT COUNT(*) AS n FROM op_events")[0]["n"] == before, "a refusal records nothing"
    return caught.value


def bike(hub: Hub) -> str:
    """The bike's work order: ASSY op 10, then QC op 20, one piece; its parts made, so it may start."""
    wo = str(hub.order("O1")["work_orders"][-1])
    hub.build_parts(wo)
    return wo


def test_completing_an_operation_never_started_is_refused(hub: Hub) -> None:
    wo = bike(hub)
    error = refused(hub, "op.completed", wo, 10, good=1, scrap=0)
    assert error.code == rules.NOT_STARTED and "has not been started" in error.what
    for type_, fields in (("op.paused", {"reason": "break"}), ("op.resumed", {})):
        assert refused(hub, type_, wo, 10, **fields).code == rules.NOT_STARTED


def test_completing_a_qc_operation_without_its_qc_result_is_refused(hub: Hub) -> None:
    wo = bike(hub)
    hub.op("op.started", wo, 10, MONDAY_8)
    hub.op("op.completed", wo, 10, MONDAY_8 + timedelta(minutes=20), good=1, scrap=0)
    hub.op("op.started", wo, 20, MONDAY_8 + timedelta(minutes=21))
    assert refused(hub, "op.completed", wo, 20, good=1, scrap=0).code == rules.QC_MISSING
    hub.op("qc.recorded", wo, 20, MONDAY_8 + timedelta(minutes=25), passed=True)
    hub.op("op.completed", wo, 20, MONDAY_8 + timedelta(minutes=30), good=1, scrap=0)
    assert refused(hub, "op.started", wo, 20, minutes=40).code == rules.ALREADY_COMPLETE


def test_scrap_needs_a_reason(hub: Hub) -> None:
    wo = bike(hub)
    hub.op("op.started", wo, 10, MONDAY_8)
    assert refused(hub, "op.completed", wo, 10, good=0, scrap=1).code == rules.SCRAP_NO_REASON
    hub.op("op.completed", wo, 10, MONDAY_8 + timedelta(minutes=30), good=0, scrap=1, reason="cracked frame")


def test_a_qc_result_must_say_pass_or_fail_and_a_failure_its_defect(hub: Hub) -> None:
    wo = bike(hub)
    hub.op("op.started", wo, 10, MONDAY_8)
    hub.op("op.completed", wo, 10, MONDAY_8 + timedelta(minutes=20), good=1, scrap=0)
    assert refused(hub, "qc.recorded", wo, 20, defect="D1", passed=False).code == rules.NOT_STARTED
    hub.op("op.started", wo, 20, MONDAY_8 + timedelta(minutes=21))
    assert refused(hub, "qc.recorded", wo, 20).code == rules.QC_NO_RESULT
    assert refused(hub, "qc.recorded", wo, 20, passed="yes").code == rules.QC_NO_RESULT
    assert refused(hub, "qc.recorded", wo, 20, passed=False).code == rules.QC_NO_DEFECT
    assert refused(hub, "qc.recorded", wo, 10, passed=True).code == rules.ALREADY_COMPLETE


@pytest.mark.parametrize("good", ["2", 1.5, float("nan"), float("inf"), 10**30, -1, True, None])
def test_quantities_must_be_whole_finite_numbers(hub: Hub, good: Any) -> None:
    wo = bike(hub)
    hub.op("op.started", wo, 10, MONDAY_8)
    error = refused(hub, "op.completed", wo, 10, good=good, scrap=0)
    assert error.code == rules.BAD_QUANTITY and ("whole number" in error.what or "between" in error.what)
    assert "TypeError" not in str(error)


def test_more_than_reached_the_operation_is_refused(hub: Hub) -> None:
    wo = bike(hub)
    hub.op("op.started", wo, 10, MONDAY_8)
    assert refused(hub, "op.completed", wo, 10, good=1, scrap=1, reason="dent").code == rules.TOO_MANY


def test_a_device_not_serving_the_work_centre_needs_a_named_override(hub: Hub) -> None:
    wo = bike(hub)  # ASSY: st-assy-1 and st-assy-2
    error = refused(hub, "op.started", wo, 10, device="st-wheel-1")
    assert error.code == rules.NOT_ROUTED and "routed to ASSY" in error.what
    assert refused(hub, "op.started", wo, 10, device="kiosk-1").code == rules.NOT_ROUTED
    hub.op("op.started", wo, 10, MONDAY_8, device="st-wheel-1", override_by="S-0001",
           override_reason="operation 10 is routed to ASSY")
    assert hub.store.query("SELECT device_id FROM op_events")[0]["device_id"] == "st-wheel-1"


def test_state_is_judged_at_the_event_time_and_start_pause_resume_follow_the_station_rules(hub: Hub) -> None:
    wo = bike(hub)
    hub.op("op.started", wo, 10, MONDAY_8)
    assert refused(hub, "op.started", wo, 10, minutes=5).code == rules.ALREADY_ON_IT
    assert refused(hub, "op.resumed", wo, 10, minutes=5).code == rules.NOT_PAUSED
    assert refused(hub, "op.paused", wo, 10, minutes=5).code == rules.PAUSE_NO_REASON
    assert refused(hub, "op.paused", wo, 10, minutes=5, reason="break", worker="bob").code == rules.NOT_ON_IT
    hub.op("op.paused", wo, 10, MONDAY_8 + timedelta(minutes=10), reason="break")
    assert refused(hub, "op.started", wo, 10, minutes=12).code == rules.PAUSED
    hub.op("op.resumed", wo, 10, MONDAY_8 + timedelta(minutes=15))
    # a late event from an offline station, timed before the pause, is judged in its own time
    hub.op("op.started", wo, 10, MONDAY_8 + timedelta(minutes=2), worker="bob")


def test_an_operation_waits_for_its_predecessor_unless_a_supervisor_allows_it(hub: Hub) -> None:
    wo = bike(hub)
    error = refused(hub, "op.started", wo, 20)
    assert error.code == rules.WAITS and "waits for operation 10" in error.what and error.overridable
    hub.op("op.started", wo, 20, MONDAY_8, override_by="S-0001", override_reason="operation 20 waits for 10")
    hub.op("op.started", wo, 20, MONDAY_8 + timedelta(minutes=1), worker="bob")  # joining is not out of order


def test_a_work_order_waits_for_the_parts_made_for_it_and_its_stations_hear_when_they_are_done(hub: Hub) -> None:
    # red paint: the bike needs a wheel set, and the wheel set a wheel laced here and trued by a supplier
    top, wheel_set, wheel = (str(w) for w in hub.order("O1", colour="red")["work_orders"][::-1])
    assert refused(hub, "op.started", top, 10).code == rules.WAITS
    error = refused(hub, "op.started", wheel_set, 10)
    assert error.code == rules.WAITS and wheel in error.what and error.overridable
    hub.op("op.started", wheel, 10, MONDAY_8)
    hub.op("op.completed", wheel, 10, MONDAY_8 + timedelta(minutes=30), good=1, scrap=0)
    assert refused(hub, "op.started", wheel_set, 10, minutes=31).code == rules.WAITS, "not done until its last step"
    hub.published.clear()
    back = {"device": "st-wheel-1", "override_by": "S-0001"}  # the supplier's step, booked where the wheel comes back
    hub.op("op.started", wheel, 20, MONDAY_8 + timedelta(minutes=40), **back)
    hub.op("op.completed", wheel, 20, MONDAY_8 + timedelta(minutes=50), good=1, scrap=0, **back)
    told = [body for stream, type_, body in hub.published if type_ == WORK_ORDER_MESSAGE and body["id"] == wheel_set]
    assert told and told[-1]["parts"] == {wheel: "done"}, "the wheel set's stations learn the wheel is done"
    stored = json.loads(hub.store.query("SELECT body FROM work_orders WHERE id = ?", [wheel_set])[0]["body"])
    assert stored["parts"] == {wheel: "done"}, "and a later re-release carries it"
    hub.op("op.started", wheel_set, 10, MONDAY_8 + timedelta(minutes=55))
    assert refused(hub, "op.started", top, 10, minutes=56).code == rules.WAITS
    hub.op("op.started", top, 10, MONDAY_8 + timedelta(minutes=57), override_by="S-0001",
           override_reason="the wheels are on the rack")


def test_nothing_new_starts_on_a_cancelled_order(hub: Hub) -> None:
    wo = bike(hub)
    with hub.store.transaction() as tx:
        hub.core.on_order_cancelled(tx, "ev-c", {"order_id": "O1", "reason": "customer"}, MONDAY_8)
    assert refused(hub, "op.started", wo, 10).code == rules.CANCELLED


def test_unknown_work_order_and_operation_have_their_codes(hub: Hub) -> None:
    wo = bike(hub)
    for wo_id, op, code in (("WO-404", 10, "unknown_work_order"), (wo, 99, "unknown_operation")):
        with pytest.raises(FloorLinkError) as caught:
            hub.op("op.started", wo_id, op, MONDAY_8, device="st-assy-1")
        assert caught.value.code == code


def test_devices_are_registered_as_kind_and_id() -> None:
    from sync.errors import SettingsError
    from sync.hub.devices import allowed, parse_device

    assert parse_device("station:st-assy-1") == ("st-assy-1", "station")
    assert parse_device("kiosk-1") == ("kiosk-1", "edge")
    with pytest.raises(SettingsError, match="kind 'printer'"):
        parse_device("printer:p-1")
    assert not allowed("kiosk", "op.started") and not allowed("station", "alert.resolved")
    assert allowed("dashboard", "alert.resolved") and allowed("kiosk", "dead_letter.set_aside")

