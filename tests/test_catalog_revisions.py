"""Revisions in a real SQLite file: roles gate every step, released revisions never change, diff and audit."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from sync.catalog import load_catalog
from sync.catalog.diff import diff_snapshots
from sync.catalog.store import CatalogStore
from sync.errors import CatalogError

SMALL = Path(__file__).parent / "catalogs" / "small"


@pytest.fixture
def store(tmp_path: Path) -> CatalogStore:
    s = CatalogStore(tmp_path / "catalog.db")
    s.add_user("erin", ["engineering"])
    s.add_user("mark", ["marketing"])
    s.add_user("fay", ["finance", "release"])
    return s


def edited(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = tmp_path / "edited"
    if not folder.exists():
        shutil.copytree(SMALL, folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert old in text
    (folder / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def release_through_all_roles(store: CatalogStore, number: int) -> None:
    store.approve("BIKE", number, "erin", "engineering")
    store.approve("BIKE", number, "mark", "marketing")
    store.approve("BIKE", number, "fay", "finance")
    store.release("BIKE", number, "fay")


def test_revision_moves_through_every_approval_to_released(store: CatalogStore) -> None:
    catalog = load_catalog(SMALL)
    revision = store.submit(catalog, "BIKE", "erin")
    assert (revision.ref, revision.state) == ("BIKE@1", "draft")
    release_through_all_roles(store, 1)
    released = store.latest_released("BIKE")
    assert released.state == "released" and released.number == 1
    assert released.product() == catalog.products["BIKE"]


def test_step_by_user_without_the_role_is_refused_and_changes_nothing(store: CatalogStore) -> None:
    store.submit(load_catalog(SMALL), "BIKE", "erin")
    with pytest.raises(CatalogError, match="needs role 'engineering'"):
        store.approve("BIKE", 1, "mark", "engineering")
    store.approve("BIKE", 1, "erin", "engineering")
    with pytest.raises(CatalogError, match="next step is marketing_approved, not finance_approved"):
        store.approve("BIKE", 1, "fay", "finance")
    with pytest.raises(CatalogError, match="unknown user 'mallory'"):
        store.approve("BIKE", 1, "mallory", "marketing")
    assert store.revision("BIKE", 1).state == "engineering_approved"


def test_released_revision_cannot_be_edited_even_by_direct_sql(store: CatalogStore, tmp_path: Path) -> None:
    store.submit(load_catalog(SMALL), "BIKE", "erin")
    release_through_all_roles(store, 1)
    with pytest.raises(CatalogError, match="already released"):
        store.release("BIKE", 1, "fay")
    conn = sqlite3.connect(tmp_path / "catalog.db")
    for sql in ("UPDATE revisions SET state = 'draft'", "UPDATE revisions SET snapshot = '{}'",
                "DELETE FROM revisions", "DELETE FROM audit"):
        with pytest.raises(sqlite3.IntegrityError, match="immutable|append-only"):
            conn.execute(sql)
    conn.close()
    assert store.latest_released("BIKE").state == "released"


def test_draft_content_is_immutable_too(store: CatalogStore, tmp_path: Path) -> None:
    store.submit(load_catalog(SMALL), "BIKE", "erin")
    conn = sqlite3.connect(tmp_path / "catalog.db")
    with pytest.raises(sqlite3.IntegrityError, match="submit a new revision"):
        conn.execute("UPDATE revisions SET content_hash = 'x'")
    conn.close()


def test_a_change_is_a_new_revision_and_the_released_one_is_untouched(store: CatalogStore, tmp_path: Path) -> None:
    store.submit(load_catalog(SMALL), "BIKE", "erin")
    release_through_all_roles(store, 1)
    before = store.revision("BIKE", 1)
    with pytest.raises(CatalogError, match="unchanged since revision 1"):
        store.submit(load_catalog(SMALL), "BIKE", "erin")
    folder = edited(tmp_path, "products/bike.yaml", "price: 800.50", "price: 850")
    second = store.submit(load_catalog(folder), "BIKE", "erin")
    assert second.number == 2 and second.state == "draft"
    assert store.revision("BIKE", 1) == before
    assert store.latest_released("BIKE").number == 1
    battery = second.product().attribute("battery")
    assert battery is not None and str(battery.option("b625").price) == "850"  # type: ignore[union-attr]


def test_diff_names_prices_options_rules_bom_lines_and_operations(store: CatalogStore, tmp_path: Path) -> None:
    store.submit(load_catalog(SMALL), "BIKE", "erin")
    edited(tmp_path, "products/bike.yaml", "price: 800.50", "price: 850")
    red = '      - {code: red, label: {en: Red, zh_CN: 红色}, price: 200, swatch: "#c8102e"}\n'
    edited(tmp_path, "products/bike.yaml", red,
           red + '      - {code: blue, label: {en: Blue, zh_CN: 蓝色}, price: 200, swatch: "#1d4e89"}\n')
    edited(tmp_path, "products/bike.yaml", "  - id: no-red-26\n", "  - id: no-red-or-blue-26\n")
    edited(tmp_path, "assemblies.yaml", "{item: BOLT, qty: 4}", "{item: BOLT, qty: 6}")
    folder = edited(tmp_path, "assemblies.yaml", "run_min: 18", "run_min: 20")
    store.submit(load_catalog(folder), "BIKE", "erin")
    changes = {str(c) for c in diff_snapshots(store.revision("BIKE", 1).snapshot, store.revision("BIKE", 2).snapshot)}
    assert changes == {
        "~ price battery.b625: 800.50 -> 850",
        "+ option colour.blue",
        "- rule no-red-26",
        "+ rule no-red-or-blue-26",
        "~ bom WHEEL-SET/BOLT.qty: 4 -> 6",
        "~ operation WHEEL/10.run_min: 18 -> 20",
    }


def test_audit_log_records_who_did_what_and_when(store: CatalogStore) -> None:
    store.submit(load_catalog(SMALL), "BIKE", "erin")
    store.approve("BIKE", 1, "erin", "engineering")
    log = store.log("BIKE")
    assert [(e.user, e.action) for e in log] == [("erin", "revision.submit"), ("erin", "revision.approve")]
    assert log[1].detail == {"from": "draft", "to": "engineering_approved"} and log[1].at.endswith("+00:00")
    assert [e.action for e in store.log()][:3] == ["user.add", "user.add", "user.add"]


def test_unknown_revision_and_role_are_clear_errors(store: CatalogStore) -> None:
    with pytest.raises(CatalogError, match="no revision BIKE@7"):
        store.revision("BIKE", 7)
    with pytest.raises(CatalogError, match="no released revision"):
        store.latest_released("BIKE")
    with pytest.raises(CatalogError, match="unknown role 'boss'"):
        store.add_user("bob", ["boss"])
    with pytest.raises(CatalogError, match="unknown product 'TRIKE'"):
        store.submit(load_catalog(SMALL), "TRIKE", "erin")


def test_reopening_the_database_keeps_revisions_and_guards(store: CatalogStore, tmp_path: Path) -> None:
    store.submit(load_catalog(SMALL), "BIKE", "erin")
    release_through_all_roles(store, 1)
    store.close()
    again = CatalogStore(tmp_path / "catalog.db")
    assert again.latest_released("BIKE").ref == "BIKE@1"
    assert again.users()["fay"] == ["finance", "release"]
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        again.db.execute("UPDATE revisions SET state = 'draft'")


def test_unreadable_database_file_is_a_catalog_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CatalogError, match="cannot open catalog database"):
        CatalogStore(bad)
