"""``python -m kiosk.translations``: write assets/translations/kiosk_zh_CN.ts and compile the .qm.

The source strings are found in kiosk/*.py (string literals passed to ``tr`` or ``N_``); their
Chinese comes from :data:`kiosk.texts.ZH_CN`. ``pyside6-lrelease`` (installed with PySide6)
compiles the .ts to the .qm that :class:`kiosk.i18n.Languages` loads.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from kiosk.i18n import CONTEXT, TRANSLATIONS
from kiosk.texts import ZH_CN

PACKAGE = Path(__file__).resolve().parent


def source_strings(folder: Path = PACKAGE) -> list[str]:
    """Every literal passed to ``tr(...)`` or ``N_(...)`` in the kiosk package, in file order."""
    found: list[str] = []
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tr", "N_")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                if node.args[0].value not in found:
                    found.append(node.args[0].value)
    return found


def ts_document(strings: list[str], translations: dict[str, str], language: str) -> str:
    rows = []
    for text in strings:
        target = translations.get(text)
        kind = "" if target else ' type="unfinished"'
        rows.append(f"    <message>\n        <source>{escape(text)}</source>\n"
                    f"        <translation{kind}>{escape(target or '')}</translation>\n    </message>")
    body = "\n".join(rows)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1" language="{language}">\n'
            f"<context>\n    <name>{CONTEXT}</name>\n{body}\n</context>\n</TS>\n")


def lrelease() -> str | None:
    beside = Path(sys.executable).with_name("pyside6-lrelease")
    return str(beside) if beside.exists() else shutil.which("pyside6-lrelease")


def build(folder: Path = TRANSLATIONS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ts = folder / "kiosk_zh_CN.ts"
    ts.write_text(ts_document(source_strings(), ZH_CN, "zh_CN"), encoding="utf-8")
    tool = lrelease()
    if tool is None:
        raise SystemExit("pyside6-lrelease not found: install PySide6 into this Python")
    subprocess.run([tool, "-silent", str(ts), "-qm", str(folder / "kiosk_zh_CN.qm")], check=True)
    return ts


if __name__ == "__main__":
    missing = [s for s in source_strings() if s not in ZH_CN]
    print(f"wrote {build()}" + (f"; {len(missing)} strings without Chinese: {missing}" if missing else ""))
