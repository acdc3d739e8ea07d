"""The Cachet adapter (3.x and 2.x) against a strict local Cachet, through the real worker.

A :class:`tests.emulators.cachet.CachetEmulator` (real HTTP on 127.0.0.1, the
servers' rules read from cachethq/core and cachethq/cachet 2.4) sits behind the
fault-injecting proxy of the Statuspage tests (:mod:`tests.faulty`); the war room
publishes with the real commands and delivers with the real
:class:`tui.publish.worker.Deliverer` (in a thread: a hang fails the test). After the
outbox drains, Cachet holds ONE incident whose message and updates are every published
text exactly once, in order.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.delivery_helpers import drain
from tests.emulators.cachet import ALL_ABILITIES, CachetEmulator
from tests.faulty import FaultyProxy, on_method, on_request
from tui import commands
from tui.core.clock import SystemClock
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.state import DELIVERY_SENT
from tui.core.store import Store
from tui.publish import outbox, retry
from tui.publish.destinations import ADAPTERS, adapter_for
from tui.publish.destinations.cachet import CachetAdapter
from tui.publish.retry import DeliveryError
from tui.publish.worker import Attempt

KEY_ENV = "WARROOM_TEST_CACHET_TOKEN"
PLAYBOOK = shipped_playbooks_dir() / "saas-major-outage.yaml"
DRAIN_TIMEOUT = 40.0
TRANSIENT = [
    "500",
    "500-after",
    "429",
    "hang-after",
    "reset-after",
    "close-after",
    "html",
    "html-after",
]
RESOLUTION = (
    "Service has been fully restored as of 4:47 PM EST. Thank you for your patience. "
    "We will publish a detailed incident report within 72 hours."
)
# Cachet's numbers for the payload's words (the adapter's table, written out here)
STATUS = {"ack": 1, "update": 2, "resolved": 4}


def body(i: int) -> str:
    return (
        f"Update {i}: logins fail for many of you, this is our fault and we are sorry. "
        "We'll post our next update by 11:45 PM."
    )


def config_text(base_url: str, version: int, *, timeout: float = 1) -> str:
    return (
        "destinations:\n"
        "  - id: cachet\n"
        "    type: cachet\n"
        f"    base_url: {base_url}\n"
        f"    version: {version}\n"
        f"    api_key_env: {KEY_ENV}\n"
        "    rate_per_second: 100\n"
        f"    timeout: {timeout:g}\n"
        "    components: {API: 1, Dashboard: 2}\n"
    )


@dataclass
class Rig:
    version: int
    key: str
    cachet: CachetEmulator
    proxy: FaultyProxy
    store: Store
    clock: SystemClock
    incident: str
    config_path: Path
    config: Config = field(default_factory=Config)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (purpose, text) in order

    def use_config(self, text: str) -> None:
        self.config_path.write_text(text, encoding="utf-8")
        self.config = load_config(self.config_path)

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
        self.sent.append((purpose, text.strip()))

    def ack_to_resolution(self, updates: int = 2) -> None:
        self.publish("ack", body(1))
        for i in range(updates):
            self.publish("update", body(i + 2))
        self.publish("resolved", RESOLUTION)

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> list[Attempt]:
        """The real worker until the outbox is idle (a hang fails the test)."""
        return drain(self.store, self.config, timeout)

    def rows(self) -> list[outbox.Row]:
        return outbox.rows(self.store, self.incident)

    def texts(self) -> list[str]:
        """What Cachet shows, oldest first: the incident's message, then its updates."""
        assert len(self.cachet.incidents) <= 1, [i.name for i in self.cachet.incidents]
        if not self.cachet.incidents:
            return []
        inc = self.cachet.incidents[0]
        return [str(inc.message)] + [u.message for u in inc.updates]

    def assert_delivered(self) -> None:
        """One incident, every text once and in order, every row sent to it, one event each."""
        assert len(self.cachet.incidents) == 1, [i.name for i in self.cachet.incidents]
        inc = self.cachet.incidents[0]
        assert self.texts() == [t for _, t in self.sent]
        assert [u.status for u in inc.updates] == [STATUS[p] for p, _ in self.sent[1:]]
        rows = self.rows()
        assert [r.state for r in rows] == ["sent"] * len(self.sent), [
            (r.id, r.state, r.last_error) for r in rows
        ]
        assert {r.provider_ref for r in rows} == {str(inc.id)}
        events = [
            e.data["outbox_id"] for e in self.store.events(self.incident) if e.kind == DELIVERY_SENT
        ]
        assert sorted(events) == [r.id for r in rows], "one delivery.sent event per row"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(retry, "BACKOFF_CAP", 0.5)


