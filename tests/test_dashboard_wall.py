"""The dashboard as a wall board on a 1920×1080 screen, in English and Simplified Chinese: the overview's
figures and texts are big enough for 3 m, nothing on any screen is elided or clipped (measured with
QFontMetrics on the real widgets), one tap opens an order whose detail fits the screen, and an alert is
acknowledged by badge or PIN with the roster's name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sync import labels
from sync.labels import BadgeLabel
from sync.station.ledger import pin_hash
from sync.station.workorders import Worker
from sync.store import Outbox
from terminal.dashboard.look import contrast
from terminal.dashboard.widgets import TABS, DrillDown, WhoDialog
from terminal.qt import (
    QAbstractButton,
    QApplication,
    QBarCategoryAxis,
    QDialog,
    QFontMetrics,
    QHorizontalBarSeries,
    QLabel,
    QPoint,
    QStyle,
    Qt,
    QTableView,
    QTabWidget,
    QTimer,
    QWidget,
)
from terminal.station import texts
from tests.test_dashboard_model import NOW
from tests.test_dashboard_ui import Screen, open_screen

WIDTH, HEIGHT = 1920, 1080
TAB_KEYS = [key for key, _title in TABS]
ROSTER = [Worker("S-0001", "Chen Jie", pin_hash("S-0001", "2468"), True), Worker("E-0042", "Li Wei", "", False)]


def order(i: int, number: str, customer: str, product: str, hours_late: float, status: str = "in_progress",
          ) -> dict[str, Any]:
    promise = NOW + timedelta(days=2)
    return {"id": f"O{i}", "number": number, "customer": customer, "product": product, "quantity": 1 + i % 2,
            "placed_at": NOW.isoformat(), "status": status, "percent": 10.0 * i, "promise": promise.isoformat(),
            "eta": (promise + timedelta(hours=hours_late)).isoformat(), "late": hours_late > 0}


def wall_orders() -> dict[str, Any]:
    """A morning in the demo shop: two late orders, two at risk, one comfortably on time."""
    alerts = [
        {"id": 1, "key": "k1", "kind": "overrun", "severity": "warning", "subject": "WO-1042",
         "message": "Wheel build over standard time at st-wheel-1", "state": "raised",
         "raised_at": (NOW - timedelta(minutes=42)).isoformat(), "acknowledged_by": None,
         "data": {"work_order": "WO-1042", "op": 20, "work_centre": "WHEEL", "ratio": 1.333}},
        {"id": 2, "key": "k2", "kind": "promise_later", "severity": "critical", "subject": "K1-0042",
         "message": "Promise moved to Fri 27 Nov", "state": "raised",
         "raised_at": (NOW - timedelta(hours=3)).isoformat(), "acknowledged_by": None,
         "data": {"order_id": "o42", "was": (NOW - timedelta(days=1)).isoformat(),
                  "promise": (NOW + timedelta(days=2)).isoformat(), "reason": "QC is booked"}},
        {"id": 3, "key": "k3", "kind": "silent_station", "severity": "high", "subject": "st-paint-1",
         "message": "No heartbeat for 12 minutes", "state": "acknowledged",
         "raised_at": (NOW - timedelta(hours=1)).isoformat(), "acknowledged_by": "Chen Jie",
         "data": {"device": "st-paint-1", "last_seen": (NOW - timedelta(minutes=12)).isoformat()}},
    ]
    return {"at": NOW.isoformat(), "zone": "Asia/Shanghai",
            "orders": [order(1, "K1-0042", "Anna S.", "CARGO", 30), order(2, "K1-0051", "王*", "CITY", 5),
                       order(3, "K1-0057", "Mei L.", "CARGO", -3), order(4, "K1-0060", "Jonas B.", "TREKKING", -6),
                       order(5, "K1-0061", "Li N.", "CITY", -48)],
            "alerts": alerts,
            "load": {wc: {"today_min": 300 + 40 * i, "week_min": 1500 + 200 * i, "today_capacity_min": 480,
                          "week_capacity_min": 2400} for i, wc in enumerate(("ASSY", "PAINT", "QC", "WELD", "WHEEL"))},
            "kpis": {"oee": [{"work_centre": wc, "oee": 0.6 + i / 20} for i, wc in
                             enumerate(("ASSY", "PAINT", "QC", "WELD", "WHEEL"))],
                     "on_time_delivery": 0.86, "first_pass_yield": 0.94,
                     "history": [{"date": f"2026-11-{16 + d}", "oee": {wc: 0.5 + (d + i) / 30 for i, wc in
                                                                       enumerate(("ASSY", "PAINT", "QC", "WELD", "WHEEL"))},
                                  "on_time_delivery": 0.8 + d / 50, "first_pass_yield": 0.9} for d in range(7)],
                     "promise_margin": {"orders": 41, "needed_days": 2, "by_product": {
                         "CARGO": {"orders": 20, "declared_days": 1, "needed_days": 2},
                         "CITY": {"orders": 21, "declared_days": 1, "needed_days": 1}}}}}


def centre(code: str, station: str, ops: list[tuple[str, int, str, list[str], int]]) -> dict[str, Any]:
    return {"at": NOW.isoformat(), "work_centre": code, "operations": [
        {"order_id": "O1", "work_order": wo, "item": "WHEEL-28", "qty": 2, "op": n, "code": code, "status": status,
         "workers": workers, "elapsed_s": elapsed, "standard_s": 1800, "good": 0, "scrap": 0,
         "planned_start": NOW.isoformat(), "eta": None, "station": station if status != "queued" else ""}
        for wo, n, status, workers, elapsed in ops]}


def open_wall(qtbot: Any, tmp_path: Path, language: str) -> Screen:
    texts.use(language)
    screen = open_screen(qtbot, tmp_path)
    win = screen.win
    win.model.roster = lambda: ROSTER
    win.resize(WIDTH, HEIGHT)
    with qtbot.waitSignal(win.repainted, timeout=5000):
        screen.feed.send("dashboard/orders", "dashboard.orders", wall_orders())
    for code, station, ops in (
            ("WHEEL", "st-wheel-1", [("WO-1042", 20, "running", ["Li Wei"], 2400), ("WO-1043", 10, "queued", [], 0)]),
            ("ASSY", "st-assy-1", [("WO-1044", 30, "running", ["Zhang Min"], 900)]),
            ("PAINT", "st-paint-1", [("WO-1045", 10, "paused", ["Sun Li"], 600)]),
            ("QC", "st-qc-1", [("WO-1046", 40, "done", ["Wang Fang"], 1200)])):
        with qtbot.waitSignal(win.repainted, timeout=5000):
            screen.feed.send(f"dashboard/centre/{code}", "dashboard.centre", centre(code, station, ops))
    assert win.wait_idle()
    win.set_language(language)
    return screen


@pytest.fixture(params=["en", "zh_CN"])
def wall(request: pytest.FixtureRequest, qtbot: Any, tmp_path: Path) -> Iterator[Screen]:
    s = open_wall(qtbot, tmp_path, request.param)
    yield s
    s.win.close()
    s.feed.inbox.store.close()
    texts.use("en")


def pixel_size(widget: QWidget) -> int:
    return widget.fontInfo().pixelSize()


def clipped(root: QWidget) -> list[str]:
    """Every visible text under ``root`` that does not fit its widget: single-line labels and buttons
    measured with QFontMetrics against their width, wrapped labels by the height their text needs,
    tab titles against their tab, table cells against their column."""
    found: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) or widget.width() <= 0:
            continue
        metrics = QFontMetrics(widget.font())
        if isinstance(widget, QLabel) and widget.text():
            rich = "<" in widget.text()  # rich text: measured by the layout Qt gives it, not by characters
            if widget.wordWrap() or rich and "<br>" in widget.text():
                if widget.heightForWidth(widget.width()) > widget.height() + 1:
                    found.append(f"{widget.objectName()}: {widget.text()!r} needs "
                                 f"{widget.heightForWidth(widget.width())} px high, has {widget.height()}")
            else:
                room = widget.contentsRect().width() - 2 * widget.margin()
                needed = widget.sizeHint().width() - 2 * widget.margin() if rich else \
                    max(metrics.horizontalAdvance(line) for line in widget.text().split("\n"))
                if needed > room:
                    found.append(f"{widget.objectName()}: {widget.text()!r} needs {needed} px, has {room}")
                if metrics.height() > widget.contentsRect().height() + 1:
                    found.append(f"{widget.objectName()}: {widget.text()!r} is cut at the bottom")
        elif isinstance(widget, QAbstractButton) and widget.text():
            needed = metrics.horizontalAdvance(widget.text())
            if needed > widget.contentsRect().width() - 8:
                found.append(f"button {widget.text()!r} needs {needed} px, has {widget.width()}")
        elif isinstance(widget, QTabWidget):
            bar = widget.tabBar()
            bar_metrics = QFontMetrics(bar.font())
            for i in range(bar.count()):
                if bar_metrics.horizontalAdvance(bar.tabText(i)) > bar.tabRect(i).width():
                    found.append(f"tab {bar.tabText(i)!r}")
        elif isinstance(widget, QTableView) and widget.model() is not None:
            model = widget.model()
            # Qt elides a cell's text when it is wider than the column less the focus frame on each side
            inset = 2 * (widget.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1)
            for column in range(model.columnCount()):
                width = widget.columnWidth(column)
                header = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
                if QFontMetrics(widget.horizontalHeader().font()).horizontalAdvance(header) + 12 > width:
                    found.append(f"header {header!r} needs more than {width} px")
                for row in range(model.rowCount()):
                    text = model.index(row, column).data()
                    if isinstance(text, str) and metrics.horizontalAdvance(text) + inset > width:
                        found.append(f"cell {text!r} needs more than {width} px")
    return found


def save(screen: Screen, qtbot: Any, artifacts: Path, tab: str, language: str) -> QWidget:
    win = screen.win
    win.show_tab(tab)
    qtbot.wait(30)
    image = win.grab()
    assert (image.width(), image.height()) == (WIDTH, HEIGHT)
    image.save(str(artifacts / f"dashboard_wall_{tab}_{language}.png"))
    return win


def test_the_overview_shows_late_and_at_risk_orders_stations_and_alerts_big_enough_for_the_hall(
        wall: Screen, qtbot: Any, artifacts: Path) -> None:
    win = wall.win
    language = texts.language()
    save(wall, qtbot, artifacts, "overview", language)
    overview = win.overview
    shown = [line.number.text() for line in overview.orders.lines if line.isVisible()]
    assert shown == ["K1-0042", "K1-0051", "K1-0057", "K1-0060"]  # late (furthest first), then at risk
    assert "Anna S." in overview.orders.lines[0].who.text() and "王*" in overview.orders.lines[1].who.text()
    assert overview.late.number.text() == "2" and overview.risk.number.text() == "2"
    assert overview.open_alerts.number.text() == "3"
    stations = {line.name.text(): line for line in overview.stations.lines if line.isVisible()}
    assert set(stations) == {"st-wheel-1", "st-assy-1", "st-paint-1", "st-qc-1"}
    assert stations["st-wheel-1"].timer.text() == "40:00" and "WO-1042" in stations["st-wheel-1"].job.text()
    assert stations["st-paint-1"].state.text() == texts.tr("Paused")
    figures = [w for w in overview.findChildren(QLabel) if w.objectName() == "wallNumber" and w.isVisible()]
    words = [w for w in overview.findChildren(QLabel) if w.objectName().startswith("wall") and w.isVisible()
             and w.objectName() != "wallNumber" and w.text()]
    assert len(figures) >= 8 and words
    assert min(pixel_size(w) for w in figures) >= 48
    assert min(pixel_size(w) for w in words) >= 28
    assert not clipped(overview)
    wall.link["up"] = False  # the stale banner takes its line: the board still fits the screen
    wall.clock.now = NOW + timedelta(minutes=5)
    win.tick()
    qtbot.wait(30)
    assert win.banner.isVisible() and (win.width(), win.height()) == (WIDTH, HEIGHT)
    assert not clipped(overview)
    win.grab().save(str(artifacts / f"dashboard_wall_overview_stale_{language}.png"))


def test_no_text_is_elided_or_clipped_on_any_dashboard_screen(wall: Screen, qtbot: Any, artifacts: Path) -> None:
    win = wall.win
    language = texts.language()
    problems: dict[str, list[str]] = {}
    for tab in ("overview", "orders", "stations", "centres", "load", "alerts", "kpis"):
        save(wall, qtbot, artifacts, tab, language)
        found = clipped(win)
        if found:
            problems[tab] = found
    assert not problems, problems


def test_one_tap_opens_an_order_and_its_detail_fits_the_screen(wall: Screen, qtbot: Any, artifacts: Path) -> None:
    win = wall.win
    win.show_tab("orders")
    view = win.orders.view
    rect = view.visualRect(view.model().index(0, 0))
    assert win.drill is None
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    drill = win.drill
    assert isinstance(drill, DrillDown) and drill.isVisible(), "a single tap must open the order"
    qtbot.wait(30)
    screen = QApplication.primaryScreen().availableGeometry()
    assert drill.geometry() == win.geometry() and screen.contains(drill.geometry().topLeft())
    assert drill.tree.horizontalScrollBar().maximum() == 0, "the detail needs a sideways scroll"
    assert not clipped(drill)
    drill.grab().save(str(artifacts / f"dashboard_wall_drilldown_{texts.language()}.png"))
    drill.close()


def test_an_order_on_the_overview_opens_with_one_tap(wall: Screen, qtbot: Any) -> None:
    win = wall.win
    opened: list[str] = []
    win.overview.on_order = opened.append
    win.show_tab("overview")
    line = win.overview.orders.lines[1]
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert opened == ["O2"]


@pytest.mark.parametrize("code, name", [(labels.format(BadgeLabel("S-0001")), "Chen Jie"), ("2468", "Chen Jie"),
                                        (labels.format(BadgeLabel("E-0042")), "Li Wei")])
def test_an_alert_is_acknowledged_by_badge_or_pin_with_the_name_from_the_roster(
        qtbot: Any, tmp_path: Path, artifacts: Path, code: str, name: str) -> None:
    screen = open_wall(qtbot, tmp_path, "en")
    win = screen.win
    try:
        assert win.model.identify("1357") is None and win.model.identify("FL1:WO:WO-1:X") is None
        asked: list[WhoDialog] = []

        def drive() -> None:  # the window's own dialog, open and modal: driven as a scanner or a finger would
            dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, WhoDialog) and w.isVisible())
            asked.append(dialog)
            try:
                use(dialog)
            finally:
                if dialog.isVisible():  # a failed check must not leave the modal loop waiting forever
                    dialog.reject()

        def use(dialog: WhoDialog) -> None:
            for key in "1357":  # a wrong PIN first: refused, nothing recorded
                dialog.pad.buttons[key].click()
            dialog.check()
            assert dialog.name is None and dialog.prompt.text().startswith("Not on the roster")
            if code.isdigit():
                for key in code:
                    dialog.pad.buttons[key].click()
                dialog.grab().save(str(artifacts / "dashboard_wall_who.png"))
                dialog.findChild(QAbstractButton, "whoOk").click()
            else:  # a hand scanner types the label and presses Enter
                qtbot.keyClicks(dialog.code, code)
                qtbot.keyClick(dialog.code, Qt.Key.Key_Return)

        win.alerts.ask_name = win.ask_who  # the default: badge or PIN against the roster (not a typed name)
        QTimer.singleShot(50, drive)
        win.show_tab("alerts")
        with qtbot.waitSignal(win.repainted, timeout=5000):
            win.alerts.cards[1].acknowledge.click()
        (event,) = Outbox(screen.store).after(0, 10)
        assert event.type == "alert.acknowledged" and event.body == {"alert_id": 1, "by": name}
        assert asked and win.alerts.message.text() == f"Acknowledgement of alert 1 sent as {name}"
    finally:
        win.close()
        screen.feed.inbox.store.close()


def test_on_a_1280_desk_screen_every_tab_title_and_panel_still_fits(wall: Screen, qtbot: Any, artifacts: Path) -> None:
    """The wall board is for 1920×1080; the other tabs also serve a supervisor's 1280×800 screen."""
    win = wall.win
    win.resize(1280, 800)
    problems: dict[str, list[str]] = {}
    for tab in ("orders", "stations", "centres", "load", "alerts", "kpis"):
        win.show_tab(tab)
        qtbot.wait(30)
        bar = win.tabs.tabBar()
        last = bar.tabRect(bar.count() - 1)
        if last.right() > bar.width() or bar.width() + win.languages.width() > win.tabs.width():
            problems.setdefault(tab, []).append("the tab bar does not fit beside the language buttons")
        found = clipped(win)
        if found:
            problems.setdefault(tab, []).extend(found)
        win.grab().save(str(artifacts / f"dashboard_desk_{tab}_{texts.language()}.png"))
    assert not problems, problems


