"""Every FloorLink setting, declared once: name, type, default and what it does.

Values come, in rising priority, from the declared defaults, a TOML file
(``--config PATH`` or the ``FLOORLINK_CONFIG`` environment variable) and environment
variables named ``FLOORLINK_<SECTION>_<NAME>`` (e.g. ``FLOORLINK_MQTT_PORT=1884``).
Each value is checked against its declaration; a wrong one raises :class:`SettingsError`
naming the file or variable, the key and what is allowed.

``python -m sync.settings`` prints the reference that ``docs/settings.md`` holds
(a test fails when the two differ).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.errors import SettingsError, quoted
from sync.numbers import prefix_problem


@dataclass(frozen=True)
class Setting:
    """The declaration of one setting: the only place its type, default and meaning live."""

    section: str
    name: str
    type: type
    default: Any
    doc: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: a further check of the converted value: returns what is wrong with it, or None
    check: Callable[[Any], str | None] | None = None
    check_doc: str = ""

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def env_var(self) -> str:
        return f"FLOORLINK_{self.section.upper()}_{self.name.upper()}"

    def convert(self, raw: Any, where: str) -> Any:
        """Turn ``raw`` (from TOML or an environment string) into a checked value."""
        value = raw
        try:
            if self.type is bool:
                if isinstance(raw, str):
                    low = raw.strip().lower()
                    if low in ("1", "true", "yes", "on"):
                        value = True
                    elif low in ("0", "false", "no", "off"):
                        value = False
                    else:
                        raise ValueError(raw)
                elif not isinstance(raw, bool):
                    raise ValueError(raw)
            elif self.type is int:
                if isinstance(raw, bool):
                    raise ValueError(raw)
                value = int(raw) if isinstance(raw, str) else raw
                if not isinstance(value, int):
                    raise ValueError(raw)
            elif self.type is float:
                if isinstance(raw, bool):
                    raise ValueError(raw)
                value = float(raw)
                if not math.isfinite(value):
                    raise ValueError(raw)  # "nan" and "inf" are floats to Python, not a number of seconds
            elif self.type is str:
                if not isinstance(raw, str):
                    raise ValueError(raw)
            elif self.type is list:
                if isinstance(raw, str):
                    value = [part.strip() for part in raw.split(",") if part.strip()]
                elif not isinstance(raw, list) or not all(isinstance(part, str) for part in raw):
                    raise ValueError(raw)  # a list of texts: ["st-assy-1", "st-assy-2"]
        except (TypeError, ValueError):
            raise SettingsError(
                f"setting {self.key} must be of type {self.type.__name__}, got {quoted(raw)}",
                where=where,
                fix=f"see docs/settings.md: {self.doc}",
            ) from None
        if self.choices is not None and value not in self.choices:
            raise SettingsError(
                f"setting {self.key} is {quoted(value)}, which is not one of {', '.join(map(repr, self.choices))}",
                where=where,
            )
        if self.minimum is not None and value < self.minimum:
            raise SettingsError(f"setting {self.key} is {quoted(value)}, below the minimum {self.minimum}", where=where)
        if self.maximum is not None and value > self.maximum:
            raise SettingsError(f"setting {self.key} is {quoted(value)}, above the maximum {self.maximum}", where=where)
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise SettingsError(f"setting {self.key} is {quoted(value)}: {problem}", where=where,
                                    fix=f"see docs/settings.md: {self.doc}")
        return value


def time_zone_problem(name: str) -> str | None:
    """None when ``name`` is an IANA time zone this machine knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return "unknown time zone (use an IANA name such as Asia/Shanghai or Europe/Berlin)"
    return None


def _pin_hash_problem(value: str) -> str | None:
    from sync.pin import hash_problem

    return hash_problem(value)


#: settings that moved: an old key in a file is refused with a pointer to the new one
MOVED = {"station.time_zone": "node.time_zone"}
#: settings that are gone: an old key in a file or the environment is refused with what to do instead
GONE = {"kiosk.admin_pin": "a plain PIN is no longer read: put its hash in kiosk.admin_pin_hash "
                           "(python -m sync.pin prints the line)"}


