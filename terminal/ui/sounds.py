"""Short feedback tones: one per scan outcome, generated with the stdlib ``wave`` module.

``python -m terminal.ui.sounds`` (re)writes assets/sounds/*.wav; the app plays them with
QSoundEffect when QtMultimedia is available and beeps otherwise.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from terminal.qt import QApplication, QSoundEffect, QUrl

SOUNDS = Path(__file__).resolve().parents[2] / "assets" / "sounds"
RATE = 22050

# tone -> list of (frequency Hz, milliseconds); rising = accepted, low double = refused
TONES: dict[str, list[tuple[float, int]]] = {
    "ok": [(880, 70), (1320, 110)],
    "error": [(220, 160), (0, 60), (220, 160)],
    "override": [(660, 120), (0, 40), (440, 160)],
    "warn": [(587, 140), (392, 220)],  # falling: recorded, but parts were scrapped or failed QC
    "info": [(660, 80)],
    "ask": [(523, 110), (0, 30), (784, 150)],  # rising, like a question: nothing recorded yet, tap again
}


def write_tone(path: Path, notes: list[tuple[float, int]]) -> None:
    frames = bytearray()
    for freq, ms in notes:
        count = RATE * ms // 1000
        for i in range(count):
            envelope = min(1.0, i / 200, (count - i) / 200)  # no clicks at the edges
            sample = 0.5 * envelope * math.sin(2 * math.pi * freq * i / RATE) if freq else 0.0
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


def write_all(folder: Path = SOUNDS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, notes in TONES.items():
        path = folder / f"{name}.wav"
        write_tone(path, notes)
        paths.append(path)
    return paths


class Speaker:
    """Plays the tone of a feedback; remembers what it played (tests and the status bar read it)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.played: list[str] = []
        self._effects: dict[str, object] = {}
        if QSoundEffect is not None and enabled:
            for name in TONES:
                path = SOUNDS / f"{name}.wav"
                if path.exists():
                    effect = QSoundEffect()
                    effect.setSource(QUrl.fromLocalFile(str(path)))
                    self._effects[name] = effect

    def play(self, tone: str) -> None:
        self.played.append(tone)
        if not self.enabled:
            return
        effect = self._effects.get(tone)
        if effect is not None:
            effect.play()  # type: ignore[attr-defined]
        else:
            QApplication.beep()


if __name__ == "__main__":
    for p in write_all():
        print(p)
