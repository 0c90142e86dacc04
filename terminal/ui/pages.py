"""The terminal's pages. Each one only draws an :class:`OperationView` and forwards taps."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

from terminal.qt import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)
from terminal.station import texts
from terminal.station.look import timer_caption
from terminal.station.session import OperationView
from terminal.station.sop import sop_title
from terminal.station.texts import Named
from terminal.station.worklist import WorkRow
from terminal.ui.keypad import CODE_CLEAR, CODE_KEYS, Keypad, PinPad
from terminal.ui.parts import Choices, Field, Panel, button, label, repolish
from terminal.ui.worklist import WorkList

log = logging.getLogger(__name__)


class LoginPage(QWidget):
    pin_entered = Signal(str)
    language_chosen = Signal(str)  # "en" or "zh_CN", from the buttons above the PIN

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(40, 8, 40, 8)
        row.setSpacing(40)
        left = QVBoxLayout()
        left.addStretch(1)
        left.addWidget(label("Scan your badge", "prompt"))
        left.addWidget(label("Hold it in front of the camera or use the hand scanner.\nOr type your PIN.", "hint"))
        self.preview = label("", "preview", wrap=False)
        self.preview.setVisible(False)
        left.addWidget(self.preview)
        left.addStretch(2)
        row.addLayout(left, 3)
        right = QVBoxLayout()
        languages = QHBoxLayout()
        self.language_buttons: dict[str, QPushButton] = {}
        for code, name in texts.LANGUAGE_NAMES.items():  # each written in its own language: never translated
            choice = QPushButton(name)
            choice.setObjectName("language")
            choice.setCheckable(True)
            choice.setChecked(code == texts.language())
            choice.clicked.connect(lambda _=False, c=code: self.language_chosen.emit(c))
            languages.addWidget(choice)
            self.language_buttons[code] = choice
        right.addLayout(languages)
        pad = PinPad("Log in")
        pad.entered.connect(self.pin_entered.emit)
        self.pin, self.keypad, self.ok = pad.pin, pad.keypad, pad.ok
        right.addWidget(pad)
        row.addLayout(right, 2)


class ScanPage(QWidget):
    """Scan a traveler, tap a row of the work routed here, or open the keypad to type the number."""

    opened = Signal(str, int)  # a tapped row: work order, operation
    type_code = Signal()
    allow = Signal()  # the supervisor's PIN page, while a refusal waits

    def __init__(self) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(30, 16, 30, 16)
        box.setSpacing(12)
        top = QHBoxLayout()
        prompts = QVBoxLayout()
        self.prompt = label("Scan a work order or tap it below", "prompt")
        self.hint = label("Camera or hand scanner. No scanner? Type the number from the traveler.", "hint")
        prompts.addWidget(self.prompt)
        prompts.addWidget(self.hint)
        top.addLayout(prompts, 1)
        self.preview = label("", "preview", wrap=False)
        self.preview.setVisible(False)
        top.addWidget(self.preview)
        actions = QVBoxLayout()  # one column: the prompt keeps its width when the second button shows
        self.type_button = button("Type a number", "complete")
        self.type_button.clicked.connect(self.type_code.emit)
        actions.addWidget(self.type_button)
        self.allow_button = button("Supervisor PIN", "pause")  # only while a refusal waits for a supervisor
        self.allow_button.clicked.connect(self.allow.emit)
        self.allow_button.setVisible(False)
        actions.addWidget(self.allow_button)
        actions.addStretch(1)
        top.addLayout(actions)
        box.addLayout(top)
        self.caption = label("Work at this station", "caption")
        box.addWidget(self.caption)
        self.work_list = WorkList()
        self.work_list.opened.connect(self.opened.emit)
        box.addWidget(self.work_list, 1)

    def show_rows(self, rows: list[WorkRow]) -> None:
        self.work_list.show_rows(rows, texts.tr("No work routed here yet. Scan the traveler or type its number."))


class SupervisorPinPage(QWidget):
    """A refused selection a supervisor may allow: their PIN, masked, on the big keypad (a badge scan allows it
    from any page)."""

    pin_entered = Signal(str)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(40, 16, 40, 16)
        row.setSpacing(40)
        left = QVBoxLayout()
        left.addWidget(label("Supervisor PIN", "prompt"))
        self.what = label("", "value")  # what waits to be allowed, e.g. "operation 20 … waits for operation 10"
        left.addWidget(self.what)
        left.addWidget(label("A supervisor allows it with their PIN or badge.", "hint"))
        left.addStretch(1)
        self.cancel = button("Cancel")
        self.cancel.clicked.connect(self.cancelled.emit)
        left.addWidget(self.cancel)
        row.addLayout(left, 3)
        pad = PinPad("Allow")
        pad.entered.connect(self.pin_entered.emit)
        self.pin, self.keypad, self.ok = pad.pin, pad.keypad, pad.ok
        row.addWidget(pad, 2)

    def reset(self) -> None:
        self.pin.clear()
        self.pin.setFocus()

    def show_pending(self, what: str) -> None:
        self.what.setText(texts.capitalized(what))


class CodePage(QWidget):
    """A work-order number on big letter and digit keys (no keyboard, gloves on), or a whole label."""

    code_typed = Signal(str)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(30, 12, 30, 12)
        box.setSpacing(10)
        row = QHBoxLayout()
        self.prompt = label("Work-order number", "value", wrap=False)
        row.addWidget(self.prompt)
        self.code = QLineEdit()
        self.code.setPlaceholderText("WO-1001")
        self.code.returnPressed.connect(self._submit)
        row.addWidget(self.code, 1)
        box.addLayout(row)
        self.keypad = Keypad(self.code, keys=CODE_KEYS, columns=10, name="codekey", clear=CODE_CLEAR)
        box.addWidget(self.keypad, 1)
        buttons = QHBoxLayout()
        self.cancel = button("Cancel")
        self.cancel.clicked.connect(self.cancelled.emit)
        self.ok = button("Open", "complete")
        self.ok.clicked.connect(self._submit)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.ok)
        box.addLayout(buttons)

    def reset(self) -> None:
        self.code.clear()
        self.code.setFocus()

    def _submit(self) -> None:
        text = self.code.text().strip()
        self.code.clear()
        if text:
            self.code_typed.emit(text)


def configuration_table(pairs: list[tuple[str, str]], columns: int = 2) -> str:
    """The build's choices as rich text, ``columns`` "Attribute: **value**" cells a row (escaped: names come
    from the catalog)."""
    if not pairs:
        return "—"
    cells = [f"{html.escape(name)}: <b>{html.escape(value)}</b>" for name, value in pairs]
    rows = ["".join(f'<td width="{100 // columns}%" style="padding-right:12px">{cell}</td>'
                    for cell in cells[i:i + columns]) for i in range(0, len(cells), columns)]
    return '<table width="100%" cellspacing="0" cellpadding="1">' + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


class OperationPage(QWidget):
    start = Signal()
    pause = Signal()
    resume = Signal()
    complete = Signal()
    qc_pass = Signal()
    qc_fail = Signal()
    other = Signal()
    sop = Signal()
    complete_all = Signal(int)  # good quantity: everything that reached the operation, no scrap

    def __init__(self, sop_folder: Path = Path(".")) -> None:
        super().__init__()
        self.sop_folder = sop_folder
        self.all_good: int | None = None  # what the one-tap Complete records as good
        self.names: Callable[[str], str] = str
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 12, 16, 12)
        row.setSpacing(16)
        info = Panel()
        self.work_order = Field("Work order")
        self.product = Field("Product")
        self.configuration = Field("Configuration", "detail")
        self.operation = Field("Operation", "big")
        self.standard = Field("Standard time")
        self.sop_field = Field("SOP document", "detail")
        self.materials = Field("Materials", "detail")
        # what this operation needs first (time, SOP, parts); a whole bike's configuration (seventeen choices
        # for a cargo bike) last and in two columns: above, it pushed the materials out of view
        for f in (self.work_order, self.product, self.operation, self.standard, self.sop_field, self.materials,
                  self.configuration):
            info.box.addWidget(f)
        info.box.addStretch(1)
        # a whole bike's assembly lists thirty materials: they scroll here instead of growing the window past
        # the screen (which pushed Complete and Other work order out of reach)
        self.info_scroll = QScrollArea()
        self.info_scroll.setObjectName("opinfo")
        self.info_scroll.setWidgetResizable(True)
        self.info_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.info_scroll.setWidget(info)
        # a gloved finger drags the column to the configuration below (the scrollbar is no target)
        QScroller.grabGesture(self.info_scroll.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        row.addWidget(self.info_scroll, 5)

        side = QVBoxLayout()
        side.setSpacing(10)
        self.timer_block = QFrame()
        self.timer_block.setObjectName("timerblock")
        self.timer_block.setProperty("look", "queued")
        block = QVBoxLayout(self.timer_block)
        block.setContentsMargins(12, 6, 12, 4)
        block.setSpacing(0)
        self.timer_caption = label("", "timercaption", wrap=False)
        self.timer_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # the words never widen the column (the buttons below keep their place); a long one is cut, not the layout
        self.timer_caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.timer = label("0:00:00", "timer", wrap=False)
        self.timer.setProperty("colour", "queued")
        self.timer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        block.addWidget(self.timer_caption)
        block.addWidget(self.timer)
        side.addWidget(self.timer_block)
        self.status = label("", "status")
        side.addWidget(self.status)
        self.workers = label("", "detail")
        side.addWidget(self.workers)
        grid = QHBoxLayout()
        self.start_button = button("Start", "start")
        self.pause_button = button("Pause", "pause")
        self.resume_button = button("Resume", "resume")
        for b, sig in ((self.start_button, self.start), (self.pause_button, self.pause),
                       (self.resume_button, self.resume)):
            b.clicked.connect(sig.emit)
            grid.addWidget(b)
        side.addLayout(grid)
        # one tap records what reached the operation as good (the usual case); scrap or a smaller
        # count goes through the quantities page
        self.complete_button = button("Complete", "complete")
        self.complete_button.clicked.connect(self._complete_tapped)
        self.count_button = button("Scrap / count", "count")
        self.count_button.clicked.connect(self.complete.emit)
        finish = QHBoxLayout()
        finish.addWidget(self.complete_button, 2)
        finish.addWidget(self.count_button, 1)
        side.addLayout(finish)
        qc_row = QHBoxLayout()
        self.pass_button = button("QC pass", "pass")
        self.fail_button = button("QC fail", "fail")
        self.pass_button.clicked.connect(self.qc_pass.emit)
        self.fail_button.clicked.connect(self.qc_fail.emit)
        qc_row.addWidget(self.pass_button)
        qc_row.addWidget(self.fail_button)
        side.addLayout(qc_row)
        side.addStretch(1)
        bottom = QHBoxLayout()
        self.sop_button = button("SOP", "small")
        self.sop_button.clicked.connect(self.sop.emit)
        self.other_button = button("Other work order", "small")
        self.other_button.clicked.connect(self.other.emit)
        bottom.addWidget(self.sop_button)
        bottom.addWidget(self.other_button, 1)
        side.addLayout(bottom)
        row.addLayout(side, 4)

    def _complete_tapped(self) -> None:
        if self.all_good:
            self.complete_all.emit(self.all_good)
        else:  # nothing known to have reached it: the worker types the count
            self.complete.emit()

    def show_view(self, view: OperationView, names: Callable[[str], str] = str, started: int | None = None) -> None:
        wo, op, state = view.wo, view.op, view.state
        order = wo.order_number or wo.order_id  # the number the customer's receipt says
        self.work_order.set(f"{wo.id}" + ("  ·  " + texts.tr("order {order}").format(order=order) if order else "")
                            + ("  ·  " + texts.tr("DEMO") if wo.demo else ""))
        self.product.set(f"{texts.local(Named(wo.product, wo.product_names))}  ×{wo.quantity}")
        self.configuration.set(configuration_table(
            [(texts.local(Named(k, wo.attribute_names.get(k))), texts.local(Named(v, wo.option_names.get(k))))
             for k, v in wo.configuration]))
        self.operation.set(f"{op.number}  {texts.local(Named(op.name, op.names))}"
                           + ("  ·  " + texts.tr("QC") if op.qc else ""))
        self.standard.set(texts.minutes(state.standard_seconds) + "   " + texts.tr(
            "(setup {setup} + {run} × {quantity} min)").format(setup=f"{op.setup_minutes:g}", run=f"{op.run_minutes:g}",
                                                                quantity=wo.quantity))
        self.sop_field.set(sop_title(self.sop_folder, op.sop or ""))
        self.sop_button.setEnabled(bool(op.sop))
        self.materials.set("\n".join(f"{m.quantity:g} {texts.tr(m.unit)}  {m.item}  {texts.local(Named(m.description, m.names))}"
                                     for m in wo.materials)
                           or "—")
        self.names = names
        self.show_timer(view)
        self.start_button.setEnabled(view.can_start)
        self.pause_button.setEnabled(view.can_pause)
        self.resume_button.setEnabled(view.can_resume)
        reached = started if started and started > 0 else None
        # after a failed check "all good" would book the failed parts good: the count opens instead
        self.all_good = reached if view.can_complete and not state.qc_failed else None
        # a recorded completion says so; a disabled button offering "1 good" read as work still to do
        self.complete_button.setText(texts.tr("Completed") if state.good is not None
                                     else texts.tr("Complete · {good} good").format(good=self.all_good) if self.all_good
                                     else texts.tr("Complete"))
        self.complete_button.setEnabled(view.can_complete)
        self.count_button.setEnabled(view.can_complete)
        self.count_button.setVisible(reached is not None)  # otherwise Complete opens the count itself
        self.pass_button.setVisible(op.qc)
        self.fail_button.setVisible(op.qc)
        self.pass_button.setEnabled(view.can_record_qc)
        self.fail_button.setEnabled(view.can_record_qc)

    def show_timer(self, view: OperationView) -> None:
        """The timer block's colour and words follow the state: see terminal.station.look."""
        state, look = view.state, view.look
        self.timer.setText(texts.duration(state.elapsed_seconds))
        self.timer_caption.setText(timer_caption(state, look))
        if self.timer.property("colour") != look.value:
            for part in (self.timer_block, self.timer_caption, self.timer):
                part.setProperty("look", look.value)
            self.timer.setProperty("colour", look.value)
            for part in (self.timer_block, self.timer_caption, self.timer):
                repolish(part)
        lines = []
        if state.pause_reason:
            lines.append(texts.tr("Paused: {reason}").format(reason=texts.tr(state.pause_reason)))
        if state.good is not None:
            lines.append(texts.tr("Good {good}  ·  scrap {scrap}").format(good=state.good, scrap=state.scrap or 0)
                         + (f" ({texts.tr(state.scrap_reason)})" if state.scrap_reason else ""))
        if state.qc is not None:
            lines.append(texts.tr("QC passed") if state.qc.passed
                         else texts.tr("QC failed: {defect}").format(defect=texts.tr(state.qc.defect or "")))
        self.status.setText("\n".join(lines))
        self.status.setVisible(bool(lines))
        names = ", ".join(self.names(w) for w in state.workers) or texts.tr("nobody")
        extra = "\n" + texts.tr("Allowed by {name}").format(name=self.names(view.override_by)) if view.override_by else ""
        self.workers.setText(texts.tr("On it: {names}").format(names=names) + extra)