DECLARATIONS: list[Setting] = [
    # --- node: who this device is ---------------------------------------------------------
    Setting("node", "device_id", str, "demo-node", "Unique id of this device; it names its MQTT topics and outbox events."),
    Setting("node", "site", str, "demo", "Site name, the second level of every MQTT topic (floorlink/v1/{site}/...)."),
    Setting("node", "data_dir", str, "~/.local/share/floorlink", "Folder for this node's SQLite database and files."),
    Setting("node", "language", str, "en", "Interface language at start.", choices=("en", "zh_CN")),
    Setting("node", "time_zone", str, "UTC",
            "Time zone of the site: work-centre shifts and promise days are read in it.",
            check=time_zone_problem, check_doc="An IANA name such as `Asia/Shanghai`."),
    Setting("node", "log_level", str, "info",
            "How much this node logs (to stderr and {data_dir}/logs/{node}.log); `--log-level` overrides it for one run.",
            choices=("debug", "info", "warning", "error")),
    Setting("node", "log_file_mb", float, 10.0, "Size of one log file before it rotates, in MB.",
            minimum=0.1, maximum=1000.0),
    Setting("node", "log_files", int, 5, "How many rotated log files to keep beside the current one.",
            minimum=1, maximum=100),
    # --- mqtt: how to reach the broker ------------------------------------------------------
    Setting("mqtt", "host", str, "127.0.0.1", "Broker host name or address."),
    Setting("mqtt", "port", int, 1883, "Broker TCP port.", minimum=1, maximum=65535),
    Setting("mqtt", "username", str, "", "User name for the broker; empty for none."),
    Setting("mqtt", "password", str, "", "Password for the broker; empty for none."),
    Setting("mqtt", "tls", bool, False, "Connect with TLS (set ca_file for a private CA)."),
    Setting("mqtt", "ca_file", str, "", "CA certificate file for TLS; empty for the system store."),
    Setting("mqtt", "keepalive", int, 15, "Seconds between MQTT keep-alive pings.", minimum=5, maximum=600),
    Setting("mqtt", "session_expiry", int, 7 * 24 * 3600,
            "Seconds the broker keeps this device's session and queued messages while it is away.", minimum=0),
    # --- broker: the broker FloorLink starts itself (demo command, `python -m sync.broker`) ----
    Setting("broker", "kind", str, "embedded",
            "Broker the demo starts: embedded (rumqttd from the iotcore wheel, nothing to install), "
            "mosquitto (the installed binary, persistent) or none (use the broker at mqtt.host).",
            choices=("embedded", "mosquitto", "none")),
    Setting("broker", "host", str, "127.0.0.1", "Address the started broker listens on."),
    Setting("broker", "port", int, 1883, "Port the started broker listens on (0: any free port).", minimum=0, maximum=65535),
    Setting("broker", "data_dir", str, "", "Folder for the started broker's config, log and persistence; empty: <node.data_dir>/broker."),
    Setting("broker", "mosquitto_binary", str, "/usr/sbin/mosquitto", "The mosquitto executable (kind = mosquitto)."),
    Setting("broker", "max_queued_messages", int, 1_000_000,
            "Messages Mosquitto keeps per offline persistent session; its own default (1000) silently drops the rest.",
            minimum=1000),
    Setting("broker", "autosave_interval", int, 1,
            "Seconds between Mosquitto persistence saves: a broker killed outright loses at most this much of its queue "
            "(the edge outbox re-sends it).", minimum=1, maximum=3600),
    Setting("broker", "max_payload_size", int, 1_048_576, "Largest payload in bytes the embedded broker accepts.",
            minimum=1024),
    # --- catalog: product revisions and approval (sync/catalog) ---------------------------------
    Setting("catalog", "database", str, "",
            "SQLite file holding catalog revisions, users and the audit log; empty for {node.data_dir}/catalog.db."),
    # --- kiosk: the in-store configurator (kiosk/) ------------------------------------------------
    Setting("kiosk", "catalog_folder", str, "assets/catalog",
            "Catalog folder the kiosk shows until the local copy of released revisions is wired."),
    Setting("kiosk", "idle_timeout_s", int, 90,
            "Seconds without a touch before the kiosk clears the session and returns to the attract screen; the last "
            "20 s (a third of a shorter time) ask \"Are you still there?\" first.",
            minimum=10, maximum=3600),
    Setting("kiosk", "admin_pin_hash", str, "",
            "Hash of the staff PIN (opens the staff panel and leaves the app); `python -m sync.pin` makes one. "
            "Empty: the kiosk does not start (the demo sets its own).",
            check=lambda value: _pin_hash_problem(value) if value else None,
            check_doc="The line `python -m sync.pin` prints (`pbkdf2_sha256$...`)."),
    Setting("kiosk", "order_prefix", str, "",
            "Prefix of this kiosk's order numbers (K1 numbers K1-0001, K1-0002...); empty: made from node.device_id "
            "(kiosk-1 -> K1). Give every kiosk of a site its own.", check=prefix_problem,
            check_doc="A letter, then up to 5 letters or digits."),
    Setting("kiosk", "printer", str, "",
            "System printer queue (lpstat -p) the receipt is also sent to; empty: the receipt PDF only."),
    Setting("kiosk", "shop_address", str, "",
            "The store's address printed under the shop's name (from the released catalog) on every receipt; "
            "empty: no address line."),
    # --- station: the station terminal (terminal/) -----------------------------------------------
    # --- hub: the planning and ingest service ---------------------------------------------
    Setting("hub", "database", str, "", "Hub database file; empty for {node.data_dir}/hub.db."),
    Setting("hub", "devices", list, [],
            "Devices allowed to send events, as kind:id (kiosk:kiosk-1, station:st-assy-1, dashboard:dash-1); each "
            "kind sends only its own events. A bare id takes the kind of its first event. Others are quarantined."),
    Setting("hub", "allow_unknown_devices", bool, False,
            "Register any device on its first event instead of quarantining it (demo only)."),
    Setting("hub", "api_port", int, 0, "Port of the read-only HTTP API; 0 turns the API off.", minimum=0,
            maximum=65535),
    Setting("hub", "api_host", str, "127.0.0.1", "Address the HTTP API listens on."),
    Setting("hub", "api_tokens", list, [],
            "Bearer tokens of the HTTP API's read scope: every GET (comma-separated in the environment)."),
    Setting("hub", "api_integrate_tokens", list, [],
            "Bearer tokens of the HTTP API's integrate scope: they read, and write stock counts, receipts, shipments "
            "and requisition confirmations (an ERP's; comma-separated in the environment)."),
    Setting("hub", "api_max_days", int, 366,
            "Longest period one API request may cover (`since` to `until`, KPIs and insights); longer ones are "
            "refused with 400, so one request cannot hold the hub's CPU for minutes.", minimum=1, maximum=3660),
    Setting("hub", "api_report_workers", int, 1,
            "Worker processes that compute the API's heavy reports (KPIs, insights, demand, order and WIP lists), "
            "each on its own read-only connection, so a long report never slows the storing of events; 0 computes "
            "them in the hub process (one at a time).", minimum=0, maximum=16),
    Setting("hub", "demand_session_weight", float, 0.25,
            "How much a kiosk session that reached the summary and did not order weighs beside an order's unit "
            "in the demand forecast; each product's series is then scaled back to the units it was ordered in "
            "(docs/insights.md), so sessions shape the trend, not the volume.", minimum=0, maximum=1),
    Setting("hub", "demand_notice_days", int, 7,
            "A purchasing warning is raised when the day to order an item (the day it runs short at the current "
            "trend, less its lead time) is at most this many days away.", minimum=0, maximum=120),
    Setting("hub", "demand_capacity_threshold", float, 1.0,
            "A capacity warning is raised when a work centre's planned plus forecast load of a week reaches this "
            "share of its hours.", minimum=0.1, maximum=10),
    Setting("hub", "demand_every_s", int, 3600,
            "Seconds between two demand forecasts (and their purchasing and capacity warnings).", minimum=60),
    Setting("hub", "traveler_language", str, "en",
            "Language the travelers print in (step names, options, labels' texts) when the request names none "
            "(``traveler.pdf?lang=zh_CN``); Chinese needs a font with its characters on the hub box "
            "(fonts-wqy-microhei).", choices=("en", "zh_CN")),
    Setting("hub", "notify_config", str, "",
            "TOML file with notification channels and routes (see docs/hub.md); empty for none."),
    Setting("hub", "silent_station_s", int, 660,
            "Seconds without any event (heartbeats included) before a station is reported silent; keep it above "
            "twice station.heartbeat_seconds.", minimum=30),
    Setting("hub", "tick_seconds", float, 1.0, "How often the hub checks running operations, stations and orders.",
            minimum=0.05, maximum=60),
    Setting("station", "work_centres", list, ["ASSY"],
            "Work centres this station serves; operations routed elsewhere are refused (a supervisor may override)."),
    Setting("station", "demo_work_orders", bool, False,
            "Seed demo work orders and a demo roster locally (a demo fixture until a hub releases work)."),
    Setting("station", "demo_roster", bool, False,
            "Seed only the demo roster (badges E-0042, E-0007, supervisor S-0001) for a demo with a real hub; on "
            "the dashboard, the people who may acknowledge alerts."),
    Setting("station", "sound", bool, True, "Play a tone for every scan and action."),
    Setting("station", "sop_folder", str, "assets/catalog",
            "Folder the SOP document paths of operations are relative to (the catalog folder)."),
    Setting("station", "heartbeat_seconds", int, 300,
            "While online, a device.heartbeat event every this many seconds (the hub flags silent stations).",
            minimum=10, maximum=3600),
    Setting("station", "wedge_max_gap_ms", int, 50,
            "Longest gap between keystrokes of a keyboard-wedge scanner; slower typing is a person.",
            minimum=5, maximum=500),
    # --- camera: frames and decoding at a station (terminal/decode) -----------------------------------
    Setting("camera", "index", int, 0, "OpenCV index of the station camera (0 = first camera).", minimum=0, maximum=63),
    Setting("camera", "width", int, 1280, "Capture width asked of the camera, in pixels.", minimum=160, maximum=7680),
    Setting("camera", "height", int, 720, "Capture height asked of the camera, in pixels.", minimum=120, maximum=4320),
    Setting("camera", "source", str, "",
            "A video file or image folder to read instead of the camera (demos, tests), or drop:FOLDER (each picture "
            "dropped into FOLDER is scanned once: the demo); empty for the camera."),
    Setting("camera", "formats", list, ["Code128", "QRCode"],
            "Barcode formats the decoder looks for (zxing-cpp names); fewer is faster and reads less by mistake."),
    Setting("camera", "confirm_frames", int, 2,
            "Consecutive frames that must show the same valid label before it counts as a scan.", minimum=1, maximum=10),
    Setting("camera", "retry_budget_ms", int, 80,
            "Most milliseconds spent on decode retries per frame (the next frame is another chance).",
            minimum=0, maximum=2000),
    # --- dashboard: the supervisor dashboard (python -m terminal --dashboard) ------------------------
    Setting("dashboard", "stale_after_s", int, 15,
            "Seconds without a hub snapshot before the \"stale since\" banner shows (the hub sends one every 5 s).",
            minimum=6, maximum=3600),
    Setting("dashboard", "time_refresh_s", float, 5.0,
            "Seconds between repaints of what changes with time alone (alert ages, the stale banner); "
            "data changes repaint at once.", minimum=0.5, maximum=300),
    Setting("dashboard", "default_tab", str, "overview",
            "Tab shown at start; overview is the wall board (late and at-risk orders, stations, open alerts).",
            choices=("overview", "orders", "stations", "centres", "load", "alerts", "kpis")),
    Setting("dashboard", "cycle_s", int, 0,
            "Wall board: seconds each of overview, stations and alerts stays before the next shows; 0 keeps the "
            "chosen tab fixed. A tap on the screen holds the cycle for two rounds.", minimum=0, maximum=3600),
    Setting("dashboard", "at_risk_h", float, 8.0,
            "An open order whose ETA comes within this many hours of its promise shows as at risk.",
            minimum=0, maximum=720),
    Setting("dashboard", "work_centre", str, "",
            "Work centre the Stations and Work centres tabs start on (e.g. WHEEL); empty for all."),
    Setting("dashboard", "camera", bool, False,
            "Read badges with the camera (the camera.* settings) when someone acknowledges or resolves an alert; "
            "off: a hand scanner or a PIN. `--source` starts it too."),
]


