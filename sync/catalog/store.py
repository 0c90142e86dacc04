"""The catalog database: immutable product revisions, the approval workflow, users, audit log.

A revision is a snapshot (see :mod:`sync.catalog.snapshot`) that never changes once written; only
its state moves draft -> engineering_approved -> marketing_approved -> finance_approved ->
released, each step by a user holding the matching role. SQLite triggers refuse any change to a
snapshot and any change at all to a released revision, so even a hand-written UPDATE cannot
alter what orders were configured against.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.catalog.model import Catalog, Product
from sync.catalog.snapshot import (
    canonical_json,
    content_hash,
    product_from_snapshot,
    product_snapshot,
    shown_images,
)
from sync.errors import CatalogError
from sync.settings import Settings

STATES = ("draft", "engineering_approved", "marketing_approved", "finance_approved", "released")
ROLES = ("engineering", "marketing", "finance", "release")
#: state -> (next state, role needed to move there)
TRANSITIONS: dict[str, tuple[str, str]] = {
    "draft": ("engineering_approved", "engineering"),
    "engineering_approved": ("marketing_approved", "marketing"),
    "marketing_approved": ("finance_approved", "finance"),
    "finance_approved": ("released", "release"),
}


def catalog_database(settings: Settings, override: str | None = None) -> Path:
    """The catalog revision database: ``override``, else catalog.database, else {node.data_dir}/catalog.db
    (the hub, its tools and the catalog CLI find the same file)."""
    data_dir = Path(settings.get("node.data_dir")).expanduser()
    return Path(override or settings.get("catalog.database") or data_dir / "catalog.db").expanduser()


_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS revisions_released_no_update BEFORE UPDATE ON revisions
WHEN OLD.state = 'released'
BEGIN SELECT RAISE(ABORT, 'released revision is immutable'); END;
CREATE TRIGGER IF NOT EXISTS revisions_released_no_delete BEFORE DELETE ON revisions
WHEN OLD.state = 'released'
BEGIN SELECT RAISE(ABORT, 'released revision is immutable'); END;
CREATE TRIGGER IF NOT EXISTS revisions_content_fixed BEFORE UPDATE OF snapshot, content_hash, product, number ON revisions
WHEN NEW.snapshot IS NOT OLD.snapshot OR NEW.content_hash IS NOT OLD.content_hash
  OR NEW.product IS NOT OLD.product OR NEW.number IS NOT OLD.number
BEGIN SELECT RAISE(ABORT, 'revision content is immutable: submit a new revision'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Revision:
    product_code: str
    number: int
    state: str
    content_hash: str
    created_by: str
    created_at: str
    snapshot: dict[str, Any]

    def product(self) -> Product:
        """The exact product this revision holds."""
        return product_from_snapshot(self.snapshot)

    @property
    def ref(self) -> str:
        """``CODE@N``: what an order records."""
        return f"{self.product_code}@{self.number}"


@dataclass(frozen=True)
class AuditEntry:
    at: str
    user: str
    action: str
    product: str | None
    number: int | None
    detail: dict[str, Any]


class CatalogStore:
    """One SQLite file (WAL) holding users, roles, revisions and the audit log."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(self.path)
            self.db.enable_wal()
            self._migrate()
        except Exception as exc:  # sqlite3.DatabaseError, OSError
            if isinstance(exc, CatalogError):
                raise
            raise CatalogError(f"cannot open catalog database: {exc}", where=str(self.path)) from None

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        """Create what is missing; IF NOT EXISTS everywhere so nodes opening the file together agree."""
        db = self.db
        db.table("users").create({"name": str, "created_at": str}, pk="name", if_not_exists=True)
        db.table("user_roles").create(
            {"user": str, "role": str}, pk=("user", "role"), foreign_keys=[("user", "users")], if_not_exists=True
        )
        db.table("revisions").create(
            {"id": int, "product": str, "number": int, "state": str, "content_hash": str, "snapshot": str,
             "created_by": str, "created_at": str, "updated_at": str},
            pk="id", not_null={"product", "number", "state", "content_hash", "snapshot"}, if_not_exists=True,
        )
        db.table("revisions").create_index(["product", "number"], unique=True, if_not_exists=True)
        db.table("audit").create(
            {"id": int, "at": str, "user": str, "action": str, "product": str, "number": int, "detail": str},
            pk="id", if_not_exists=True,
        )
        # pictures by content: shared by every revision that shows them, so a new revision with the same
        # pictures adds no bytes (the hub sends each once; an edge stores each once)
        db.execute("CREATE TABLE IF NOT EXISTS files (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                   "data BLOB NOT NULL, added_at TEXT NOT NULL)")
        db.executescript(_TRIGGERS)

    # --- users ---------------------------------------------------------------------------------
    def add_user(self, name: str, roles: Iterable[str], *, by: str = "cli") -> None:
        """Create (or extend) a user with roles; roles are checked against :data:`ROLES`."""
        roles = list(roles)
        if not name.strip():
            raise CatalogError("user name is empty", where="users")
        for role in roles:
            if role not in ROLES:
                raise CatalogError(f"unknown role '{role}'", where="users", fix=f"one of: {', '.join(ROLES)}")
        with self.db.conn:
            if not self.db.table("users").count_where("name = ?", [name]):
                self.db.table("users").insert({"name": name, "created_at": _now()})
            for role in roles:
                self.db.table("user_roles").insert({"user": name, "role": role}, ignore=True)
            self._audit(by, "user.add", None, None, {"user": name, "roles": roles})

    def users(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {row["name"]: [] for row in self.db.table("users").rows_where(order_by="name")}
        for row in self.db.table("user_roles").rows_where(order_by="user, role"):
            out.setdefault(row["user"], []).append(row["role"])
        return out

    def roles_of(self, user: str) -> list[str]:
        if not self.db.table("users").count_where("name = ?", [user]):
            raise CatalogError(f"unknown user '{user}'", where=str(self.path),
                               fix="add it with `python -m sync.catalog users add NAME --role ROLE`")
        return [r["role"] for r in self.db.table("user_roles").rows_where("user = ?", [user])]

    # --- pictures --------------------------------------------------------------------------------
    def keep_file(self, data: bytes, sha256: str | None = None) -> str:
        """Store ``data`` under its SHA-256 (once); CatalogError when it does not match ``sha256``."""
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and digest != sha256:
            raise CatalogError(f"picture {sha256[:12]}… does not match its hash", where=str(self.path),
                               fix="the hub sends it again; the last good revision stays in use")
        with self.db.conn:
            self.db.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?)", [digest, len(data), data, _now()])
        return digest

    def file(self, sha256: str) -> bytes | None:
        """The bytes stored under ``sha256``, or None."""
        row = self.db.execute("SELECT data FROM files WHERE sha256 = ?", [sha256]).fetchone()
        return bytes(row[0]) if row else None

    def missing_files(self, hashes: Iterable[str]) -> set[str]:
        """Which of ``hashes`` are not stored here."""
        wanted = set(hashes)
        have = {r[0] for r in self.db.execute(
            f"SELECT sha256 FROM files WHERE sha256 IN ({', '.join('?' for _ in wanted)})", list(wanted))} \
            if wanted else set()
        return wanted - have

    def _keep_shown_images(self, catalog: Catalog, product_code: str) -> None:
        """Store the pictures the kiosk shows for a product, from the catalog folder, for the hub to send."""
        if catalog.root is None:
            return
        for rel in sorted(shown_images(catalog.products[product_code])):
            file = catalog.root / rel
            if file.is_file():
                self.keep_file(file.read_bytes())

    # --- revisions -----------------------------------------------------------------------------
    def submit(self, catalog: Catalog, product_code: str, user: str) -> Revision:
        """Snapshot ``product_code`` of a checked catalog into a new draft revision."""
        self.roles_of(user)
        if product_code not in catalog.products:
            raise CatalogError(f"unknown product '{product_code}'", where=str(catalog.root or "catalog"),
                               fix=f"one of: {', '.join(sorted(catalog.products))}")
        snapshot = product_snapshot(catalog, product_code)
        digest = content_hash(snapshot)
        self._keep_shown_images(catalog, product_code)  # also for an unchanged product: older files may lack them
        with self.db.conn:
            latest = self._latest_row(product_code)
            if latest is not None and latest["content_hash"] == digest:
                raise CatalogError(
                    f"product {product_code} is unchanged since revision {latest['number']}",
                    where=str(catalog.root or "catalog"), fix="edit the catalog files first",
                )
            number = (latest["number"] + 1) if latest else 1
            now = _now()
            self.db.table("revisions").insert({
                "product": product_code, "number": number, "state": "draft", "content_hash": digest,
                "snapshot": canonical_json(snapshot), "created_by": user, "created_at": now, "updated_at": now,
            })
            self._audit(user, "revision.submit", product_code, number, {"content_hash": digest})
        return self.revision(product_code, number)

    def advance(self, product_code: str, number: int, user: str, *, expect: str | None = None) -> Revision:
        """Move a revision one step on, if ``user`` holds the role for that step."""
        with self.db.conn:
            revision = self.revision(product_code, number)
            if revision.state not in TRANSITIONS:
                raise CatalogError(f"revision {revision.ref} is already {revision.state}", where=str(self.path))
            target, role = TRANSITIONS[revision.state]
            if expect is not None and target != expect:
                raise CatalogError(
                    f"revision {revision.ref} is {revision.state}; the next step is {target}, not {expect}",
                    where=str(self.path),
                )
            if role not in self.roles_of(user):
                raise CatalogError(
                    f"user '{user}' may not move {revision.ref} to {target}: needs role '{role}'",
                    where=str(self.path),
                )
            self.db.execute(
                "UPDATE revisions SET state = ?, updated_at = ? WHERE product = ? AND number = ? AND state = ?",
                [target, _now(), product_code, number, revision.state],
            )
            self._audit(user, "revision.approve" if target != "released" else "revision.release",
                        product_code, number, {"from": revision.state, "to": target})
        return self.revision(product_code, number)

    def approve(self, product_code: str, number: int, user: str, role: str) -> Revision:
        """The approval step for ``role`` (engineering, marketing or finance)."""
        targets = {r: t for t, r in TRANSITIONS.values()}
        if role not in targets or role == "release":
            raise CatalogError(f"no approval step for role '{role}'", where="approve",
                               fix="one of: engineering, marketing, finance")
        return self.advance(product_code, number, user, expect=targets[role])

    def release(self, product_code: str, number: int, user: str) -> Revision:
        return self.advance(product_code, number, user, expect="released")

    def _latest_row(self, product_code: str, state: str | None = None) -> dict[str, Any] | None:
        where = "product = ?" + (" AND state = ?" if state else "")
        args = [product_code] + ([state] if state else [])
        rows = list(self.db.table("revisions").rows_where(where, args, order_by="number DESC", limit=1))
        return rows[0] if rows else None

    def _row_to_revision(self, row: dict[str, Any]) -> Revision:
        return Revision(row["product"], row["number"], row["state"], row["content_hash"], row["created_by"],
                        row["created_at"], json.loads(row["snapshot"]))

    def revision(self, product_code: str, number: int) -> Revision:
        """The revision an order recorded, by product and number."""
        rows = list(self.db.table("revisions").rows_where("product = ? AND number = ?", [product_code, number]))
        if not rows:
            known = [r["number"] for r in self.db.table("revisions").rows_where("product = ?", [product_code], select="number")]
            fix = f"known revisions: {', '.join(map(str, known))}" if known else "no revision of this product: submit one"
            raise CatalogError(f"no revision {product_code}@{number}", where=str(self.path), fix=fix)
        return self._row_to_revision(rows[0])

    def latest_released(self, product_code: str) -> Revision:
        """The revision kiosks sell and the hub plans from."""
        row = self._latest_row(product_code, "released")
        if row is None:
            raise CatalogError(f"product {product_code} has no released revision", where=str(self.path),
                               fix="submit, approve and release one")
        return self._row_to_revision(row)

    def released_numbers(self) -> dict[str, int]:
        """The latest released revision number of every product, without reading any snapshot."""
        return {r["product"]: r["number"] for r in self.db.query(
            "SELECT product, MAX(number) AS number FROM revisions WHERE state = 'released' "
            "GROUP BY product ORDER BY product")}

    def released_products(self) -> dict[str, Revision]:
        """The latest released revision of every product."""
        return {code: self.revision(code, number) for code, number in self.released_numbers().items()}

    def revisions(self, product_code: str | None = None) -> list[Revision]:
        where, args = ("product = ?", [product_code]) if product_code else (None, [])
        return [self._row_to_revision(r) for r in self.db.table("revisions").rows_where(where, args, order_by="product, number")]

    # --- audit ---------------------------------------------------------------------------------
    def _audit(self, user: str, action: str, product: str | None, number: int | None, detail: dict[str, Any]) -> None:
        self.db.table("audit").insert({"at": _now(), "user": user, "action": action, "product": product, "number": number,
                                 "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True)})

    def log(self, product_code: str | None = None) -> list[AuditEntry]:
        where, args = ("product = ?", [product_code]) if product_code else (None, [])
        return [AuditEntry(r["at"], r["user"], r["action"], r["product"], r["number"], json.loads(r["detail"]))
                for r in self.db.table("audit").rows_where(where, args, order_by="id")]
