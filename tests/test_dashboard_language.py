"""Simplified Chinese on every dashboard screen, through the station terminal's one catalogue
(terminal.station.texts / zh_cn): every text the dashboard's code shows has its Chinese with the same
placeholders, and a switch to 中文 redraws every tab in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from terminal.dashboard.widgets import TABS
from terminal.qt import QLabel
from terminal.station import texts
from terminal.station.zh_cn import ZH_CN
from tests.test_dashboard_ui import Screen
from tests.test_dashboard_wall import open_wall
from tests.test_terminal_language import CJK, shown_texts

FOLDER = Path(__file__).resolve().parent.parent / "terminal" / "dashboard"
SHOWN = {"tr": 1, "label": 1, "button": 1, "Figure": 1, "Column": 1}
TABLES = {"TABS", "VALUES", "PENDING", "ALERT_KINDS"}


def dashboard_texts() -> set[str]:
    """Every English text terminal/dashboard hands to the screen: arguments of tr() and the panel
    builders, the tables of tab titles and hub values, table column titles (``(title, lambda, …)``)
    and the headers translated in a loop (``tr(h) for h in (…)``)."""
    found = shown_texts(sorted(FOLDER.glob("*.py")), SHOWN, TABLES, columns=True)
    keys = {key for key, _title in TABS} | {"acknowledge", "resolve"}  # tab and command keys, never shown
    return {t for t in found if t not in keys}


def test_every_dashboard_text_has_its_chinese_with_the_same_placeholders() -> None:
    found = dashboard_texts()
    assert len(found) > 100, "the scan found too little: is the collector broken?"
    assert {"Overview", "Order", "Work order / operation", "WARNING", "acknowledge pending"} <= found
    missing = sorted(t for t in found if t not in ZH_CN)
    assert not missing, missing
    for english in found:
        chinese = ZH_CN[english]
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", chinese)), english
        assert CJK.search(chinese), english


@pytest.fixture
def chinese(qtbot: Any, tmp_path: Path) -> Iterator[Screen]:
    s = open_wall(qtbot, tmp_path, "zh_CN")
    yield s
    s.win.close()
    s.feed.inbox.store.close()
    texts.use("en")


def test_the_chinese_switch_redraws_every_tab_and_back(chinese: Screen, qtbot: Any) -> None:
    win = chinese.win
    assert [win.tabs.tabText(i).split("（")[0] for i in range(win.tabs.count())] == \
        [ZH_CN[title] for _key, title in TABS]
    for key, _title in TABS:
        win.show_tab(key)
        qtbot.wait(10)
        shown = [w.text() for w in win.tabs.currentWidget().findChildren(QLabel) if w.isVisible() and w.text()]
        english = [t for t in shown if re.search(r"\b(?!OEE\b|ETA\b)[A-Za-z]{4,}\b", re.sub(r"<[^>]+>", "", t))
                   and not CJK.search(t)]
        # names from the data (stations, work orders, customers, products) stay as they are
        assert all(re.fullmatch(r"[\w\s./·×,:-]+", t) for t in english), (key, english)
    assert win.overview.orders.title.text() == "延误和有风险的订单"
    assert win.overview.stations.lines[0].state.text() in ("进行中", "已暂停", "空闲")
    win.show_tab("orders")
    header = win.orders.rows.headerData(0, win.orders.view.horizontalHeader().orientation())
    assert header == "订单"
    win.language_buttons["en"].click()
    assert win.tabs.tabText(0) == "Overview" and win.overview.orders.title.text() == "Late and at-risk orders"
    assert win.orders.rows.headerData(0, win.orders.view.horizontalHeader().orientation()) == "Order"


def test_every_alert_kind_the_hub_raises_has_words_on_the_board() -> None:
    """The kinds are read from the hub's source (``kind="..."`` where it raises), not from the board's table."""
    from terminal.dashboard.widgets import ALERT_KINDS, alert_kind

    hub = Path(__file__).resolve().parent.parent / "sync" / "hub"
    patterns = (r'kind="([a-z_]+)", severity=',  # Candidate(key=..., kind="overrun", severity=...)
                r'"key": f?"[^"]*", "kind": "([a-z_]+)"',  # a demand warning's dict
                r'Candidate\(f?"[^"]*"\)?, "([a-z_]+)"',  # Candidate(key, "hub_fault", ...)
                r'Candidate\(\w+\["key"\], "([a-z_]+)"')
    raised = {k for f in hub.glob("*.py") for p in patterns for k in re.findall(p, f.read_text(encoding="utf-8"))}
    assert {"demand_short", "promise_later", "overrun", "stock_short", "hub_fault"} <= raised, "the scan found too little"
    assert sorted(raised - set(ALERT_KINDS)) == []
    assert alert_kind("some_new_kind") == "Some new kind"
