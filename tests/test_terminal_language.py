"""Simplified Chinese on every station screen: the catalogue covers every text the terminal's code
writes, and a worker who taps 中文 on the login screen works a whole operation in Chinese."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sync import labels
from sync.errors import DecodeError, StationError
from sync.labels import BadgeLabel
from sync.station.ledger import MemoryLedger
from terminal.app import build_session, build_window, memory_link
from terminal.qt import QApplication, QLabel, QPushButton
from terminal.station import texts
from terminal.station.texts import Msg, local, said
from terminal.station.zh_cn import ZH_CN
from terminal.ui.window import StationWindow
from tests.station_window import Clock, shown_window, station_settings, tap

REPO = Path(__file__).resolve().parent.parent
#: calls whose first literal argument is shown to a worker (ReasonPage: prompt, options, button)
SHOWN = {"tr": 1, "Msg": 1, "label": 1, "button": 1, "Field": 1, "_act": 1, "ReasonPage": 3}
#: module-level tables of shown texts
TABLES = {"PAUSE_REASONS", "LOGGED_OUT", "SCRAP_REASONS", "DEFECT_CODES", "REFUSED_BANNER", "UNREADABLE", "SOMETHING_WRONG",
          "_WEEKDAYS", "_CAPTIONS", "_VERBS", "REFUSALS", "CODE_CLEAR"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    if isinstance(node, ast.Tuple | ast.List):
        return [t for e in node.elts for t in _literals(e)]
    if isinstance(node, ast.Dict):
        return [t for v in node.values if v is not None for t in _literals(v)]
    return []


def shown_texts(paths: list[Path], shown: dict[str, int], tables: set[str], *, columns: bool = False) -> set[str]:
    """The literal texts ``paths`` hand to a screen: the first ``shown[name]`` arguments of each call named
    in ``shown`` and the values assigned to the ``tables``; with ``columns`` also table column titles
    (``(title, lambda, …)``) and texts translated in a loop (``tr(h) for h in (…)``)."""
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else \
                    node.func.attr if isinstance(node.func, ast.Attribute) else ""
                for arg in node.args[:shown.get(name, 0)]:
                    found.update(_literals(arg))
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in tables
                                                      for t in node.targets):
                found.update(_literals(node.value))
            elif columns and isinstance(node, ast.Tuple) and len(node.elts) == 3 \
                    and isinstance(node.elts[1], ast.Lambda) and isinstance(node.elts[0], ast.Constant):
                found.update(_literals(node.elts[0]))
            elif columns and isinstance(node, ast.GeneratorExp | ast.ListComp) and isinstance(node.elt, ast.Call) \
                    and getattr(node.elt.func, "id", "") == "tr":
                for generator in node.generators:
                    found.update(_literals(generator.iter))
    return {t for t in found if re.search("[A-Za-z]", t)}


def source_texts() -> set[str]:
    """Every English text terminal/station and terminal/ui hand to a worker's screen."""
    paths = [path for folder in ("terminal/station", "terminal/ui")
             for path in sorted((REPO / folder).glob("*.py")) if path.name != "zh_cn.py"]
    return shown_texts([*paths, REPO / "sync/station/pauses.py"], SHOWN, TABLES)


def test_every_text_a_worker_can_see_has_its_chinese_with_the_same_placeholders() -> None:
    found = source_texts()
    assert len(found) > 120, "the scan found too little: is the collector broken?"
    missing = sorted(t for t in found if t not in ZH_CN)
    assert not missing, missing
    for english, chinese in ZH_CN.items():
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", chinese)), english
        words = re.sub(r"{\w+}", "", english)
        assert CJK.search(chinese) or not re.search("[A-Za-z]{2}", words), english


def test_a_refusal_reads_in_plain_chinese_and_keeps_its_english_detail() -> None:
    texts.use("zh_CN")
    try:
        coded = said(StationError("cannot pause operation 10 now: it is queued", code="not_on_it"))
        assert str(coded) == "cannot pause operation 10 now: it is queued"  # English for logs and tests
        assert local(coded) == "您当前未在进行此工序"
        unreadable = said(DecodeError("label 'FL9:X' does not start with FL1", fix="scan a FloorLink label"))
        assert local(unreadable) == ZH_CN[texts.UNREADABLE]
        own = said(StationError(Msg("work order {wo} is not routed to this station", wo="K1-0042-01"),
                                fix=Msg("check the traveler, or ask the supervisor to release it here")))
        assert local(own) == "工单 K1-0042-01 未分配到本工位 — 请核对流转卡，或请主管下发到本工位"
        unknown = said(StationError("disk I/O error", where="station.db"))
        assert local(unknown) == ZH_CN[texts.SOMETHING_WRONG]
    finally:
        texts.use("en")
    assert local(own).startswith("work order K1-0042-01 is not routed")


# --- every screen, in Chinese -------------------------------------------------------------------------