def declarations() -> dict[str, Setting]:
    """All declarations by key (``section.name``)."""
    return {s.key: s for s in DECLARATIONS}


@dataclass
class Settings:
    """Checked values for every declared setting; read them as ``settings.get("mqtt.port")``."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        if key not in self.values:
            raise SettingsError(f"no setting named {key!r}", fix="see docs/settings.md for the declared ones")
        return self.values[key]

    def section(self, section: str) -> dict[str, Any]:
        prefix = section + "."
        return {k[len(prefix):]: v for k, v in self.values.items() if k.startswith(prefix)}

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with ``section__name=value`` overrides, checked like any other source."""
        decls = declarations()
        values = dict(self.values)
        sources = dict(self.sources)
        for dunder, raw in overrides.items():
            key = dunder.replace("__", ".", 1)
            if key not in decls:
                raise SettingsError(f"no setting named {key!r}", where="override")
            values[key] = decls[key].convert(raw, "override")
            sources[key] = "override"
        return Settings(values, sources)


def read_toml(file: Path, what: str, fix: str) -> dict[str, Any]:
    """A TOML file as a dict; a missing or malformed one is a :class:`SettingsError` naming it."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{what} not found", where=str(file), fix=fix) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"not valid TOML: {exc}", where=str(file)) from None


def load(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file (``path`` or ``$FLOORLINK_CONFIG``), then environment variables."""
    environ = os.environ if environ is None else environ
    decls = declarations()
    values = {key: s.default for key, s in decls.items()}
    sources = {key: "default" for key in decls}

    path = path or environ.get("FLOORLINK_CONFIG") or None
    if path:
        file = Path(path).expanduser()
        data = read_toml(file, "configuration file", "check the --config path or FLOORLINK_CONFIG")
        for section, table in data.items():
            if not isinstance(table, dict):
                raise SettingsError(f"top-level key {quoted(section)} must be a [section] table", where=str(file))
            for name, raw in table.items():
                key = f"{section}.{name}"
                if key in GONE:
                    raise SettingsError(f"setting {key!r} is no longer read", where=str(file), fix=GONE[key])
                if key in MOVED:
                    raise SettingsError(f"setting {key!r} has moved to {MOVED[key]!r}", where=str(file),
                                        fix=f"write it as {MOVED[key].split('.')[1]} under [{MOVED[key].split('.')[0]}]")
                if key not in decls:
                    raise SettingsError(f"unknown setting {quoted(key)}", where=str(file),
                                        fix="see docs/settings.md for the declared ones")
                values[key] = decls[key].convert(raw, f"{file} [{section}] {name}")
                sources[key] = str(file)

    for key, fix in GONE.items():
        env_var = "FLOORLINK_" + key.replace(".", "_").upper()
        if env_var in environ:
            raise SettingsError(f"setting {key!r} is no longer read", where=f"environment variable {env_var}", fix=fix)
    for key, moved_to in MOVED.items():
        env_var = "FLOORLINK_" + key.replace(".", "_").upper()
        if env_var in environ:
            raise SettingsError(f"setting {key!r} has moved to {moved_to!r}", where=f"environment variable {env_var}",
                                fix=f"set {'FLOORLINK_' + moved_to.replace('.', '_').upper()} instead")
    # a misspelt variable (FLOORLINK_HUB_API_TOKNS) was ignored in silence; the same typo in a file is refused
    known_vars = {decl.env_var for decl in decls.values()} | {"FLOORLINK_CONFIG"}
    known_vars |= {"FLOORLINK_" + key.replace(".", "_").upper() for key in GONE}
    for name in environ:
        if name.startswith("FLOORLINK_") and name not in known_vars and name.count("_") >= 2 \
                and name.split("_")[1].lower() in {d.section for d in decls.values()}:
            raise SettingsError(f"unknown setting in environment variable {name}", where=f"environment variable {name}",
                                fix="see docs/settings.md for the declared ones (FLOORLINK_<SECTION>_<NAME>)")
    for key, decl in decls.items():
        if decl.env_var in environ:
            values[key] = decl.convert(environ[decl.env_var], f"environment variable {decl.env_var}")
            sources[key] = decl.env_var
    return Settings(values, sources)


