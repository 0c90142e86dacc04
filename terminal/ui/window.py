"""The station terminal's main window: top bar, a big feedback banner and one page at a time.

The window owns no state of its own beyond which dialog page is open: it asks the session for a
fresh view on every change and every second (timers are derived from events, not counted here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.errors import FloorLinkError
from sync.ops import OpRunner, plain_message
from sync.station.pauses import PAUSE_REASONS
from sync.wrapping import whole_words
from terminal.qt import (
    QApplication,
    QCloseEvent,
    QFrame,
    QHBoxLayout,
    QImage,
    QLabel,
    QMainWindow,
    QPixmap,
    QStackedWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    ui_post,
)
from terminal.station import texts
from terminal.station.refused import RefusedEvents, RefusedItem
from terminal.station.session import Feedback, Snapshot, StationSession, snapshot
from terminal.station.status import LinkStatus
from terminal.station.texts import Msg, said
from terminal.station.worklist import work_rows
from terminal.ui.camera import CameraBridge
from terminal.ui.pages import (
    CodePage,
    CompletePage,
    LoginPage,
    OperationPage,
    ReasonPage,
    ScanPage,
    SopPage,
    SupervisorPinPage,
)
from terminal.ui.parts import TapLabel, button, label, repolish, retranslate
from terminal.ui.refused_page import RefusedPage
from terminal.ui.sounds import Speaker

log = logging.getLogger(__name__)

class StationWindow(QMainWindow):
    changed = Signal()

    def __init__(self, session: StationSession, link: Callable[[], LinkStatus], speaker: Speaker | None = None,
                 tick_ms: int = 1000, sop_folder: Path = Path(".")) -> None:
        super().__init__()
        self.sop_folder = sop_folder
        self.session = session
        self.link = link
        self.speaker = speaker or Speaker(enabled=False)
        self.mode = ""  # "", "code", "allow", "pause", "complete", "fail", "sop", "refused"
        self.refused: RefusedEvents | None = None  # set by attach_refused when a hub link runs
        self.camera: CameraBridge | None = None
        self._last_feedback: Feedback | None = session.feedback
        self.setWindowTitle(f"FloorLink station {session.station}")

        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self._top_bar())
        self.feedback = label("", "feedback")
        box.addWidget(self.feedback)
        self.stack = QStackedWidget()
        self.login_page = LoginPage()
        self.scan_page = ScanPage()
        self.code_page = CodePage()
        self.allow_page = SupervisorPinPage()
        self.op_page = OperationPage(sop_folder)
        self.pause_page = ReasonPage("Why pause?", PAUSE_REASONS, "Pause", "pause")
        self.complete_page = CompletePage()
        self.fail_page = ReasonPage("QC failed — which defect?", texts.DEFECT_CODES, "Record fail", "fail")
        self.sop_page = SopPage()
        self.refused_page = RefusedPage()
        for page in (self.login_page, self.scan_page, self.code_page, self.allow_page, self.op_page, self.pause_page, self.complete_page,
                     self.fail_page, self.sop_page, self.refused_page):
            self.stack.addWidget(page)
        box.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        # Every core call (rules + SQLite write) runs on this one thread, in order, never on the UI thread;
        # results and failures come back to the UI thread (failures logged with their traceback).
        self.ops = OpRunner(ui_post(self), lambda message, _exc: self.show_error(message),
                            name="station-core", logger=log)
        self._snapshot_pending = False
        self._snapshot_again = False
        self._snap: Snapshot | None = None
        self._status: LinkStatus | None = None
        self._refused_items: list[RefusedItem] | None = None
        self._connect()

        self._listener = self.changed.emit
        session.listeners.append(self._listener)
        self.changed.connect(self.refresh)
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start(tick_ms)
        self.refresh()

    def _top_bar(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("topbar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(20, 8, 20, 8)
        self.station_label = QLabel(f"Station {self.session.station}")
        self.station_label.setObjectName("station")
        self.worker_label = QLabel("")
        self.logout_button = button("Log out", "small")
        self.logout_button.clicked.connect(lambda: self.run(self.session.logout))
        self.network = TapLabel("")
        self.network.setObjectName("network")
        self.network.tapped.connect(self.open_refused)
        self.refused_button = button("Refused", "fail")
        self.refused_button.setVisible(False)
        self.refused_button.clicked.connect(self.open_refused)
        self.clock_label = QLabel("")
        row.addWidget(self.station_label)
        row.addStretch(1)
        row.addWidget(self.worker_label)
        row.addWidget(self.logout_button)
        row.addStretch(1)
        row.addWidget(self.refused_button)
        row.addWidget(self.network)
        row.addSpacing(24)
        row.addWidget(self.clock_label)
        return bar

    def _connect(self) -> None:
        s = self.session
        self.login_page.pin_entered.connect(lambda pin: self.run(lambda: s.login_pin(pin)))
        self.login_page.language_chosen.connect(self.set_language)
        self.scan_page.opened.connect(self.open_operation)
        self.scan_page.type_code.connect(lambda: self._open("code"))
        self.code_page.code_typed.connect(self.enter_code)
        self.code_page.cancelled.connect(lambda: self._open(""))
        self.scan_page.allow.connect(lambda: self._open("allow"))
        self.allow_page.pin_entered.connect(lambda pin: self.run(lambda: s.approve_pin(pin), self._close_unless_refused))
        self.allow_page.cancelled.connect(lambda: self._open(""))
        op = self.op_page
        op.start.connect(lambda: self.run(s.start))
        op.resume.connect(lambda: self.run(s.resume))
        op.pause.connect(lambda: self._open("pause"))
        op.complete.connect(lambda: self._open("complete"))
        op.complete_all.connect(lambda good: self.run(lambda: s.complete(str(good), "0"), self._close_if_ok))
        op.qc_pass.connect(lambda: self.run(lambda: s.record_qc(True)))
        op.qc_fail.connect(lambda: self._open("fail"))
        op.other.connect(self.other_work_order)
        op.sop.connect(lambda: self._open("sop"))
        self.sop_page.back.connect(lambda: self._open(""))
        self.pause_page.confirmed.connect(lambda reason: self.run(lambda: s.pause(reason), self._close_if_ok))
        self.pause_page.cancelled.connect(lambda: self._open(""))
        self.complete_page.confirmed.connect(
            lambda g, sc, r: self.run(lambda: s.complete(g, sc, r), self._close_if_ok))
        self.complete_page.cancelled.connect(lambda: self._open(""))
        self.fail_page.confirmed.connect(lambda defect: self.run(lambda: s.record_qc(False, defect), self._close_if_ok))
        self.fail_page.cancelled.connect(lambda: self._open(""))
        self.refused_page.back.connect(lambda: self._open(""))
        self.refused_page.send_again.connect(lambda event_id: self._settle("send_again", event_id))
        self.refused_page.set_aside.connect(lambda event_id: self._settle("set_aside", event_id))

    def set_language(self, language: str) -> None:
        """Every screen in ``language`` at once: fixed texts now, the rest (banner, rows, timer words) with the
        redraw; what was said before the switch is said again in the new language."""
        texts.use(language)
        retranslate(self)
        for code, choice in self.login_page.language_buttons.items():
            choice.setChecked(code == language)
        self.refresh()

    def attach_refused(self, refused: RefusedEvents) -> None:
        """Events the hub refused become reachable for a supervisor (tap the red status or "Refused")."""
        self.refused = refused

    def _supervisor_here(self) -> bool:
        worker = self._snap.worker if self._snap is not None else None
        return self.refused is not None and worker is not None and worker.supervisor

    def open_refused(self) -> None:
        """Open the refused events; only for a logged-in supervisor (a worker's tap does nothing)."""
        if not self._supervisor_here():
            return
        self.mode = "refused"
        self.refused_page.say("")
        self.refresh()

    def _settle(self, action: str, event_id: str) -> None:
        """Send again or set aside on the core thread, as the supervisor logged in at that moment."""
        refused, session = self.refused, self.session
        if refused is None:
            return

        def call() -> str:
            try:
                do = refused.send_again if action == "send_again" else refused.set_aside
                return do(event_id, session.worker)
            except FloorLinkError as exc:  # e.g. already handled on another tap: say so, nothing changed
                return said(exc)
        self.run(call, lambda text: self.refused_page.say(texts.local(text)))

    def attach_camera(self, bridge: CameraBridge) -> None:
        """Camera scans act like any scan; the preview shows on the login and scan pages."""
        self.camera = bridge
        bridge.scanned.connect(self.scan)
        bridge.preview.connect(self.show_preview)
        bridge.stopped.connect(self.camera_stopped)

    def camera_stopped(self, why: str) -> None:
        """The camera is gone: say so where the preview was; the hand scanner and typed codes still work."""
        for page in (self.login_page, self.scan_page):
            page.preview.clear()
            page.preview.setText(texts.local(Msg("The camera stopped.", english=texts.capitalized(why))) + "\n"
                                 + texts.tr("Use the hand scanner or type the code."))
            page.preview.setVisible(True)

    def show_preview(self, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image)
        for page in (self.login_page, self.scan_page):
            page.preview.setPixmap(pixmap)
            page.preview.setVisible(True)

    # --- actions -------------------------------------------------------------------------------------
    def scan(self, text: str) -> None:
        """A confirmed scan (camera, wedge) or a typed code: the session decides."""
        self.mode = ""
        self.run(lambda: self.session.scan(text))

    def open_operation(self, work_order: str, operation: int) -> None:
        """A tapped row of the work list: the session applies the rules of a scan of that label."""
        self.mode = ""
        self.run(lambda: self.session.open_operation(work_order, operation))

    def enter_code(self, text: str) -> None:
        """A number typed on the keypad; a refused one keeps the keypad open to type it again."""
        self.run(lambda: self.session.enter_code(text), self._close_unless_refused)

    def _close_unless_refused(self, feedback: Feedback) -> None:
        if feedback.tone.value != "error":
            self.mode = ""

    def other_work_order(self) -> None:
        self.mode = ""
        self.run(self.session.clear_selection)

    def _open(self, mode: str) -> None:
        """Open a page of the selected operation (pause reason, quantities, defect, SOP) at once."""
        self.mode = mode
        view = self._snap.view if self._snap is not None else None
        if mode == "pause":
            self.pause_page.reset()
        elif mode == "fail":
            self.fail_page.reset()
        elif mode == "code":
            self.code_page.reset()
        elif mode == "allow":
            self.allow_page.reset()
        elif mode == "sop" and view is not None and view.op.sop:
            name = texts.local(texts.Named(view.op.name, view.op.names))
            self.sop_page.show_document(f"{texts.tr('SOP')} · {view.op.number} {name}",
                                        self.sop_folder / view.op.sop)
        elif mode == "complete" and view is not None and self._snap is not None:
            started = self._snap.started if self._snap.started is not None else view.wo.quantity
            self.complete_page.reset(started, texts.tr("Complete {wo} · {op}").format(wo=view.wo.id, op=view.op.number),
                                     scrap=1 if view.state.qc_failed else 0)
        self._apply()

    def run(self, call: Callable[[], object], then: Callable[[Any], None] | None = None, *,
            snapshot: bool = False) -> None:
        """Run a session call on the core thread; ``then(result)`` afterwards on the UI thread.

        A call that raises is logged with its traceback and shown in the banner in a plain sentence."""

        def done(result: Any) -> None:
            if snapshot:
                self._snapshot_pending = False
            if then is not None:
                then(result)
            if snapshot:
                if self._snapshot_again:
                    self._snapshot_again = False
                    self.refresh()
            elif not self._snapshot_pending:
                # a snapshot still pending was queued on the (one, in-order) core thread after this call: it
                # sees the call's result already, so a second read would show the same thing
                self.refresh()

        def failed(exc: BaseException) -> None:
            if snapshot:
                self._snapshot_pending = False
            self.show_error(("Cannot read the station database: " if snapshot else "") + plain_message(exc))

        self.ops.run(call, done, failed, what="station snapshot" if snapshot else "station action")

    def show_error(self, message: str) -> None:
        """A call failed: say so in the banner (the log has the traceback)."""
        message = texts.local(Msg("Something went wrong. Ask the supervisor: the details are in the log.",
                                  english=message))
        self.feedback.setText(texts.capitalized(message))
        self.feedback.setProperty("tone", "error")
        repolish(self.feedback)

    @property
    def idle(self) -> bool:
        """No core call waiting or running (tests wait for this after a tap)."""
        return self.ops.idle

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Process events until the core thread is idle and the screen drawn (tests, screenshots)."""
        deadline = time.monotonic() + timeout
        while not self.idle:
            if time.monotonic() > deadline:
                return False
            QApplication.processEvents()
            time.sleep(0.002)
        return True

    def _close_if_ok(self, feedback: Feedback) -> None:
        if feedback.tone.value in ("ok", "warn"):  # recorded (a scrap or a QC fail is recorded too)
            self.mode = ""

    # --- drawing -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read a fresh snapshot on the core thread, then draw it (requests while one runs are merged)."""
        if self._snapshot_pending:
            self._snapshot_again = True
            return
        self._snapshot_pending = True
        session, link = self.session, self.link
        refused = self.refused if self.mode == "refused" else None
        self.run(lambda: (snapshot(session), link(), refused.items() if refused is not None else None), self._draw,
                 snapshot=True)

    def _draw(self, result: tuple[Snapshot, LinkStatus, list[RefusedItem] | None]) -> None:
        self._snap, self._status, items = result
        if items is not None:
            self._refused_items = items
        self._apply()

    def _apply(self) -> None:
        """Draw the last snapshot in the current mode (no store access here)."""
        snap = self._snap
        if snap is None:
            self.stack.setCurrentWidget(self.login_page)
            return
        fb = snap.feedback
        if fb is not self._last_feedback:
            self._last_feedback = fb
            self.speaker.play(fb.tone.value)
        refused_page = self.mode == "refused" and self._supervisor_here()
        shown = texts.local(fb.text)
        text, tone = (texts.tr(texts.REFUSED_BANNER), "info") if refused_page else (texts.capitalized(shown),
                                                                                   fb.tone.value)
        self.feedback.setText(whole_words(text))  # "CARGO-BOX-PLY" whole, not "CARGO-BOX-" over "PLY"
        if self.feedback.property("tone") != tone:
            self.feedback.setProperty("tone", tone)
            repolish(self.feedback)
        worker = snap.worker
        self.station_label.setText(texts.tr("Station {station}").format(station=self.session.station))
        self.worker_label.setText("" if worker is None else texts.tr("{name} · supervisor").format(name=worker.name)
                                   if worker.supervisor else worker.name)
        self.logout_button.setVisible(worker is not None)
        view = snap.view
        if refused_page:
            if self._refused_items is not None:
                self.refused_page.show_items(self._refused_items)
            self.stack.setCurrentWidget(self.refused_page)
        elif worker is None:
            self.mode = ""
            self.stack.setCurrentWidget(self.login_page)
        elif view is None:
            if self.mode == "code":
                self.stack.setCurrentWidget(self.code_page)
            elif self.mode == "allow" and snap.pending is not None:
                self.allow_page.show_pending(texts.local(snap.pending.reason))
                self.stack.setCurrentWidget(self.allow_page)
            else:
                self.mode = ""
                self.scan_page.allow_button.setVisible(snap.pending is not None)
                self.scan_page.show_rows(work_rows(list(snap.lines), self.session.zone, self.session.clock()))
                self.stack.setCurrentWidget(self.scan_page)
        else:
            self.op_page.show_view(view, lambda badge: snap.names.get(badge, badge), snap.started)
            page = {"pause": self.pause_page, "complete": self.complete_page, "fail": self.fail_page,
                    "sop": self.sop_page}.get(self.mode, self.op_page)
            self.stack.setCurrentWidget(page)
        if self._status is not None:
            self._show_link(self._status)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.ticker.stop()
        self.ops.close(wait=True)
        if self._listener in self.session.listeners:
            self.session.listeners.remove(self._listener)
        super().closeEvent(event)

    def tick(self) -> None:
        """Every second: the clock, the link and the running timer, all recomputed from the store."""
        self.refresh()

    def _show_link(self, status: LinkStatus) -> None:
        supervisor = self._supervisor_here()
        self.refused_button.setText(status.open_text)
        shown = status.without_refused if supervisor else status
        self.network.setText(shown.text)  # shorten the text before the button shows: the bar must not grow
        self.refused_button.setVisible(bool(status.refused) and supervisor)
        if self.network.property("tone") != shown.tone:
            self.network.setProperty("tone", shown.tone)
            repolish(self.network)
        self.clock_label.setText(self.session.clock().astimezone(self.session.zone).strftime("%H:%M"))