def test_on_a_1280_desk_screen_the_wall_board_shrinks_its_type_and_nothing_is_cut(wall: Screen, qtbot: Any,
                                                                                    artifacts: Path) -> None:
    """Seen at 1280×800: "Late and at-risk orde", "h 00 min late", "nning +1" (the wall's 28 px type)."""
    from terminal.dashboard.overview import SMALLEST

    win = wall.win
    win.show_tab("overview")
    board = win.overview
    assert board.factor == 1.0, "full size on the wall screen"
    win.resize(1280, 800)
    qtbot.waitUntil(lambda: board.factor < 1.0, timeout=2000)
    qtbot.wait(50)
    win.grab().save(str(artifacts / f"dashboard_desk_overview_{texts.language()}.png"))
    assert SMALLEST <= board.factor <= 0.7
    assert clipped(board) == []
    assert board.late.number.font().pixelSize() < 56 and board.late.number.font().pixelSize() >= 56 * SMALLEST
    win.resize(WIDTH, HEIGHT)
    qtbot.waitUntil(lambda: board.factor == 1.0, timeout=2000)


def test_charts_name_every_centre_whole_and_give_each_line_its_own_colour(wall: Screen, qtbot: Any) -> None:
    win = wall.win
    win.show_tab("load")
    (series,) = win.load.today.series()
    assert isinstance(series, QHorizontalBarSeries)  # centre codes on the left axis: never cut to "WE…"
    (axis,) = [a for a in win.load.today.axes() if isinstance(a, QBarCategoryAxis)]
    assert axis.categories() == ["ASSY", "PAINT", "QC", "WELD", "WHEEL"]
    assert axis.labelsFont().pixelSize() >= 20
    win.show_tab("kpis")
    lines = win.kpis.oee.series()
    assert len(lines) == 5
    colours = [line.pen().color().name() for line in lines]
    assert len(set(colours)) == len(colours), colours  # WELD and WHEEL were one colour
    assert min(contrast(c, "#ffffff") for c in colours) >= 4.5
    assert win.kpis.oee.legend().alignment() == Qt.AlignmentFlag.AlignBottom  # room for whole names
    from terminal.dashboard.model import margin_text

    assert win.kpis.figures.text().splitlines()[-1] == margin_text(2, (1,)), "the margin line, in the board's language"


