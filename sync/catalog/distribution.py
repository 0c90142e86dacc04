"""Released catalog revisions flowing down from the hub to kiosks and terminals.

The hub publishes each released revision as a retained ``catalog.revision`` message on its own
latest-only stream ``catalog/{product}``; an edge stores it in its local catalog database exactly
as the hub has it (same number, same content hash). A kiosk reading that database picks the new
revision up between customer sessions. A payload whose hash does not match its snapshot, or whose
snapshot does not load, is refused and the last good revision stays; a released revision is never
altered.

A revision too large for one broker message (above ~256 KiB) travels paged with
:mod:`sync.protocol.paging` (the same split, manifest and hash checks as ordered streams), fitted to
the retained latest-only stream: each page is retained on its own stream
``catalog/{product}/page/{index}`` (``catalog.page``), published first, and the manifest
(``catalog.manifest``: page hashes, size and SHA-256 of the whole, plus product, number and content
hash) is retained on ``catalog/{product}`` last. Retained messages may reach a late edge in any
order, so the edge keeps pages and manifests in ``catalog_pages`` / ``catalog_manifests`` of its
store until a manifest has all its pages, then checks every page and the whole and stores the
revision. A missing page leaves it waiting; a corrupt one refuses it: the last good revision stays.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sync.catalog.snapshot import canonical_json, content_hash, product_from_snapshot
from sync.catalog.store import CatalogStore, Revision, _now
from sync.errors import CatalogError, FloorLinkError
from sync.protocol import paging
from sync.protocol.envelope import MAX_PAYLOAD_BYTES, Envelope
from sync.store import Inbox, Transaction

STREAM_PREFIX = "catalog/"
MESSAGE = "catalog.revision"
MANIFEST = "catalog.manifest"
PAGE = "catalog.page"
PAGED_ABOVE = MAX_PAYLOAD_BYTES - 16 * 1024
"""A body larger than this (JSON bytes) is paged: the envelope around it must stay under the limit."""
PAGE_BYTES = 128 * 1024
"""Page size before base64 (x4/3): a page message stays well under the broker's 256 KiB."""


def revision_body(revision: Revision) -> dict[str, Any]:
    """What travels: the released revision as stored, with its content hash."""
    return {"product": revision.product_code, "number": revision.number, "content_hash": revision.content_hash,
            "created_by": revision.created_by, "created_at": revision.created_at, "snapshot": revision.snapshot}


def revision_messages(revision: Revision, *, paged_above: int = PAGED_ABOVE,
                      page_bytes: int = PAGE_BYTES) -> list[tuple[str, str, dict[str, Any]]]:
    """``(stream, type, body)`` to publish, retained and in this order, for one released revision.

    One ``catalog.revision`` when it fits a message; else its pages, then the manifest naming them."""
    body = revision_body(revision)
    stream = STREAM_PREFIX + revision.product_code
    if len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) <= paged_above:
        return [(stream, MESSAGE, body)]
    paged_id = f"{revision.product_code}@{revision.number}:{revision.content_hash[:16]}"
    paged = paging.split(paged_id, MESSAGE, body, page_bytes)
    manifest = {**paged.manifest, "product": revision.product_code, "number": revision.number,
                "content_hash": revision.content_hash}
    return [(f"{stream}/page/{part['index']}", PAGE, part) for part in paged.parts] + [(stream, MANIFEST, manifest)]


def store_released(catalog: CatalogStore, body: Mapping[str, Any]) -> bool:
    """Store a received released revision; False when it is already there, CatalogError when it is wrong."""
    where = f"catalog.revision {body.get('product')}@{body.get('number')}"
    try:
        code, number, digest, snapshot = body["product"], int(body["number"]), body["content_hash"], body["snapshot"]
    except (KeyError, TypeError, ValueError):
        raise CatalogError("message lacks product, number, content_hash or snapshot", where=where) from None
    if not isinstance(snapshot, dict) or content_hash(snapshot) != digest:
        raise CatalogError("snapshot does not match its content hash", where=where,
                           fix="the hub sends it again; the last good revision stays in use")
    rows = list(catalog.db.table("revisions").rows_where("product = ? AND number = ?", [code, number]))
    if rows:
        if rows[0]["content_hash"] != digest:
            raise CatalogError("a different revision with this number is already stored", where=where,
                               fix="revisions never change: check which hub this node follows")
        return False  # retained, so re-delivered on every reconnect: the stored copy loaded when it came
    product_from_snapshot(snapshot)  # it must load as a product before anyone sells it
    with catalog.db.conn:
        catalog.db.table("revisions").insert({
            "product": code, "number": number, "state": "released", "content_hash": digest,
            "snapshot": canonical_json(snapshot), "created_by": body.get("created_by", "hub"),
            "created_at": body.get("created_at", _now()), "updated_at": _now()})
        catalog.db.table("audit").insert({"at": _now(), "user": "hub", "action": "revision.received", "product": code,
                                          "number": number, "detail": json.dumps({"content_hash": digest})})
    return True


def store_into(catalog_db: Path, body: Mapping[str, Any], attempts: int = 50) -> bool:
    """:func:`store_released` into the file ``catalog_db``, waiting out a reader that holds it locked.

    The kiosk opens the same file to read what it sells; a revision that failed on a passing lock
    would be lost on a latest-only stream (the retained copy is a duplicate on the next delivery)."""
    for attempt in range(attempts):
        try:
            catalog = CatalogStore(catalog_db)
            try:
                return store_released(catalog, body)
            finally:
                catalog.close()
        except (CatalogError, sqlite3.OperationalError) as exc:
            if "locked" not in str(exc) or attempt + 1 == attempts:
                raise
            time.sleep(0.1)
    return False


