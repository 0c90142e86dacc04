"""The kiosk window: a quiet top bar (language, sync state, staff corner) over the screen stack.

It connects the model's ``changed`` callback to the visible screen, runs disk work (placing an
order, writing the receipt PDF) on the thread pool, resets idle sessions and keeps the language.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.flow import STARTS_OVER, STILL_HERE, STILL_THERE, KioskModel, PlacedOrder, Screen
from kiosk.i18n import Languages, languages, tr
from kiosk.qt import (
    QApplication,
    QCloseEvent,
    QEvent,
    QFrame,
    QHBoxLayout,
    QMouseEvent,
    QObject,
    QResizeEvent,
    QScrollArea,
    QScroller,
    QScrollerProperties,
    QSizePolicy,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    ui_post,
)
from kiosk.screens import (
    SYNC_TEXT,
    AdminScreen,
    AttractScreen,
    DetailsScreen,
    GalleryScreen,
    OptionsScreen,
    OutOfServiceScreen,
    ReceiptScreen,
    ScreenBase,
    SummaryScreen,
)
from kiosk.widgets import button, label, restyle
from sync.errors import FloorLinkError
from sync.ops import OpRunner, plain_message

log = logging.getLogger(__name__)

SETTLE_S = 0.35
"""After a screen or page changes, taps are ignored this long. Review on the live demo: a double tap on Place
order hit Done (under it on the receipt) and the customer never saw the order number; one on Touch to start
opened the product under the finger. A person's deliberate next tap comes later than this."""
TAPS = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
        QEvent.Type.TouchBegin, QEvent.Type.TouchEnd)

SCREENS: dict[Screen, Callable[[KioskModel], ScreenBase]] = {
    Screen.ATTRACT: AttractScreen,
    Screen.GALLERY: GalleryScreen,
    Screen.OPTIONS: OptionsScreen,
    Screen.SUMMARY: SummaryScreen,
    Screen.DETAILS: DetailsScreen,
    Screen.RECEIPT: ReceiptScreen,
    Screen.OUT_OF_SERVICE: OutOfServiceScreen,
    Screen.ADMIN: AdminScreen,
}


def drag_scrolling(area: QScrollArea) -> None:
    """A finger drags the list, with momentum (QScroller); a tap on a tile inside still taps at once
    (no press delay), and the list does not overshoot past its ends."""
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    scroller = QScroller.scroller(area.viewport())
    properties = scroller.scrollerProperties()
    properties.setScrollMetric(QScrollerProperties.ScrollMetric.MousePressEventDelay, 0)
    properties.setScrollMetric(QScrollerProperties.ScrollMetric.VerticalOvershootPolicy,
                               QScrollerProperties.OvershootPolicy.OvershootAlwaysOff)
    properties.setScrollMetric(QScrollerProperties.ScrollMetric.HorizontalOvershootPolicy,
                               QScrollerProperties.OvershootPolicy.OvershootAlwaysOff)
    scroller.setScrollerProperties(properties)