def test_a_cycling_board_turns_overview_stations_alerts_and_a_touch_holds_it(wall: Screen, qtbot: Any) -> None:
    win = wall.win
    win.show_tab("kpis")
    shown = []
    for _ in range(4):
        win.next_tab()
        shown.append(TAB_KEYS[win.tabs.currentIndex()])
    assert shown == ["overview", "stations", "alerts", "overview"]
    win.start_cycle(60)
    qtbot.wait(600)
    before = win.cycle.remainingTime()
    assert before <= 59_500
    qtbot.mouseClick(win.overview.orders.lines[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert win.cycle.remainingTime() > before  # the touch started the interval again
    win.cycle.stop()


def test_a_badge_the_camera_reads_answers_who_acknowledges(qtbot: Any, tmp_path: Path, artifacts: Path) -> None:
    """setting dashboard.camera: the real capture thread and decoders read a printed badge in front of the camera."""
    import cv2

    from sync.settings import load
    from terminal.app import source_settings, start_camera
    from terminal.station.label_images import bench, label_frame

    folder = tmp_path / "frames"
    folder.mkdir()
    for i, image in enumerate([bench(1), label_frame(labels.format(BadgeLabel("S-0001")), "QRCode", 2), bench(3)]):
        cv2.imwrite(str(folder / f"{i:02d}.png"), image)
    bridge, note = start_camera(source_settings(load(environ={}), f"folder:{folder}"))
    assert bridge is not None, note
    roster = {labels.format(BadgeLabel("S-0001")): "Chen Jie"}
    dialog = WhoDialog(roster.get, camera=bridge)
    qtbot.addWidget(dialog)
    try:
        dialog.show()
        assert dialog.preview.isVisible() and "camera" in dialog.prompt.text()
        qtbot.waitUntil(lambda: dialog.name is not None or not dialog.isVisible(), timeout=20_000)
        assert dialog.name == "Chen Jie" and dialog.result() == QDialog.DialogCode.Accepted
        assert dialog.camera is None, "the camera lets go of a closed dialog"
        bridge.scanned.emit(labels.format(BadgeLabel("S-0001")))  # a later scan reaches no closed dialog
    finally:
        bridge.stop()
    plain = WhoDialog(roster.get)
    qtbot.addWidget(plain)
    assert not plain.preview.isVisibleTo(plain) and plain.prompt.text().startswith("Scan your badge")


def test_the_stations_column_shows_every_station_its_height_holds_busy_ones_first(wall: Screen, qtbot: Any,
                                                                                  artifacts: Path) -> None:
    """Seen on the live demo: six stations, the column showed five and "+ 1 more" above half a column of
    empty screen. The column shows what its height holds, counts the rest, and stations at work come first."""
    win = wall.win
    win.show_tab("overview")
    overview = win.overview
    column = overview.stations

    def shown() -> list[str]:
        return [line.name.text() for line in column.lines if line.isVisible()]

    assert len(shown()) == 4 and not column.more.isVisible()  # the four of the fixture, all of them
    assert shown()[:2] == ["st-wheel-1", "st-assy-1"] and shown()[2] == "st-paint-1"  # running, running, paused
    many = [(f"WO-2{i:03d}", 10, "done", ["Li Wei"], 600) for i in range(14)]
    with qtbot.waitSignal(win.repainted, timeout=5000):
        wall.feed.send("dashboard/centre/CUT", "dashboard.centre",
                       {**centre("CUT", "", []), "operations": [
                           {**centre("CUT", f"st-cut-{i + 1:02d}", [op])["operations"][0]} for i, op in enumerate(many)]})
    qtbot.wait(30)  # no time tick: the board repaints with the stations' new state
    names = shown()
    assert len(names) > 5, names  # more than the old fixed five: the height holds them
    assert names[:3] == ["st-wheel-1", "st-assy-1", "st-paint-1"]
    total = 4 + len(many)
    hidden = total - len(names)
    assert hidden > 0 and column.more.isVisible() and column.more.text() == texts.tr("+ {count} more").format(count=hidden)
    bottom = max(line.geometry().bottom() for line in column.lines if line.isVisible())
    assert bottom < column.more.geometry().top() <= column.contentsRect().bottom(), "every line and the count in view"
    assert not clipped(overview)
    win.grab().save(str(artifacts / f"dashboard_wall_overview_many_stations_{texts.language()}.png"))


def test_an_idle_station_counts_its_jobs_in_words_apart_from_the_outbox(wall: Screen) -> None:
    """Seen on the live demo in Chinese: the wall board said "st-assy-1 6 条待发送" ("6 waiting to be sent", the
    station status bar's outbox words) for six jobs waiting at the station."""
    from terminal.dashboard.model import StationBoard

    line = wall.win.overview.stations.lines[0]
    idle = StationBoard("st-kit-1", False, ("KIT",), {}, ())
    for language, words, outbox in (("en", "3 jobs waiting", "3 waiting"), ("zh_CN", "3 项待办", "3 条待发送")):
        texts.use(language)
        line.show_board(idle, 3)
        assert line.job.text() == words
        assert texts.tr("{count} waiting").format(count=3) == outbox  # the outbox keeps its own words
    texts.use("en")
    line.show_board(idle, 1)  # seen on the live demo: "1 jobs waiting"
    assert line.job.text() == "1 job waiting"


def test_the_board_names_a_worker_the_roster_knows_and_shows_the_badge_of_one_it_does_not(
        qtbot: Any, tmp_path: Path, artifacts: Path) -> None:
    """Seen on the live demo: Anna Berg ran an operation at st-assy-1 and the wall board read "E-0007"."""
    screen = open_wall(qtbot, tmp_path, "en")
    win = screen.win
    try:
        with qtbot.waitSignal(win.repainted, timeout=5000):
            screen.feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre(
                "WHEEL", "st-wheel-1", [("WO-1042", 20, "running", ["E-0042", "E-9999"], 2400)]))
        assert win.wait_idle()
        line = next(line for line in win.overview.stations.lines if line.name.text() == "st-wheel-1")
        assert line.who.text() == "Li Wei, E-9999"
        win.show_tab("stations")
        panel = win.stations
        panel.select("st-wheel-1")
        card = panel.cards["st-wheel-1"]
        assert "<b>Li Wei, E-9999</b>" in card.lines.text()
        operator = [h for h, _t, _c in panel.rows.columns].index("Operator")
        assert panel.rows.columns[operator][1](panel.rows.rows[0]) == "Li Wei, E-9999"
        win.grab().save(str(artifacts / "dashboard_wall_worker_names.png"))
    finally:
        win.close()
        screen.feed.inbox.store.close()


def test_an_idle_station_card_says_what_it_could_take_next_as_the_overview_does(qtbot: Any, tmp_path: Path) -> None:
    """Seen on the live demo: the overview said "st-assy-2 3 jobs waiting" while its card on the Stations tab
    said only "0 queued, nobody working here now"."""
    screen = open_wall(qtbot, tmp_path, "zh_CN")
    win = screen.win
    try:
        body = centre("WHEEL", "st-wheel-1", [("WO-1042", 20, "running", ["E-0042"], 2400),
                                              ("WO-1043", 10, "queued", [], 0), ("WO-1047", 10, "queued", [], 0)])
        with qtbot.waitSignal(win.repainted, timeout=5000):
            screen.feed.send("dashboard/centre/WHEEL", "dashboard.centre", {**body, "stations": ["st-wheel-1", "st-wheel-2"]})
        assert win.wait_idle()
        win.show_tab("stations")
        card = win.stations.cards["st-wheel-2"]
        words = texts.tr("{count} jobs waiting").format(count=2)
        assert words == "2 项待办" and words in card.lines.text()
        assert texts.tr("nobody working here now") in card.lines.text()
        line = next(line for line in win.overview.stations.lines if line.name.text() == "st-wheel-2")
        assert line.job.text() == words
    finally:
        win.close()
        screen.feed.inbox.store.close()
        texts.use("en")


def test_a_paused_station_says_why_it_stopped_on_the_overview_and_its_card(wall: Screen, qtbot: Any) -> None:
    """Seen on the live demo: st-assy-1 paused for "Material missing" and the board said only "Paused", so the
    supervisor could not tell a break from a call for parts."""
    win = wall.win
    body = centre("PAINT", "st-paint-1", [("WO-1045", 10, "paused", [], 600)])
    body["operations"][0]["pause_reason"] = "Material missing"
    with qtbot.waitSignal(win.repainted, timeout=5000):
        wall.feed.send("dashboard/centre/PAINT", "dashboard.centre", body)
    assert win.wait_idle()
    reason = texts.tr("Material missing")
    assert reason == ("缺料" if texts.language() == "zh_CN" else "Material missing")
    line = next(line for line in win.overview.stations.lines if line.name.text() == "st-paint-1")
    assert line.state.text() == texts.tr("Paused") and line.who.text() == reason and line.who.isVisible()
    win.show_tab("stations")
    win.stations.select("st-paint-1")
    assert texts.unbroken(texts.tr("paused: {reason}").format(reason=reason)) in win.stations.cards["st-paint-1"].lines.text()
    # a reason the station sent as free text reaches the rich-text card as text, never as markup
    body["operations"][0]["pause_reason"] = "<b>jam</b>"
    with qtbot.waitSignal(win.repainted, timeout=5000):
        wall.feed.send("dashboard/centre/PAINT", "dashboard.centre", body)
    assert win.wait_idle()
    assert "&lt;b&gt;jam&lt;/b&gt;" in win.stations.cards["st-paint-1"].lines.text()


def test_a_chinese_status_wraps_whole_and_its_joiners_take_no_room(qtbot: Any) -> None:
    """Seen on a 1280 Stations card: "…(33 %) 已暂" and "停" on the next line (Qt may break between any two
    ideographs). Laid out by Qt's own line breaker at a width that split it: the phrase moves down whole."""
    from PySide6.QtGui import QFont, QFontMetricsF, QTextLayout

    def lines(text: str, width: float) -> list[str]:
        layout = QTextLayout(text, QFont())
        layout.beginLayout()
        out = []
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            out.append(text[line.textStart():line.textStart() + line.textLength()])
        layout.endLayout()
        return out

    head = "10:00，标准 30:00 (33 %) "
    width = QFontMetricsF(QFont()).horizontalAdvance(head + "已暂")
    assert lines(head + "已暂停：缺料", width)[-1].startswith("停"), "the split this test guards against"
    kept = lines(head + texts.unbroken("已暂停：缺料"), width)
    assert [line.replace("\u2060", "") for line in kept] == [head, "已暂停：缺料"]
    metrics = QFontMetricsF(QFont())
    assert abs(metrics.horizontalAdvance(texts.unbroken("已暂停")) - metrics.horizontalAdvance("已暂停")) < 1
    assert texts.unbroken("paused: Material missing") == "paused: Material missing", "English breaks at spaces"
    assert texts.unbroken("") == "" and texts.unbroken("停") == "停"


EVIL = "<b style='font-size:90px;color:red'>HACKED</b>"


def test_hostile_names_and_numbers_in_the_feed_are_shown_as_written_and_never_stop_the_board(
        qtbot: Any, tmp_path: Path, artifacts: Path) -> None:
    """Review: a promise in the year 9999 or a progress of 1e12 crashed the process on every paint, also after a
    restart (the snapshot stays cached); a ratio of 10**400 blanked the alerts; markup in a customer's name was
    drawn 90 px high and red."""
    screen = open_wall(qtbot, tmp_path, "en")
    win = screen.win
    try:
        body = wall_orders()
        body["orders"][0]["customer"] = EVIL
        body["orders"][0]["promise"] = "9999-12-31T23:00:00+00:00"
        body["orders"][1]["percent"] = 1e12
        body["orders"][2]["number"] = "<u>K1-0057</u>"
        body["orders"][3]["percent"] = 100.0
        body["alerts"][0]["data"]["ratio"] = 10 ** 400
        body["alerts"][1]["subject"] = "<h1>K1-0042</h1>"
        body["alerts"][2]["data"]["last_seen"] = "9999-12-31T23:00:00+00:00"
        with qtbot.waitSignal(win.repainted, timeout=5000):
            screen.feed.send("dashboard/orders", "dashboard.orders", body)
        with qtbot.waitSignal(win.repainted, timeout=5000):
            screen.feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre(
                "WHEEL", "<i>st-evil</i>", [("<s>WO-1042</s>", 20, "running", ["<font color=red>BADGE</font>"], 2400)]))
        assert win.wait_idle()
        for tab in TAB_KEYS:
            win.show_tab(tab)
            qtbot.wait(30)
            win.grab().save(str(artifacts / f"dashboard_hostile_{tab}.png"))
        first = next(o for o in win.model.orders if o.id == "O1")
        assert first.promise is None and win.model.when(first.promise) == "—"
        assert next(o for o in win.model.orders if o.id == "O2").percent == 100
        assert sorted(win.alerts.cards) == [1, 2, 3], "every alert has its card"
        assert win.tabs.tabText(win.tab_index("alerts")).endswith("(2)")
        dialog = win.open_order("O1")
        dialog.grab()
        shown = [w for w in [*win.findChildren(QLabel), *dialog.findChildren(QLabel)] if w.isVisibleTo(w.window())]
        raw = [w.text() for w in shown if w.textFormat() != Qt.TextFormat.PlainText
               and any(tag in w.text() for tag in ("<b style", "<u>K1", "<h1>", "<i>st-evil", "<s>WO", "<font"))]
        assert raw == [], "feed text drawn as markup"
        assert any(EVIL in w.text() for w in shown), "the name is shown, as written"
        dialog.close()
    finally:
        win.close()
        screen.feed.inbox.store.close()


