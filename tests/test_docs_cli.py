"""Every command-line entry point, subcommand and option is documented (docs/*.md or README.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def entry_points() -> list[str]:
    """Every ``python -m`` module of the project: packages with a ``__main__.py``."""
    found = []
    for main in sorted(REPO.glob("*/**/__main__.py")):
        rel = main.parent.relative_to(REPO)
        if rel.parts[0] in ("sync", "kiosk", "terminal"):
            found.append(".".join(rel.parts))
    return found


@cache
def docs_text() -> str:
    parts = [(REPO / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").rglob("*.md"))]
    return "\n".join(parts)


def help_of(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", *args, "--help"], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, f"python -m {' '.join(args)} --help failed:\n{result.stderr[-2000:]}"
    return result.stdout


def subcommands(help_text: str) -> list[str]:
    match = re.search(r"\{([a-z0-9_,-]+)\}", help_text)
    return match.group(1).split(",") if match else []


def options(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", help_text)) - {"--help"}


@pytest.mark.parametrize("module", entry_points())
def test_every_cli_command_and_option_is_documented(module: str) -> None:
    docs = docs_text()
    assert f"python -m {module}" in docs, f"`python -m {module}` is not documented in README.md or docs/"
    top = help_of(module)
    missing = [o for o in sorted(options(top)) if o not in docs]
    for sub in subcommands(top):
        used = re.search(rf"python -m {re.escape(module)}\b[^\n]*\s{re.escape(sub)}\b", docs)
        assert used, f"`python -m {module} {sub}` is not documented (no example line runs it)"
        missing += [f"{sub} {o}" for o in sorted(options(help_of(module, sub))) if o.split()[-1] not in docs]
    assert missing == [], f"options of python -m {module} not documented: {missing}"