def _rig(tmp_path: Path, monkeypatch, version: int) -> Rig:
    key = f"cachet-{version}-" + secrets.token_hex(16)
    monkeypatch.setenv(KEY_ENV, key)
    cachet = CachetEmulator(version=version, tokens={key: ALL_ABILITIES}).start()
    proxy = FaultyProxy(cachet.url, hold=5.0).start()
    store = Store(tmp_path / "incident.db")
    clock = SystemClock()
    book = load_playbook(PLAYBOOK)
    incident = commands.start(
        store, clock, "alice", book, "Logins fail", {"core_feature_down": True}
    ).incident_id
    r = Rig(version, key, cachet, proxy, store, clock, incident, tmp_path / "config.yaml")
    r.use_config(config_text(proxy.url + cachet.prefix, version))
    return r


@pytest.fixture(params=[3, 2], ids=["cachet3", "cachet2"])
def rig(request, tmp_path, monkeypatch):
    r = _rig(tmp_path, monkeypatch, request.param)
    try:
        yield r
    finally:
        r.proxy.stop()
        r.cachet.stop()
        r.store.close()


# --------------------------------------------------------------- the incident, end to end


def test_registry_names_the_cachet_adapter_exactly_once():
    assert ADAPTERS["cachet"] is CachetAdapter
    assert CachetAdapter.guarantee == "exactly-once"


def test_an_incident_from_acknowledgement_to_resolution(rig: Rig):
    rig.ack_to_resolution()
    rig.publish("postmortem", "What happened: a certificate expired. What we changed: alerts.")

    attempts = rig.drain()

    assert [a.outcome for a in attempts] == ["sent"] * 5, attempts
    inc = rig.cachet.incidents[0]
    assert inc.visible is True, "a Cachet 3 incident is hidden unless visible: true is sent"
    assert inc.notifications is True, "subscribers notified (3.x: notifications, 2.x: notify)"
    assert inc.name == "Logins fail"
    assert inc.status == 4, "the post-mortem is a final update with status Fixed"
    assert rig.texts()[-1].startswith("What happened")
    assert [u.status for u in inc.updates] == [2, 2, 4, 4]
    assert inc.meta["warroom_incident"] == rig.rows()[0].payload["incident_key"]
    # both components operational after the resolution, the incident's own too
    assert rig.cachet.components == {1: 1, 2: 1}
    assert {r.provider_ref for r in rig.rows()} == {str(inc.id)}
    if rig.version == 3:
        first = rig.rows()[0].payload
        assert inc.occurred_at == (first.get("at") or first.get("started_at"))
        assert inc.components == {1: 3, 2: 3} or inc.components == {1: 4, 2: 4}
        posts = [s for s in rig.cachet.seen if s.method == "POST"]
        assert all("notify" not in (s.body or {}) for s in posts), "notify is the 2.x name"
    else:
        # one component per 2.x incident: the first on it, the other set directly
        assert list(inc.components) == [1]
        creates = [
            s for s in rig.cachet.seen if s.method == "POST" and s.path.endswith("/incidents")
        ]
        sent = creates[0].body
        assert {
            "name",
            "message",
            "status",
            "visible",
            "notify",
            "stickied",
            "meta",
            "component_id",
            "component_status",
        } <= set(sent), sent
    assert all("json" in s.headers.get("accept", "") for s in rig.cachet.seen), (
        "every request asks for JSON"
    )


def test_the_confirm_screens_notify_choice_sets_the_incidents_flag(rig: Rig):
    commands.publish(
        rig.store,
        rig.clock,
        "alice",
        rig.incident,
        "ack",
        body(1),
        rig.config,
        accept_warnings=True,
        notify={"cachet": False},
    )
    rig.sent.append(("ack", body(1)))
    rig.drain()
    rig.assert_delivered()
    assert rig.cachet.incidents[0].notifications is False