def test_a_long_text_far_down_the_orders_is_not_cut_when_scrolled_to(qtbot: Any, tmp_path: Path) -> None:
    """Review: columns were sized from the rows on the first screen only: scrolled down, "Maximilia…"."""
    screen = open_wall(qtbot, tmp_path, "en")
    win = screen.win
    try:
        win.resize(1280, 800)
        body = wall_orders()
        body["orders"] = [order(i, f"K1-{i:04d}", "Anna S.", "CITY", -5) for i in range(1, 60)]
        body["orders"].append(order(60, "K1-0060", "Maximiliane Wunderlich-Oberhausen", "TREKKING", -5))
        with qtbot.waitSignal(win.repainted, timeout=5000):
            screen.feed.send("dashboard/orders", "dashboard.orders", body)
        win.show_tab("orders")
        view = win.orders.view
        view.scrollToBottom()
        qtbot.wait(30)
        column = next(c for c in range(view.model().columnCount())
                      if view.model().headerData(c, Qt.Orientation.Horizontal) == "Customer")
        needed = QFontMetrics(view.font()).horizontalAdvance("Maximiliane Wunderlich-Oberhausen")
        assert view.columnWidth(column) >= needed, (view.columnWidth(column), needed)
    finally:
        win.close()
        screen.feed.inbox.store.close()
