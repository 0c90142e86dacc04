"""Reading what the kiosk sells: a catalog folder (the editable draft) or a catalog database.

Qt-free. Every failure becomes one line the out-of-service screen can show (file:line first).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sync.errors import FloorLinkError

if TYPE_CHECKING:  # sync.catalog loads in the background, after the first screen
    from sync.catalog import Catalog

log = logging.getLogger(__name__)


def read_catalog(folder: Path) -> tuple[Catalog | None, str | None]:
    """The catalog, or None and a one-line problem for the out-of-service screen."""
    catalog, _, problem = read_source(folder)
    return catalog, problem


def read_source(path: Path) -> tuple[Catalog | None, dict[str, int], str | None]:
    """``(catalog, revision number per product, problem)`` from a catalog folder (the editable
    draft: no revision numbers) or a catalog database file (the latest released revisions)."""
    from sync.catalog import CatalogInvalid, load_catalog

    try:
        if path.is_file():
            return _released(path)
        return load_catalog(path, deep=False), {}, None
    except CatalogInvalid as exc:
        first = exc.errors[0] if exc.errors else None
        return None, {}, f"catalog {path}: {first}" if first else exc.message
    except (FloorLinkError, OSError) as exc:
        return None, {}, f"catalog {path}: {exc}"


def _released(path: Path) -> tuple[Catalog | None, dict[str, int], str | None]:
    """The newest released revision of every product, named as the shop names itself in them, with their
    pictures written out by hash beside the database (once; a revision without them shows none)."""
    from sync.catalog import Catalog
    from sync.catalog.snapshot import snapshot_images
    from sync.catalog.store import CatalogStore

    store = CatalogStore(path)
    try:
        released = store.released_products()
        folder = path.parent / f"{path.stem}-pictures"
        pictures: dict[str, dict[str, Path]] = {}
        products = {code: revision.product() for code, revision in released.items()}
        for code, revision in released.items():
            for rel, sha in snapshot_images(revision.snapshot, products[code]).items():
                file = folder / f"{sha}{Path(rel).suffix.lower()}"
                if not file.is_file():
                    data = store.file(sha)
                    if data is None:
                        continue
                    try:
                        folder.mkdir(parents=True, exist_ok=True)
                        part = file.with_name(file.name + ".part")
                        part.write_bytes(data)
                        part.replace(file)  # never a half-written picture under its final name
                    except OSError:  # a full disk costs the picture, not the kiosk
                        log.warning("kiosk: picture %s not written to %s", rel, folder, exc_info=True)
                        continue
                pictures.setdefault(code, {})[rel] = file
    finally:
        store.close()
    if not released:
        return None, {}, f"catalog {path}: no released product revision"
    newest = max(released.values(), key=lambda r: r.created_at)
    head = newest.snapshot["catalog"]
    first = next(iter(products.values()))
    catalog = Catalog(name=dict(head["name"]), currency=first.currency,
                      languages=tuple(head.get("languages") or ("en", "zh_CN")), work_centres={}, items={},
                      assemblies={}, products=products, pictures=pictures)
    return catalog, {code: revision.number for code, revision in released.items()}, None


def fingerprint(path: Path) -> tuple[int, int, int]:
    """Cheap change detection: (files, newest mtime in ns, total size) of a file or folder.

    A database's write-ahead log counts too: while another program holds the file open (the hub, in the
    demo) a newly released revision sits in ``catalog.db-wal`` and the database file itself is unchanged."""
    try:
        if path.is_file():
            wal = path.with_name(path.name + "-wal")
            files = [path, wal] if wal.is_file() else [path]
        else:
            files = [p for p in path.rglob("*") if p.is_file()]
        stats = [f.stat() for f in files]
    except OSError:
        return (0, 0, 0)
    return (len(stats), max((s.st_mtime_ns for s in stats), default=0), sum(s.st_size for s in stats))
