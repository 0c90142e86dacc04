"""UI strings: the ``N_`` marker and the Simplified Chinese translations.

Every user-visible string in kiosk/ is an English source string passed to ``tr()`` (widgets) or
marked ``N_()`` (view-models). ``python -m kiosk.translations`` writes them with the translations
below into ``assets/translations/kiosk_zh_CN.ts`` and compiles the ``.qm`` Qt loads at run time;
a test fails when a marked string has no translation.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - the gettext convention, so the string scanner finds it
    """Mark ``text`` for translation without translating it here (view-models are Qt-free)."""
    return text


ZH_CN: dict[str, str] = {}
