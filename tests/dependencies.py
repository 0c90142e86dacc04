"""Which third-party modules each node's code imports, read from the source (AST), and what pyproject declares.

Shared by tests/test_dependencies.py (every import is declared in the right extra) and the slow
fresh-venv test. A node is what one machine runs: its entry points and every project module they
import, eagerly or inside a function, except the optional modules in ``OPTIONAL`` (imported only
by a command that needs an extra the node may lack, and failing there with a clear message).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("sync", "kiosk", "terminal")
LOCAL = (*PROJECT_PACKAGES, "tests", "bench")

#: what each node runs (``python -m ...``); the demo runs every app on one machine
ENTRY_POINTS: dict[str, tuple[str, ...]] = {
    "hub": ("sync.hub.__main__", "sync.hub.insights", "sync.catalog.__main__", "sync.broker.__main__",
            "sync.protocol.__main__", "sync.pin"),
    "kiosk": ("kiosk.__main__", "sync.pin"),
    "terminal": ("terminal.__main__", "terminal.decode.__main__"),
    "demo": ("sync.demo", "kiosk.__main__", "terminal.__main__", "sync.hub.__main__"),
}

#: module -> the extra it needs; other nodes do not follow imports into it (lazy, with a clear message)
OPTIONAL: dict[str, str] = {
    "sync.broker.embedded": "demo",   # rumqttd through iotcore: the demo's broker, production runs Mosquitto
    "sync.broker.compare": "dev",     # a benchmark of brokers (amqtt, iotcore, mosquitto)
}

#: packages a node must not have installed (the point of the extras)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "hub": ("PySide6", "PySide6-Essentials", "PySide6-Addons", "shiboken6", "opencv-python-headless",
            "opencv-python", "zxing-cpp", "pyzbar", "psutil", "iotcore", "statsmodels", "scipy", "pandas"),  # numpy: the demand forecast's
    "kiosk": ("PySide6-Addons", "opencv-python-headless", "opencv-python", "zxing-cpp", "pyzbar", "psutil",
              "iotcore"),
    "terminal": ("psutil", "iotcore"),
}


def module_path(name: str) -> Path | None:
    """The source file of project module ``name`` (package -> its __init__.py)."""
    base = REPO.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def imports_of(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(project modules, third-party top-level modules) that module ``name`` imports anywhere in its body."""
    path = module_path(name)
    assert path is not None, name
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    project: set[str] = set()
    third: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                root = ".".join(base + ([node.module] if node.module else []))
            else:
                root = node.module or ""
            targets = [root] + [f"{root}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            top = target.split(".")[0]
            if top in LOCAL:
                # the longest prefix that is a module: "sync.hub.core.HubCore" -> sync.hub.core
                parts = target.split(".")
                while parts and module_path(".".join(parts)) is None:
                    parts.pop()
                if parts:
                    project.add(".".join(parts))
                    for i in range(1, len(parts)):  # importing a.b.c runs a/__init__ and a/b/__init__
                        project.add(".".join(parts[:i]))
            elif top and top != "__future__" and top not in sys.stdlib_module_names:
                third.add(top)
    return frozenset(project), frozenset(third)


def reached(entry_points: Iterable[str], node: str) -> set[str]:
    """Every project module a node's entry points import, following lazy imports, not optional ones."""
    seen: set[str] = set()
    todo = list(entry_points)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name in OPTIONAL and OPTIONAL[name] != node:
            continue
        seen.add(name)
        todo.extend(imports_of(name)[0])
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
    return seen


def project_modules() -> list[str]:
    return sorted(module_name(p) for package in PROJECT_PACKAGES for p in (REPO / package).rglob("*.py"))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_name(spec: str) -> str:
    """``"PySide6>=6.8"`` -> "pyside6"; ``"floorlink[hub]"`` -> "floorlink[hub]"."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?", spec)
    assert match, spec
    return canonical(match.group(1)) + (match.group(2) or "")


def declared(extra: str | None) -> set[str]:
    """Canonical distribution names the base (``None``) or base + ``extra`` installs, self-references expanded."""
    project = pyproject()["project"]
    names = {requirement_name(s) for s in project["dependencies"]}
    todo = [extra] if extra else []
    done: set[str] = set()
    while todo:
        current = todo.pop()
        if current in done:
            continue
        done.add(current)
        for spec in project["optional-dependencies"][current]:
            name = requirement_name(spec)
            if name.startswith("floorlink["):
                todo.extend(x.strip() for x in name[len("floorlink["):-1].split(","))
            else:
                names.add(name)
    return names


@cache
def distributions_of(module: str) -> frozenset[str]:
    """Canonical names of the installed distributions that provide top-level module ``module``."""
    return frozenset(canonical(d) for d in metadata.packages_distributions().get(module, []))


def blocked_modules(node: str) -> list[str]:
    """Importable names the node's forbidden distributions provide (``PySide6.QtCharts`` for the add-ons)."""
    names: set[str] = set()
    for dist in FORBIDDEN[node]:
        try:
            files = metadata.files(dist) or []
        except metadata.PackageNotFoundError:
            continue
        for file in files:
            parts = file.parts
            if parts[0].endswith((".dist-info", ".data", "..")) or parts[0].startswith("__"):
                continue
            if dist.startswith("PySide6-") and parts[0] == "PySide6":  # shared package: only its own modules
                if len(parts) == 2 and parts[1].startswith("Qt") and parts[1].endswith(".so"):
                    names.add("PySide6." + parts[1].split(".")[0])
            elif file.suffix in (".py", ".so") or len(parts) > 1:
                top = parts[0].split(".")[0]
                if top.isidentifier():
                    names.add(top)
    if node == "hub":
        names.add("PySide6")
    return sorted(names)


#: run in a child: refuse the blocked imports, then import or run (``--help``) what the node runs
IMPORT_AS_NODE = r"""
import importlib, importlib.abc, runpy, sys
blocked, modules = sys.argv[1].split(","), sys.argv[2].split(",")

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            raise ModuleNotFoundError(f"No module named {name!r} (not on this node)", name=name)
        return None

sys.meta_path.insert(0, Refuse())
for name in modules:
    if name.endswith("__main__"):
        sys.argv = [name, "--help"]
        try:
            runpy.run_module(name.removesuffix(".__main__"), run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
    else:
        importlib.import_module(name)
print("imported", len(modules))
"""
