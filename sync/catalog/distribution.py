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

The pictures a kiosk shows (product, group and option images) travel beside the revision, by
content: each file is paged the same way (``catalog.file`` manifest on ``catalog/files/{sha256}``,
``catalog.file_page`` pages on ``catalog/files/{sha256}/page/{index}``, all retained, pages
first), and its manifest's SHA-256 of the whole is the file's own hash. The revision body names
them (``images``: catalog path -> SHA-256, each checked against the snapshot's ``files``, which
the content hash covers). The hub sends a file once, whichever revisions show it; the edge stores
it once in the ``files`` table of its catalog database. A revision whose pictures are not all in
waits in ``catalog_waiting`` and goes live when the last one is stored: a missing or corrupt
picture page keeps the last good revision, as a revision page does.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Container, Mapping
from pathlib import Path
from typing import Any, TypeVar

from sync.catalog.snapshot import canonical_json, content_hash, product_from_snapshot, snapshot_images
from sync.catalog.store import CatalogStore, Revision, _now
from sync.errors import CatalogError, FloorLinkError
from sync.protocol import paging
from sync.protocol.envelope import MAX_PAYLOAD_BYTES, Envelope
from sync.store import Inbox, Store, Transaction

log = logging.getLogger(__name__)

STREAM_PREFIX = "catalog/"
MESSAGE = "catalog.revision"
MANIFEST = "catalog.manifest"
PAGE = "catalog.page"
FILE = "catalog.file"
"""A picture's page manifest (retained on ``catalog/files/{sha256}``)."""
FILE_PAGE = "catalog.file_page"
FILES_PREFIX = STREAM_PREFIX + "files/"
PAGED_ABOVE = MAX_PAYLOAD_BYTES - 16 * 1024
"""A body larger than this (JSON bytes) is paged: the envelope around it must stay under the limit."""
PAGE_BYTES = 128 * 1024
"""Page size before base64 (x4/3): a page message stays well under the broker's 256 KiB."""


