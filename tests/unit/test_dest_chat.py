"""Chat destinations (Slack, Mattermost, Teams) through the real worker, against strict local
hooks (:mod:`tests.emulators.chat`) behind the fault-injecting proxy (:mod:`tests.faulty`).

A chat hook returns no id and cannot be asked what it holds, so the adapters are
*at-most-once*: an incident from acknowledgement to resolution reaches the channel in
order and never twice, whatever fails; a message that an ambiguous failure may have
lost is completed with ``last_error`` saying "may not have arrived" (visible in
``warroom outbox``), never sent a second time. Unambiguous failures (429, a refusal)
are retried or stop the row as for any destination. The hook URL is a secret: it is
never in the database, an error or the output, even when the server echoes it.

The war room publishes through the real command (:func:`tui.commands.publish`) and
delivers with the real :class:`tui.publish.worker.Deliverer` in a thread (a hang fails
the test); what reached the channel is read from the emulator directly.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.delivery_helpers import drain
from tests.emulators.chat import MattermostHook, SlackHook, TeamsHook
from tests.emulators.hookbase import HookServer
from tests.faulty import FaultyProxy, on_request
from tui import commands
from tui.core.clock import SystemClock
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.state import DELIVERY_FAILED, DELIVERY_SENT
from tui.core.store import Store
from tui.publish import outbox, retry
from tui.publish.destinations import ADAPTERS, adapter_for
from tui.publish.destinations.chat import (
    MattermostAdapter,
    SlackAdapter,
    TeamsAdapter,
    slack_message,
    teams_message,
)
from tui.publish.retry import DeliveryError
from tui.publish.worker import Attempt

PLAYBOOK = shipped_playbooks_dir() / "saas-major-outage.yaml"
URL_ENV = "WARROOM_TEST_HOOK_URL"
DRAIN_TIMEOUT = 40.0
INCIDENT = ("ack", "update", "update", "resolved")
# the proxy answers before the hook saw anything: nothing was posted
BEFORE = ("500", "html")
# the hook posted it, then the answer was lost or spoiled
AFTER = ("500-after", "hang-after", "reset-after", "close-after", "html-after")
THROTTLED = ("429", "420")
UNCERTAIN = "may not have arrived"


def body(i: int, purpose: str = "update") -> str:
    """A unique message that passes the playbook's checks for its purpose."""
    if purpose == "resolved":
        return (
            f"Update {i}: this is resolved. Logins work again for all of you since 11:40 PM; "
            "this was our fault and we are sorry. Thank you for your patience. We will "
            "publish a post-mortem (incident report) within five days."
        )
    return (
        f"Update {i}: logins fail for many of you, this is our fault and we are sorry. "
        "We'll post our next update by 11:45 PM."
    )


def hook_config(kind: str, *, url_line: str | None = None, timeout: float = 1) -> str:
    return (
        "destinations:\n"
        "  - id: chat\n"
        f"    type: {kind}\n"
        f"    {url_line or f'url_env: {URL_ENV}'}\n"
        "    rate_per_second: 100\n"
        f"    timeout: {timeout:g}\n"
        "    components: [API]\n"
    )


@dataclass
class HookRig:
    """A war room, a hook emulator, the faulty proxy in front of it, a config."""

    tmp: Path
    store: Store
    clock: SystemClock
    incident: str
    config_path: Path
    proxy: FaultyProxy
    hook: Any  # an emulator (tests.emulators): .hook_url, .path
    config: Config = field(default_factory=Config)
    bodies: list[str] = field(default_factory=list)

    @property
    def via_proxy(self) -> str:
        """The hook's URL with the proxy's address: what the war room is given."""
        return self.proxy.url + self.hook.hook_url[len(self.hook.url) :]

    def use_config(self, text: str) -> None:
        self.config_path.write_text(text, encoding="utf-8")
        self.config = load_config(self.config_path)

    def publish(self, purpose: str, text: str | None = None) -> None:
        message = text if text is not None else body(len(self.bodies) + 1, purpose)
        commands.publish(
            self.store,
            self.clock,
            "alice",
            self.incident,
            purpose,
            message,
            self.config,
            accept_warnings=True,
        )
        self.bodies.append(message.strip())

    def publish_incident(self) -> None:
        for purpose in INCIDENT:
            self.publish(purpose)

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> list[Attempt]:
        """The real worker until the outbox is idle (a hang fails the test)."""
        return drain(self.store, self.config, timeout)

    def rows(self) -> list[outbox.Row]:
        return outbox.rows(self.store, self.incident)


