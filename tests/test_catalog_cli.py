"""The ``python -m sync.catalog`` commands: check, explore (catalog and Renault), the revision workflow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sync.catalog.cli import main

REPO = Path(__file__).resolve().parent.parent
SMALL = REPO / "tests" / "catalogs" / "small"


def test_check_small_catalog_is_clean_with_warnings_only(capsys: pytest.CaptureFixture[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "sync.catalog", "check", str(SMALL)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "OK: 1 products, 5 attributes, 4 rules" in result.stdout


def test_check_broken_catalog_exits_1_naming_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "c"
    shutil.copytree(SMALL, folder)
    text = (folder / "products/bike.yaml").read_text(encoding="utf-8").replace("then: {battery: [b625]}", "then: {battery: [b9]}")
    (folder / "products/bike.yaml").write_text(text, encoding="utf-8")
    assert main(["check", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "products/bike.yaml:47 rules[0].then.battery: unknown option 'b9' of attribute battery" in err


def test_explore_prints_domains_reasons_price_and_bom(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", str(SMALL), "BIKE", "--choose", "motor=mid", "--complete"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["domains"]["battery"] == {"b400": False, "b625": True}
    assert out["unavailable"]["battery"]["b400"]["rules"] == ["mid-needs-big-battery"]
    assert out["complete"] and out["price"]["total"] == "7300.50"
    assert {"item": "SPOKE", "qty": "72"}.items() <= next(b for b in out["bom"] if b["item"] == "SPOKE").items()
    assert [op["code"] for op in out["routing"]][-2:] == ["ASSY", "QC"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["TRIKE"], "unknown product 'TRIKE'"),
        (["BIKE", "--choose", "saddle=gel"], "unknown attribute 'saddle' of product BIKE"),
        (["BIKE", "--choose", "motor=turbo"], "unknown option 'turbo' of attribute motor"),
        (["BIKE", "--choose", "motor"], "is not attribute=option"),
    ],
)
def test_explore_unknown_names_give_clear_messages(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", str(SMALL), *args]) == 2
    assert message in capsys.readouterr().err


def test_workflow_commands_submit_approve_release_diff_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cat.db")
    assert main(["--db", db, "users", "add", "erin", "--role", "engineering"]) == 0
    assert main(["--db", db, "users", "add", "boss", "--role", "marketing", "--role", "finance", "--role", "release"]) == 0
    assert main(["--db", db, "submit", str(SMALL), "BIKE", "--user", "erin"]) == 0
    assert main(["--db", db, "approve", "BIKE", "1", "--role", "marketing", "--user", "boss"]) == 2
    assert "next step is engineering_approved" in capsys.readouterr().err
    assert main(["--db", db, "approve", "BIKE", "1", "--role", "engineering", "--user", "boss"]) == 2
    assert "needs role 'engineering'" in capsys.readouterr().err
    for role, user in (("engineering", "erin"), ("marketing", "boss"), ("finance", "boss")):
        assert main(["--db", db, "approve", "BIKE", "1", "--role", role, "--user", user]) == 0
    assert main(["--db", db, "release", "BIKE", "1", "--user", "boss"]) == 0
    assert capsys.readouterr().out.strip().endswith("BIKE@1 released")
    folder = tmp_path / "c"
    shutil.copytree(SMALL, folder)
    text = (folder / "products/bike.yaml").read_text(encoding="utf-8").replace("base_price: 5000", "base_price: 5200")
    (folder / "products/bike.yaml").write_text(text, encoding="utf-8")
    assert main(["--db", db, "submit", str(folder), "BIKE", "--user", "erin"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "diff", "BIKE", "1", "2"]) == 0
    assert "~ price base_price: 5000 -> 5200" in capsys.readouterr().out
    assert main(["--db", db, "log", "BIKE"]) == 0
    log = capsys.readouterr().out.splitlines()
    assert len(log) == 6 and "boss\trevision.release\tBIKE@1" in log[4]
    assert main(["--db", db, "users", "list"]) == 0
    assert "boss\tfinance, marketing, release" in capsys.readouterr().out
    assert main(["explore", db, "BIKE"]) == 0
    released = json.loads(capsys.readouterr().out)
    assert released["revision"] == "BIKE@1" and released["price"]["base"] == "5000"
    assert main(["explore", db, "BIKE", "--revision", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["price"]["base"] == "5200"


def test_explore_reads_the_renault_format_with_explanations(capsys: pytest.CaptureFixture[str]) -> None:
    folder = REPO / "tests" / "catalogs" / "renault-mini"
    assert main(["explore", str(folder), "--choose", "Var1=A", "--choose", "Var3=P"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["domains"]["Var1"] == {"A": True, "B": True, "C": True}  # could replace the choice
    assert out["domains"]["Var2"] == {"X": True, "Y": False}
    assert out["unavailable"]["Var2"]["Y"] == {"choices": {"Var1": "A"}, "rules": ["mini_rule001"]}
    assert main(["explore", str(folder), "--choose", "Var9=A"]) == 2
    assert "Var9" in capsys.readouterr().err


@pytest.mark.shared
@pytest.mark.slow
def test_explore_on_the_renault_megane_benchmark(testdata: Path, tmp_path: Path) -> None:
    folder = testdata / "configurator" / "renault-megane-clib"
    runs = []
    for _ in range(2):  # the second run loads the compiled diagram from the cache the first one left
        result = subprocess.run(
            [sys.executable, "-m", "sync.catalog", "explore", str(folder), "renault", "--choose", "Var1=B64"],
            cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
        assert result.returncode == 0, result.stderr
        runs.append(json.loads(result.stdout))
        assert any((tmp_path / "floorlink" / "engines").iterdir())
    assert runs[0] == runs[1]
    out = runs[0]
    assert len(out["domains"]) == 99 and out["choices"] == {"Var1": "B64"}
    dead = 0
    for var, values in out["unavailable"].items():
        for value, why in values.items():
            # a value no Renault car has (Var8=CPLG...) is explained by rules alone; every other by Var1=B64
            assert why["choices"] == {"Var1": "B64"} or (why["choices"] == {} and why["rules"]), (var, value, why)
            dead += not why["choices"]
    assert 0 < dead < 10
