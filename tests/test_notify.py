"""Notifications reach real local receivers once each, through failures and restarts."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sync.errors import SettingsError
from sync.hub.notify import Notifier, load_config, request_for
from sync.store import Store

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def hub_store(path: Path) -> Store:
    """A connection of the notifier's own, as the hub gives it (Store.sibling)."""
    return Store(path, device_id="hub", kind="")


class Receiver:
    """A real HTTP server on loopback that fails the first ``failures`` requests with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[str, dict[str, Any], str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if outer.failures > 0:
                    outer.failures -= 1
                    self.send_response(500)
                else:
                    outer.received.append((self.path, body, self.headers.get("X-FloorLink-Delivery")))
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.server.shutdown()


def write_config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "notify.toml"
    cfg.write_text(f"""
[channels.erp]
kind = "webhook"
url = "{url}/erp"

[channels.ops]
kind = "dingtalk"
url = "{url}/robot/send?access_token=abc"
secret = "SECtest"

[channels.wx]
kind = "wecom"
url = "{url}/cgi-bin/webhook/send?key=k"

[[routes]]
kinds = ["overrun"]
channels = ["erp", "ops"]

[[routes]]
min_severity = "critical"
channels = ["wx"]
""", encoding="utf-8")
    return cfg


def alert(alert_id: int, kind: str = "overrun", severity: str = "warning") -> dict[str, Any]:
    return {"id": alert_id, "kind": kind, "severity": severity, "message": f"alert {alert_id}", "key": f"k{alert_id}"}


def test_each_alert_arrives_once_after_the_receiver_first_fails_with_500(tmp_path: Path, receiver: Receiver) -> None:
    notifier = Notifier(hub_store(tmp_path / "hub.db"), load_config(write_config(tmp_path, receiver.url)))
    assert notifier.enqueue(alert(1), T0) == 2
    assert notifier.enqueue(alert(1), T0) == 2 and len(notifier.rows) == 2, "queued once per channel"
    assert notifier.deliver_due(T0) == 0, "both attempts meet a 500"
    assert notifier.deliver_due(T0) == 0, "not due again before the backoff"
    sent = notifier.deliver_due(T0 + timedelta(seconds=3))
    assert sent == 2 and notifier.deliver_due(T0 + timedelta(hours=1)) == 0
    paths = sorted(p.split("?")[0] for p, _, _ in receiver.received)
    assert paths == ["/erp", "/robot/send"]
    assert len({d for _, _, d in receiver.received}) == 2


def test_robot_channels_get_their_own_message_format_and_dingtalk_is_signed(tmp_path: Path,
                                                                            receiver: Receiver) -> None:
    receiver.failures = 0
    notifier = Notifier(hub_store(tmp_path / "hub.db"), load_config(write_config(tmp_path, receiver.url)))
    notifier.enqueue(alert(7, kind="qc_rate", severity="critical"), T0)
    notifier.deliver_due(T0)
    ((path, body, _),) = receiver.received
    assert path.startswith("/cgi-bin/webhook/send") and body == {
        "msgtype": "text", "text": {"content": "[FloorLink CRITICAL] alert 7"}}
    url, _ = request_for(notifier.config.channels["ops"], alert(7), now_ms=1700000000000)
    assert "timestamp=1700000000000&sign=" in url


def test_queued_notifications_survive_a_hub_restart(tmp_path: Path, receiver: Receiver) -> None:
    receiver.failures = 100
    config = load_config(write_config(tmp_path, receiver.url))
    Notifier(hub_store(tmp_path / "hub.db"), config).enqueue(alert(3), T0)
    receiver.failures = 0
    restarted = Notifier(hub_store(tmp_path / "hub.db"), config)
    assert restarted.deliver_due(T0) == 2


def test_a_receiver_that_never_recovers_ends_failed_with_the_error_kept(tmp_path: Path, receiver: Receiver) -> None:
    receiver.failures = 1000
    notifier = Notifier(hub_store(tmp_path / "hub.db"), load_config(write_config(tmp_path, receiver.url)),
                        max_attempts=3)
    notifier.enqueue(alert(1), T0)
    for minutes in range(5):
        notifier.deliver_due(T0 + timedelta(minutes=minutes))
    rows = list(notifier.rows)
    assert {r["state"] for r in rows} == {"failed"} and all("HTTP 500" in r["last_error"] for r in rows)


def test_email_goes_through_a_real_smtp_server(tmp_path: Path) -> None:
    aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
    got: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            got.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = aiosmtpd_controller.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        cfg = tmp_path / "mail.toml"
        cfg.write_text(f'[channels.mail]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                       f'sender = "hub@shop.example"\nto = ["lead@shop.example"]\n'
                       '[[routes]]\nchannels = ["mail"]\n', encoding="utf-8")
        notifier = Notifier(hub_store(tmp_path / "hub.db"), load_config(cfg))
        notifier.enqueue(alert(5), T0)
        assert notifier.deliver_due(T0) == 1
    finally:
        controller.stop()
    assert len(got) == 1 and b"alert 5" in got[0]


@pytest.mark.parametrize("text, problem", [
    ('[channels.x]\nkind = "fax"\nurl = "http://a"\n', "not one of"),
    ('[channels.x]\nkind = "webhook"\nurl = "ftp://a"\n', "must start with http"),
    ('[channels.x]\nkind = "webhook"\nurl = "http://a"\n[[routes]]\nchannels = ["y"]\n', "not defined"),
    ('[channels.x]\nkind = "smtp"\nhost = "m"\n', "needs host, sender and to"),
    ('[channels.x]\nkind = "smtp"\nhost = "m"\nsender = "a@b"\nto = "c@d"\nsecurity = "tls1"\n', "not one of"),
    ('[channels.x]\nkind = "smtp"\nhost = "m"\nsender = "a@b"\nto = "c@d"\nsecurity = "none"\n'
     'username = "u"\npassword = "p"\n', "password in clear"),
    ('[channels.x]\nkind = "smtp"\nhost = "m"\nsender = "a@b"\nto = "c@d"\nusername = "u"\n', "go together"),
    ("[channels.x\n", "not valid TOML"),
])
def test_a_wrong_notification_config_names_the_file_and_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=problem) as err:
        load_config(cfg)
    assert str(cfg) in str(err.value)


# --- e-mail over TLS with a login (aiosmtpd, a private CA from sync.broker.tls) ----------------------

class MailServer:
    """A real SMTP server on loopback: STARTTLS or TLS from the start, login required."""

    def __init__(self, tmp_path: Path, mode: str) -> None:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        from sync.broker.tls import make_certificates

        self.files = make_certificates(tmp_path / "mail-tls", ["127.0.0.1"])
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.files.cert, self.files.key)
        self.got: list[bytes] = []
        self.logins: list[tuple[str, str]] = []
        server = self

        class Handler:
            async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                server.got.append(envelope.content)
                return "250 OK"

        def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> Any:
            who = (data.login.decode(), data.password.decode())
            self.logins.append(who)
            return AuthResult(success=who == ("hub", "s3cret"))

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        options: dict[str, Any] = {"authenticator": authenticate, "auth_required": True}
        if mode == "ssl":  # TLS from the first byte; aiosmtpd offers AUTH only after STARTTLS unless told
            options.update(ssl_context=context, auth_require_tls=False)
        else:
            options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, server_hostname="127.0.0.1",
                                     **options)

    def config(self, tmp_path: Path, security: str, password: str = "s3cret", ca: bool = True) -> Path:
        tmp_path.mkdir(parents=True, exist_ok=True)
        cfg = tmp_path / f"mail-{security}.toml"
        ca_line = f'ca_file = "{self.files.ca}"\n' if ca else ""
        cfg.write_text(f'[channels.mail]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {self.port}\n'
                       f'security = "{security}"\nusername = "hub"\npassword = "{password}"\n{ca_line}'
                       'sender = "hub@shop.example"\nto = ["lead@shop.example"]\n'
                       '[[routes]]\nchannels = ["mail"]\n', encoding="utf-8")
        return cfg


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the ssl server is TLS throughout
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_email_goes_over_tls_with_a_login(tmp_path: Path, mode: str) -> None:
    pytest.importorskip("aiosmtpd")
    mail = MailServer(tmp_path, mode)
    mail.controller.start()
    try:
        notifier = Notifier(hub_store(tmp_path / "hub.db"), load_config(mail.config(tmp_path, mode)))
        notifier.enqueue(alert(7), T0)
        assert notifier.deliver_due(T0) == 1
    finally:
        mail.controller.stop()
    assert mail.logins == [("hub", "s3cret")]
    assert len(mail.got) == 1 and b"alert 7" in mail.got[0]


def test_mail_is_not_sent_in_clear_nor_to_an_unknown_certificate_nor_with_a_wrong_password(tmp_path: Path) -> None:
    pytest.importorskip("aiosmtpd")
    mail = MailServer(tmp_path, "starttls")
    mail.controller.start()
    try:
        for name, cfg in (("unknown CA", mail.config(tmp_path / "a", "starttls", ca=False)),
                          ("wrong password", mail.config(tmp_path / "b", "starttls", password="guess"))):
            notifier = Notifier(hub_store(tmp_path / f"{name}.db"), load_config(cfg))
            notifier.enqueue(alert(8), T0)
            assert notifier.deliver_due(T0) == 0, name
            row = next(iter(notifier.rows))
            assert row["state"] == "pending" and row["last_error"], name
    finally:
        mail.controller.stop()
    assert mail.got == []
    assert ("hub", "guess") in mail.logins and ("hub", "s3cret") not in mail.logins


def test_one_delivery_per_alert_and_channel_while_a_hub_transaction_rolls_back(tmp_path: Path, mosquitto: Any) -> None:
    """A hub as the service builds it: alert A is committed; then an ingest transaction raises alert B
    and is still open when the notifier sends (the tick thread), then rolls back; a later tick sends
    again. A reaches each of its two channels exactly once; B, which never existed, reaches nobody."""

    from sync.hub.alerts import Candidate
    from sync.hub.service import HubConfig, HubService
    from tests.test_hub_core import released_catalog

    receiver = Receiver(failures=0)
    released_catalog(tmp_path / "catalog.db").close()
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               notify_config=write_config(tmp_path, receiver.url), tick_seconds=3600)).start()

    class IngestFailed(Exception):
        pass

    try:
        now = datetime.now(UTC)
        with hub.store.transaction("raising A") as tx:
            a = hub.core.raise_alert(tx, Candidate("overrun:WO-A:10", "overrun", "warning", "WO-A", "A overran"), now)
        assert a is not None
        sender = threading.Thread(target=hub.notifier.deliver_due, args=(now + timedelta(seconds=5),))
        with pytest.raises(IngestFailed), hub.store.transaction("an ingest batch that fails") as tx:
            b = hub.core.raise_alert(tx, Candidate("overrun:WO-B:10", "overrun", "warning", "WO-B", "B overran"), now)
            assert b is not None
            sender.start()  # the tick thread reaches the notifier while this transaction is open
            sender.join(2.0)
            raise IngestFailed
        sender.join(15)
        hub.notifier.deliver_due(now + timedelta(seconds=6))  # the next tick
        hub.notifier.deliver_due(now + timedelta(seconds=7))
    finally:
        hub.stop()
        receiver.server.shutdown()
    texts = [json.dumps(body) for _, body, _ in receiver.received]
    assert sorted(path.split("?")[0] for path, _, _ in receiver.received) == ["/erp", "/robot/send"], texts
    assert not any("B overran" in text for text in texts), texts
    assert len({header for _, _, header in receiver.received}) == 2