def test_the_confirm_preview_shows_what_cachet_receives(rig: Rig):
    from tui.publish.preview import describe

    rig.ack_to_resolution(updates=1)
    rows = rig.rows()
    first = describe(_dest(rig), rows[0].payload)
    assert first.guarantee == "exactly-once"
    assert first.lines[0] == f"Cachet {rig.version}: status 1 Investigating"
    assert "API: 4 major outage" in first.lines[1] or "API: 3 partial outage" in first.lines[1]
    last = describe(_dest(rig), rows[-1].payload)
    assert last.lines[0] == f"Cachet {rig.version}: status 4 Fixed"
    assert "API: 1 operational" in last.lines[1]


def test_the_token_goes_in_the_versions_header_only(rig: Rig):
    rig.publish("ack", body(1))
    rig.drain()
    for s in rig.cachet.seen:
        if rig.version == 3:
            assert s.headers["authorization"] == f"Bearer {rig.key}"
            assert "x-cachet-token" not in s.headers
        else:
            assert s.headers["x-cachet-token"] == rig.key
            assert "authorization" not in s.headers


# --------------------------------------------------------------------- the fault suite


@pytest.mark.parametrize("where", ["create", "update"])
@pytest.mark.parametrize("fault", TRANSIENT)
def test_one_transient_fault_still_delivers_exactly_once_in_order(rig: Rig, fault, where):
    # the 1st POST creates the incident; the 3rd is the second update
    rig.proxy.set_script(on_method("POST", 1 if where == "create" else 3, fault))
    rig.ack_to_resolution(updates=3)

    attempts = rig.drain()

    hits = [s for s in rig.proxy.requests() if s.fault == fault]
    assert len(hits) == 1 and hits[0].method == "POST", hits
    assert [a.outcome for a in attempts].count("retry") == 1, attempts
    if fault == "429":  # Laravel's throttle answers Retry-After: the row waits that long
        (retried,) = [a for a in attempts if a.outcome == "retry"]
        assert "again in 1.0 s" in retried.detail, retried.detail
    rig.assert_delivered()


def test_faults_in_a_row_including_the_lookups(rig: Rig):
    """Ambiguous failures, then failures of the look-ups that follow them."""
    rig.proxy.set_script(
        [
            "500-after",
            "html",
            "reset-after",
            None,
            None,
            "hang-after",
            "500",
            "html-after",
            None,
            "close-after",
            "429",
        ]
    )
    rig.ack_to_resolution(updates=3)
    rig.drain()
    rig.assert_delivered()


@pytest.mark.parametrize("fault", ["500", "500-after"])
def test_a_repeated_message_is_neither_lost_nor_doubled(rig: Rig, fault):
    """The same text twice: a failed second copy (committed or not) must end as two."""
    rig.proxy.set_script(on_method("POST", 3, fault))
    rig.publish("ack", body(1))
    rig.publish("update", body(2))
    rig.publish("update", body(2))
    rig.publish("resolved", RESOLUTION)

    rig.drain()

    assert rig.texts() == [body(1), body(2), body(2), RESOLUTION]
    rig.assert_delivered()


@pytest.mark.parametrize("fault", ["500", "500-after"])
def test_a_repeated_first_message_counts_the_incidents_own_message(rig: Rig, fault):
    """The ack's text is the incident's message, not an update: an update repeating it
    must end as one copy, whether its failed attempt reached Cachet or not."""
    rig.proxy.set_script(on_method("POST", 2, fault))
    rig.publish("ack", body(1))
    rig.publish("update", body(1))

    rig.drain()

    assert rig.texts() == [body(1), body(1)]
    rig.assert_delivered()


