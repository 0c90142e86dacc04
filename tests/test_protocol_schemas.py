"""The protocol's JSON Schemas (docs/schemas/) are the one specification: docs/protocol.md is rendered
from them, the hub's compiled checks agree with the reference validator, the envelope code agrees with
the envelope schema, and the hub refuses an unknown type (``unknown_type``) and a bad body (``invalid_body``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.errors import ProtocolError
from sync.protocol.envelope import from_dict
from sync.protocol.schema_docs import render_into
from sync.protocol.schemas import Protocol, load, schema_dir

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = load()


def test_docs_protocol_md_is_rendered_from_the_schemas() -> None:
    doc = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert render_into(doc, PROTOCOL) == doc, \
        "docs/protocol.md is out of date: run  .venv/bin/python -m sync.protocol.schema_docs --write"
    for type_ in PROTOCOL.types:
        assert f"### {type_}" in doc


def test_every_type_the_hub_handles_has_a_schema_and_nothing_else_does() -> None:
    from sync.hub.service import HubService

    registered = set()
    source = (REPO / "sync" / "hub" / "service.py").read_text(encoding="utf-8")
    registered |= set(re.findall(r'self\.ingest\.on\("([a-z_.]+)"', source))
    from sync.protocol.envelope import RESEND_TYPE
    from sync.station.timing import EVENT_TYPES
    from sync.store.outbox import SET_ASIDE

    registered |= {*EVENT_TYPES, SET_ASIDE, RESEND_TYPE, "device.heartbeat", "demo.tick"}
    assert set(PROTOCOL.types) == registered
    assert HubService  # the hub module imports with the schemas in place


def test_the_schemas_ship_with_the_wheel_and_the_frozen_build(tmp_path: Path) -> None:
    """The hub finds them as sync/protocol/schemas in an installed or frozen copy (else docs/schemas)."""
    assert schema_dir() == REPO / "docs" / "schemas"
    assert '"docs/schemas" = "sync/protocol/schemas"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '(str(ROOT / "docs" / "schemas"), "sync/protocol/schemas")' in \
        (REPO / "build" / "floorlink.spec").read_text(encoding="utf-8")
    copy = tmp_path / "schemas"
    shutil.copytree(REPO / "docs" / "schemas", copy)
    assert Protocol(copy).types == PROTOCOL.types


@pytest.mark.parametrize("type_", PROTOCOL.types)
def test_each_example_is_a_valid_message_the_hub_reads(type_: str) -> None:
    event = PROTOCOL.events[type_]
    assert event.schema["examples"], f"{type_} has no example"
    for example in event.schema["examples"]:
        PROTOCOL.validator(type_).validate(example)
        envelope = from_dict(example)
        assert envelope.type == type_ and PROTOCOL.body_error(type_, envelope.body) is None


def test_bodies_the_apps_send_fit_their_schemas() -> None:
    """What the station, kiosk and dashboard code really build (not hand-written copies)."""
    from datetime import UTC, datetime

    from sync.orders import PlacedOrder
    from sync.station.ledger import event_body

    at = datetime(2026, 11, 25, 14, 2, tzinfo=UTC)
    bodies = [
        ("op.started", event_body("K7Q2-01", 10, at, "B-0042", station="st-1")),
        ("op.paused", event_body("K7Q2-01", 10, at, "B-0042", station="st-1", reason="material missing")),
        ("op.completed", event_body("K7Q2-01", 10, at, "B-0042", station="st-1", good=3, scrap=1, reason="dent")),
        ("qc.recorded", event_body("K7Q2-01", 10, at, None, passed=False, defect="D-12")),
        ("order.placed", PlacedOrder("o-1", "BIKE", 3, {"motor": "hub"}, estimate="2026-12-10").to_body()),
    ]
    for type_, body in bodies:
        assert PROTOCOL.body_error(type_, body) is None, (type_, body)


def test_a_refused_body_is_explained_with_the_field() -> None:
    base = {"work_order": "W-1", "operation": 10, "at": "2026-11-25T06:00:00Z", "good": 1, "scrap": 0}
    assert PROTOCOL.body_error("op.completed", {**base, "good": 1.5}) == "body.good: 1.5 is not of type 'integer'"
    assert "'2' is not of type 'integer'" in str(PROTOCOL.body_error("op.completed", {**base, "good": "2"}))
    assert "1e+30 is greater than the maximum" in str(PROTOCOL.body_error("op.completed", {**base, "scrap": 1e30}))
    missing = {k: v for k, v in base.items() if k != "operation"} | {"op": 10}  # the old docs' example
    assert PROTOCOL.body_error("op.completed", missing) == "body: 'operation' is a required property"
    assert "'passed' is a required property" in str(PROTOCOL.body_error("qc.recorded", base))


# --- the compiled checks and the envelope code against the reference validator --------------------------
_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
                     st.sampled_from(["", "W-1", "2026-11-25T06:00:00Z", "2026-11-25T14:02:11+08:00",
                                      "0001-01-01T00:00:00+00:00", "2026-11-25T06:00:00", "hub", "x" * 70,
                                      "combination_request", "unclear_option", "CNY", "cny", "4999.50", "B-0042"]))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                          max_size=3), max_leaves=8)


def _near(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values close to what the schema wants: its own field names, each filled with anything or a fitting value."""
    props: dict[str, Any] = schema.get("properties", {})
    if not props:
        return _json
    fields = {name: st.one_of(_json, _near(sub) if isinstance(sub, dict) else _json,
                              *([st.just(e) for e in sub.get("examples", [])] if isinstance(sub, dict) else []))
              for name, sub in props.items()}
    return st.fixed_dictionaries({}, optional=fields) | _json