def revision_body(revision: Revision, images: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What travels: the released revision as stored, with its content hash and the pictures sent with it."""
    return {"product": revision.product_code, "number": revision.number, "content_hash": revision.content_hash,
            "created_by": revision.created_by, "created_at": revision.created_at, "snapshot": revision.snapshot,
            "images": dict(images or {})}


def file_messages(sha256: str, data: bytes, page_bytes: int = PAGE_BYTES) -> list[tuple[str, str, dict[str, Any]]]:
    """One picture, paged (however small): its pages, then its manifest, retained on streams named by its hash."""
    paged = paging.split_bytes(sha256, FILE, data, page_bytes)
    stream = FILES_PREFIX + sha256
    return [(f"{stream}/page/{part['index']}", FILE_PAGE, part) for part in paged.parts] + [(stream, FILE, paged.manifest)]


def revision_messages(revision: Revision, catalog: CatalogStore | None = None, *, sent_files: Container[str] = (),
                      paged_above: int = PAGED_ABOVE,
                      page_bytes: int = PAGE_BYTES) -> list[tuple[str, str, dict[str, Any]]]:
    """``(stream, type, body)`` to publish, retained and in this order, for one released revision.

    First the pictures it shows that ``catalog`` holds and that are not in ``sent_files`` (sent with an
    earlier revision: retained already); then one ``catalog.revision`` when it fits a message, else its
    pages and the manifest naming them."""
    messages: list[tuple[str, str, dict[str, Any]]] = []
    images: dict[str, str] = {}
    if catalog is not None:
        for rel, sha in snapshot_images(revision.snapshot).items():
            data = catalog.file(sha)
            if data is None:  # submitted before pictures were kept: the kiosk shows none for it
                continue
            images[rel] = sha
            if sha not in sent_files and not any(m[0] == FILES_PREFIX + sha for m in messages):
                messages += file_messages(sha, data, page_bytes)
    return messages + _revision_only(revision, images, paged_above, page_bytes)


def _revision_only(revision: Revision, images: Mapping[str, str], paged_above: int,
                   page_bytes: int) -> list[tuple[str, str, dict[str, Any]]]:
    body = revision_body(revision, images)
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
    images = _images_of(body, snapshot, where)
    missing = catalog.missing_files(images.values())
    if missing:
        raise CatalogError(f"{len(missing)} picture(s) of this revision are not stored yet", where=where,
                           fix="it waits for them; the last good revision stays in use")
    rows = list(catalog.db.table("revisions").rows_where("product = ? AND number = ?", [code, number]))
    if rows:
        if rows[0]["content_hash"] != digest:
            raise CatalogError("a different revision with this number is already stored", where=where,
                               fix="revisions never change: check which hub this node follows")
        return False  # retained, so re-delivered on every reconnect: the stored copy loaded when it came
    try:  # it must load as a product before anyone sells it (hash-checked, not schema-checked)
        product_from_snapshot(snapshot)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise CatalogError(f"snapshot does not load as a product: {exc!r}", where=where,
                           fix="the last good revision stays in use; check what the hub released") from None
    with catalog.db.conn:
        catalog.db.table("revisions").insert({
            "product": code, "number": number, "state": "released", "content_hash": digest,
            "snapshot": canonical_json(snapshot), "created_by": body.get("created_by", "hub"),
            "created_at": body.get("created_at", _now()), "updated_at": _now()})
        catalog.db.table("audit").insert({"at": _now(), "user": "hub", "action": "revision.received", "product": code,
                                          "number": number, "detail": json.dumps({"content_hash": digest})})
    return True


def _images_of(body: Mapping[str, Any], snapshot: Mapping[str, Any], where: str) -> dict[str, str]:
    """The body's ``images``, each checked against the snapshot's file hashes (which its content hash covers)."""
    images = body.get("images") or {}
    files = snapshot.get("files") or {}
    if not isinstance(images, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in images.items()):
        raise CatalogError("images is not a map of picture path to SHA-256", where=where)
    wrong = sorted(rel for rel, sha in images.items() if files.get(rel) != sha)
    if wrong:
        raise CatalogError(f"picture {wrong[0]} does not match the revision's file hash", where=where,
                           fix="the hub sends it again; the last good revision stays in use")
    return dict(images)


_T = TypeVar("_T")


def _with_catalog(catalog_db: Path, work: Callable[[CatalogStore], _T], attempts: int = 50) -> _T:
    """``work`` on the catalog file ``catalog_db``, waiting out a reader that holds it locked.

    The kiosk opens the same file to read what it sells; a message that failed on a passing lock
    would be lost on a latest-only stream (the retained copy is a duplicate on the next delivery)."""
    for attempt in range(attempts):
        try:
            catalog = CatalogStore(catalog_db)
            try:
                return work(catalog)
            finally:
                catalog.close()
        except (CatalogError, sqlite3.OperationalError) as exc:
            if "locked" not in str(exc) or attempt + 1 == attempts:
                raise
            time.sleep(0.1)
    raise CatalogError("catalog database stayed locked", where=str(catalog_db))  # pragma: no cover - loop raises


def store_into(catalog_db: Path, body: Mapping[str, Any], attempts: int = 50) -> bool:
    """:func:`store_released` into the file ``catalog_db``, waiting out a reader that holds it locked."""
    return _with_catalog(catalog_db, lambda catalog: store_released(catalog, body), attempts)


def _paging_1(db: Any) -> None:
    db.execute("CREATE TABLE catalog_manifests (paged_id TEXT PRIMARY KEY, product TEXT NOT NULL, "
               "manifest TEXT NOT NULL, received_at TEXT NOT NULL)")
    db.execute("CREATE TABLE catalog_pages (paged_id TEXT NOT NULL, idx INTEGER NOT NULL, part TEXT NOT NULL, "
               "received_at TEXT NOT NULL, PRIMARY KEY (paged_id, idx))")


def _paging_2(db: Any) -> None:
    db.execute("CREATE TABLE catalog_file_manifests (sha256 TEXT PRIMARY KEY, manifest TEXT NOT NULL, "
               "received_at TEXT NOT NULL)")
    db.execute("CREATE TABLE catalog_file_pages (sha256 TEXT NOT NULL, idx INTEGER NOT NULL, part TEXT NOT NULL, "
               "received_at TEXT NOT NULL, PRIMARY KEY (sha256, idx))")
    db.execute("CREATE TABLE catalog_waiting (product TEXT NOT NULL, number INTEGER NOT NULL, body TEXT NOT NULL, "
               "received_at TEXT NOT NULL, PRIMARY KEY (product, number))")


def offer(tx: Transaction, catalog_db: Path, body: Mapping[str, Any], where: str) -> bool:
    """Store a received revision now if its pictures are all in, else keep it waiting; True when stored."""
    snapshot = body.get("snapshot")
    if not isinstance(snapshot, dict):
        return store_into(catalog_db, body)  # refused with the full message
    images = _images_of(body, snapshot, where)
    missing = _with_catalog(catalog_db, lambda catalog: catalog.missing_files(images.values()))
    if not missing:
        stored = store_into(catalog_db, body)
        tx.execute("DELETE FROM catalog_waiting WHERE product = ? AND number <= ?",
                   [str(body.get("product")), int(body.get("number", 0))])
        return stored
    if content_hash(snapshot) != body.get("content_hash"):
        raise CatalogError("snapshot does not match its content hash", where=where,
                           fix="the hub sends it again; the last good revision stays in use")
    tx.execute("INSERT OR REPLACE INTO catalog_waiting VALUES (?, ?, ?, ?)",
               [str(body["product"]), int(body["number"]), json.dumps(body, ensure_ascii=False), _now()])
    return False


def waiting_revisions(store: Store) -> list[tuple[str, int]]:
    """``(product, number)`` of received revisions still waiting for pictures (for the staff panel); empty
    when this store does not follow the catalog."""
    if store.version("catalog_paging") < 2:
        return []
    return [(str(r["product"]), int(r["number"])) for r in store.query(
        "SELECT product, number FROM catalog_waiting ORDER BY product, number")]


def _checked_manifest(envelope: Envelope) -> tuple[str, dict[str, Any]]:
    """Where a manifest message came from (for messages) and its body, refused as a CatalogError when malformed."""
    where = f"stream {envelope.stream} seq {envelope.seq}"
    try:
        paging.check_manifest(envelope.body, where)
    except FloorLinkError as exc:
        raise CatalogError(exc.what, where=where) from None
    return where, envelope.body


def _release_waiting(tx: Transaction, catalog_db: Path) -> None:
    """A picture came in: store every waiting revision that now has all of its pictures."""
    for product, number, text in tx.execute(
            "SELECT product, number, body FROM catalog_waiting ORDER BY product, number").fetchall():
        try:
            offer(tx, catalog_db, json.loads(text), f"catalog.revision {product}@{number} (waiting for pictures)")
        except CatalogError:  # it can never be stored (e.g. another revision took its number): not the picture's fault
            log.exception("catalog revision %s@%s waited for its pictures and is refused", product, number)
            tx.execute("DELETE FROM catalog_waiting WHERE product = ? AND number = ?", [product, number])


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
    offer(tx, catalog_db, body, where)
    product = _product_of(paged_id, where)
    # every page of this product (LIKE would read _ and % in a code as wildcards and ignore case)
    tx.execute("DELETE FROM catalog_pages WHERE substr(paged_id, 1, length(?1)) = ?1", [product + "@"])
    tx.execute("DELETE FROM catalog_manifests WHERE product = ?", [product])
    return True


def follow_catalog(inbox: Inbox, catalog_db: Path) -> None:
    """Let an edge's inbox store released revisions into ``catalog_db`` (its local catalog database)."""
    inbox.latest_only(STREAM_PREFIX)
    inbox.store.migrate("catalog_paging", [_paging_1, _paging_2])

    def keep(tx: Transaction, envelope: Envelope) -> None:
        offer(tx, catalog_db, envelope.body, f"stream {envelope.stream} seq {envelope.seq}")

    def assemble_file(tx: Transaction, sha: str, where: str) -> None:
        row = tx.execute("SELECT manifest FROM catalog_file_manifests WHERE sha256 = ?", [sha]).fetchone()
        if row is None:
            return
        manifest = json.loads(row[0])
        parts = {int(r[0]): json.loads(r[1]) for r in tx.execute(
            "SELECT idx, part FROM catalog_file_pages WHERE sha256 = ?", [sha]).fetchall()}
        if len(parts) < manifest["count"]:
            return
        tx.execute("DELETE FROM catalog_file_pages WHERE sha256 = ?", [sha])
        tx.execute("DELETE FROM catalog_file_manifests WHERE sha256 = ?", [sha])
        try:
            data = paging.join_bytes(manifest, [paging.page_data(manifest, parts[i], where)
                                                for i in range(manifest["count"])], where)
        except (FloorLinkError, KeyError) as exc:
            raise CatalogError(f"picture {sha[:12]}… refused: {exc}", where=where,
                               fix="the hub publishes it again; the last good revision stays in use") from None
        _with_catalog(catalog_db, lambda catalog: catalog.keep_file(data, sha))
        _release_waiting(tx, catalog_db)

    def stored(sha: str) -> bool:
        return not _with_catalog(catalog_db, lambda catalog: catalog.missing_files([sha]))

    def keep_file_manifest(tx: Transaction, envelope: Envelope) -> None:
        where, manifest = _checked_manifest(envelope)
        sha = manifest["paged_id"]
        if manifest["type"] != FILE or manifest["sha256"] != sha or envelope.stream != FILES_PREFIX + sha:
            raise CatalogError("picture manifest is not named by the picture's own hash", where=where)
        if stored(sha):  # shown by an earlier revision already
            _release_waiting(tx, catalog_db)
            return
        tx.execute("INSERT OR REPLACE INTO catalog_file_manifests VALUES (?, ?, ?)", [sha, json.dumps(manifest), _now()])
        for idx, text in tx.execute("SELECT idx, part FROM catalog_file_pages WHERE sha256 = ?", [sha]).fetchall():
            try:  # pages that came before the manifest are checked now; a bad one is dropped and waited for
                paging.page_data(manifest, json.loads(text), where)
            except FloorLinkError:
                log.warning("%s: picture %s page %s does not match its hash: dropped, waiting for a good copy",
                            where, sha, idx, exc_info=True)
                tx.execute("DELETE FROM catalog_file_pages WHERE sha256 = ? AND idx = ?", [sha, idx])
        assemble_file(tx, sha, where)

    def keep_file_page(tx: Transaction, envelope: Envelope) -> None:
        where = f"stream {envelope.stream} seq {envelope.seq}"
        part = envelope.body
        sha, index = part.get("paged_id"), part.get("index")
        if not isinstance(sha, str) or not envelope.stream.startswith(f"{FILES_PREFIX}{sha}/page/") \
                or not isinstance(index, int) or index < 0 or not isinstance(part.get("data"), str):
            raise CatalogError("picture page lacks its hash, index or data", where=where)
        if stored(sha):
            return
        known = tx.execute("SELECT manifest FROM catalog_file_manifests WHERE sha256 = ?", [sha]).fetchone()
        if known is not None:
            try:
                paging.page_data(json.loads(known[0]), part, where)
            except FloorLinkError as exc:
                raise CatalogError(exc.what, where=where, fix="the revision waits for a good copy of this page") from None
        tx.execute("INSERT OR REPLACE INTO catalog_file_pages VALUES (?, ?, ?, ?)", [sha, index, json.dumps(part), _now()])
        assemble_file(tx, sha, where)

    def keep_manifest(tx: Transaction, envelope: Envelope) -> None:
        where, manifest = _checked_manifest(envelope)
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
    inbox.on(FILE, keep_file_manifest)
    inbox.on(FILE_PAGE, keep_file_page)
