"""Discord under faults: every update reaches the channel, in order (AT-LEAST-ONCE: a
message may come twice only after a failure that left it unclear whether Discord posted
it); Discord's ``retry_after`` is honoured; the hook URL never leaks.

A strict Discord webhook emulator (:mod:`tests.emulators.discord`) sits behind the
fault-injecting proxy (:mod:`tests.faulty`); the war room publishes through the real
command and delivers with the real :class:`tui.publish.worker.Deliverer` (in a thread, so a
hang fails the test). What reached the channel is read from the emulator directly.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.delivery_helpers import drain
from tests.emulators.discord import DiscordEmulator
from tests.faulty import FaultyProxy, on_request
from tui import commands
from tui.core.clock import SystemClock
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.state import DELIVERY_SENT
from tui.core.store import Store
from tui.publish import outbox, retry
from tui.publish.destinations import ADAPTERS, adapter_for
from tui.publish.destinations.discord import (
    MAX_CONTENT,
    DiscordAdapter,
    escape,
    render,
    split,
    units,
)
from tui.publish.retry import DeliveryError
from tui.publish.worker import Attempt, Deliverer

HOOK_ENV = "WARROOM_TEST_DISCORD_HOOK"
PLAYBOOK = shipped_playbooks_dir() / "saas-major-outage.yaml"
INCIDENT = ("ack", "update", "update", "resolved")
# the proxy answered, Discord never saw the request: sent again, once
NOT_POSTED = ["500", "429", "420", "html"]
# Discord posted the message, the answer was lost: it cannot be looked up, so it is
# sent again (at-least-once): exactly one extra copy, right after the first
POSTED_UNCLEAR = ["500-after", "hang-after", "reset-after", "close-after", "html-after"]
HEADINGS = {
    "ack": "Investigating",
    "resolved": "Resolved",
    "postmortem": "Post-mortem",
}


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


def config_text(*, timeout: float = 1) -> str:
    return (
        "destinations:\n"
        "  - id: chat\n"
        "    type: discord\n"
        f"    url_env: {HOOK_ENV}\n"
        "    rate_per_second: 100\n"
        f"    timeout: {timeout:g}\n"
    )


@dataclass
class Rig:
    tmp: Path
    emulator: DiscordEmulator
    proxy: FaultyProxy
    hook: str  # the secret URL (through the proxy)
    store: Store
    incident: str
    config_path: Path
    config: Config = field(default_factory=Config)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (purpose, body)

    def use_config(self, text: str) -> None:
        self.config_path.write_text(text, encoding="utf-8")
        self.config = load_config(self.config_path)

    def publish(self, purpose: str, text: str | None = None) -> None:
        message = text if text is not None else body(len(self.sent) + 1, purpose)
        commands.publish(
            self.store,
            SystemClock(),
            "alice",
            self.incident,
            purpose,
            message,
            self.config,
            accept_warnings=True,
        )
        self.sent.append((purpose, message.strip()))

    def publish_incident(self, purposes: tuple[str, ...] = INCIDENT) -> None:
        for purpose in purposes:
            self.publish(purpose)

    def drain(self, timeout: float = 40.0) -> list[Attempt]:
        """The real worker until the outbox is idle (a hang fails the test)."""
        return drain(self.store, self.config, timeout)

    def rows(self) -> list[outbox.Row]:
        return outbox.rows(self.store, self.incident)

    def texts(self) -> list[str]:
        """What the channel shows, each message's text without its heading and facts lines."""
        return [c.split("\n", 1)[1].rsplit("\n-# As of: ", 1)[0] for c in self.emulator.contents()]

    def assert_rows_sent(self) -> None:
        rows = self.rows()
        assert [r.state for r in rows] == ["sent"] * len(self.sent), [
            (r.id, r.state, r.last_error) for r in rows
        ]
        ids = {m.id for m in self.emulator.messages}
        assert all(r.provider_ref in ids for r in rows), "each row keeps its message's id"
        sent = [
            e.data["outbox_id"] for e in self.store.events(self.incident) if e.kind == DELIVERY_SENT
        ]
        assert sorted(sent) == [r.id for r in rows], "one delivery.sent event per row"

    def assert_exactly_once(self) -> None:
        assert self.texts() == [b for _, b in self.sent]
        self.assert_rows_sent()

    def assert_secret_kept(self, *texts: str) -> None:
        token = self.emulator.token
        for text in texts:
            assert token not in text and self.hook not in text, text
            assert token[:12] not in text and token[-12:] not in text, text
        for row in self.rows():
            assert token not in (row.last_error or "") and token[:12] not in (row.last_error or "")
        self.store.close()
        for suffix in ("", "-wal", "-journal", "-shm"):
            p = Path(str(self.store.path) + suffix)
            if p.exists():
                assert token.encode() not in p.read_bytes(), f"the hook token is in {p}"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(retry, "BACKOFF_CAP", 0.5)


