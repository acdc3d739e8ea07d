"""The email destination against a REAL SMTP server run in-process (aiosmtpd on 127.0.0.1,
a random port), through the real commands, outbox and worker.

The server speaks STARTTLS with a self-signed certificate made by the ``openssl`` CLI for
this run (the client trusts it through ``SSL_CERT_FILE``, the standard OpenSSL variable:
the adapter verifies certificates as it would in production), or implicit TLS, or plain
SMTP on the loopback; it checks the login. A wire tap (a TCP relay that records every byte
the client sends) shows what reached the server. Faults are scripted per ``DATA``: a
connection dropped right after the message was received (no answer), a 451, a 550.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from base64 import b64encode
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller  # a test dependency ([test] in pyproject)
from aiosmtpd.smtp import AuthResult

from tests.delivery_helpers import drain
from tui import commands
from tui.core.clock import SystemClock
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.store import Store
from tui.publish import outbox, retry
from tui.publish.destinations import ADAPTERS
from tui.publish.destinations.email import (
    EmailAdapter,
    build_message,
    message_id_for,
    subject_for,
)
from tui.publish.retry import DeliveryError
from tui.publish.worker import Attempt

PLAYBOOK = shipped_playbooks_dir() / "saas-major-outage.yaml"
PASSWORD_ENV = "WARROOM_TEST_SMTP_PASSWORD"
USER = "status-bot"
SENDER = "status@acme.example"
DRAIN_TIMEOUT = 40.0
HANG = 4.0  # seconds: longer than the 3 s timeout the fault suite configures
RESOLUTION = (
    "Service has been fully restored as of 4:47 PM EST. Thank you for your patience. "
    "We will publish a detailed incident report within 72 hours."
)


def body(i: int) -> str:
    return (
        f"Update {i}: logins fail for many of you, this is our fault and we are sorry. "
        "We'll post our next update by 11:45 PM."
    )


# ----------------------------------------------------------------- the SMTP server


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def msg(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    """Records every mail; ``script``: what to do at each DATA (None: accept, "drop":
    keep the mail, then close the connection without answering; "hang": keep it and
    answer only after the client gave up; "garbage": keep it and answer with a line that
    is not SMTP; else a reply line, the mail refused)."""

    messages: list[Received] = field(default_factory=list)
    script: list[str | None] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        action = self.script.pop(0) if self.script else None
        if action in (None, "drop", "hang", "garbage"):
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        if action == "drop":
            server.transport.abort()  # the mail is in, the answer never goes out
            return "250 OK"  # written to a closed transport: lost
        if action == "hang":
            await asyncio.sleep(HANG)
            return "250 OK (too late)"
        if action == "garbage":
            return "<html>502 Bad Gateway</html>"
        return action or "250 OK queued"


class _PortZeroController(Controller):
    """aiosmtpd's Controller on port 0: the server binds the port it is given by the
    kernel and keeps it (no free-port probe that another process could race)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()


