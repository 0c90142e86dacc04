"""Which pause reasons call the supervisor (sync.station.pauses), checked against a list written here."""

from __future__ import annotations

import random
import string

from sync.station.pauses import CALLS_SUPERVISOR, PAUSE_REASONS, calls_supervisor

# what a supervisor has to come for, and what is the worker's own business, as the hall says it
COMES = ("Material missing", "Machine fault", "Waiting for QC")
OWN = ("Break", "Tool change", "Other job")


def test_every_reason_the_station_offers_either_calls_or_does_not() -> None:
    assert set(PAUSE_REASONS) == set(COMES) | set(OWN) and set(CALLS_SUPERVISOR) == set(COMES)
    assert [r for r in PAUSE_REASONS if calls_supervisor(r)] == [r for r in PAUSE_REASONS if r in COMES]


def test_another_stations_spelling_calls_too_and_nothing_else_does() -> None:
    for spelled in ("material missing", "  MACHINE   fault ", "waiting for qc"):
        assert calls_supervisor(spelled), spelled
    for other in (None, "", " ", "Material", "missing material", 42, ["Machine fault"], "Break", "Machine fault!"):
        assert not calls_supervisor(other), other


def test_random_text_never_calls_and_never_raises() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "缺料停工\u2011\x00"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert calls_supervisor(text) == (" ".join(text.casefold().split()) in {c.casefold() for c in COMES})
