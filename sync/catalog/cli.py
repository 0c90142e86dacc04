"""``python -m sync.catalog``: check, explore, and the revision workflow, thin over the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sync import logs
from sync.catalog.diff import change_dict, diff_snapshots
from sync.catalog.explore import explore_problem_folder, explore_product, is_renault_folder, parse_choices
from sync.catalog.loader import inspect_catalog, load_catalog
from sync.catalog.store import ROLES, CatalogStore, catalog_database
from sync.errors import FloorLinkError
from sync.settings import load


def default_db() -> Path:
    return catalog_database(load())


def _store(args: argparse.Namespace) -> CatalogStore:
    return CatalogStore(args.db or default_db())


def cmd_check(args: argparse.Namespace) -> int:
    catalog, findings = inspect_catalog(args.path, deep=not args.quick)
    errors = [f for f in findings if f.severity == "error"]
    for finding in findings:
        print(finding, file=sys.stderr if finding.severity == "error" else sys.stdout)
    if catalog is None or errors:
        print(f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s): catalog not loadable", file=sys.stderr)
        return 1
    counts = {
        "products": len(catalog.products),
        "attributes": sum(len(p.attributes) for p in catalog.products.values()),
        "rules": sum(len(p.rules) for p in catalog.products.values()),
        "items": len(catalog.items),
        "assemblies": len(catalog.assemblies),
        "work_centres": len(catalog.work_centres),
        "warnings": len(findings),
    }
    print("OK: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def cmd_explore(args: argparse.Namespace) -> int:
    path = Path(args.path)
    choices = parse_choices(args.choose)
    if is_renault_folder(path):
        result = explore_problem_folder(path, choices, args.complete)
    else:
        if not args.product:
            raise FloorLinkError("explore needs a PRODUCT code for a catalog folder", where=str(path))
        result = explore_product(path, args.product, choices, args.complete, args.revision)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.path)
    store = _store(args)
    for code in args.product:
        revision = store.submit(catalog, code, args.user)
        print(f"{revision.ref} {revision.state} {revision.content_hash[:12]}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    revision = _store(args).approve(args.product, args.number, args.user, args.role)
    print(f"{revision.ref} {revision.state}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    revision = _store(args).release(args.product, args.number, args.user)
    print(f"{revision.ref} {revision.state}")
    return 0


def cmd_revisions(args: argparse.Namespace) -> int:
    for r in _store(args).revisions(args.product):
        print(f"{r.ref}\t{r.state}\t{r.content_hash[:12]}\t{r.created_by}\t{r.created_at}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    store = _store(args)
    old, new = store.revision(args.product, args.old), store.revision(args.product, args.new)
    changes = diff_snapshots(old.snapshot, new.snapshot)
    if args.json:
        print(json.dumps([change_dict(c) for c in changes], ensure_ascii=False, indent=2, default=str))
    else:
        print(f"{old.ref} -> {new.ref}: {len(changes)} change(s)")
        for change in changes:
            print(change)
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    for e in _store(args).log(args.product):
        ref = f"{e.product}@{e.number}" if e.product else "-"
        print(f"{e.at}\t{e.user}\t{e.action}\t{ref}\t{json.dumps(e.detail, ensure_ascii=False)}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.action == "add":
        if not args.name:
            raise FloorLinkError("users add needs a NAME", where="users")
        store.add_user(args.name, args.role or [], by=args.by)
    for name, roles in store.users().items():
        print(f"{name}\t{', '.join(roles) or '-'}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sync.catalog", description=__doc__)
    p.add_argument("--db", help="catalog database file (default: setting catalog.database)")
    logs.add_log_argument(p)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("check", help="check a catalog folder; exit 1 on errors")
    s.add_argument("path")
    s.add_argument("--quick", action="store_true", help="skip the configurator checks")
    s.set_defaults(run=cmd_check)

    s = sub.add_parser("explore", help="valid domains, explanations, price and BOM as JSON")
    s.add_argument("path", help="catalog folder, catalog database file, or a Renault-format folder (domains.txt + rules/)")
    s.add_argument("product", nargs="?", help="product code (ignored for a Renault folder)")
    s.add_argument("--choose", action="append", default=[], metavar="ATTR=OPTION")
    s.add_argument("--complete", action="store_true", help="complete with the catalog defaults")
    s.add_argument("--revision", type=int, help="revision number when PATH is a catalog database (default: latest released)")
    s.set_defaults(run=cmd_explore)

    s = sub.add_parser("submit", help="snapshot products of a catalog folder as new draft revisions")
    s.add_argument("path")
    s.add_argument("product", nargs="+")
    s.add_argument("--user", required=True)
    s.set_defaults(run=cmd_submit)

    s = sub.add_parser("approve", help="approve a revision for one role")
    s.add_argument("product")
    s.add_argument("number", type=int)
    s.add_argument("--role", required=True, choices=["engineering", "marketing", "finance"])
    s.add_argument("--user", required=True)
    s.set_defaults(run=cmd_approve)

    s = sub.add_parser("release", help="release a finance-approved revision")
    s.add_argument("product")
    s.add_argument("number", type=int)
    s.add_argument("--user", required=True)
    s.set_defaults(run=cmd_release)

    s = sub.add_parser("revisions", help="list revisions")
    s.add_argument("product", nargs="?")
    s.set_defaults(run=cmd_revisions)

    s = sub.add_parser("diff", help="changes between two revisions of a product")
    s.add_argument("product")
    s.add_argument("old", type=int)
    s.add_argument("new", type=int)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_diff)

    s = sub.add_parser("log", help="audit log")
    s.add_argument("product", nargs="?")
    s.set_defaults(run=cmd_log)

    s = sub.add_parser("users", help="add or list users and their roles")
    s.add_argument("action", choices=["add", "list"])
    s.add_argument("name", nargs="?")
    s.add_argument("--role", action="append", choices=list(ROLES))
    s.add_argument("--by", default="cli", help="who records this change (audit log)")
    s.set_defaults(run=cmd_users)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.setup("catalog", level=args.log_level, file=False)  # a short command: its log lines go to stderr
    try:
        return int(args.run(args))
    except FloorLinkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