class SmtpServer:
    """aiosmtpd in its own thread; stopped in teardown."""

    def __init__(
        self,
        *,
        password: str,
        certs: tuple[Path, Path] | None = None,
        mode: str = "starttls",  # starttls | tls | plain
    ):
        self.handler = Handler()
        self.password = password
        kwargs: dict[str, Any] = {"authenticator": self._auth}
        ctx = None
        if certs is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(certs[0]), str(certs[1]))
        if mode == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
        elif mode == "tls":
            kwargs.update(ssl_context=ctx, auth_require_tls=False)
        else:
            kwargs.update(auth_require_tls=False)
        self.port = 0
        self.controller = _PortZeroController(self.handler, hostname="127.0.0.1", port=0, **kwargs)

    def _auth(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = data.login == USER.encode() and data.password == self.password.encode()
        self.handler.logins.append((data.login, data.password))
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        self.controller.start()
        self.port = self.controller.port  # the one the server bound
        return self

    def stop(self) -> None:
        self.controller.stop()


class WireTap:
    """A TCP relay on 127.0.0.1 that records every byte the client sends to the server."""

    def __init__(self, port: int):
        self.target = port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.sent = bytearray()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.conns: list[socket.socket] = []
        self.stopping = False
        self.refuse = 0  # the next this many connections are reset at once
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while not self.stopping:
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue  # a look at ``stopping`` (close() does not wake accept())
            except OSError:
                return
            client.settimeout(None)
            if self.refuse:  # a reset before the greeting: nothing was sent
                self.refuse -= 1
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.conns += [client, upstream]
            for a, b, record in ((client, upstream, True), (upstream, client, False)):
                t = threading.Thread(target=self._pump, args=(a, b, record), daemon=True)
                t.start()
                self.threads.append(t)

    def _pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self.lock:
                        self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self.stopping = True
        self.sock.close()
        for c in self.conns:
            c.close()
        self.acceptor.join(5)
        for t in self.threads:
            t.join(5)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is needed to make the test certificate")
    d = tmp_path_factory.mktemp("certs")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


# ----------------------------------------------------------------- the war room


@dataclass
class Rig:
    tmp: Path
    password: str
    server: SmtpServer
    store: Store
    clock: SystemClock
    incident: str
    config: Config = field(default_factory=Config)
    bodies: list[str] = field(default_factory=list)

    def configure(self, port: int | None = None, **extra: Any) -> None:
        keys: dict[str, Any] = {
            "host": "localhost",
            "port": port or self.server.port,
            "starttls": "true",
            "username": USER,
            "password_env": PASSWORD_ENV,
            "from": f"'\"Acme Status\" <{SENDER}>'",
            "to": "[ops-digest@acme.example]",
            "to_file": str(self.tmp / "contacts.txt"),
            "timeout": 2,
            "components": "[API]",
            "rate_per_second": 100,
        }
        keys.update(extra)
        lines = ["destinations:", "  - id: customers", "    type: email"]
        lines += [f"    {k}: {v}" for k, v in keys.items() if v is not None]
        path = self.tmp / "config.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.config = load_config(path)

    def publish(self, purpose: str, text: str) -> None:
        commands.publish(
            self.store,
            self.clock,
            "alice",
            self.incident,
            purpose,
            text,
            self.config,
            accept_warnings=True,
        )
        self.bodies.append(text.strip())

    def drain(self) -> list[Attempt]:
        """The real worker until the outbox is idle (a hang fails the test)."""
        return drain(self.store, self.config, DRAIN_TIMEOUT)

    def rows(self) -> list[outbox.Row]:
        return outbox.rows(self.store, self.incident)

    def adapter(self) -> EmailAdapter:
        dest = self.config.destinations[0]
        return EmailAdapter(dest)


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(retry, "BACKOFF_CAP", 0.5)


def _rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certs: Any, mode: str) -> Any:
    password = "pw-" + secrets.token_hex(12)
    monkeypatch.setenv(PASSWORD_ENV, password)
    if certs is not None:
        monkeypatch.setenv("SSL_CERT_FILE", str(certs[0]))  # trust the test CA, verify all
    server = SmtpServer(password=password, certs=certs, mode=mode).start()
    (tmp_path / "contacts.txt").write_text(
        "# enterprise contacts\n\nalice@customer.example\nBOB@customer.example  # CTO\n"
        "ops-digest@acme.example\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "incident.db")
    clock = SystemClock()
    incident = commands.start(
        store, clock, "alice", load_playbook(PLAYBOOK), "Logins fail", {"core_feature_down": True}
    ).incident_id
    rig = Rig(tmp_path, password, server, store, clock, incident)
    rig.configure()
    return rig, server, store


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certs: tuple[Path, Path]) -> Any:
    r, server, store = _rig(tmp_path, monkeypatch, certs, "starttls")
    try:
        yield r
    finally:
        server.stop()
        store.close()


def _ids(raw: str | None) -> list[str]:
    return (raw or "").split()


# ------------------------------------------------------------------- 1. one thread