def make_rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: HookServer, kind: str):
    for name in [k for k in os.environ if k.startswith("WARROOM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(retry, "BACKOFF_CAP", 0.5)
    hook.start()
    proxy = FaultyProxy(hook.url, hold=3.0).start()
    store = Store(tmp_path / "incident.db")
    clock = SystemClock()
    book = load_playbook(PLAYBOOK)
    incident = commands.start(
        store, clock, "alice", book, "Logins fail", {"core_feature_down": True}
    ).incident_id
    rig = HookRig(tmp_path, store, clock, incident, tmp_path / "config.yaml", proxy, hook)
    monkeypatch.setenv(URL_ENV, rig.via_proxy)
    rig.use_config(hook_config(kind))
    return rig


def close_rig(rig: HookRig) -> None:
    rig.proxy.stop()
    rig.hook.stop()
    rig.store.close()


@pytest.fixture
def slack(tmp_path, monkeypatch):
    rig = make_rig(tmp_path, monkeypatch, SlackHook(), "slack")
    try:
        yield rig
    finally:
        close_rig(rig)


@pytest.fixture
def mattermost(tmp_path, monkeypatch):
    rig = make_rig(tmp_path, monkeypatch, MattermostHook(), "mattermost")
    try:
        yield rig
    finally:
        close_rig(rig)


@pytest.fixture
def teams(tmp_path, monkeypatch):
    rig = make_rig(tmp_path, monkeypatch, TeamsHook(), "teams")
    try:
        yield rig
    finally:
        close_rig(rig)


# what each channel shows: the body of every accepted message, in order
def slack_bodies(hook: SlackHook) -> list[str]:
    return [_slack_body(m) for m in hook.messages]


def _slack_body(message: dict) -> str:
    # blocks: the head, the body's sections, the context line
    sections = [b["text"]["text"] for b in message["blocks"][1:] if b["type"] == "section"]
    return SlackHook.shown("".join(sections))


def mattermost_bodies(hook: MattermostHook) -> list[str]:
    # "**title** — Status\n\n<body>\n\n_facts_"
    return [m["text"].split("\n\n")[1].replace("@\u200b", "@") for m in hook.messages]


def teams_bodies(hook: TeamsHook) -> list[str]:
    return [TeamsHook.runs(card)[-1] for card in hook.cards]


CHANNELS: dict[str, Callable[[Any], list[str]]] = {
    "slack": slack_bodies,
    "mattermost": mattermost_bodies,
    "teams": teams_bodies,
}


@pytest.fixture(params=list(CHANNELS))
def chat(request, tmp_path, monkeypatch):
    kind = request.param
    hook = {"slack": SlackHook, "mattermost": MattermostHook, "teams": TeamsHook}[kind]()
    rig = make_rig(tmp_path, monkeypatch, hook, kind)
    try:
        yield kind, rig
    finally:
        close_rig(rig)


def assert_all_sent(rig: HookRig, uncertain: set[int] = frozenset()) -> None:
    """Every row sent with one event each; the rows at ``uncertain`` (indexes) carry
    the "may not have arrived" note, the others no error."""
    rows = rig.rows()
    assert [r.state for r in rows] == ["sent"] * len(rig.bodies), [
        (r.id, r.state, r.last_error) for r in rows
    ]
    for i, r in enumerate(rows):
        if i in uncertain:
            assert UNCERTAIN in (r.last_error or ""), (i, r.last_error)
        else:
            assert r.last_error is None, (i, r.last_error)
    sent = [e.data["outbox_id"] for e in rig.store.events(rig.incident) if e.kind == DELIVERY_SENT]
    assert sorted(sent) == [r.id for r in rows], "one delivery.sent event per row"


# ------------------------------------------------------------- 1. a clean incident


def test_an_incident_reaches_each_channel_in_order(chat):
    kind, rig = chat
    rig.publish_incident()

    attempts = rig.drain()

    assert [a.outcome for a in attempts] == ["sent"] * 4, attempts
    assert CHANNELS[kind](rig.hook) == rig.bodies
    assert_all_sent(rig)
    assert {r.provider_ref for r in rig.rows()} == {rig.rows()[0].payload["incident_key"]}


def test_slack_message_says_status_time_next_update_and_components(slack: HookRig):
    slack.publish("ack")
    slack.publish("resolved")
    slack.drain()

    first, last = slack.hook.messages
    assert "— Investigating" in first["blocks"][0]["text"]["text"]
    assert "Logins fail" in first["blocks"][0]["text"]["text"]
    context = first["blocks"][-1]["elements"][0]["text"]
    assert "As of: " in context and " UTC" in context
    assert "Next update: by " in context
    assert "API: major outage" in context
    assert "— Resolved" in last["blocks"][0]["text"]["text"]
    assert "Next update" not in last["blocks"][-1]["elements"][0]["text"]
    assert "API: operational" in last["blocks"][-1]["elements"][0]["text"]
    assert slack.bodies[0] in SlackHook.shown(first["text"])  # notifications show the body


def test_teams_card_has_title_status_next_update_and_components(teams: HookRig):
    teams.publish("ack")
    teams.drain()

    [card] = teams.hook.cards
    assert TeamsHook.runs(card)[0] == "Logins fail"
    facts = TeamsHook.facts(card)
    assert facts["Status"] == "Investigating"
    assert facts["Next update"].startswith("by ") and facts["Next update"].endswith("UTC")
    assert facts["Components"] == "API: major outage"
    assert facts["As of"].endswith("UTC")


# --------------------------------------------------------------- 2. user text stays literal


def test_slack_escapes_mentions_and_links_in_user_text(slack: HookRig):
    trap = " <!channel> <!here> <@U024BE7LH> see <https://evil.example|our docs> & more"
    slack.publish("ack", body(1) + trap)
    slack.drain()

    [message] = slack.hook.messages
    assert SlackHook.pings(message) == [], "a draft must not ping the channel"
    assert "<https://evil.example|" not in message["text"], "no disguised link"
    assert _slack_body(message) == slack.bodies[0], "the reader sees exactly what was typed"
    assert "<!channel>" not in message["text"]


def test_without_the_escape_the_emulator_would_see_the_ping():
    """The emulator's ping detector is real: the unescaped text pings."""
    message = {
        "text": "<!channel> hi",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!here>"}}],
    }
    assert SlackHook.pings(message) == ["!channel", "!here"]
    escaped = slack_message({"body": "<!channel> hi", "status": "investigating"})
    assert SlackHook.pings(escaped) == []


def test_mattermost_mentions_no_one(mattermost: HookRig):
    mattermost.publish("ack", body(1) + " @channel @all @here, please read")
    mattermost.drain()

    [message] = mattermost.hook.messages
    assert MattermostHook.pings(message) == []
    assert MattermostHook.pings({"text": "@channel @all"}) == ["channel", "all"]
    assert mattermost_bodies(mattermost.hook) == mattermost.bodies


def test_teams_markdown_in_the_body_is_literal(teams: HookRig):
    teams.publish("ack", body(1) + " **not bold** [not a link](https://evil.example) _x_")
    teams.drain()

    [card] = teams.hook.cards
    assert TeamsHook.runs(card)[-1] == teams.bodies[0], "a TextRun shows the text as is"
    assert not any("evil.example" in t for t in TeamsHook.markdown(card)), (
        "no user text where Teams renders Markdown"
    )


def test_a_long_body_is_split_into_slack_sections():
    long = ("word " * 1500 + "& " * 1200).strip()  # over 3,000 characters once escaped
    message = slack_message({"body": long, "status": "identified"})
    sections = [b for b in message["blocks"] if b["type"] == "section"][1:]
    assert len(sections) >= 3
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert all("&amp" not in s["text"]["text"][-4:] for s in sections), "no entity cut"
    assert SlackHook.shown("".join(s["text"]["text"] for s in sections)).replace(" ", "") == (
        long.replace(" ", "")
    )


# ------------------------------------------------------------------------ 3. faults


@pytest.mark.parametrize("fault", [*BEFORE, *AFTER, *THROTTLED])
def test_a_fault_never_doubles_and_an_unknowable_loss_is_marked(chat, fault):
    """The 2nd of 4 messages meets the fault. Throttled: retried after Retry-After,
    all arrive. Ambiguous (5xx, hang, reset, close, garbage): not sent again -- after
    the commit it is there once, before it it is missing -- and its row says it may
    not have arrived. Never a duplicate, the order kept, later messages go out."""
    kind, rig = chat
    rig.proxy.set_script(on_request(2, fault))
    rig.publish_incident()

    attempts = rig.drain()

    shown = CHANNELS[kind](rig.hook)
    expected = [b for i, b in enumerate(rig.bodies) if not (i == 1 and fault in BEFORE)]
    assert shown == expected, f"{fault}: the channel shows {len(shown)} messages"
    assert len(set(shown)) == len(shown), "a message was posted twice"
    if fault in THROTTLED:
        assert_all_sent(rig)
        posts = [s for s in rig.proxy.requests() if s.method == "POST"]
        assert len(posts) == 5, "the throttled message was tried again, once"
    else:
        assert_all_sent(rig, uncertain={1})
        posts = [s for s in rig.proxy.requests() if s.method == "POST"]
        assert len(posts) == 4, "an ambiguous message is never posted again"
        note = rig.rows()[1].last_error or ""
        assert "at-most-once" in note and kind in note, note
        assert any(UNCERTAIN in a.detail for a in attempts), attempts


def test_the_uncertainty_is_visible_in_warroom_outbox(slack: HookRig, tmp_path):
    import subprocess
    import sys

    slack.proxy.set_script(on_request(1, "500-after"))
    slack.publish("ack")
    slack.drain()

    exe = str(Path(sys.executable).parent / "warroom")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DB=str(slack.store.path), WARROOM_CONFIG=str(slack.config_path))
    env[URL_ENV] = slack.via_proxy
    shown = subprocess.run(
        [exe, "outbox"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert UNCERTAIN in shown.stdout, shown.stdout
    assert slack.hook.token not in shown.stdout + shown.stderr


# -------------------------------------------------------- 4. refusals stop, in words


@pytest.mark.parametrize(
    ("status", "text", "words"),
    [
        (404, "no_service", "make a new incoming webhook"),
        (410, "channel_is_archived", "archived"),
        (403, "action_prohibited", "restricted posting"),
    ],
)
def test_a_slack_refusal_stops_the_row_with_what_to_fix(slack: HookRig, status, text, words):
    slack.hook.refuse(status, text, times=1)
    slack.publish("ack")
    slack.publish("update")

    slack.drain()

    first, second = slack.rows()
    assert first.state == "failed" and second.state == "pending"
    assert f"HTTP {status}" in (first.last_error or "") and words in (first.last_error or "")
    events = [e for e in slack.store.events(slack.incident) if e.kind == DELIVERY_FAILED]
    assert [e.data["outbox_id"] for e in events] == [first.id]
    assert slack.hook.messages == []

    outbox.retry(slack.store, first.id, "alice", slack.clock.now())
    slack.drain()
    assert slack_bodies(slack.hook) == slack.bodies
    assert_all_sent(slack)


def test_a_wrong_teams_signature_is_a_401_in_words(teams: HookRig, monkeypatch):
    monkeypatch.setenv(URL_ENV, teams.via_proxy.replace(teams.hook.sig, "wrong" * 8))
    teams.publish("ack")
    teams.drain()

    [row] = teams.rows()
    assert row.state == "failed"
    assert "401" in row.last_error and "sig=" in row.last_error, row.last_error
    assert teams.hook.sig not in row.last_error and "wrongwrong" not in row.last_error


def test_a_mattermost_wrong_hook_says_so(mattermost: HookRig, monkeypatch):
    monkeypatch.setenv(URL_ENV, mattermost.via_proxy.replace(mattermost.hook.hook_id, "x" * 26))
    mattermost.publish("ack")
    mattermost.drain()

    [row] = mattermost.rows()
    assert row.state == "failed"
    assert "Invalid webhook" in row.last_error and "make a new incoming webhook" in row.last_error


# --------------------------------------------------------------------------- 5. secrets


def _db_bytes(path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def _slices(secret: str, n: int = 8) -> list[str]:
    return [secret[i : i + n] for i in range(len(secret) - n + 1)]


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_an_echoed_hook_url_is_redacted(tmp_path, monkeypatch, kind):
    """A careless server quotes the full hook URL (its token, its sig) in its refusal:
    the error kept and shown holds no piece of the secret."""
    hook = SlackHook() if kind == "slack" else TeamsHook()
    rig = make_rig(tmp_path, monkeypatch, hook, kind)
    try:
        secret = hook.token if kind == "slack" else hook.sig
        rig.hook.refuse(404, "no_service: nothing at {url} (check {url})", times=1)
        rig.publish("ack")
        rig.drain()

        [row] = rig.rows()
        assert row.state == "failed" and "404" in (row.last_error or "")
        error = row.last_error or ""
        assert not [s for s in _slices(secret) if s in error], error
        rig.store.close()
        data = _db_bytes(rig.store.path)
        assert not [s for s in _slices(secret) if s.encode() in data], "the hook URL is in the DB"
    finally:
        close_rig(rig)


def test_a_missing_url_variable_names_it_and_sends_nothing(slack: HookRig, monkeypatch):
    monkeypatch.delenv(URL_ENV)
    slack.publish("ack")
    slack.drain()

    [row] = slack.rows()
    assert row.state == "failed"
    assert URL_ENV in (row.last_error or "")
    assert slack.proxy.requests() == []


# ---------------------------------------------------------------------- 6. check()


def test_check_proves_reachability_only_and_says_so(slack: HookRig, monkeypatch):
    monkeypatch.setenv(URL_ENV, slack.hook.hook_url)  # the hook itself, not the proxy
    dest = slack.config.destinations[0]
    with httpx.Client() as client:
        text = adapter_for(dest).check(client)
    assert "reachable" in text and "connection check only" in text
    assert "127.0.0.1" in text and slack.hook.token not in text
    assert not slack.hook.seen(), "check posts nothing"


def test_check_names_an_unreachable_host(slack: HookRig, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # kept bound, never listening: refused, and no one can take it
        port = s.getsockname()[1]
        monkeypatch.setenv(URL_ENV, f"http://127.0.0.1:{port}/services/T1/B1/{slack.hook.token}")
        with httpx.Client() as client, pytest.raises(DeliveryError) as err:
            adapter_for(slack.config.destinations[0]).check(client)
    assert f"cannot reach 127.0.0.1:{port}" in str(err.value)
    assert slack.hook.token not in str(err.value)


# ------------------------------------------------------------------- the registry


def test_the_chat_types_are_registered_at_most_once():
    assert ADAPTERS["slack"] is SlackAdapter
    assert ADAPTERS["mattermost"] is MattermostAdapter
    assert ADAPTERS["teams"] is TeamsAdapter
    for adapter in (SlackAdapter, MattermostAdapter, TeamsAdapter):
        assert adapter.guarantee == "at-most-once"


class _TLSServer:
    """A TLS listener on 127.0.0.1 that completes handshakes and says nothing."""

    def __init__(self, cert: Path, key: Path):
        import socket
        import ssl

        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import ssl

        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(5)
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client refused our certificate
            finally:
                conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def tls_server(tmp_path):
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate (apt-get install openssl)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server = _TLSServer(cert, key)
    try:
        yield server, cert
    finally:
        server.stop()


def test_check_verifies_the_tls_certificate(tls_server, slack: HookRig, monkeypatch):
    """An untrusted certificate is refused in words; a trusted one passes, and the line
    says TLS was verified and that only the connection was checked."""
    server, cert = tls_server
    monkeypatch.setenv(
        URL_ENV, f"https://localhost:{server.port}/services/T1/B1/{slack.hook.token}"
    )
    dest = slack.config.destinations[0]
    with httpx.Client() as client:
        with pytest.raises(DeliveryError) as err:
            adapter_for(dest).check(client)
        assert "certificate is not valid" in str(err.value), err.value
        assert slack.hook.token not in str(err.value)

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now trusted
        text = adapter_for(dest).check(client)
    assert f"TLS (certificate verified) to localhost:{server.port}" in text, text
    assert "connection check only" in text


def test_a_row_taken_over_from_a_killed_deliverer_is_not_posted_again(slack: HookRig):
    """kill -9 mid-attempt: the next deliverer cannot know whether the hook got it, so
    (at-most-once) it is recorded, not posted, and says why; later messages go out."""
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    slack.publish("ack")
    slack.publish("update")
    owner = f"{socket.gethostname()}:{dead.pid}:1"
    assert outbox.claim(slack.store, owner, slack.clock.now()) is not None

    slack.drain()

    assert slack_bodies(slack.hook) == slack.bodies[1:], "the first was never posted again"
    assert_all_sent(slack, uncertain={0})
    assert "stopped mid-attempt" in (slack.rows()[0].last_error or "")


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_the_hook_url_stays_out_of_the_logs(tmp_path, monkeypatch, caplog, kind):
    """httpx logs every request's URL at INFO: a secret hook URL must not be in it."""
    import logging

    hook = SlackHook() if kind == "slack" else TeamsHook()
    rig = make_rig(tmp_path, monkeypatch, hook, kind)
    try:
        secret = hook.token if kind == "slack" else hook.sig
        with caplog.at_level(logging.DEBUG):
            rig.publish("ack")
            rig.drain()
        assert len(CHANNELS[kind](hook)) == 1
        # the test proxy's own forwarding (to the emulator's port) is not warroom's
        logged = "\n".join(m for m in (r.getMessage() for r in caplog.records) if hook.url not in m)
        assert "HTTP Request: POST" in logged, "httpx logged the request"
        assert not [s for s in _slices(secret) if s in logged], logged
    finally:
        close_rig(rig)


@pytest.mark.parametrize("kind", ["slack", "mattermost", "teams"])
def test_a_long_non_ascii_update_and_a_postmortem_are_accepted(tmp_path, monkeypatch, kind):
    """25,000 characters of 3-byte text (the most a message may hold) and a post-mortem
    both pass the strict hook: cut where the provider's limit needs it, with a note."""
    hook = {"slack": SlackHook, "mattermost": MattermostHook, "teams": TeamsHook}[kind]()
    rig = make_rig(tmp_path, monkeypatch, hook, kind)
    try:
        long = body(1) + " " + "障害" * 12_400
        rig.publish("ack", long)
        rig.drain()
        assert [r.state for r in rig.rows()] == ["sent"], [r.last_error for r in rig.rows()]
        [shown] = CHANNELS[kind](hook)
        assert shown.startswith(body(1))
        if kind != "slack":
            assert shown.endswith("the full text is on the status page)")
    finally:
        close_rig(rig)
    payload = {
        "kind": "postmortem",
        "name": "Logins fail",
        "status": "resolved",
        "body": "What happened, and what we change.",
        "component_names": {},
        "at": "2026-11-30T14:02:00.000Z",
        "next_update_at": None,
    }
    from tests.emulators.chat import _card_problem, _valid_blocks

    slack = slack_message(payload)
    assert _valid_blocks(slack["blocks"]) and "Post-mortem" in slack["text"]
    card = teams_message(payload)["attachments"][0]["content"]
    assert _card_problem(card) is None and TeamsHook.facts(card)["Status"] == "Post-mortem"