def _paging_1(db: Any) -> None:
    db.execute("CREATE TABLE catalog_manifests (paged_id TEXT PRIMARY KEY, product TEXT NOT NULL, "
               "manifest TEXT NOT NULL, received_at TEXT NOT NULL)")
    db.execute("CREATE TABLE catalog_pages (paged_id TEXT NOT NULL, idx INTEGER NOT NULL, part TEXT NOT NULL, "
               "received_at TEXT NOT NULL, PRIMARY KEY (paged_id, idx))")


def _product_of(paged_id: object, where: str) -> str:
    if not isinstance(paged_id, str) or "@" not in paged_id:
        raise CatalogError(f"paged_id {paged_id!r} does not name a product (PRODUCT@NUMBER:HASH)", where=where)
    return paged_id.split("@", 1)[0]


def _superseded(catalog_db: Path, paged_id: str) -> bool:
    """True when the edge already has this revision or a newer one: a page left retained on the broker
    by an older, longer revision is not kept (best effort: when in doubt it is kept)."""
    product, _, rest = paged_id.partition("@")
    try:
        number = int(rest.split(":", 1)[0])
        catalog = CatalogStore(catalog_db)
    except (ValueError, CatalogError):
        return False
    try:
        rows = list(catalog.db.query("SELECT max(number) AS n FROM revisions WHERE product = ? AND state = 'released'",
                                     [product]))
    finally:
        catalog.close()
    return bool(rows) and rows[0]["n"] is not None and rows[0]["n"] >= number


def _assemble(tx: Transaction, catalog_db: Path, paged_id: str, where: str) -> bool:
    """Store the revision of ``paged_id`` once its manifest and every page are in; False while waiting."""
    row = tx.execute("SELECT manifest FROM catalog_manifests WHERE paged_id = ?", [paged_id]).fetchone()
    if row is None:
        return False
    manifest = json.loads(row[0])
    parts = {int(r[0]): json.loads(r[1]) for r in tx.execute(
        "SELECT idx, part FROM catalog_pages WHERE paged_id = ?", [paged_id]).fetchall()}
    if len(parts) < manifest["count"]:
        return False
    try:
        pages = [paging.page_data(manifest, parts[index], where) for index in range(manifest["count"])]
        body = paging.join(manifest, pages, where)
    except (FloorLinkError, KeyError, ValueError) as exc:
        raise CatalogError(f"paged revision {paged_id} refused: {exc}", where=where,
                           fix="the hub publishes it again; the last good revision stays in use") from None
    store_into(catalog_db, body)
    product = _product_of(paged_id, where)
    # every page of this product (LIKE would read _ and % in a code as wildcards and ignore case)
    tx.execute("DELETE FROM catalog_pages WHERE substr(paged_id, 1, length(?1)) = ?1", [product + "@"])
    tx.execute("DELETE FROM catalog_manifests WHERE product = ?", [product])
    return True


def follow_catalog(inbox: Inbox, catalog_db: Path) -> None:
    """Let an edge's inbox store released revisions into ``catalog_db`` (its local catalog database)."""
    inbox.latest_only(STREAM_PREFIX)
    inbox.store.migrate("catalog_paging", [_paging_1])

    def keep(tx: Transaction, envelope: Envelope) -> None:
        store_into(catalog_db, envelope.body)

    def keep_manifest(tx: Transaction, envelope: Envelope) -> None:
        where = f"stream {envelope.stream} seq {envelope.seq}"
        manifest = envelope.body
        try:
            paging.check_manifest(manifest, where)
        except FloorLinkError as exc:
            raise CatalogError(exc.what, where=where) from None
        if manifest["type"] != MESSAGE:
            raise CatalogError(f"catalog manifest carries {manifest['type']!r}, not {MESSAGE}", where=where)
        product = _product_of(manifest["paged_id"], where)
        tx.execute("DELETE FROM catalog_pages WHERE substr(paged_id, 1, length(?1)) = ?1 AND paged_id != ?2",
                   [product + "@", manifest["paged_id"]])  # older revisions' pages
        tx.execute("DELETE FROM catalog_manifests WHERE product = ?", [product])
        tx.execute("INSERT INTO catalog_manifests VALUES (?, ?, ?, ?)",
                   [manifest["paged_id"], product, json.dumps(manifest), _now()])
        _assemble(tx, catalog_db, manifest["paged_id"], where)

    def keep_page(tx: Transaction, envelope: Envelope) -> None:
        where = f"stream {envelope.stream} seq {envelope.seq}"
        part = envelope.body
        paged_id, index = part.get("paged_id"), part.get("index")
        _product_of(paged_id, where)
        if not isinstance(index, int) or index < 0 or not isinstance(part.get("data"), str):
            raise CatalogError("catalog page lacks its index or data", where=where)
        known = tx.execute("SELECT manifest FROM catalog_manifests WHERE paged_id = ?", [paged_id]).fetchone()
        if known is None and _superseded(catalog_db, str(paged_id)):
            return
        if known is not None:  # its manifest came first (a late edge): check the page now, keep only a good one
            try:
                paging.page_data(json.loads(known[0]), part, where)
            except FloorLinkError as exc:
                raise CatalogError(exc.what, where=where, fix="the revision waits for a good copy of this page") from None
        tx.execute("INSERT OR REPLACE INTO catalog_pages VALUES (?, ?, ?, ?)",
                   [paged_id, index, json.dumps(part), _now()])
        _assemble(tx, catalog_db, str(paged_id), where)

    inbox.on(MESSAGE, keep)
    inbox.on(MANIFEST, keep_manifest)
    inbox.on(PAGE, keep_page)
