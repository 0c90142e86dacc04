"""Putting the station terminal together: settings → ledger → session → window.

``python -m terminal [--config PATH] [--windowed] [--source camera|folder:PATH|video:PATH]``;
``--dashboard`` is reserved for the supervisor dashboard mode.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from sync import logs
from sync import settings as settings_module
from sync.errors import FloorLinkError, SettingsError
from sync.pairing import DEVICE_CA
from sync.protocol.edge import EdgeSync
from sync.settings import Settings
from sync.station.ledger import StationLedger
from sync.station.stored import StoredLedger, open_ledger, register
from terminal.decode.chain import DecodeChain
from terminal.decode.confirm import ScanConfirmer
from terminal.decode.sources import CaptureWorker, open_source
from terminal.qt import QApplication, QEventLoop, QTimer, ui_post
from terminal.station.camera_scan import CameraScanner
from terminal.station.demo import seed_demo, seed_demo_roster
from terminal.station.refused import RefusedEvents
from terminal.station.session import StationSession, clock_utc, heartbeat_body
from terminal.station.status import LinkStatus
from terminal.station.wedge import WedgeBuffer
from terminal.ui.camera import CameraBridge
from terminal.ui.sounds import Speaker
from terminal.ui.wedge_filter import WedgeFilter
from terminal.ui.window import StationWindow

STYLE = Path(__file__).resolve().parent.parent / "assets" / "styles" / "terminal.qss"


def site_zone(settings: Settings) -> ZoneInfo:
    """The site's zone; node.time_zone is checked when the settings load."""
    return ZoneInfo(settings.get("node.time_zone"))


def build_session(settings: Settings, ledger: StationLedger, clock: Callable = clock_utc) -> StationSession:
    """The station's rules for this device, seeded with the demo fixture when the settings ask for it."""
    zone = site_zone(settings)
    if settings.get("station.demo_work_orders"):
        seed_demo(ledger)
    elif settings.get("station.demo_roster"):
        seed_demo_roster(ledger)
    return StationSession(ledger, settings.get("node.device_id"), frozenset(settings.get("station.work_centres")),
                          clock=clock, zone=zone)


def start_sync(settings: Settings, ledger: StoredLedger) -> EdgeSync:
    """The background sync for this station: outbox up, its work orders and roster down."""
    mqtt = settings.section("mqtt")
    device = settings.get("node.device_id")
    sync = EdgeSync(ledger.store, site=settings.get("node.site"), host=mqtt["host"], port=mqtt["port"],
                    streams=[f"station/{device}"], catch_up=[f"station/{device}"],
                    link_options={"username": mqtt["username"], "password": mqtt["password"], "tls": mqtt["tls"],
                                  "ca_file": mqtt["ca_file"], "keepalive": mqtt["keepalive"],
                                  "session_expiry": mqtt["session_expiry"]})
    register(sync.inbox)
    return sync.start()


def sync_link(sync: EdgeSync) -> Callable[[], LinkStatus]:
    """Link status from the running sync: connected or not, and events not yet acked by the hub."""
    def status() -> LinkStatus:
        st = sync.status()
        return LinkStatus(online=st.connected, pending=st.pending, detail=st.last_error, refused=st.dead_letters)
    return status


def send_heartbeat(window: StationWindow, ledger: StoredLedger, sync: EdgeSync) -> None:
    """A heartbeat while online only: offline ones would pile up in the outbox and say nothing new."""
    if sync.status().connected:
        window.run(lambda: ledger.heartbeat(heartbeat_body(window.session)))


def memory_link(ledger: StationLedger) -> Callable[[], LinkStatus]:
    """Link status when no sync service runs: offline, with what waits in the outbox."""
    return lambda: LinkStatus(online=False, pending=ledger.pending_outbox(), detail="no hub connection")