def test_kill_9_mid_request_then_a_new_process_takes_over(rig: Rig):
    """A real ``warroom deliver`` killed while its update POST hangs after Cachet committed
    it; a new process takes the row over as ambiguous, finds it, and sends the rest."""
    rig.use_config(config_text(rig.proxy.url + rig.cachet.prefix, rig.version, timeout=30))
    rig.proxy.hold = 60.0
    rig.proxy.set_script(on_method("POST", 2, "hang-after"))  # the first update
    rig.ack_to_resolution()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(
        WARROOM_DB=str(rig.store.path),
        WARROOM_CONFIG=str(rig.config_path),
        WARROOM_AS="alice",
        **{KEY_ENV: rig.key},
    )
    exe = str(Path(sys.executable).parent / "warroom")
    cwd = rig.config_path.parent

    victim = subprocess.Popen(
        [exe, "deliver"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    try:
        committed = rig.proxy.wait_for(
            lambda seen: any(s.fault == "hang-after" and s.forwarded for s in seen), 30
        )
        assert committed, f"the update never reached Cachet: {rig.proxy.requests()}"
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
        cwd=cwd,
        timeout=60,
    )

    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    assert rig.key not in done.stdout + done.stderr
    rig.assert_delivered()


# ------------------------------------------------------------------ permanent errors


def test_a_token_without_the_update_ability_stops_with_words_then_recovers(tmp_path, monkeypatch):
    r = _rig(tmp_path, monkeypatch, 3)
    try:
        r.cachet.tokens[r.key] = frozenset({"incidents.manage", "components.manage"})
        r.ack_to_resolution()

        attempts = r.drain()

        rows = r.rows()
        assert [row.state for row in rows] == ["sent", "failed", "pending", "pending"]
        assert "incident-updates.manage" in (rows[1].last_error or ""), rows[1].last_error
        assert "HTTP 403" in (rows[1].last_error or "")
        assert [a.outcome for a in attempts].count("failed") == 1
        assert r.texts() == [body(1)], "nothing after the refusal went out"

        r.cachet.tokens[r.key] = ALL_ABILITIES  # the operator gives the token the ability
        outbox.retry(r.store, rows[1].id, "alice", r.clock.now())
        r.drain()
        r.assert_delivered()
    finally:
        r.proxy.stop()
        r.cachet.stop()
        r.store.close()


def test_a_refused_token_names_the_header_and_never_the_key(rig: Rig, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "wrong-" + secrets.token_hex(8))
    rig.publish("ack", body(1))

    rig.drain()

    row = rig.rows()[0]
    assert row.state == "failed"
    error = row.last_error or ""
    assert "HTTP 401" in error
    assert ("Bearer" if rig.version == 3 else "X-Cachet-Token") in error
    assert "api_key_env" in error
    assert rig.cachet.incidents == []


def test_an_echoed_key_is_redacted(tmp_path, monkeypatch):
    r = _rig(tmp_path, monkeypatch, 3)
    try:
        r.proxy.set_script(on_request(1, "401-echo"))
        r.publish("ack", body(1))
        r.drain()
        error = r.rows()[0].last_error or ""
        assert "HTTP 401" in error
        assert r.key not in error
        dump = "\n".join(str(e.data) for e in r.store.events(r.incident))
        assert r.key not in dump
    finally:
        r.proxy.stop()
        r.cachet.stop()
        r.store.close()


def test_a_wrong_base_url_says_which_ending_the_version_needs(rig: Rig):
    wrong = rig.proxy.url + ("/api/v1" if rig.version == 3 else "/api")
    rig.use_config(config_text(wrong, rig.version))
    rig.publish("ack", body(1))
    rig.drain()
    error = rig.rows()[0].last_error or ""
    assert "HTTP 404" in error and "must end in" in error, error


def test_a_component_id_that_is_not_a_number_stops_with_words(rig: Rig):
    rig.use_config(
        config_text(rig.proxy.url + rig.cachet.prefix, rig.version).replace(
            "{API: 1, Dashboard: 2}", "{API: api-main}"
        )
    )
    rig.publish("ack", body(1))
    rig.drain()
    row = rig.rows()[0]
    assert row.state == "failed"
    assert "is not a number" in (row.last_error or "")
    assert rig.proxy.requests() == [], "nothing sent"


def test_an_html_error_page_becomes_a_clear_error(tmp_path, monkeypatch):
    r = _rig(tmp_path, monkeypatch, 2)
    try:
        r.proxy.set_script(on_request(1, "html"))
        r.publish("ack", body(1))
        attempts = r.drain()
        retried = [a for a in attempts if a.outcome == "retry"]
        assert len(retried) == 1
        assert "HTML error page" in retried[0].detail and "server's log" in retried[0].detail
        r.assert_delivered()
    finally:
        r.proxy.stop()
        r.cachet.stop()
        r.store.close()


def test_a_validation_error_names_what_was_invalid(rig: Rig):
    """2.x: 400 {"errors": [{"detail": "The request was invalid.", "meta": {"details":
    [...]}}]}; 3.x: 422 {"message": ...}. Either way the words say which field."""
    adapter = CachetAdapter(_dest(rig))
    with httpx.Client() as client, pytest.raises(DeliveryError) as caught:
        adapter._request(client, "POST", "/incidents", {"message": "m", "stickied": False})
    text = str(caught.value)
    assert caught.value.retryable is False
    assert "The name field is required." in text, text
    assert "Cachet refused the request as invalid" in text
    assert rig.key not in text


# ------------------------------------------------------------------------------ check


def _dest(rig: Rig):
    (dest,) = rig.config.destinations
    return dest


def test_check_proves_the_token_with_one_read_only_call(rig: Rig):
    with httpx.Client() as client:
        text = adapter_for(_dest(rig)).check(client)
    assert "the token is accepted" in text, text
    assert [(s.method, s.path) for s in rig.cachet.seen] == [
        ("GET", f"{rig.cachet.prefix}/subscribers?per_page=1")
    ]
    assert rig.cachet.incidents == []


def test_check_accepts_a_cachet3_token_without_subscribers_manage(tmp_path, monkeypatch):
    r = _rig(tmp_path, monkeypatch, 3)
    try:
        r.cachet.tokens[r.key] = frozenset({"incidents.manage", "incident-updates.manage"})
        with httpx.Client() as client:
            text = adapter_for(_dest(r)).check(client)
        assert "the token is accepted" in text and "403" in text, text
    finally:
        r.proxy.stop()
        r.cachet.stop()
        r.store.close()


def test_check_refuses_a_wrong_token_in_words(rig: Rig, monkeypatch):
    wrong = "wrong-" + secrets.token_hex(8)
    monkeypatch.setenv(KEY_ENV, wrong)
    with httpx.Client() as client, pytest.raises(DeliveryError) as caught:
        adapter_for(_dest(rig)).check(client)
    assert "refused the token" in str(caught.value)
    assert wrong not in str(caught.value)


# ------------------------------------------------------- the emulator is as strict as Cachet


def _call(rig: Rig, method: str, path: str, body=None, *, auth: bool = True) -> httpx.Response:
    headers = {"Accept": "application/json"}
    if auth:
        headers.update(
            {"Authorization": f"Bearer {rig.key}"}
            if rig.version == 3
            else {"X-Cachet-Token": rig.key}
        )
    return httpx.request(method, rig.cachet.api_base + path, json=body, headers=headers, timeout=5)


def test_emulator_refuses_what_cachet_refuses(rig: Rig):
    create = {"name": "x", "message": "m", "status": 1, "visible": True, "stickied": False}
    assert _call(rig, "POST", "/incidents", create, auth=False).status_code == 401
    if rig.version == 3:
        words = _call(rig, "POST", "/incidents", {**create, "status": "investigating"})
        assert words.status_code == 422 and "status" in words.json()["errors"]
        assert _call(rig, "GET", "/incidents?filter[title]=x").status_code == 400
        assert _call(rig, "GET", "/incidents?include=everything").status_code == 400
        assert _call(rig, "POST", "/incidents", {**create, "message": "  "}).status_code == 422
        hidden = _call(
            rig, "POST", "/incidents", {k: v for k, v in create.items() if k != "visible"}
        )
        assert hidden.status_code == 201
        assert rig.cachet.incidents[-1].visible is False, "visible defaults to false in 3.x"
    else:
        missing = _call(
            rig, "POST", "/incidents", {k: v for k, v in create.items() if k != "stickied"}
        )
        assert missing.status_code == 400
        assert missing.json()["errors"][0]["meta"]["details"]
        alone = _call(rig, "POST", "/incidents", {**create, "component_id": 1})
        assert alone.status_code == 400, "component_id and component_status go together"
        ok = _call(rig, "POST", "/incidents", create)
        assert ok.status_code == 200 and isinstance(ok.json()["data"]["id"], int)
        paged = _call(rig, "GET", "/incidents?name=x&page=2")
        assert paged.status_code == 500 and paged.headers["content-type"].startswith("text/html")
