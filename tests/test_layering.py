"""The core stays free of Qt and of the apps; the apps never import each other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def imported_top_level_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (REPO / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = names
    return found


def test_sync_imports_no_qt_kiosk_or_terminal() -> None:
    forbidden = {"PySide6", "PyQt5", "PyQt6", "shiboken6", "kiosk", "terminal"}
    offenders = {f: n & forbidden for f, n in imported_top_level_modules("sync").items() if n & forbidden}
    assert offenders == {}


def test_kiosk_and_terminal_do_not_import_each_other() -> None:
    kiosk = {f: n for f, n in imported_top_level_modules("kiosk").items() if "terminal" in n}
    terminal = {f: n for f, n in imported_top_level_modules("terminal").items() if "kiosk" in n}
    assert kiosk == {} and terminal == {}


def test_importing_every_sync_module_loads_no_pyside6() -> None:
    code = (
        "import importlib, pkgutil, sys, sync\n"
        "for m in pkgutil.walk_packages(sync.__path__, 'sync.'):\n"
        "    if m.name.endswith('__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6', 'kiosk', 'terminal'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