def test_ack_update_resolved_arrive_as_one_thread(rig: Rig):
    rig.publish("ack", body(1))
    rig.publish("update", body(2))
    rig.publish("resolved", RESOLUTION)

    attempts = rig.drain()

    assert [a.outcome for a in attempts] == ["sent"] * 3, attempts
    mails = rig.server.handler.messages
    assert len(mails) == 3
    first = mails[0].msg
    root = first["Message-ID"]
    assert root.startswith("<warroom") and root.endswith("@acme.example>")
    assert first["In-Reply-To"] is None and first["References"] is None
    for mail in mails[1:]:
        assert mail.msg["In-Reply-To"] == root
        assert _ids(mail.msg["References"]) == [root]
    ids = [m.msg["Message-ID"] for m in mails]
    assert len(set(ids)) == 3, "one Message-ID per update"
    rows = rig.rows()
    assert ids == [message_id_for(r.key, SENDER) for r in rows], "derived from the row's key"
    assert {r.provider_ref for r in rows} == {root}, "the thread root is the incident's ref"
    assert [m.msg["Subject"] for m in mails] == [
        "[status] Logins fail: Investigating",
        "[status] Logins fail: Identified",
        "Resolved: [status] Logins fail",
    ]
    for mail, text in zip(mails, rig.bodies, strict=True):
        msg = mail.msg
        assert msg["Date"] is not None and msg["Date"].datetime is not None
        assert msg.get_content_type() == "multipart/alternative"
        plain = msg.get_body(("plain",))
        rich = msg.get_body(("html",))
        assert plain is not None and rich is not None
        assert text in plain.get_content()
        assert "Posted: 20" in plain.get_content() and " UTC" in plain.get_content()
        # envelope: the config's to plus the file's addresses, each once; the header
        # names no customer
        assert sorted(a.lower() for a in mail.rcpt_tos) == [
            "alice@customer.example",
            "bob@customer.example",
            "ops-digest@acme.example",
        ]
        assert "customer.example" not in str(msg["To"]) + str(msg["Cc"])
        assert mail.mail_from == SENDER
    assert rig.server.handler.logins[0] == (USER.encode(), rig.password.encode())
    ack = mails[0].msg.get_body(("plain",)).get_content()
    assert "Affected: API (major outage)" in ack
    assert "Next update by: " in ack, "the promised time is in the mail"
    resolved = mails[2].msg.get_body(("plain",)).get_content()
    assert "Affected: API (operational)" in resolved


# ---------------------------------------------------------- 2. the password stays secret


def _forms(password: str) -> list[bytes]:
    return [
        password.encode(),
        b64encode(password.encode()),
        b64encode(f"\0{USER}\0{password}".encode()),
    ]


def test_the_password_crosses_the_wire_only_in_auth_and_never_in_clear_with_starttls(
    rig: Rig,
):
    tap = WireTap(rig.server.port)
    try:
        rig.configure(port=tap.port)
        rig.publish("ack", body(1))
        rig.drain()
    finally:
        tap.stop()
    assert len(rig.server.handler.messages) == 1
    wire = bytes(tap.sent)
    assert b"STARTTLS" in wire.upper()
    for form in _forms(rig.password):
        assert form not in wire, "the password (or its AUTH encoding) crossed in clear"
    assert rig.password.encode() not in rig.server.handler.messages[0].raw


def test_over_plain_smtp_the_password_appears_only_in_the_auth_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    r, server, store = _rig(tmp_path, monkeypatch, None, "plain")
    tap = WireTap(server.port)
    try:
        r.configure(host="127.0.0.1", port=tap.port, starttls="false")
        r.publish("ack", body(1))
        r.drain()
        wire = bytes(tap.sent)
        auth_lines = [ln for ln in wire.split(b"\r\n") if ln.upper().startswith(b"AUTH ")]
        assert auth_lines, wire[:300]
        rest = wire
        for line in auth_lines:
            rest = rest.replace(line, b"")
        for form in _forms(r.password):
            assert form not in rest, "the password was sent outside AUTH"
        assert any(f in b"".join(auth_lines) for f in _forms(r.password)), "AUTH carries it"
        assert len(server.handler.messages) == 1
    finally:
        tap.stop()
        server.stop()
        store.close()


def test_a_login_over_plain_smtp_to_another_host_is_refused(rig: Rig):
    rig.configure(host="mail.acme.example", starttls="false")
    with pytest.raises(DeliveryError) as err:
        rig.adapter().check(None)  # type: ignore[arg-type]
    assert not err.value.retryable
    assert "starttls" in str(err.value)