@pytest.fixture
def window(qtbot) -> Iterator[StationWindow]:  # type: ignore[no-untyped-def]
    settings = station_settings()
    session = build_session(settings, MemoryLedger(), clock=Clock())
    with shown_window(qtbot, settings, session, memory_link(session.ledger)) as win:
        yield win
    texts.use("en")


def english_left(win: StationWindow) -> list[str]:
    """Visible texts of the current page and the banner that are still an English catalogue entry."""
    page = win.stack.currentWidget()
    shown = [w.text() for w in [win.feedback, *page.findChildren(QLabel), *page.findChildren(QPushButton)]
             if w.isVisible() and w.text()]
    return [t for t in shown if t in ZH_CN and ZH_CN[t] != t]


def screen(win: StationWindow, artifacts: Path, name: str) -> None:
    win.refresh()
    assert win.wait_idle()
    assert not english_left(win), english_left(win)
    assert CJK.search(win.feedback.text()), win.feedback.text()
    assert win.grab().save(str(artifacts / f"terminal_zh_{name}.png"))


def test_a_worker_does_a_whole_operation_in_chinese_after_tapping_the_switch(  # type: ignore[no-untyped-def]
        qtbot, window: StationWindow, artifacts: Path) -> None:
    login = window.login_page
    assert login.language_buttons["zh_CN"].text() == "中文" and login.language_buttons["en"].text() == "English"
    tap(qtbot, window, login.language_buttons["zh_CN"])
    assert login.ok.text() == "登录" and login.keypad.buttons["C"].text() == "C"
    screen(window, artifacts, "1_login")
    assert window.feedback.text() == "请扫描工牌或输入 PIN 码"

    window.scan(labels.format(BadgeLabel("E-0042")))
    assert window.wait_idle()
    screen(window, artifacts, "2_work_list")
    rows = [r for r in window.scan_page.work_list.rows if r.isVisible()]
    assert rows[0].state.text() == "可开始" and rows[0].standard.text() == "9 分钟"
    assert rows[0].step.text() == "10  车架准备" and rows[0].product.text() == "旅行电助力车  ×2"  # catalog names

    tap(qtbot, window, window.scan_page.type_button)
    assert window.code_page.keypad.buttons["Clear"].text() == "清除"
    screen(window, artifacts, "3_type_number")
    for key in "WO-1009":
        tap(qtbot, window, window.code_page.keypad.buttons[key])
    tap(qtbot, window, window.code_page.ok)
    screen(window, artifacts, "4_unknown_number")
    assert "WO-1009" in window.feedback.text().replace("\u2011", "-")  # drawn as hyphens that never break
    tap(qtbot, window, window.code_page.cancel)

    tap(qtbot, window, rows[0])
    assert window.stack.currentWidget() is window.op_page
    tap(qtbot, window, window.op_page.start_button)
    clock = window.session.clock
    assert isinstance(clock, Clock)
    clock.now += timedelta(minutes=10)
    screen(window, artifacts, "5_running_over")
    assert window.op_page.timer_caption.text().startswith("已超标准工时")
    assert "旅行车架 52 cm" in window.op_page.materials.value.text()  # the catalog's Chinese for the parts
    tap(qtbot, window, window.op_page.pause_button)
    screen(window, artifacts, "6_pause_reason")
    tap(qtbot, window, window.pause_page.choices.buttons["Material missing"])
    assert window.pause_page.choices.buttons["Material missing"].text() == "缺料"
    tap(qtbot, window, window.pause_page.ok)
    screen(window, artifacts, "7_paused")
    assert "缺料" in window.op_page.status.text()
    assert window.session.ledger.events("WO-1001")[-1].body["reason"] == "Material missing"  # data stays English
    tap(qtbot, window, window.op_page.resume_button)
    tap(qtbot, window, window.op_page.count_button)
    screen(window, artifacts, "8_complete")
    tap(qtbot, window, window.complete_page.scrap_button)
    tap(qtbot, window, window.complete_page.keypad.buttons["C"])
    tap(qtbot, window, window.complete_page.keypad.buttons["1"])
    tap(qtbot, window, window.complete_page.ok)
    assert window.feedback.text() == "数量超过到达本工序的零件数：请核对合格和报废数"  # 2 good + 1 scrap of 2
    tap(qtbot, window, window.complete_page.good_button)
    tap(qtbot, window, window.complete_page.keypad.buttons["C"])
    tap(qtbot, window, window.complete_page.keypad.buttons["1"])
    tap(qtbot, window, window.complete_page.ok)
    assert window.feedback.text() == "请选择报废原因"  # the rule's refusal, in plain Chinese
    tap(qtbot, window, window.complete_page.reasons.buttons["Damaged part"])
    tap(qtbot, window, window.complete_page.ok)
    screen(window, artifacts, "9_done")
    assert window.op_page.timer_caption.text().startswith("已完成")
    tap(qtbot, window, window.op_page.sop_button)
    screen(window, artifacts, "10_sop")

    # and back: every fixed text and the banner return to English at once
    tap(qtbot, window, window.logout_button)
    tap(qtbot, window, login.language_buttons["en"])
    window.refresh()
    assert window.wait_idle()
    assert login.ok.text() == "Log in" and window.feedback.text() == "Scan your badge or type your PIN"
    assert not CJK.search(" ".join(w.text() for w in login.findChildren(QLabel)))