@pytest.fixture
def rig(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("WARROOM_")]:
        monkeypatch.delenv(name)
    emulator = DiscordEmulator().start()
    proxy = FaultyProxy(emulator.url, hold=3.0).start()
    hook = emulator.hook_url(proxy.url)
    monkeypatch.setenv(HOOK_ENV, hook)
    store = Store(tmp_path / "incident.db")
    book = load_playbook(PLAYBOOK)
    incident = commands.start(
        store, SystemClock(), "alice", book, "Logins fail", {"core_feature_down": True}
    ).incident_id
    r = Rig(tmp_path, emulator, proxy, hook, store, incident, tmp_path / "config.yaml")
    r.use_config(config_text())
    try:
        yield r
    finally:
        proxy.stop()
        emulator.stop()
        store.close()


# ---------------------------------------------------------------- the incident, end to end


def test_registered_as_at_least_once():
    assert ADAPTERS["discord"] is DiscordAdapter
    assert DiscordAdapter.guarantee == "at-least-once"


def test_an_incident_from_acknowledgement_to_resolution_and_its_postmortem(rig: Rig):
    rig.publish_incident()
    rig.publish("postmortem", "Post-mortem: a bad deploy broke logins. Here is what we change.")

    attempts = rig.drain()

    assert [a.outcome for a in attempts] == ["sent"] * 5, attempts
    rig.assert_exactly_once()
    headings = [c.split("\n", 1)[0] for c in rig.emulator.contents()]
    assert headings[0] == "**Logins fail** · Investigating"
    assert headings[1] == headings[2] and headings[1] in (
        "**Logins fail** · Identified",
        "**Logins fail** · Monitoring",
    )
    assert headings[3:] == ["**Logins fail** · Resolved", "**Logins fail** · Post-mortem"]
    as_of = [c.rsplit("\n", 1)[1] for c in rig.emulator.contents()]
    for line, row in zip(as_of, rig.rows(), strict=True):
        at = datetime.fromisoformat(row.payload["at"].replace("Z", "+00:00"))
        assert line.startswith(f"-# As of: {at:%H:%M} UTC"), line  # the publish time
    assert "Components" not in as_of[-1]
    assert all(m.allowed_mentions == {"parse": []} for m in rig.emulator.messages), "no pings"
    # each update a new message (never an edit); the incident's reference: its first one
    assert [m for m, _ in rig.emulator.seen] == ["POST"] * 5
    first = rig.emulator.messages[0].id
    assert outbox.provider_incident(rig.store, rig.incident, "chat") == first
    assert [r.provider_ref for r in rig.rows()] == [m.id for m in rig.emulator.messages]


def test_a_hook_url_with_a_thread_id_posts_into_that_thread(rig: Rig, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, rig.hook + "?thread_id=1180000000000000777")
    rig.publish_incident(("ack", "update"))

    rig.drain()

    rig.assert_exactly_once()
    assert [m.thread_id for m in rig.emulator.messages] == ["1180000000000000777"] * 2
    with httpx.Client() as client:
        assert "answers" in adapter_for(rig.config.destinations[0]).check(client)


def test_an_everyone_in_the_text_pings_no_one(rig: Rig):
    rig.publish("ack", body(1) + " @everyone <@&123>")
    rig.drain()
    rig.assert_exactly_once()
    assert rig.emulator.messages[0].allowed_mentions == {"parse": []}