def test_an_echoed_password_in_a_server_reply_is_never_stored(rig: Rig):
    blob = b64encode(f"\0{USER}\0{rig.password}".encode()).decode()
    rig.server.handler.script = [f"554 5.7.1 rejected {rig.password} / {blob}"]
    rig.publish("ack", body(1))

    rig.drain()

    row = rig.rows()[0]
    assert row.state == "failed"
    assert "554" in (row.last_error or "") and "rejected" in (row.last_error or "")
    db = b"".join(p.read_bytes() for p in rig.tmp.glob("incident.db*"))
    for form in _forms(rig.password):
        assert form not in db, "the password reached the database"
    assert rig.password not in (row.last_error or "")


def test_a_wrong_password_is_permanent_and_not_quoted(rig: Rig, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong-" + rig.password)
    with pytest.raises(DeliveryError) as err:
        rig.adapter().check(None)  # type: ignore[arg-type]
    assert not err.value.retryable
    assert "535" in str(err.value) and USER in str(err.value)
    assert rig.password not in str(err.value)


# --------------------------------------------------------------- 3. faults and retries


def test_a_connection_dropped_after_data_is_retried_with_the_same_message_id(rig: Rig):
    rig.server.handler.script = [None, "drop"]
    rig.publish("ack", body(1))
    rig.publish("update", body(2))
    rig.publish("update", body(3))

    attempts = rig.drain()

    assert [a.outcome for a in attempts].count("retry") == 1, attempts
    mails = rig.server.handler.messages
    ids = [m.msg["Message-ID"] for m in mails]
    assert len(mails) == 4, "the dropped one arrived twice (at-least-once)"
    assert ids[1] == ids[2], "the second copy has the SAME Message-ID: clients show it once"
    # de-duplicated by Message-ID, as a mail client does: every update once, in order
    unique = list(dict.fromkeys(ids))
    rows = rig.rows()
    assert unique == [message_id_for(r.key, SENDER) for r in rows]
    by_id = {m.msg["Message-ID"]: m for m in mails}
    texts = [by_id[i].msg.get_body(("plain",)).get_content() for i in unique]
    assert [b in t for b, t in zip(rig.bodies, texts, strict=True)] == [True] * 3
    assert [r.state for r in rows] == ["sent"] * 3


def test_a_4xx_is_retried_and_arrives_once(rig: Rig):
    rig.server.handler.script = ["451 4.3.0 try again later"]
    rig.publish("ack", body(1))
    rig.publish("update", body(2))

    attempts = rig.drain()

    assert attempts[0].outcome == "retry" and "451" in attempts[0].detail
    ids = [m.msg["Message-ID"] for m in rig.server.handler.messages]
    assert ids == [message_id_for(r.key, SENDER) for r in rig.rows()], "each once, in order"


def test_a_550_is_permanent_and_says_what_the_server_said(rig: Rig):
    rig.publish("ack", body(1))
    rig.publish("update", body(2))
    rig.server.handler.script = [None, "550 5.7.1 Relaying denied for status@acme.example"]

    attempts = rig.drain()

    rows = rig.rows()
    assert [r.state for r in rows] == ["sent", "failed"], [(r.state, r.last_error) for r in rows]
    assert "550" in (rows[1].last_error or "")
    assert "Relaying denied" in (rows[1].last_error or "")
    assert attempts[-1].outcome == "failed"
    assert len(rig.server.handler.messages) == 1


def test_a_bad_line_in_to_file_names_the_file_and_the_line(rig: Rig):
    contacts = rig.tmp / "contacts.txt"
    contacts.write_text("# contacts\nalice@customer.example\n\nnot an address\n", "utf-8")
    rig.publish("ack", body(1))

    rig.drain()

    row = rig.rows()[0]
    assert row.state == "failed"
    assert f"{contacts}:4:" in (row.last_error or ""), row.last_error
    assert rig.server.handler.messages == []


def test_to_file_is_read_at_send_time(rig: Rig):
    rig.publish("ack", body(1))
    (rig.tmp / "contacts.txt").write_text("carol@customer.example\n", "utf-8")
    rig.drain()
    assert sorted(rig.server.handler.messages[0].rcpt_tos) == [
        "carol@customer.example",
        "ops-digest@acme.example",
    ]


def test_an_untrusted_certificate_is_permanent(rig: Rig, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(rig.tmp / "nothing.pem"))
    with pytest.raises(DeliveryError) as err:
        rig.adapter().check(None)  # type: ignore[arg-type]
    assert not err.value.retryable
    assert "certificate" in str(err.value)


# ---------------------------------------------------------- 4. check, implicit TLS


def test_check_logs_in_and_sends_nothing(rig: Rig):
    text = rig.adapter().check(None)  # type: ignore[arg-type]
    assert "STARTTLS" in text and USER in text and "3 recipient" in text
    assert rig.server.handler.messages == []
    assert rig.server.handler.logins == [(USER.encode(), rig.password.encode())]


def test_implicit_tls_delivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certs):
    r, server, store = _rig(tmp_path, monkeypatch, certs, "tls")
    try:
        r.configure(starttls=None, tls="true")
        assert "implicit TLS" in r.adapter().check(None)  # type: ignore[arg-type]
        r.publish("ack", body(1))
        r.drain()
        assert [m.msg["Subject"] for m in server.handler.messages] == [
            "[status] Logins fail: Investigating"
        ]
    finally:
        server.stop()
        store.close()