class ReasonPage(QWidget):
    """Pick one reason from big buttons, then confirm (pause reason, QC defect code)."""

    confirmed = Signal(str)
    cancelled = Signal()

    def __init__(self, prompt: str, options: tuple[str, ...], confirm_text: str, confirm_name: str) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(40, 24, 40, 24)
        box.setSpacing(16)
        box.addWidget(label(prompt, "prompt"))
        self.choices = Choices(options)
        box.addWidget(self.choices)
        box.addStretch(1)
        row = QHBoxLayout()
        cancel = button("Cancel")
        cancel.clicked.connect(self.cancelled.emit)
        self.ok = button(confirm_text, confirm_name)
        self.ok.clicked.connect(lambda: self.confirmed.emit(self.choices.chosen))
        row.addWidget(cancel)
        row.addWidget(self.ok)
        box.addLayout(row)

    def reset(self) -> None:
        self.choices.clear()


class CompletePage(QWidget):
    """Good and scrap quantities on a big keypad, and a scrap reason when there is scrap."""

    confirmed = Signal(str, str, str)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(30, 12, 30, 12)
        row.setSpacing(30)
        left = QVBoxLayout()
        self.title = label("Complete", "big", wrap=False)
        left.addWidget(self.title)
        fields = QHBoxLayout()
        self.good = QLineEdit()
        self.scrap = QLineEdit()
        self.good_button = button("Good", "choice")
        self.scrap_button = button("Scrap", "choice")
        for b, edit in ((self.good_button, self.good), (self.scrap_button, self.scrap)):
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, e=edit: self.target(e))
            edit.setMaximumWidth(140)
            fields.addWidget(b)
            fields.addWidget(edit)
        left.addLayout(fields)
        left.addWidget(label("Scrap reason (when there is scrap)", "caption"))
        self.reasons = Choices(texts.SCRAP_REASONS, columns=2)
        left.addWidget(self.reasons)
        left.addStretch(1)
        buttons = QHBoxLayout()
        cancel = button("Cancel")
        cancel.clicked.connect(self.cancelled.emit)
        self.ok = button("Complete", "complete")
        self.ok.clicked.connect(
            lambda: self.confirmed.emit(self.good.text(), self.scrap.text(), self.reasons.chosen))
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        left.addLayout(buttons)
        row.addLayout(left, 3)
        self.keypad = Keypad(self.good)
        row.addWidget(self.keypad, 2)

    def target(self, edit: QLineEdit) -> None:
        self.keypad.target = edit
        self.good_button.setChecked(edit is self.good)
        self.scrap_button.setChecked(edit is self.scrap)

    def reset(self, started: int, title: str, scrap: int = 0) -> None:
        """Counts preset for the usual case: all good, or ``scrap`` of them scrapped (after a failed QC check)."""
        scrap = min(scrap, started)
        self.title.setText(title)
        self.title.setToolTip(title)
        self.good.setText(str(started - scrap))
        self.scrap.setText(str(scrap))
        self.reasons.clear()
        self.target(self.good)


class SopPage(QWidget):
    """The operation's SOP document (Markdown from the catalog), big and scrollable."""

    back = Signal()

    def __init__(self) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(30, 12, 30, 12)
        self.title = label("", "big", wrap=False)
        box.addWidget(self.title)
        self.text = QTextBrowser()
        self.text.setObjectName("sop")
        box.addWidget(self.text, 1)
        self.close_button = button("Back to the operation", "complete")
        self.close_button.clicked.connect(self.back.emit)
        box.addWidget(self.close_button)

    def show_document(self, title: str, path: Path) -> None:
        self.title.setText(title)
        try:
            self.text.setMarkdown(path.read_text(encoding="utf-8"))
        except OSError as exc:
            log.warning("SOP document %s cannot be opened: %s", path, exc)
            self.text.setPlainText(texts.tr("The SOP document cannot be opened. Ask the supervisor for the printed SOP."))