# ------------------------------------------------------------------------ under faults


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("fault", NOT_POSTED)
def test_a_fault_before_discord_posted_is_sent_again_once(rig: Rig, fault, first):
    rig.proxy.set_script(on_request(1 if first else 3, fault))
    rig.publish_incident()

    attempts = rig.drain()

    assert [a.outcome for a in attempts].count("retry") == 1, attempts
    rig.assert_exactly_once()


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("fault", POSTED_UNCLEAR)
def test_a_message_posted_without_an_answer_comes_twice_never_lost_order_kept(
    rig: Rig, fault, first
):
    """At-least-once, as declared: the lost answer cannot be looked up, so the message is
    sent again -- one extra copy, right after the first; nothing lost, order kept."""
    k = 1 if first else 3
    rig.proxy.set_script(on_request(k, fault))
    rig.publish_incident()

    rig.drain()

    expected = [b for _, b in rig.sent]
    doubled = [*expected[: k - 1], expected[k - 1], *expected[k - 1 :]]
    assert rig.texts() == doubled
    rig.assert_rows_sent()


def test_faults_in_a_row(rig: Rig):
    rig.proxy.set_script(["500", "429", None, "html", None, "420", "500", None])
    rig.publish_incident()

    rig.drain()

    rig.assert_exactly_once()