# ------------------------------------------------------- 5. the mail itself (pure)


def test_no_header_injection_and_html_is_escaped():
    payload = {
        "name": "Logins fail\r\nBcc: victim@evil.example\nX-Evil: 1",
        "status": "identified",
        "body": "We found it <script>alert(1)</script> & fixed it.\n\nMore soon.",
        "component_names": {"API <b>": "major_outage"},
        "at": "2026-11-30T12:00:00.000Z",
    }
    msg = build_message(payload, SENDER, "<a@acme.example>", "<a@acme.example>")
    raw = msg.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Subject"] == (
        "[status] Logins fail Bcc: victim@evil.example X-Evil: 1: Identified"
    )
    rich = parsed.get_body(("html",)).get_content()
    assert "<script>" not in rich and "&lt;script&gt;" in rich
    assert "API &lt;b&gt;" in rich and "&amp; fixed" in rich
    plain = parsed.get_body(("plain",)).get_content()
    assert "<script>alert(1)</script>" in plain, "plain text keeps the user's words"


def test_subjects_and_message_ids():
    assert subject_for({"name": "X", "status": "monitoring"}) == "[status] X: Monitoring"
    assert subject_for({"name": "X", "status": "resolved"}) == "Resolved: [status] X"
    assert subject_for({"name": "X", "kind": "postmortem"}) == "[status] X: Post-mortem"
    assert message_id_for("abc-123", "A <s@acme.example>") == "<warroom.abc-123@acme.example>"
    assert message_id_for("a b@c", "s@acme.example") == "<warroom.a-b-c@acme.example>"


def test_email_is_registered_at_least_once():
    assert ADAPTERS["email"] is EmailAdapter
    assert EmailAdapter.guarantee == "at-least-once"


def test_the_confirm_screen_shows_the_subject_and_the_recipients_counted_now(rig: Rig):
    from tui.publish.preview import describe

    payload = {"name": "Logins fail", "status": "investigating", "body": "x"}
    shown = describe(rig.config.destinations[0], payload)
    assert shown.guarantee == "at-least-once"
    assert shown.lines[0] == "subject: [status] Logins fail: Investigating"
    assert shown.lines[1].startswith("to: 3 recipients"), shown.lines
    (rig.tmp / "contacts.txt").write_text("nope\n", "utf-8")
    shown = describe(rig.config.destinations[0], payload)
    assert "contacts.txt:1:" in shown.lines[1], shown.lines


# ------------------------------------------------------------------ 6. the fault suite