def build_window(settings: Settings, session: StationSession, link: Callable[[], LinkStatus],
                 app: QApplication) -> tuple[StationWindow, WedgeFilter]:
    app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    sop_folder = Path(settings.get("station.sop_folder")).expanduser()
    if not sop_folder.is_absolute():
        sop_folder = STYLE.parents[2] / sop_folder  # relative to the repository / install folder
    window = StationWindow(session, link, Speaker(enabled=settings.get("station.sound")), sop_folder=sop_folder)
    window.set_language(settings.get("node.language"))  # the site's language at start; the login screen switches
    wedge = WedgeFilter()
    wedge.buffer = WedgeBuffer(max_gap=settings.get("station.wedge_max_gap_ms") / 1000)
    wedge.scanned.connect(window.scan)
    app.installEventFilter(wedge)
    return window, wedge


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m terminal", description="FloorLink station terminal")
    parser.add_argument("--config", help="TOML settings file (see docs/settings.md)")
    parser.add_argument("--windowed", action="store_true", help="run in a window instead of full screen")
    parser.add_argument("--source", default=None,
                        help="camera | folder:PATH | drop:PATH (pictures dropped in are scanned once) | video:PATH | none "
                             "(default: setting camera.source, else the camera)")
    parser.add_argument("--dashboard", action="store_true", help="supervisor dashboard mode")
    parser.add_argument("--pair", action="store_true",
                        help="when the settings file (--config or FLOORLINK_CONFIG) does not exist yet: scan the hub's "
                             "pairing code with the camera, write it, then start (deploy/systemd's unit does this)")
    parser.add_argument("--report-ready", action="store_true",
                        help="print READY once the station screen shows and, with a camera source, SCANNED and the "
                             "text of the first confirmed scan, then RECORDED once a heartbeat naming who is logged in "
                             "is in the outbox, then quit (smoke test)")
    logs.add_log_argument(parser)
    return parser.parse_args(list(argv))


def source_settings(settings: Settings, source: str | None) -> Settings | None:
    """Settings with ``camera.source`` set from ``--source``; None for ``--source none`` (wedge only)."""
    if source is None:
        return settings
    if source == "none":
        return None
    if source == "camera":
        return settings.with_overrides(camera__source="")
    kind, _, path = source.partition(":")
    if kind not in ("folder", "video", "drop") or not path:
        raise SettingsError(f"--source {source!r} is not understood", where="--source",
                            fix="use camera, folder:PATH, drop:PATH, video:PATH or none")
    if not Path(path).expanduser().exists():
        raise SettingsError(f"no such {kind}: {path}", where="--source")
    return settings.with_overrides(camera__source=source if kind == "drop" else path)


def start_camera(settings: Settings | None, before_start: Callable[[CameraBridge], object] | None = None,
                 ) -> tuple[CameraBridge | None, str]:
    """The camera scan loop for these settings, or None and why (the wedge scanner still works).
    ``before_start`` connects to the bridge before the first frame is read (no scan can be missed)."""
    if settings is None:
        return None, "camera off"
    try:
        source = open_source(settings)
        capture = CaptureWorker(source, fps=None if settings.get("camera.source") == "" else 10)
        chain = DecodeChain.for_camera(settings)
        bridge = CameraBridge()
        scanner = CameraScanner(capture, chain, lambda _scan: None,
                                confirmer=ScanConfirmer(frames_needed=settings.get("camera.confirm_frames")))
        bridge.attach(scanner)
        if before_start is not None:
            before_start(bridge)
        scanner.start()
        return bridge, source.name
    except FloorLinkError as exc:
        return None, f"no camera: {exc}"