class FixedStack(QStackedWidget):
    """The screens' stack, sized by the window alone. A page with wrapped text (the reason panel) makes a
    plain stack answer height-for-width, and the window's layout then took the difference from the top
    bar (64 -> 57 px on the live demo) for as long as that page showed."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False


class StillThere(QFrame):
    """ "Are you still there?" over the whole kiosk in the last seconds before an idle session is cleared. Any
    tap on it answers yes and goes no further: the tap that wakes the screen must not also choose an option."""

    def __init__(self, parent: QWidget, on_answer: Callable[[], None]) -> None:
        super().__init__(parent)
        self.setObjectName("stillThere")
        self.on_answer = on_answer
        self.cover = parent
        outer = QVBoxLayout(self)
        card = QFrame()
        card.setObjectName("stillThereCard")
        inside = QVBoxLayout(card)
        inside.setContentsMargins(48, 40, 48, 40)
        inside.setSpacing(24)
        self.title = label("", "stillThereTitle")
        self.text = label("", "stillThereText")
        self.answer = button("", on_answer, "stillHere", role="primary")
        self.answer.setMinimumHeight(96)
        for widget in (self.title, self.text):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            inside.addWidget(widget)
        inside.addWidget(self.answer)
        outer.addStretch(1)
        outer.addWidget(card, alignment=Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        card.setFixedWidth(720)
        card.setMinimumHeight(360)
        self.hide()

    def show_left(self, seconds: int) -> None:
        self.title.setText(tr(STILL_THERE))
        self.text.setText(tr(STARTS_OVER).format(seconds=seconds))
        self.answer.setText(tr(STILL_HERE))
        if self.isHidden():
            self.setGeometry(self.cover.rect())
            self.show()
        self.raise_()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        event.accept()
        self.on_answer()


class KioskWindow(QWidget):
    """The whole kiosk UI for one model."""

    changed = Signal()

    def __init__(self, model: KioskModel, *, receipts: Path, shared: Languages | None = None,
                 printer: str = "") -> None:
        super().__init__()
        self.setObjectName("kiosk")
        self.model = model
        self.receipts = receipts
        self.printer = printer
        """System printer queue receipts also go to (setting kiosk.printer); empty: PDF only."""
        self.languages = shared or languages()
        self.languages.use(model.language)
        self.ops = OpRunner(ui_post(self), lambda message, _exc: model.background_failed(message),
                            name="kiosk-ops", workers=2, logger=log)
        """Disk and database work off the UI thread; a failure is logged and told on screen."""
        self._pinyin_ready = False
        self._place: tuple[object, ...] = ()
        """Session, screen and step last drawn: scroll positions go back to the top when it changes."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        bar = QFrame()
        bar.setObjectName("topbar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(16, 4, 16, 4)
        self.staff = button("", model.open_admin, "staffCorner", role="hidden")
        self.sync = label("", "syncState", wrap=False)
        self.language = button("", model.toggle_language, "languageButton", role="quiet")
        row.addWidget(self.staff)
        row.addStretch(1)
        row.addWidget(self.sync)
        row.addWidget(self.language)
        layout.addWidget(bar)

        self.stack = FixedStack()
        # the window is the display (1280x800): a screen's wrapped text must not grow it past the glass
        # (each screen's own fit is tested), so the stack's height follows the window, not its pages' hints
        self.stack.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.screens: dict[Screen, ScreenBase] = {}
        """Screens built so far: each is built the first time it shows (faster first screen)."""
        layout.addWidget(self.stack, 1)

        self.still_there = StillThere(self, model.still_here)
        self.idle = QTimer(self)
        self.idle.setInterval(1000)
        self.idle.timeout.connect(model.tick)
        self.idle.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.settle_s = SETTLE_S
        """How long taps are ignored after a screen change (0 for a script that taps faster than a person)."""
        self._settled_at = 0.0
        """Taps before this (time.monotonic) are ignored: the screen or page changed a moment ago."""
        model.subscribe(self.refresh)
        self.refresh()

    # --- drawing ---------------------------------------------------------------------------------------
    def screen_for(self, which: Screen) -> ScreenBase:
        if which not in self.screens:
            made = SCREENS[which](self.model)
            if isinstance(made, DetailsScreen):
                made.on_place = self.place_order
            if isinstance(made, ReceiptScreen):
                made.on_print = self.print_receipt
            self.screens[which] = made
            self.stack.addWidget(made)
            for area in made.findChildren(QScrollArea):
                drag_scrolling(area)
        return self.screens[which]

    def refresh(self) -> None:
        model = self.model
        if self.languages.current != model.language:
            self.languages.use(model.language)
        screen = self.screen_for(model.screen)
        receipt = self.screens.get(Screen.RECEIPT)
        if model.screen != Screen.RECEIPT and isinstance(receipt, ReceiptScreen):
            receipt.printed_path, receipt.print_problem, receipt.save_problem = "", None, None
            receipt.printed_story, receipt.printed_number = None, ""
        if model.input_mode == "pinyin" and not self._pinyin_ready:  # build the candidate index off the UI thread
            from kiosk.pinyin import shared_index

            self._pinyin_ready = True
            self.ops.run(shared_index, what="pinyin index")
        if model.status_wanted:  # the staff panel's read touches the database: off the UI thread
            self.ops.run(model.status_reader(), model.set_status, what="staff panel read")
        screen.refresh()
        place = (model.session_id, model.screen, model.at)
        if place != self._place:  # a new customer or another step: every list starts at its top
            self._place = place
            self._settled_at = time.monotonic() + self.settle_s
            for area in screen.findChildren(QScrollArea):
                QScroller.scroller(area.viewport()).stop()
                area.verticalScrollBar().setValue(0)
        self.stack.setCurrentWidget(screen)
        left = model.idle_left()
        if left is None:
            self.still_there.hide()
        else:
            self.still_there.show_left(left)
        self.language.setText("中文" if model.language == "en" else "English")
        self.sync.setText(tr(SYNC_TEXT.get(model.sync_state, SYNC_TEXT["local"])) +
                          (f" · {model.sync_pending}" if model.sync_pending else ""))
        self.sync.setProperty("state", model.sync_state)
        restyle(self.sync)
        self.staff.setText("")
        if model.exit_requested:
            self.close()
        self.changed.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.still_there.setGeometry(self.rect())

    # --- touches reset the idle clock --------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in TAPS and time.monotonic() < self._settled_at:
            return True  # the second tap of a double tap, landing on the screen the first one opened
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress):
            self.model.touch()
        return False

    # --- work off the UI thread ----------------------------------------------------------------------------
    def place_order(self) -> None:
        order = self.model.begin_order()
        if order is None:
            return
        self.ops.run(lambda: self.model.save_order(order),
                     lambda saved: self.model.finish_order(*saved),
                     lambda exc: self.model.finish_order(order, plain_message(exc)), what="saving an order")

    def print_receipt(self) -> None:
        order: PlacedOrder | None = self.model.order
        if order is None:
            return
        from kiosk.receipt import print_receipt, write_pdf

        language = self.model.language
        path = self.receipts / f"receipt-{order.number}.pdf"
        printer = self.printer
        story = self.model.date_story()  # one date on paper: the hub's, once it answered

        def work() -> tuple[Path, str | None]:
            write_pdf(order, language, path, story)
            if printer:
                try:
                    print_receipt(order, language, printer, story)
                except FloorLinkError as exc:  # the log and the staff panel get the detail
                    return path, f"receipt {order.number} not printed (saved as {path}): {exc}"
            return path, None

        def show(path: str, print_problem: str | None, save_problem: str | None) -> None:
            receipt = self.screen_for(Screen.RECEIPT)
            assert isinstance(receipt, ReceiptScreen)
            receipt.printed_path, receipt.print_problem, receipt.save_problem = path, print_problem, save_problem
            if print_problem or save_problem:
                self.model.note_for_staff(print_problem or f"receipt {order.number} not saved: {save_problem}")
            receipt.printed_story = story
            receipt.printed_number = order.number
            receipt.printer = printer
            self.refresh()

        self.ops.run(work, lambda result: show(str(result[0]), result[1], None),
                     lambda exc: show("", None, plain_message(exc)), what=f"receipt {order.number}")

    def busy(self) -> bool:
        return not self.ops.idle

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.idle.stop()
        self.ops.close(wait=True)
        super().closeEvent(event)
