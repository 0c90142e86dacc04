"""Every third-party import is declared in the extra of each node that runs it; no node needs another's packages.

A hub box gets no Qt and no OpenCV, a kiosk no OpenCV and no decoders, and psutil stays with the
benchmarks. The slow test installs each extra alone into a fresh venv (issue 15 item 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests import dependencies as deps

NODES = ("hub", "kiosk", "terminal")


def test_each_node_declares_every_package_its_modules_import() -> None:
    missing: dict[str, list[str]] = {}
    for node, entry_points in deps.ENTRY_POINTS.items():
        have = deps.declared(node)
        for module in sorted(deps.reached(entry_points, node)):
            for third in sorted(deps.imports_of(module)[1]):
                if not deps.distributions_of(third) & have:
                    missing.setdefault(node, []).append(f"{module} imports {third} "
                                                         f"({', '.join(deps.distributions_of(third)) or 'not installed'})")
    assert missing == {}, json.dumps(missing, indent=1)


def test_code_no_node_runs_declares_its_packages_in_dev() -> None:
    """Benchmarks, tests, optional commands: everything they import is in floorlink[dev]."""
    run_by_nodes = set().union(*(deps.reached(e, n) for n, e in deps.ENTRY_POINTS.items()))
    others = [m for m in deps.project_modules() if m not in run_by_nodes]
    others += sorted(deps.module_name(p) for folder in ("tests", "bench") for p in (deps.REPO / folder).rglob("*.py"))
    assert "sync.broker.compare" in others
    have = deps.declared("dev")
    missing = [f"{m} imports {t}" for m in others for t in sorted(deps.imports_of(m)[1])
               if not deps.distributions_of(t) & have]
    assert missing == []


def test_no_node_declares_what_it_must_not_install() -> None:
    extra = {node: sorted(deps.declared(node) & {deps.canonical(d) for d in deps.FORBIDDEN[node]}) for node in NODES}
    assert extra == {node: [] for node in NODES}
    assert "psutil" in deps.declared("dev")
    assert deps.declared("demo") >= deps.declared("hub") | deps.declared("kiosk") | deps.declared("terminal")
    assert deps.declared("dev") >= deps.declared("demo")


@pytest.mark.parametrize("node", NODES)
def test_a_node_runs_without_the_packages_it_does_not_have(node: str) -> None:
    """Every module the node reaches imports, and its commands answer --help, with the other nodes' packages refused."""
    blocked = deps.blocked_modules(node)
    assert blocked, f"nothing to refuse for {node}: are the forbidden packages installed in this venv?"
    modules = sorted(m for m in deps.reached(deps.ENTRY_POINTS[node], node) if not m.endswith("__main__"))
    modules += [m for m in deps.ENTRY_POINTS[node] if m.endswith("__main__")]
    env = {**os.environ, "PYTHONPATH": str(deps.REPO), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", deps.IMPORT_AS_NODE, ",".join(blocked), ",".join(modules)],
                            cwd=deps.REPO, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(modules)}" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("node", NODES)
def test_each_extra_installs_alone_into_a_fresh_venv(node: str, tmp_path: Path) -> None:
    """pip (this machine's index and wheel folder, as .venv was made) installs floorlink[node]; its commands run."""
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", f"{deps.REPO}[{node}]"],
                             capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-3000:]
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"], capture_output=True,
                            text=True, check=True).stdout
    installed = {deps.canonical(p["name"]) for p in json.loads(listed)}
    assert installed & {deps.canonical(d) for d in deps.FORBIDDEN[node]} == set()
    # run from outside the checkout, so the installed package is what imports
    modules = [m for m in deps.ENTRY_POINTS[node]]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([str(python), "-c", deps.IMPORT_AS_NODE, "", ",".join(modules)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(modules)}" in result.stdout