@pytest.mark.parametrize("type_", PROTOCOL.types)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_compiled_body_check_agrees_with_jsonschema(type_: str, data: st.DataObject) -> None:
    event = PROTOCOL.events[type_]
    body = data.draw(_near(event.body))
    reference = jsonschema.Draft202012Validator(event.body).is_valid(body)
    assert event.check(body) == reference, body


_envelope_fields = {
    "v": st.one_of(st.just(1), st.just(2), st.just(True), _scalars),
    "event_id": st.one_of(st.just("01936a4e-7c1d-7a2b-9f00-1234567890ab"), st.just("01936A4E7C1D7A2B9F001234567890AB"),
                          st.just("not-a-uuid"), _scalars),
    "device_id": st.one_of(st.just("st-1"), st.just("st 1"), st.just("-x"), _scalars),
    "seq": st.one_of(st.just(1), st.just(0), st.just(2**63 - 1), st.just(2**63), st.just(2**70), _scalars),
    "occurred_at": st.one_of(st.just("2026-11-25T06:00:00.123456Z"), st.just("2026-11-25T06:00:00+08:00"),
                             st.just("9999-12-31T00:00:00Z"), st.just("2026-11-25T06:00:00"), _scalars),
    "type": st.one_of(st.just("op.started"), st.just("Op.Started"), st.just("op..x"), _scalars),
    "body": st.one_of(st.just({}), st.just({"a": 1}), _json),
    "stream": st.one_of(st.just("station/st-1"), st.just("/bad"), _scalars),
}


@settings(max_examples=400, deadline=None)
@given(data=st.fixed_dictionaries({k: v for k, v in _envelope_fields.items() if k != "stream"},
                                  optional={"stream": _envelope_fields["stream"]}),
       drop=st.sets(st.sampled_from(sorted(_envelope_fields)), max_size=2))
def test_the_envelope_code_agrees_with_the_envelope_schema(data: dict[str, Any], drop: set[str]) -> None:
    message = {k: v for k, v in data.items() if k not in drop}
    reference = jsonschema.Draft202012Validator(PROTOCOL.envelope).is_valid(message)
    try:
        from_dict(message)
        accepted = True
    except ProtocolError:
        accepted = False
    # JSON Schema counts 1.0 as the integer 1; the code wants integers written as integers (docs say so)
    floats = any(type(message.get(k)) is float for k in ("v", "seq"))
    assert accepted == reference or (floats and not accepted), json.dumps(message, default=str)