def test_the_qc_fail_page_and_the_override_banner_in_chinese(qtbot, window: StationWindow,  # type: ignore[no-untyped-def]
                                                             artifacts: Path) -> None:
    tap(qtbot, window, window.login_page.language_buttons["zh_CN"])
    window.scan(labels.format(BadgeLabel("E-0042")))
    window.open_operation("WO-1001", 30)  # waits for 20: a supervisor may allow it
    assert window.wait_idle()
    assert window.feedback.property("tone") == "override"
    screen(window, artifacts, "11_override")
    assert "主管" in window.feedback.text()
    window.scan(labels.format(BadgeLabel("S-0001")))
    assert window.wait_idle()
    tap(qtbot, window, window.op_page.start_button)
    tap(qtbot, window, window.op_page.fail_button)
    screen(window, artifacts, "12_qc_fail")


def test_a_station_starts_in_the_sites_language_from_node_language(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = station_settings(FLOORLINK_NODE_LANGUAGE="zh_CN")
    session = build_session(settings, MemoryLedger(), clock=Clock())
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    win, wedge = build_window(settings, session, memory_link(session.ledger), app)
    qtbot.addWidget(win)
    try:
        assert win.wait_idle()
        assert win.login_page.ok.text() == "登录" and win.feedback.text() == "请扫描工牌或输入 PIN 码"
        assert win.login_page.language_buttons["zh_CN"].isChecked()
    finally:
        app.removeEventFilter(wedge)
        texts.use("en")


def test_the_supervisors_refused_list_in_chinese(qtbot, window: StationWindow, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 artifacts: Path) -> None:
    from zoneinfo import ZoneInfo

    from sync.protocol.envelope import Ack
    from sync.store import Outbox, Store
    from terminal.station.refused import RefusedEvents

    store = Store(tmp_path / "st.db", device_id="ST-ASM-1")
    for type_, body, code, reason in (
            ("op.completed", {"work_order": "WO-1001", "operation": 10, "at": "2026-11-25T02:03:00+00:00",
                              "worker": "E-0042", "good": 2, "scrap": 0}, "not_started",
             "cannot complete operation 10 of WO-1001: it has not been started (start it first)"),
            ("op.started", {"work_order": "WO-7", "operation": 10, "at": "2026-11-25T02:05:00+00:00"}, "rejected",
             "unknown work order WO-7")):
        envelope = Outbox.record(store, type_, body)
        Outbox(store).acknowledge([Ack(envelope.event_id, envelope.seq, "rejected", reason, code=code)])
    outbox = Outbox(store)
    window.attach_refused(RefusedEvents(outbox, outbox.requeue, window.session.name_of, ZoneInfo("Asia/Shanghai")))
    tap(qtbot, window, window.login_page.language_buttons["zh_CN"])
    window.run(lambda: window.session.login_pin("9999"))
    assert window.wait_idle()
    window.open_refused()
    qtbot.waitUntil(lambda: bool(window.refused_page.items), timeout=5000)
    screen(window, artifacts, "13_refused")
    first, second = window.refused_page.items or []
    assert first.what == "完成 WO-1001 · 10: 合格 2，报废 0" and first.when == "11月25日 10:03" and first.who == "Li Wei"
    assert first.reason == "此工序尚未开始：请先开始"
    assert second.reason == "unknown work order WO-7"  # the hub's own words when no rule names it
    store.close()


def test_a_purchase_the_first_step_waits_for_is_due_on_a_day_the_worker_reads() -> None:
    """Seen live: "Waits for delivery CARGO-BOX-PLY (due 2026-12-19)" on the station's list and banner. The
    hub's rule keeps its ISO day (its logs and refusals); the station writes the day as its other days."""
    from sync.station import rules
    from sync.station.workorders import RoutedWorkOrder
    from terminal.station.session import due_day

    body = {"id": "K1-0001-12", "item": "CARGO-BOX-ASSY", "quantity": 1, "product": "CARGO",
            "awaiting": {"CARGO-BOX-PLY": "2026-12-19"},
            "operations": [{"number": 10, "name": "Build wooden cargo box", "work_centre": "ASSY"},
                           {"number": 20, "name": "Fit box", "work_centre": "ASSY"}]}
    wo = RoutedWorkOrder.from_body(body)
    first, second = wo.operations
    assert rules.materials_open(wo, first) == ("CARGO-BOX-PLY (due 2026-12-19)",)
    texts.use("en")
    try:
        assert rules.materials_open(wo, first, due_day) == ("CARGO-BOX-PLY (due Sat 19 Dec)",)
        assert rules.materials_open(wo, second, due_day) == (), "later steps wait for their predecessor only"
        texts.use("zh_CN")
        assert due_day("2026-12-19") == "12月19日 周六"
        assert due_day("soon") == "soon", "a value that is no day is shown as it came"
    finally:
        texts.use("en")