def test_kill_9_mid_request_then_a_new_process_takes_over(rig: Rig):
    """A ``warroom deliver`` killed while Discord holds its 2nd message (posted, no answer
    yet): the next process sends it again -- one extra copy, nothing lost, order kept."""
    rig.use_config(config_text(timeout=30))
    rig.proxy.hold = 60.0
    rig.proxy.set_script(on_request(2, "hang-after"))
    rig.publish_incident()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(
        WARROOM_DB=str(rig.store.path),
        WARROOM_CONFIG=str(rig.config_path),
        WARROOM_AS="alice",
        **{HOOK_ENV: rig.hook},
    )
    exe = str(Path(sys.executable).parent / "warroom")

    victim = subprocess.Popen(
        [exe, "deliver"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=rig.tmp
    )
    try:
        posted = rig.proxy.wait_for(
            lambda seen: any(s.fault == "hang-after" and s.forwarded for s in seen), 30
        )
        assert posted, rig.proxy.requests()
        assert victim.poll() is None
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.communicate(timeout=10)
    assert victim.returncode == -signal.SIGKILL

    rig.proxy.set_script(None)
    done = subprocess.run(
        [exe, "deliver", "--until-idle"],
        capture_output=True,
        text=True,
        env=env,
        cwd=rig.tmp,
        timeout=60,
    )

    assert done.returncode == 0, (done.stdout, done.stderr)
    expected = [b for _, b in rig.sent]
    assert rig.texts() == [expected[0], expected[1], *expected[1:]]
    rig.assert_rows_sent()
    rig.assert_secret_kept(done.stdout, done.stderr)


def test_discords_retry_after_in_the_body_is_honoured(rig: Rig):
    """A 429 whose wait is only in the JSON body (``retry_after``: 1.5 s, no header): the
    row is released until then, not retried on the backoff's fraction of a second."""
    rig.emulator.throttle(1, retry_after=1.5, header=False)
    rig.publish("ack")
    deliverer = Deliverer(rig.store, rig.config, SystemClock())
    before = datetime.now(UTC)
    try:
        attempt = deliverer.deliver_one()
    finally:
        deliverer.close()

    assert attempt is not None and attempt.outcome == "retry", attempt
    (row,) = rig.rows()
    assert row.state == "pending" and "429" in (row.last_error or "")
    assert (row.next_attempt_at - before).total_seconds() >= 1.5, row.next_attempt_at
    assert rig.emulator.messages == []

    rig.drain()
    rig.assert_exactly_once()


# ------------------------------------------------------------------- long messages


def test_a_long_message_is_split_in_order_and_nothing_is_lost(rig: Rig):
    paragraphs = [
        f"Paragraph {p}: " + " ".join(f"word{p}-{w}" for w in range(120)) + "." for p in range(1, 5)
    ]
    text = body(1) + "\n\n" + "\n\n".join(paragraphs) + "\n\nNext update by 11:45 PM, promised."
    assert len(text) > 2 * MAX_CONTENT
    rig.publish("ack", text)

    rig.drain()

    contents = rig.emulator.contents()
    n = len(contents)
    assert n >= 3 and all(units(c) <= MAX_CONTENT for c in contents), [len(c) for c in contents]
    marks = [c.rsplit("\n", 1)[1] for c in contents]
    assert marks == [f"-# part {k} of {n}" for k in range(1, n + 1)]
    texts = [c.rsplit("\n", 1)[0] for c in contents]
    texts[-1], facts_line = texts[-1].rsplit("\n", 1)
    assert facts_line.startswith("-# As of: "), facts_line
    assert all(t.endswith(".") for t in texts), "each part ends a paragraph"
    assert all(t.startswith(("Paragraph", "Next")) for t in texts[1:]), texts
    joined = " ".join(texts)
    assert joined.split() == ("**Logins fail** · Investigating\n" + text).split()
    assert texts[-1].endswith("Next update by 11:45 PM, promised.")
    (row,) = rig.rows()
    assert row.state == "sent" and row.provider_ref == rig.emulator.messages[0].id


@pytest.mark.parametrize("fault", ["429", "refused"])
def test_a_later_part_refused_for_now_is_waited_out_not_the_whole_text_again(
    rig: Rig, monkeypatch, fault
):
    """Part 2 of 3 is throttled (Discord's 429) or finds no server: nothing of it was
    posted, so the adapter waits within the attempt and goes on; part 1 is not doubled."""
    text = body(1) + "\n\n" + "\n\n".join("Detail. " * 200 for _ in range(3))
    waits: list[float] = []
    if fault == "429":
        rig.emulator.throttle(1, retry_after=0.25, after=1)
    else:
        refused = {"n": 0}
        real = httpx.Client.request

        def request(self, method, url, *args, **kw):
            if method == "POST":
                refused["n"] += 1
                if refused["n"] == 2:  # the 2nd part: no connection
                    raise httpx.ConnectError("[Errno 111] Connection refused")
            return real(self, method, url, *args, **kw)

        monkeypatch.setattr(httpx.Client, "request", request)
    real_init = DiscordAdapter.__init__

    def init(self, *args, **kw):
        real_init(self, *args, **kw)
        self.sleep = waits.append  # record the inline wait instead of sleeping it

    monkeypatch.setattr(DiscordAdapter, "__init__", init)
    rig.publish("ack", text)

    attempts = rig.drain()

    assert [a.outcome for a in attempts] == ["sent"], attempts
    assert waits == ([0.25] if fault == "429" else [1.0]), "Discord's retry_after, else 1 s"
    contents = rig.emulator.contents()
    assert len(contents) == 3 and contents[0].endswith("-# part 1 of 3"), contents
    assert [c.rsplit("\n", 1)[1] for c in contents] == [f"-# part {k} of 3" for k in (1, 2, 3)]


def test_split_prefers_paragraphs_then_sentences_then_words_and_counts_utf16():
    text = "a" * 50 + "\n\n" + "b" * 50
    assert split(text, 60) == ["a" * 50, "b" * 50]
    text = "One sentence here. Another one there. " * 3
    parts = split(text, 45)
    assert all(p.endswith(".") for p in parts[:-1]), parts
    assert " ".join(parts).split() == text.split()
    word = "x" * 130
    assert [len(p) for p in split(word, 50)] == [50, 50, 30], "a hard cut only inside a word"
    emoji = "🔥" * 30  # 60 UTF-16 units, as Discord's JavaScript counts them
    parts = split(emoji, 25)
    assert all(units(p) <= 25 for p in parts) and "".join(parts) == emoji
    assert len(render({"name": "T", "status": "resolved", "body": "x" * 1980})) == 1
    heading_alone = render({"name": "T", "status": "resolved", "body": "x" * 3000})
    assert heading_alone[0].startswith("**T** · Resolved\nxxx"), "not a part of one line"
    assert len(render({"name": "T", "status": "resolved", "body": "🔥" * 1000})) == 2


def test_the_title_is_shown_as_typed_not_as_markdown():
    assert escape("a*b_c~d`e|f\\g") == "a\\*b\\_c\\~d\\`e\\|f\\\\g"
    first = render({"name": "**bold** _x_", "status": "investigating", "body": "b"})[0]
    assert first.startswith("**\\*\\*bold\\*\\* \\_x\\_** · Investigating\n")


# ----------------------------------------------------------- errors and the secret URL


def test_a_deleted_webhook_stops_the_row_with_words_and_no_url(rig: Rig, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, rig.hook.rsplit("/", 1)[0] + "/" + "t" * 68)
    rig.publish_incident(("ack", "update"))

    attempts = rig.drain()

    first, second = rig.rows()
    assert first.state == "failed" and second.state == "pending"
    error = first.last_error or ""
    assert "401" in error and "Invalid Webhook Token" in error and "'chat'" in error, error
    assert "t" * 12 not in error
    assert [a.outcome for a in attempts] == ["failed"]

    monkeypatch.setenv(HOOK_ENV, rig.hook)  # a new webhook URL is set
    outbox.retry(rig.store, first.id, "alice", datetime.now(UTC))
    rig.drain()
    rig.assert_exactly_once()


def test_a_server_echoing_the_hook_url_never_gets_it_stored_or_logged(rig: Rig, caplog):
    caplog.set_level(logging.DEBUG)
    rig.emulator.echo_next(1)
    rig.publish("ack")

    rig.drain()

    (row,) = rig.rows()
    assert row.state == "failed", (row.state, row.last_error)
    assert "400" in (row.last_error or "") and "[redacted]" in (row.last_error or "")
    rig.assert_secret_kept(row.last_error or "", caplog.text)


def test_the_hook_url_never_leaks_under_faults(rig: Rig, caplog):
    caplog.set_level(logging.DEBUG)
    rig.proxy.set_script(["500", "hang-after", "reset-after", "html-after", "429"])
    rig.publish_incident()

    attempts = rig.drain()

    rig.assert_secret_kept(caplog.text, *(a.detail for a in attempts))


def test_no_url_set_is_a_permanent_error_that_names_the_variable(rig: Rig, monkeypatch):
    monkeypatch.delenv(HOOK_ENV)
    rig.publish("ack")

    rig.drain()

    (row,) = rig.rows()
    assert row.state == "failed" and HOOK_ENV in (row.last_error or "")
    assert rig.proxy.requests() == [], "nothing sent"


# -------------------------------------------------------------------------- check


def test_check_reads_the_webhook_without_posting(rig: Rig):
    with httpx.Client() as client:
        text = adapter_for(rig.config.destinations[0]).check(client)
    assert text == "Discord webhook 'Status' answers; nothing was posted"
    assert [s.method for s in rig.proxy.requests()] == ["GET"]
    assert rig.emulator.messages == []
    rig.assert_secret_kept(text)  # the webhook object carries the token back


def test_check_says_what_is_wrong_without_the_url(rig: Rig, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, rig.hook.rsplit("/", 1)[0] + "/" + "w" * 68)
    with httpx.Client() as client, pytest.raises(DeliveryError) as caught:
        adapter_for(rig.config.destinations[0]).check(client)
    error = str(caught.value)
    assert "401" in error and "webhook URL" in error and not caught.value.retryable
    assert "w" * 12 not in error and rig.emulator.webhook_id not in error


# ------------------------------------------------------------ the emulator is strict


def test_the_emulator_refuses_what_discord_refuses(rig: Rig):
    hook = rig.emulator.hook_url()
    with httpx.Client(timeout=5) as c:
        too_long = c.post(f"{hook}?wait=true", json={"content": "x" * 2001})
        assert too_long.status_code == 400 and too_long.json()["code"] == 50035
        errors = too_long.json()["errors"]["content"]["_errors"]
        assert errors[0]["code"] == "BASE_TYPE_MAX_LENGTH"
        assert c.post(hook, json={"content": " "}).json()["code"] == 50006
        assert c.post(hook, json={"content": "x", "text": "y"}).status_code == 400
        assert (
            c.post(hook, json={"content": "x", "allowed_mentions": {"parse": ["all"]}}).status_code
            == 400
        )
        bad = c.post(hook.rsplit("/", 1)[0] + "/nope", json={"content": "x"})
        assert bad.status_code == 401 and bad.json()["code"] == 50027
        unknown = c.post(hook.replace(rig.emulator.webhook_id, "1"), json={"content": "x"})
        assert unknown.status_code == 404 and unknown.json()["code"] == 10015
        no_wait = c.post(hook, json={"content": "x"})
        assert no_wait.status_code == 204 and no_wait.content == b""
        posted = c.post(f"{hook}?wait=true", json={"content": "y"}).json()
        assert isinstance(posted["id"], str) and posted["id"].isdigit()
        assert c.get(f"{hook}/messages/{posted['id']}").json()["content"] == "y"
        assert c.get(f"{hook}/messages/1").status_code == 404
    assert rig.emulator.contents() == ["x", "y"]
