"""Large down payloads (a catalog revision) split into pages behind a manifest with hashes.

The hub sends a ``page.manifest`` (id, the message type it carries, page count, total size,
SHA-256 of the whole and of every page) followed by ``page.part`` messages in the same stream.
The receiver checks every page and the whole against the manifest before anything is applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sync.errors import ProtocolError

DEFAULT_PAGE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Paged:
    """The manifest body and the part bodies for one large message."""

    manifest: dict[str, Any]
    parts: list[dict[str, Any]]


def split(paged_id: str, type: str, body: dict[str, Any], page_bytes: int = DEFAULT_PAGE_BYTES) -> Paged:
    """Cut the JSON of ``body`` into pages of at most ``page_bytes`` (before base64)."""
    return split_bytes(paged_id, type, json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
                       page_bytes)


def split_bytes(paged_id: str, type: str, data: bytes, page_bytes: int = DEFAULT_PAGE_BYTES) -> Paged:
    """Cut raw ``data`` (an image) into pages: the manifest's ``sha256`` is then the data's own hash."""
    if page_bytes < 1:
        raise ProtocolError(f"page size must be positive, got {page_bytes}", where="paging")
    chunks = [data[i:i + page_bytes] for i in range(0, len(data), page_bytes)] or [b""]
    manifest = {"paged_id": paged_id, "type": type, "count": len(chunks), "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "pages": [hashlib.sha256(c).hexdigest() for c in chunks]}
    parts = [{"paged_id": paged_id, "index": i, "data": base64.b64encode(c).decode("ascii")}
             for i, c in enumerate(chunks)]
    return Paged(manifest, parts)


def check_manifest(manifest: dict[str, Any], where: str) -> None:
    for name, kind in (("paged_id", str), ("type", str), ("count", int), ("size", int), ("sha256", str),
                       ("pages", list)):
        if not isinstance(manifest.get(name), kind):
            raise ProtocolError(f"page manifest field {name!r} is missing or of the wrong type", where=where)
    if manifest["count"] != len(manifest["pages"]) or manifest["count"] < 1:
        raise ProtocolError("page manifest count does not match its page hashes", where=where)


def page_data(manifest: dict[str, Any], part: dict[str, Any], where: str) -> bytes:
    """The bytes of one part, checked against the manifest's hash for its index."""
    index = part.get("index")
    if part.get("paged_id") != manifest["paged_id"] or not isinstance(index, int) \
            or not 0 <= index < manifest["count"]:
        raise ProtocolError(f"page part {index!r} does not belong to manifest {manifest['paged_id']}", where=where)
    try:
        data = base64.b64decode(str(part.get("data", "")), validate=True)
    except ValueError:
        raise ProtocolError(f"page part {index} is not valid base64", where=where) from None
    if hashlib.sha256(data).hexdigest() != manifest["pages"][index]:
        raise ProtocolError(f"page part {index} does not match its hash in the manifest", where=where)
    return data


def join_bytes(manifest: dict[str, Any], pages: list[bytes], where: str) -> bytes:
    """Reassemble and verify the whole, as bytes."""
    data = b"".join(pages)
    if len(data) != manifest["size"] or hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise ProtocolError(f"paged message {manifest['paged_id']} does not match the manifest hash", where=where)
    return data


def join(manifest: dict[str, Any], pages: list[bytes], where: str) -> dict[str, Any]:
    """Reassemble and verify the whole; the carried message's body."""
    body = json.loads(join_bytes(manifest, pages, where))
    if not isinstance(body, dict):
        raise ProtocolError("paged message is not a JSON object", where=where)
    return body
