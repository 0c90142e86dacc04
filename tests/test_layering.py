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


def module_imports(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module of ``packages`` under ``root`` -> the modules of those packages it imports, at the top or
    inside a function or under ``if TYPE_CHECKING:`` alike (an import moved into a function still makes a
    cycle, and one kept for the type checker only still ties the two modules' designs together)."""
    paths: dict[str, Path] = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            paths[name.removesuffix(".__init__")] = path

    def owner(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    def walk(node: ast.AST, found: set[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.update(m for alias in child.names if (m := owner(alias.name)))
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    module = full if full in paths else owner(child.module)
                    if module:
                        found.add(module)
            walk(child, found)

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), found)
        graph[name] = found - {name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that reach each other through imports (strongly connected, more than one)."""
    order: list[str] = []
    seen: set[str] = set()
    for start in graph:  # first pass: finishing order, iteratively (no recursion limit on deep graphs)
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(sorted(graph[start])))]
        while stack:
            node, edges = stack[-1]
            nxt = next((e for e in edges if e not in seen), None)
            if nxt is None:
                order.append(node)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((nxt, iter(sorted(graph[nxt]))))
    reverse: dict[str, set[str]] = {name: set() for name in graph}
    for name, deps in graph.items():
        for dep in deps:
            reverse[dep].add(name)
    groups, placed = [], set()
    for start in reversed(order):  # second pass on the reversed graph: one group per tree
        if start in placed:
            continue
        group, todo = [], [start]
        placed.add(start)
        while todo:
            node = todo.pop()
            group.append(node)
            for other in reverse[node] - placed:
                placed.add(other)
                todo.append(other)
        if len(group) > 1:
            groups.append(sorted(group))
    return groups


def test_no_module_imports_itself_back_not_even_inside_a_function() -> None:
    assert import_cycles(module_imports(REPO, ("sync", "kiosk", "terminal"))) == []


def test_the_cycle_check_finds_a_cycle_hidden_inside_a_function_or_for_the_type_checker(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from pkg.b import thing\n", encoding="utf-8")
    (package / "b.py").write_text("def thing():\n    from pkg import a\n    return a\n", encoding="utf-8")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n",
                                  encoding="utf-8")
    (package / "d.py").write_text("import pkg.c\n", encoding="utf-8")
    assert import_cycles(module_imports(tmp_path, ("pkg",))) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