def pairing_screen(config_path: Path, camera: Settings, windowed: bool, ca_file: Path = Path(DEVICE_CA),
                   quit_after_ms: int = 1500) -> int:
    """First run (no settings file yet): the camera waits for the hub's pairing code (sync.pairing), which
    writes the settings file; 0 once paired, 1 when the screen was closed first."""
    from terminal.station.first_run import CodeReader, FirstRun
    from terminal.ui.camera import preview_image
    from terminal.ui.pairing_page import PairingPage

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    page = PairingPage()
    rule = FirstRun(config_path, ca_file)
    post = ui_post(page)
    loop = QEventLoop()  # its own loop, not app.exec(): the station's window runs in the app's loop afterwards
    leave = QTimer(page)  # one timer, stopped on the way out: nothing left pending for a later event loop
    leave.setSingleShot(True)
    leave.timeout.connect(loop.quit)
    closed: list[bool] = []

    def scanned(text: str) -> None:
        if closed:  # a read queued before the screen closed
            return
        page.say(rule.offer(text))
        if rule.paired is not None and not leave.isActive():
            leave.start(quit_after_ms)

    reader = CodeReader(CaptureWorker(open_source(camera), fps=None if camera.get("camera.source") == "" else 10),
                        DecodeChain.for_pairing(camera), lambda text: post(lambda: scanned(text)),
                        on_frame=lambda image: post(lambda: page.show_frame(preview_image(image))))
    page.resize(1024, 768)
    page.show() if windowed else page.showFullScreen()
    reader.start()
    try:
        loop.exec()
    finally:
        closed.append(True)
        leave.stop()
        reader.stop()
        page.close()
    return 0 if rule.paired is not None else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = args.config or os.environ.get("FLOORLINK_CONFIG")
    if args.pair and config and not args.dashboard and not Path(config).expanduser().exists():
        # a new station: pair it with the code `python -m sync.hub enroll` printed (docs/install.md)
        try:
            scanning = source_settings(settings_module.load(None, environ={}), args.source)
            if scanning is None:
                raise SettingsError(f"no settings file at {config} and no camera to scan the pairing code",
                                    where="--source", fix="start with a camera, or copy the settings file there")
            if pairing_screen(Path(config).expanduser(), scanning, args.windowed) != 0:
                return 1
        except FloorLinkError as exc:
            print(f"terminal: {exc}", file=sys.stderr)
            return 2
    try:
        settings = settings_module.load(args.config)
        logs.setup(settings.get("node.device_id"), settings, level=args.log_level)
        if args.dashboard:
            from terminal.dashboard.app import run as run_dashboard

            wanted = args.source is not None or settings.get("dashboard.camera")
            return run_dashboard(settings, args, source_settings(settings, args.source) if wanted else None,
                                 start_camera)
        camera_settings = source_settings(settings, args.source)
        ledger = open_ledger(settings)
        session = build_session(settings, ledger)
    except FloorLinkError as exc:
        print(f"terminal: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C ends the app even while Qt's loop runs
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    try:
        sync = start_sync(settings, ledger)
    except FloorLinkError as exc:  # e.g. mqtt.ca_file missing: one sentence, exit 2 (systemd: see the journal)
        print(f"terminal: {exc}", file=sys.stderr)
        ledger.store.close()
        return 2
    session.listeners.append(sync.wake)  # an accepted action goes up at once, not at the next tick
    app.aboutToQuit.connect(sync.stop)
    window, _wedge = build_window(settings, session, sync_link(sync), app)
    window.attach_refused(RefusedEvents.for_sync(sync, session.name_of, session.zone))
    heartbeat = QTimer(window)
    heartbeat.timeout.connect(lambda: send_heartbeat(window, ledger, sync))
    heartbeat.start(settings.get("station.heartbeat_seconds") * 1000)
    reporter = ReadyReport(app, ledger) if args.report_ready else None

    def connect(bridge: CameraBridge) -> None:
        # before the first frame is read: a label held up at start-up is read at once, and a scan emitted
        # before the window listened would be lost (the smoke run met it on a busy machine)
        window.attach_camera(bridge)
        if reporter is not None:
            reporter.watch(bridge)

    camera, camera_note = start_camera(camera_settings, connect)
    if camera is not None:
        app.aboutToQuit.connect(camera.stop)
    print(f"terminal: {camera_note}", file=sys.stderr)
    if args.windowed:
        window.resize(1280, 800)
        window.show()
    else:
        window.showFullScreen()
    if reporter is not None:
        reporter.start(window, camera is not None)
    return app.exec()


class ReadyReport:
    """``--report-ready``: READY when the first snapshot is drawn; with a camera, SCANNED <text> at the
    first confirmed scan (exit 1 when none comes within a minute), then RECORDED once the scan's effect is
    an event in the outbox: a ``device.heartbeat`` naming who the scan logged in; then quit."""

    def __init__(self, app: QApplication, ledger: StoredLedger) -> None:
        self.app = app
        self.ledger = ledger
        self.window: StationWindow | None = None
        self.scans: list[str] = []
        self.ready = False
        self.camera = False
        self.done = False

    def watch(self, bridge: CameraBridge) -> None:
        """Connected before the camera starts, after the window: the first scan may come before the screen is
        drawn, and the window must have it first (its action is then queued before the heartbeat)."""
        bridge.scanned.connect(self._scanned)

    def start(self, window: StationWindow, camera: bool) -> None:
        self.camera = camera
        self.window = window

        def ready() -> None:
            window.wait_idle(10)
            print(f"READY station={window.session.station}", flush=True)
            self.ready = True
            self._maybe_quit()

        def no_scan() -> None:
            print("NO SCAN within 60 s", flush=True)
            self.app.exit(1)

        if camera:
            QTimer.singleShot(60_000, no_scan)
        QTimer.singleShot(0, ready)

    def _scanned(self, text: str) -> None:
        if not self.scans:
            self.scans.append(text)
        self._maybe_quit()

    def _maybe_quit(self) -> None:
        if self.done or not self.ready or (self.camera and not self.scans):
            return
        self.done = True
        if not self.scans:
            QTimer.singleShot(0, self.app.quit)
            return
        print(f"SCANNED {self.scans[0]}", flush=True)
        window = self.window
        assert window is not None

        def heartbeat() -> dict[str, object]:
            body = heartbeat_body(window.session)
            self.ledger.heartbeat(body)
            return body

        def recorded(body: dict[str, object]) -> None:
            print(f"RECORDED device.heartbeat worker={body['worker']}", flush=True)
            self.app.quit()

        # after this turn of the loop: the window has queued the scan itself on the same one-thread runner,
        # so the heartbeat is recorded after the scan took effect
        QTimer.singleShot(0, lambda: window.run(heartbeat, recorded))
