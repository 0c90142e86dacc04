"""The label syntax: what the hub prints is what the terminal reads, and every malformed code is refused."""

from __future__ import annotations

import re

import pytest

from sync import labels
from sync.errors import DecodeError
from sync.labels import BadgeLabel, WorkOrderLabel


@pytest.mark.parametrize(
    "label",
    [
        WorkOrderLabel("WO-000123", 20),
        WorkOrderLabel("WO-000123", 0),
        WorkOrderLabel("A", 9999),
        WorkOrderLabel("2026.11.25-7"),
        BadgeLabel("4711"),
        BadgeLabel("E-0042"),
    ],
)
def test_formatted_label_parses_back_to_the_same_label(label: labels.Label) -> None:
    assert labels.parse(labels.format(label)) == label


def test_operation_label_has_the_documented_shape() -> None:
    text = labels.format(WorkOrderLabel("WO-000123", 20))
    assert text.startswith("FL1:WO:WO-000123:OP:20:")
    assert len(text) == len("FL1:WO:WO-000123:OP:20:") + 1
    assert text[-1] == labels.check_character("FL1:WO:WO-000123:OP:20")


def test_keyboard_wedge_lower_case_is_read_as_upper_case() -> None:
    text = labels.format(BadgeLabel("E-0042"))
    assert labels.parse(text.lower() + "\n") == BadgeLabel("E-0042")


def test_every_single_character_change_is_caught_by_the_check() -> None:
    text = labels.format(WorkOrderLabel("WO-000123", 20))
    caught = 0
    for index, char in enumerate(text):
        if char == ":":
            continue
        for other in labels.CHECK_ALPHABET:
            if other == char:
                continue
            changed = text[:index] + other + text[index + 1 :]
            with pytest.raises(DecodeError):
                labels.parse(changed)
            caught += 1
    assert caught > 500


def test_swapped_neighbours_in_the_work_order_are_caught() -> None:
    text = labels.format(WorkOrderLabel("WO-123456", 10))
    swapped = text.replace("WO-123456", "WO-124356")
    with pytest.raises(DecodeError, match="bad check character"):
        labels.parse(swapped)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("9780441014989", "unknown prefix '9780441014989'"),
        ("FL2:WO:WO-1:OP:10:X", "unknown prefix 'FL2'"),
        ("http://example.com", "unknown prefix"),
        ("FL1", "unknown label kind ''"),
        ("FL1:PART:P-1:X", "unknown label kind 'PART'"),
        ("FL1:WO:WO-1", "has 3 fields"),
        ("FL1:WO:WO-1:OP:10", "has 5 fields"),
        ("FL1:WO:WO-1:OP:10:X:Y", "has 7 fields"),
        ("FL1:WO:WO-1:OX:10:X", "expected OP before the operation"),
        ("FL1:WO:WO-1:OP:ten:X", "operation 'TEN' is malformed"),
        ("FL1:WO:WO-1:OP:12345:X", "operation '12345' is malformed"),
        ("FL1:WO:WO-1:OP::X", "operation '' is malformed"),
        ("FL1:WO::OP:10:X", "work order '' is malformed"),
        ("FL1:WO:-WO1:OP:10:X", "work order '-WO1' is malformed"),
        ("FL1:WO:WO_1:OP:10:X", "work order 'WO_1' is malformed"),
        ("FL1:WO:" + "A" * 33 + ":X", "is malformed"),
        ("FL1:BADGE:E-1", "a badge label has 3 fields"),
        ("FL1:BADGE:E-1:OP:10:X", "a badge label has 6 fields"),
        ("FL1:BADGE:E 1:X", "badge id 'E 1' is malformed"),
        ("FL1:WO:WO-1:OP:10:", "check character '' is malformed"),
        ("FL1:WO:WO-1:OP:10:XY", "check character 'XY' is malformed"),
        ("FL1:WO:WO-1:OP:10:*", "check character '*' is malformed"),
        ("FL1:WO:WO/1:OP:10:X", "work order 'WO/1' is malformed"),
    ],
)
def test_malformed_code_is_refused_with_a_message_saying_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DecodeError, match=re.escape(message)) as caught:
        labels.parse(text)
    assert caught.value.where is not None and "scanned code" in caught.value.where


def test_bad_check_character_is_refused() -> None:
    text = labels.format(WorkOrderLabel("WO-7", 30))
    wrong = next(c for c in labels.CHECK_ALPHABET if c != text[-1])
    with pytest.raises(DecodeError, match=f"bad check character '{wrong}'"):
        labels.parse(text[:-1] + wrong)


@pytest.mark.parametrize(
    "label",
    [WorkOrderLabel("WO 1", 10), WorkOrderLabel("WO-1", 10000), WorkOrderLabel("WO-1", -1), BadgeLabel("")],
)
def test_a_label_that_cannot_be_read_back_is_never_printed(label: labels.Label) -> None:
    with pytest.raises(DecodeError):
        labels.format(label)


def test_the_example_in_docs_labels_md_runs_and_shows_true_results() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "labels.md").read_text(encoding="utf-8")
    block = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {"labels": labels}
    checked = 0
    for line in block.splitlines():
        if line.startswith("from") or not line.strip():
            continue
        statement, _, shown = line.partition("#")
        if " = " in statement:
            name, expression = (part.strip() for part in statement.split(" = ", 1))
            namespace[name] = eval(expression, namespace)
            value = namespace[name]
        else:
            value = eval(statement, namespace)
        if shown:
            assert repr(value) == shown.strip(), line
            checked += 1
    assert checked >= 4