def reference_markdown() -> str:
    """The settings reference, generated from the declarations (kept in docs/settings.md)."""
    lines = [
        "# Settings",
        "",
        "Generated by `python -m sync.settings` from `sync/settings.py`; do not edit by hand.",
        "",
        "Values come from the defaults below, then a TOML file given with `--config PATH` or",
        "`FLOORLINK_CONFIG`, then environment variables `FLOORLINK_<SECTION>_<NAME>`.",
        "",
        "```toml",
        "[mqtt]",
        'host = "broker.local"',
        "port = 8883",
        "tls = true",
        "```",
        "",
    ]
    section = None
    for s in DECLARATIONS:
        if s.section != section:
            section = s.section
            lines += [f"## [{section}]", "", "| setting | type | default | environment | meaning |", "|---|---|---|---|---|"]
        allowed = ""
        if s.choices:
            allowed = " One of: " + ", ".join(f"`{c}`" for c in s.choices) + "."
        if s.check_doc:
            allowed += f" {s.check_doc}"
        if s.minimum is not None or s.maximum is not None:
            allowed += f" Range: {s.minimum if s.minimum is not None else ''}..{s.maximum if s.maximum is not None else ''}."
        lines.append(f"| `{s.name}` | {s.type.__name__} | `{s.default!r}` | `{s.env_var}` | {s.doc}{allowed} |")
        nxt = DECLARATIONS.index(s) + 1
        if nxt == len(DECLARATIONS) or DECLARATIONS[nxt].section != section:
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown(), end="")
