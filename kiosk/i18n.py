"""Switching the UI language at run time with Qt translation files (assets/translations/*.qm).

Catalog text comes in both languages from the catalog itself; UI strings are English source
strings translated through the installed ``QTranslator``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiosk.qt import QCoreApplication, QTranslator
from sync.money import SYMBOLS, money

__all__ = ["SYMBOLS", "Languages", "languages", "money", "pick", "tr", "words"]

TRANSLATIONS = Path(__file__).resolve().parent.parent / "assets" / "translations"
CONTEXT = "kiosk"


def tr(text: str) -> str:
    """The current language's version of an English UI string."""
    return QCoreApplication.translate(CONTEXT, text)


def words(language: str) -> Callable[[str], str]:
    """An English UI string in ``language``, whatever the kiosk shows now: a receipt is written off the UI
    thread in its order's language (a CI run found one in Chinese after another test left the translator
    on; a customer's Done could switch it for the next before the PDF was written). Same catalogue as the
    .qm (kiosk.texts)."""
    if language != "zh_CN":
        return lambda text: text
    from kiosk.texts import ZH_CN

    return lambda text: ZH_CN.get(text, text)


def pick(label: dict[str, str] | None, language: str) -> str:
    """A catalog label in ``language`` (English when the catalog lacks it)."""
    if not label:
        return ""
    return label.get(language) or label.get("en", "")


class Languages:
    """Owns the installed translator; ``use("zh_CN")`` or ``use("en")``.

    Translators are global to the application, so every window shares :func:`languages`.
    """

    def __init__(self, folder: Path = TRANSLATIONS) -> None:
        self.folder = folder
        self._translator: QTranslator | None = None
        self.current = "en"

    def use(self, language: str) -> bool:
        """Install ``language``; False when its .qm file is missing (English is shown then)."""
        app = QCoreApplication.instance()
        if self._translator is not None and app is not None:
            QCoreApplication.removeTranslator(self._translator)
            self._translator = None
        self.current = language
        if language == "en":
            return True
        translator = QTranslator()
        if not translator.load(str(self.folder / f"kiosk_{language}.qm")):
            return False
        QCoreApplication.installTranslator(translator)
        self._translator = translator
        return True


_SHARED: Languages | None = None


def languages() -> Languages:
    """The application's one :class:`Languages`."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Languages()
    return _SHARED


