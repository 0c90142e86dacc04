"""A product revision's content: the product plus everything it references, as canonical JSON.

Why a closure and a hash: an order must be rebuildable from its revision alone, years later,
whatever happened to the catalog files since; the hash makes "did anything change?" one compare.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from sync.catalog.build import build_assembly, build_item, build_product, build_work_centre, nowhere
from sync.catalog.model import Catalog, Product

SNAPSHOT_FORMAT = 1


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def canonical_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, default=_plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _files(root: Path | None, product: Product) -> dict[str, str]:
    """sha256 of every image and SOP the product shows, so a changed picture is a changed revision."""
    paths = shown_images(product) | {i.image for i in product.items.values()}
    ops = list(product.routing) + [op for asm in product.assemblies.values() for op in asm.routing]
    paths |= {op.sop for op in ops}
    out = {}
    for rel in sorted(p for p in paths if p):
        file = (root / rel) if root else None
        if file is not None and file.is_file():
            out[rel] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def shown_images(product: Product) -> set[str]:
    """The pictures a kiosk shows for ``product`` (its own, its groups', its options'), as catalog paths."""
    paths = {product.image, *(g.image for g in product.groups)}
    paths |= {o.image for a in product.attributes for o in a.options}
    return {p for p in paths if p}


def snapshot_images(snapshot: Mapping[str, Any], product: Product | None = None) -> dict[str, str]:
    """``{catalog path: sha256}`` of the shown pictures a revision's snapshot names (hash-covered by its
    content hash through ``files``); a picture missing from the folder at submit has no hash and is left out.
    ``product``: the snapshot's product when already built (it is not built twice)."""
    files: Mapping[str, str] = snapshot.get("files") or {}
    shown = shown_images(product if product is not None else product_from_snapshot(snapshot))
    return {rel: files[rel] for rel in sorted(shown) if rel in files}


def product_snapshot(catalog: Catalog, product_code: str) -> dict[str, Any]:
    """The JSON-ready snapshot of one product of a loaded catalog."""
    product = catalog.products[product_code]
    raw = catalog.raw
    head: Mapping[str, Any] = raw["catalog"]  # type: ignore[assignment]
    return json.loads(canonical_json({
        "format": SNAPSHOT_FORMAT,
        "catalog": {"name": head["name"], "currency": head["currency"], "languages": head["languages"]},
        "product": raw["products"][product_code],  # type: ignore[index]
        "items": {c: raw["items"][c] for c in sorted(product.items)},  # type: ignore[index]
        "assemblies": {c: raw["assemblies"][c] for c in sorted(product.assemblies)},  # type: ignore[index]
        "work_centres": {c: raw["work_centres"][c] for c in sorted(product.work_centres)},  # type: ignore[index]
        "files": _files(catalog.root, product),
    }))


def product_from_snapshot(snapshot: Mapping[str, Any]) -> Product:
    """Rebuild the exact product a revision holds (no catalog folder needed)."""
    items = {c: build_item(r, nowhere, ()) for c, r in snapshot["items"].items()}
    assemblies = {c: build_assembly(r, nowhere, ()) for c, r in snapshot["assemblies"].items()}
    centres = {c: build_work_centre(r, nowhere, ()) for c, r in snapshot["work_centres"].items()}
    return build_product(
        snapshot["product"], nowhere, currency=snapshot["catalog"]["currency"],
        items=items, assemblies=assemblies, work_centres=centres,
    )
