"""Released catalog revisions flowing down from the hub to kiosks and terminals.

The hub publishes each released revision as a retained ``catalog.revision`` message on its own
latest-only stream ``catalog/{product}``; an edge stores it in its local catalog database exactly
as the hub has it (same number, same content hash). A kiosk reading that database picks the new
revision up between customer sessions. A payload whose hash does not match its snapshot, or whose
snapshot does not load, is refused and the last good revision stays; a released revision is never
altered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sync.catalog.snapshot import canonical_json, content_hash, product_from_snapshot
from sync.catalog.store import CatalogStore, Revision, _now
from sync.errors import CatalogError
from sync.protocol.envelope import Envelope
from sync.store import Inbox, Transaction

STREAM_PREFIX = "catalog/"
MESSAGE = "catalog.revision"


def revision_body(revision: Revision) -> dict[str, Any]:
    """What travels: the released revision as stored, with its content hash."""
    return {"product": revision.product_code, "number": revision.number, "content_hash": revision.content_hash,
            "created_by": revision.created_by, "created_at": revision.created_at, "snapshot": revision.snapshot}


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
    product_from_snapshot(snapshot)  # it must load as a product before anyone sells it
    rows = list(catalog.db.table("revisions").rows_where("product = ? AND number = ?", [code, number]))
    if rows:
        if rows[0]["content_hash"] != digest:
            raise CatalogError("a different revision with this number is already stored", where=where,
                               fix="revisions never change: check which hub this node follows")
        return False
    with catalog.db.conn:
        catalog.db.table("revisions").insert({
            "product": code, "number": number, "state": "released", "content_hash": digest,
            "snapshot": canonical_json(snapshot), "created_by": body.get("created_by", "hub"),
            "created_at": body.get("created_at", _now()), "updated_at": _now()})
        catalog.db.table("audit").insert({"at": _now(), "user": "hub", "action": "revision.received", "product": code,
                                          "number": number, "detail": json.dumps({"content_hash": digest})})
    return True


def follow_catalog(inbox: Inbox, catalog_db: Path) -> None:
    """Let an edge's inbox store released revisions into ``catalog_db`` (its local catalog database)."""
    inbox.latest_only(STREAM_PREFIX)

    def keep(tx: Transaction, envelope: Envelope) -> None:
        catalog = CatalogStore(catalog_db)
        try:
            store_released(catalog, envelope.body)
        finally:
            catalog.close()

    inbox.on(MESSAGE, keep)
