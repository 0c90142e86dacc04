"""``python -m sync.hub.insights [demand | popular]``: the kiosk insight report, the demand report
(sync.hub.demand) and the popular builds (sync.hub.popular) from the hub's database, as text or JSON.
A thin command line over those modules: they compute, this reads the settings and prints."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sync import logs
from sync import settings as settings_module
from sync.catalog.store import catalog_database
from sync.errors import FloorLinkError, SettingsError, StoreError
from sync.hub.demand import DemandOptions, hub_demand_report
from sync.hub.demand import format_report as format_demand
from sync.hub.insights import format_report, insight_report, stored_rows
from sync.hub.locations import hub_database
from sync.hub.popular import DAYS, popular_builds
from sync.store import Store
from sync.times import from_iso

OLDEST, NEWEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
"""As the API (sync.hub.api): no shop floor data lies outside, and far dates overflow the calendars."""


def _time(text: str, option: str) -> datetime:
    try:
        at = from_iso(text)
    except ValueError:
        raise SettingsError(f"{option} {text!r} is not an ISO 8601 time", where="command line",
                            fix="e.g. 2026-11-01 or 2026-11-01T08:00:00+08:00") from None
    if not OLDEST <= at <= NEWEST:
        raise SettingsError(f"{option} {text!r} is outside {OLDEST.date()} .. {NEWEST.date()}", where="command line",
                            fix="a time when the shop had data, e.g. 2026-11-01")
    return at


def _parser(command: str, description: str, *, text: bool = True) -> argparse.ArgumentParser:
    """A report command's parser with what all three take: the settings file and the hub database; ``text``:
    a report printed as text or ``--json``, with a log level."""
    parser = argparse.ArgumentParser(prog=f"python -m sync.hub.insights{command}", description=description)
    parser.add_argument("--config", help="TOML settings file (else $FLOORLINK_CONFIG)")
    parser.add_argument("--db", help="hub database (default: hub.database, else {node.data_dir}/hub.db)")
    if text:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
        logs.add_log_argument(parser)
    return parser


def _settings(args: argparse.Namespace) -> settings_module.Settings:
    """The settings, and logging to the terminal at the chosen level."""
    settings = settings_module.load(args.config)
    logs.setup("insights", settings, level=args.log_level, file=False)
    return settings


def _hub_store(settings: settings_module.Settings, override: str | None) -> Store:
    """The hub's database to read (``--db``, else the settings'); a StoreError saying so when there is none."""
    path = hub_database(settings, override)
    if not path.is_file():
        raise StoreError("no hub database here", where=str(path),
                         fix="pass --db with the hub's database (the hub creates it on its first start)")
    return Store(path, device_id="insights", kind="hub")


def main(argv: list[str] | None = None) -> int:
    """``python -m sync.hub.insights``: print the kiosk insight report from the hub database
    (``python -m sync.hub.insights demand ...``: the demand report, sync.hub.demand)."""
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["demand"]:
        return demand_main(args_in[1:])
    if args_in[:1] == ["popular"]:
        return popular_main(args_in[1:])
    parser = _parser("", "Kiosk funnel, wished-for combinations and unclear options. "
                         "The demand report: python -m sync.hub.insights demand --help")
    parser.add_argument("--since", help="start, ISO 8601 (default: 30 days before --until); UTC without a zone")
    parser.add_argument("--until", help="end, ISO 8601 (default: now); UTC without a zone")
    args = parser.parse_args(args_in)
    try:
        settings = _settings(args)
        until = _time(args.until, "--until") if args.until else datetime.now(UTC)
        since = _time(args.since, "--since") if args.since else until - timedelta(days=30)
        if since >= until:
            raise SettingsError(f"--since {since.isoformat()} is not before --until {until.isoformat()}",
                                where="command line", fix="swap them, or leave --since out (30 days before --until)")
        store = _hub_store(settings, args.db)
        try:
            rows = stored_rows(store.query, since)
        finally:
            store.close()
    except FloorLinkError as exc:
        print(f"insights: {exc}", file=sys.stderr)
        return 2
    report = insight_report(rows, since, until)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


def demand_main(argv: list[str] | None = None) -> int:
    """``python -m sync.hub.insights demand``: print the demand report from the hub database."""
    parser = _parser(" demand", "Demand per product, option and component, forecast, purchasing and capacity "
                                "warnings, make-to-stock suggestions.")
    parser.add_argument("--catalog-db", help="catalog revision database (default: catalog.database, "
                                             "else {node.data_dir}/catalog.db)")
    parser.add_argument("--at", help="as of, ISO 8601 (default: now); UTC without a zone")
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        now = _time(args.at, "--at") if args.at else datetime.now(UTC)  # a wrong argument first, before the files
        path = hub_database(settings, args.db)
        catalog_db = catalog_database(settings, args.catalog_db)
        for what, where in (("hub database", path), ("catalog revision database", catalog_db)):
            if not where.is_file():
                raise StoreError(f"no {what} here", where=str(where),
                                 fix="pass --db and --catalog-db with the hub's databases (it creates them on its first start)")
        store = Store(path, device_id="insights", kind="hub")
        try:
            report = hub_demand_report(store.query, catalog_db, now, ZoneInfo(settings.get("node.time_zone")),
                                       DemandOptions.from_settings(settings))
        finally:
            store.close()
    except FloorLinkError as exc:
        print(f"insights demand: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_demand(report))
    return 0


def popular_main(argv: list[str] | None = None) -> int:
    """``python -m sync.hub.insights popular``: the builds the hub sends kiosks now, as JSON."""
    parser = _parser(" popular", "Each product's most-ordered configurations (kiosk popular builds).", text=False)
    parser.add_argument("--days", type=int, default=DAYS, help=f"orders of the last DAYS days (default {DAYS})")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error(f"--days must be at least 1, got {args.days}")
    try:
        store = _hub_store(settings_module.load(args.config), args.db)
        try:
            body = popular_builds(store.query, datetime.now(UTC), days=args.days)
        finally:
            store.close()
    except FloorLinkError as exc:
        print(f"popular: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