@pytest.mark.parametrize("where", ["first", "later"])
@pytest.mark.parametrize("fault", ["drop", "hang", "garbage", "451", "reset"])
def test_ack_to_resolution_under_a_fault_loses_nothing_and_keeps_order(
    rig: Rig, fault: str, where: str
):
    """ack, two updates, resolved; one fault at the first or the third mail. Afterwards,
    de-duplicated by Message-ID (what a mail client does): every update once, in order,
    one thread; a second copy only where the server had taken the mail in."""
    tap = WireTap(rig.server.port)
    try:
        rig.configure(port=tap.port, timeout=3)  # slack on a loaded machine; HANG outlasts it
        at = 0 if where == "first" else 2
        if fault == "reset":
            rig.publish("ack", body(1))
            rig.publish("update", body(2))
            if at:
                rig.drain()
            tap.refuse = 1
        else:
            rig.server.handler.script = [None] * at + [fault]
        texts = [("ack", body(1)), ("update", body(2)), ("update", body(3))]
        texts += [("resolved", RESOLUTION)]
        for purpose, text in texts[len(rig.bodies) :]:
            rig.publish(purpose, text)

        attempts = rig.drain()
    finally:
        tap.stop()

    retries = [a for a in attempts if a.outcome == "retry"]
    assert len(retries) == 1, attempts
    rows = rig.rows()
    assert [r.state for r in rows] == ["sent"] * 4, [(r.state, r.last_error) for r in rows]
    mails = rig.server.handler.messages
    ids = [m.msg["Message-ID"] for m in mails]
    unique = list(dict.fromkeys(ids))
    assert unique == [message_id_for(r.key, SENDER) for r in rows], "0 lost, order kept"
    doubled = [i for i in unique if ids.count(i) > 1]
    taken_in = fault in ("drop", "hang", "garbage")
    assert len(doubled) == (1 if taken_in else 0), (fault, ids)
    if doubled:
        assert doubled == [message_id_for(rows[at].key, SENDER)]
    root = unique[0]
    assert {r.provider_ref for r in rows} == {root}
    assert all(m.msg["In-Reply-To"] == root for m in mails if m.msg["Message-ID"] != root)
    by_id = {m.msg["Message-ID"]: m.msg for m in mails}
    plain = [by_id[i].get_body(("plain",)).get_content() for i in unique]
    assert all(b in t for b, t in zip(rig.bodies, plain, strict=True))


def test_warroom_destinations_check_logs_in_over_starttls_and_sends_nothing(rig: Rig):
    """The real entry point, in a subprocess: OK with the right password; with a wrong
    one, exit 1 and the server's words, never the password."""
    import os
    import sys

    exe = str(Path(sys.executable).parent / "warroom")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(SSL_CERT_FILE=os.environ["SSL_CERT_FILE"], WARROOM_DB=str(rig.tmp / "incident.db"))

    def check(password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, "destinations", "check", "--config", str(rig.tmp / "config.yaml")],
            env={**env, PASSWORD_ENV: password},
            capture_output=True,
            text=True,
            timeout=60,
        )

    good = check(rig.password)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "customers (email): OK" in good.stdout and "STARTTLS" in good.stdout
    bad = check("nope-" + rig.password)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "535" in bad.stdout, bad.stdout
    assert rig.password not in bad.stdout + bad.stderr
    assert rig.server.handler.messages == [], "a check sends no mail"


def test_non_ascii_titles_and_long_lines_survive_the_trip(rig: Rig):
    """An encoded subject (RFC 2047), UTF-8 text, a 2,000-character line and a line
    that starts with a dot arrive as written, through the real server."""
    payload = {
        "name": "Anmeldung schlägt fehl — ログイン",
        "status": "investigating",
        "body": "Wir entschuldigen uns 🙏\n.a dot line\n" + "x" * 2000,
    }
    msg = build_message(payload, SENDER, "<m1@acme.example>", "<m1@acme.example>")
    assert all(len(line) <= 998 for line in msg.as_bytes().splitlines()), "RFC 5322"
    import smtplib

    with smtplib.SMTP("localhost", rig.server.port, timeout=5) as smtp:
        smtp.starttls(context=ssl.create_default_context())
        smtp.login(USER, rig.password)
        smtp.send_message(msg, to_addrs=["a@customer.example"])
    got = rig.server.handler.messages[0].msg
    assert got["Subject"] == "[status] Anmeldung schlägt fehl — ログイン: Investigating"
    text = got.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(payload["body"] + "\n")


def test_a_refused_recipient_stops_the_row_naming_it_and_the_others_get_the_mail(rig: Rig):
    rig.server.handler.refuse_rcpt = {"alice@customer.example": "550 5.1.1 No such user"}
    rig.publish("ack", body(1))

    rig.drain()

    row = rig.rows()[0]
    assert row.state == "failed"
    assert "alice@customer.example (550" in (row.last_error or ""), row.last_error
    assert "No such user" in (row.last_error or "")
    (mail,) = rig.server.handler.messages
    assert sorted(a.lower() for a in mail.rcpt_tos) == [
        "bob@customer.example",
        "ops-digest@acme.example",
    ]
