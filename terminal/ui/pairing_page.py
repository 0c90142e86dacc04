"""The first-run screen: the camera preview and one sentence, until the hub's pairing code is shown."""

from __future__ import annotations

from terminal.qt import QImage, QLabel, QPixmap, Qt, QVBoxLayout, QWidget
from terminal.station import first_run, texts
from terminal.ui.parts import label


class PairingPage(QWidget):
    """Shows what the camera sees and what :class:`terminal.station.first_run.FirstRun` says."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("pairing")
        box = QVBoxLayout(self)
        box.setContentsMargins(40, 30, 40, 30)
        box.setSpacing(16)
        box.addWidget(label(first_run.TITLE, "big", wrap=False))
        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setMinimumSize(360, 240)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(self.preview, 1, Qt.AlignmentFlag.AlignCenter)
        self.sentence = label(first_run.INSTRUCTION, "value")
        box.addWidget(self.sentence)

    def show_frame(self, image: QImage) -> None:
        self.preview.setPixmap(QPixmap.fromImage(image))

    def say(self, message: str) -> None:
        self.sentence.setText(texts.local(message))
