"""Delivery under faults: after the outbox drains, the status page holds every published
update EXACTLY ONCE and IN ORDER, whatever went wrong on the way; the API key never leaks.

A real local status page (:class:`tui.localpage.serve.BackgroundServer`) sits behind a
fault-injecting proxy (:mod:`tests.faulty`); the war room publishes through the real
commands and delivers with the real :class:`tui.publish.worker.Deliverer` (in a thread, so a
hang fails the test) or the real ``warroom deliver`` entry point (in subprocesses).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.delivery_helpers import drain
from tests.faulty import FaultyProxy, Seen, on_method, on_request
from tui import commands
from tui.core.clock import SystemClock
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.state import DELIVERY_FAILED, DELIVERY_SENT
from tui.core.store import Store
from tui.localpage.serve import BackgroundServer
from tui.localpage.store import component_id
from tui.publish import outbox, retry
from tui.publish.worker import Attempt, Deliverer

KEY_ENV = "WARROOM_TEST_PAGE_KEY"
PLAYBOOK = shipped_playbooks_dir() / "saas-major-outage.yaml"
DRAIN_TIMEOUT = 40.0
TRANSIENT = [
    "500",
    "500-after",
    "429",
    "420",
    "hang-after",
    "reset-after",
    "close-after",
    "html",
    "html-after",
]
THROTTLES = ("429", "420")


def warroom_exe() -> str:
    exe = Path(sys.executable).parent / "warroom"
    assert exe.exists(), "the warroom console script is not installed in the venv"
    return str(exe)


def body(i: int) -> str:
    """A unique message that passes the playbook's checks (for ack and update)."""
    return (
        f"Update {i}: logins fail for many of you, this is our fault and we are sorry. "
        "We'll post our next update by 11:45 PM."
    )


def purpose(i: int) -> str:
    return "ack" if i == 1 else "update"


def config_text(
    base_url: str, *, timeout: float = 1, key: str | None = None, rate: float = 100
) -> str:
    key_line = key or f"api_key_env: {KEY_ENV}"
    return (
        "destinations:\n"
        "  - id: local\n"
        "    type: statuspage\n"
        f"    base_url: {base_url}\n"
        "    page_id: local\n"
        f"    {key_line}\n"
        f"    rate_per_second: {rate:g}\n"
        f"    timeout: {timeout:g}\n"
        f"    components: {{API: {component_id('API')}}}\n"
    )


@dataclass
class Rig:
    """A war room, a real status page, a faulty proxy in front of it, a config."""

    tmp: Path
    key: str
    page: BackgroundServer
    proxy: FaultyProxy
    store: Store
    clock: SystemClock
    incident: str
    config_path: Path
    config: Config = field(default_factory=Config)
    bodies: list[str] = field(default_factory=list)

    def use_config(self, text: str) -> None:
        self.config_path.write_text(text, encoding="utf-8")
        self.config = load_config(self.config_path)

    def publish(self, n: int, text=body) -> None:
        for _ in range(n):
            i = len(self.bodies) + 1
            commands.publish(
                self.store,
                self.clock,
                "alice",
                self.incident,
                purpose(i),
                text(i),
                self.config,
                accept_warnings=True,
            )
            self.bodies.append(text(i).strip())

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> list[Attempt]:
        """The real worker until the outbox is idle (a hang fails the test)."""
        return drain(self.store, self.config, timeout)

    # what the page holds (read directly, not through the proxy)
    def page_incidents(self) -> list[dict]:
        r = httpx.get(
            f"{self.page.api_base}/pages/local/incidents?limit=100",
            headers={"Authorization": f"OAuth {self.key}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        return r.json()

    def page_bodies(self) -> list[str]:
        """The updates of the one incident on the page, oldest first ([] if none)."""
        incidents = self.page_incidents()
        assert len(incidents) <= 1, f"{len(incidents)} incidents on the page: {incidents}"
        if not incidents:
            return []
        updates = incidents[0]["incident_updates"]  # newest first
        return [u["body"].strip() for u in reversed(updates)]

    def rows(self) -> list[outbox.Row]:
        return outbox.rows(self.store, self.incident)

    def assert_delivered(self) -> None:
        """Exactly one incident on the page with every update once, in order; all rows sent."""
        incidents = self.page_incidents()
        assert len(incidents) == 1, [i.get("name") for i in incidents]
        assert self.page_bodies() == self.bodies
        rows = self.rows()
        assert [r.state for r in rows] == ["sent"] * len(self.bodies), [
            (r.id, r.state, r.last_error) for r in rows
        ]
        assert {r.provider_ref for r in rows} == {incidents[0]["id"]}
        sent = [
            e.data["outbox_id"] for e in self.store.events(self.incident) if e.kind == DELIVERY_SENT
        ]
        assert sorted(sent) == [r.id for r in rows], "one delivery.sent event per row"
        unresolved = httpx.get(
            f"{self.page.api_base}/pages/local/incidents/unresolved",
            headers={"Authorization": f"OAuth {self.key}"},
            timeout=10,
        ).json()
        assert [i["id"] for i in unresolved] == [incidents[0]["id"]]

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a real ``warroom`` process: real clock, key in the env only."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        e.update(
            WARROOM_DB=str(self.store.path),
            WARROOM_CONFIG=str(self.config_path),
            WARROOM_AS="alice",
        )
        e[KEY_ENV] = self.key
        e.update(extra)
        return e

    def warroom(self, *args: str, stdin: str | None = None, timeout: float = 60, **env: str):
        return subprocess.run(
            [warroom_exe(), *args],
            capture_output=True,
            text=True,
            env=self.env(**env),
            cwd=self.tmp,
            input=stdin,
            timeout=timeout,
        )


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(retry, "BACKOFF_CAP", 0.5)


@pytest.fixture
def rig(tmp_path, monkeypatch):
    key = "sk-live-" + secrets.token_hex(16)
    monkeypatch.setenv(KEY_ENV, key)
    for name in [k for k in os.environ if k.startswith("WARROOM_") and k != KEY_ENV]:
        monkeypatch.delenv(name)
    page = BackgroundServer(tmp_path / "page.db", api_key=key).start()
    proxy = FaultyProxy(page.url, hold=5.0).start()
    store = Store(tmp_path / "incident.db")
    clock = SystemClock()
    book = load_playbook(PLAYBOOK)
    incident = commands.start(
        store, clock, "alice", book, "Logins fail", {"core_feature_down": True}
    ).incident_id
    r = Rig(tmp_path, key, page, proxy, store, clock, incident, tmp_path / "config.yaml")
    r.use_config(config_text(proxy.api_base))
    try:
        yield r
    finally:
        proxy.stop()
        page.stop()
        store.close()


def _only(seen: list[Seen], fault: str) -> Seen:
    hits = [s for s in seen if s.fault == fault]
    assert len(hits) == 1, f"the fault {fault} was applied {len(hits)} times: {seen}"
    return hits[0]


# ------------------------------------------------------------------- 1. transient faults


@pytest.mark.parametrize("where", ["create", "patch"])
@pytest.mark.parametrize("fault", TRANSIENT)
def test_one_transient_fault_still_delivers_exactly_once_in_order(rig: Rig, fault, where):
    if fault in THROTTLES:
        rig.proxy.throttle_phase = 0.5  # the throttled answer goes out mid-second
    if where == "create":
        rig.proxy.set_script(on_request(1, fault))
    else:
        rig.proxy.set_script(on_method("PATCH", 2, fault))  # the 3rd update
    rig.publish(4)

    attempts = rig.drain()

    seen = rig.proxy.requests()
    hit = _only(seen, fault)
    assert hit.method == ("POST" if where == "create" else "PATCH")
    assert [a.outcome for a in attempts].count("retry") == 1, attempts
    rig.assert_delivered()
    if fault in THROTTLES:
        after = [s for s in seen if s.n > hit.n]
        assert after, "the throttled request was never retried"
        assert hit.answered is not None
        waited = after[0].at - hit.answered
        assert waited >= 0.95, (
            f"Retry-After: 1 not honoured: the next request came {waited:.2f} s after the "
            f"{fault} answer ({[a.detail for a in attempts if a.outcome == 'retry']})"
        )


def test_faults_in_a_row_including_the_lookups(rig: Rig):
    """Ambiguous failures, then failures of the look-ups that follow them."""
    rig.proxy.set_script(
        ["500-after", "html", "reset-after", None, None, "hang-after", "500", "html-after"]
    )
    rig.publish(5)
    rig.drain()
    rig.assert_delivered()


def test_a_repeated_message_is_not_lost_after_an_ambiguous_failure(rig: Rig):
    """The same text published twice must reach the page twice, even when the second
    PATCH failed before it reached the page (a 500 from a proxy: nothing committed)."""
    same = body(2)
    rig.proxy.set_script(on_method("PATCH", 2, "500"))
    rig.publish(3, text=lambda i: body(1) if i == 1 else same)

    rig.drain()

    assert rig.page_bodies() == [body(1), same, same], (
        "the re-sent update was taken for the earlier one with the same text"
    )
    rig.assert_delivered()


# ------------------------------------------------------------------ 2. permanent errors


@pytest.mark.parametrize("where", ["create", "patch"])
@pytest.mark.parametrize("fault", ["401", "422"])
def test_a_permanent_error_stops_the_incident_until_retried(rig: Rig, fault, where):
    rig.proxy.set_script(
        on_request(1, fault) if where == "create" else on_method("PATCH", 2, fault)
    )
    rig.publish(4)
    failed_at = 0 if where == "create" else 2  # index of the row that fails

    attempts = rig.drain()

    rows = rig.rows()
    assert [r.state for r in rows[:failed_at]] == ["sent"] * failed_at
    failed = rows[failed_at]
    assert failed.state == "failed"
    assert fault in (failed.last_error or ""), failed.last_error
    assert [r.state for r in rows[failed_at + 1 :]] == ["pending"] * (3 - failed_at)
    assert rig.page_bodies() == rig.bodies[:failed_at], "nothing after the failure went out"
    seen = rig.proxy.requests()
    assert seen[-1].fault == fault, "no request after the permanent error"
    assert [a.outcome for a in attempts].count("failed") == 1
    events = [e for e in rig.store.events(rig.incident) if e.kind == DELIVERY_FAILED]
    assert [e.data["outbox_id"] for e in events] == [failed.id]
    assert fault in events[0].data["error"]

    rig.proxy.set_script(None)  # the cause is fixed
    outbox.retry(rig.store, failed.id, "alice", rig.clock.now())
    rig.drain()

    rig.assert_delivered()


# ------------------------------------------------------- 3. two processes on one outbox


def test_two_delivery_processes_send_each_update_once_in_order(rig: Rig):
    rig.use_config(config_text(rig.proxy.api_base, timeout=10))
    rig.proxy.latency = 0.05
    rig.publish(10)

    procs = [
        subprocess.Popen(
            [warroom_exe(), "deliver", "--until-idle"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=rig.env(),
            cwd=rig.tmp,
        )
        for _ in range(2)
    ]
    outputs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=60)
            outputs.append((p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    for code, out, err in outputs:
        assert code == 0, (out, err)
        assert "Traceback" not in out + err
        assert rig.key not in out + err
    totals = [int(out.strip().splitlines()[-1].split()[0]) for _, out, _ in outputs]
    assert sum(totals) == 10, outputs
    rig.assert_delivered()
    writes = [s for s in rig.proxy.requests() if s.method in ("POST", "PATCH")]
    assert len(writes) == 10, "each update was written once"


def test_a_waiting_deliverer_does_not_spin_while_another_process_holds_the_lease(
    rig: Rig, monkeypatch
):
    """While the only due row is leased by another live process, a second deliverer must
    wait (a positive time) before it tries again, not re-claim in a tight loop: each claim
    is a write transaction, so a spinning process burns a CPU and competes for the
    database lock with the process that is actually sending."""
    rig.publish(2)
    other = f"{socket.gethostname()}:{os.getpid()}:1"  # this (live) process, another thread
    assert outbox.claim(rig.store, other, rig.clock.now()) is not None
    claims = {"n": 0}
    waits: list[float] = []
    stop = threading.Event()
    real_claim = outbox.claim

    def counting_claim(*args, **kw):
        claims["n"] += 1
        if claims["n"] >= 1000:
            stop.set()  # a spin: end the loop, the test fails below
        return real_claim(*args, **kw)

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        stop.set()

    monkeypatch.setattr(outbox, "claim", counting_claim)
    deliverer = Deliverer(rig.store, rig.config, SystemClock(), sleep=fake_sleep)
    worker = threading.Thread(target=lambda: deliverer.run(until_idle=True, stop=stop), daemon=True)
    worker.start()
    worker.join(30)
    stop.set()
    worker.join(5)
    deliverer.close()

    assert not worker.is_alive()
    assert claims["n"] <= 2 and waits and waits[0] > 0, (
        f"{claims['n']} claims without waiting (waits: {waits[:3]})"
    )
    assert [r.state for r in rig.rows()] == ["pending", "pending"]
    assert rig.proxy.requests() == []


# ------------------------------------------------------------------- 4. kill -9 mid-run


def test_kill_9_mid_request_then_a_new_process_takes_over(rig: Rig):
    # a long timeout: the killed process is surely still waiting for the answer
    rig.use_config(config_text(rig.proxy.api_base, timeout=30))
    rig.proxy.hold = 60.0
    rig.proxy.set_script(on_request(3, "hang-after"))  # the 2nd PATCH: update 3
    rig.publish(5)

    victim = subprocess.Popen(
        [warroom_exe(), "deliver"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=rig.env(),
        cwd=rig.tmp,
    )
    try:
        committed = rig.proxy.wait_for(lambda seen: len(seen) >= 3 and seen[2].forwarded, 30)
        assert committed, f"the proxy never saw the 3rd request: {rig.proxy.requests()}"
        assert victim.poll() is None
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.communicate(timeout=10)  # reaped: its pid is gone
    assert victim.returncode == -signal.SIGKILL
    leased = outbox.get(rig.store, rig.rows()[2].id)
    assert leased is not None and leased.state == "pending" and leased.lease_owner

    rig.proxy.set_script(None)
    done = rig.warroom("deliver", "--until-idle", timeout=60)

    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    rig.assert_delivered()
    writes = [s for s in rig.proxy.requests() if s.method in ("POST", "PATCH")]
    assert len(writes) == 5, [(s.method, s.path, s.fault) for s in writes]


# ------------------------------------------------------------------------- 5. secrets


def _file_bytes(path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def test_the_key_never_leaks(rig: Rig):
    """Key in an env var only: publish (CLI), deliver with a stored 401, retry, deliver."""
    rig.proxy.set_script(on_request(1, "401"))
    outputs: list[str] = []

    def ok(*args: str, stdin: str | None = None) -> str:
        r = rig.warroom(*args, stdin=stdin)
        outputs.extend([r.stdout, r.stderr])
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout

    for i in (1, 2, 3):
        ok(
            "publish",
            "--template",
            purpose(i),
            "--body-file",
            "-",
            "--accept-warnings",
            "--yes",
            stdin=body(i),
        )
        rig.bodies.append(body(i))
    ok("deliver", "--until-idle")
    rows = json.loads(ok("outbox", "--json"))
    assert [r["state"] for r in rows] == ["failed", "pending", "pending"]
    assert "401" in rows[0]["last_error"]
    ok("outbox", "retry", str(rows[0]["id"]))
    ok("deliver", "--until-idle")
    ok("outbox")
    rows = json.loads(ok("outbox", "--json"))
    assert [r["state"] for r in rows] == ["sent"] * 3
    for args in (("log",), ("log", "--json", "--all"), ("status", "--json"), ("list", "--json")):
        ok(*args)
    rig.assert_delivered()

    assert all(s.authorization == f"OAuth {rig.key}" for s in rig.proxy.requests())
    for text in outputs:
        assert rig.key not in text
    rig.store.close()
    for db in (rig.store.path, rig.page.db_path):
        assert rig.key.encode() not in _file_bytes(Path(db)), f"the key is in {db}"


def test_an_echoed_key_in_an_error_answer_is_not_stored(rig: Rig):
    """A careless server repeats the Authorization header in its 401 message: the error
    the war room stores and shows must still not contain the key."""
    rig.proxy.set_script(on_request(1, "401-echo"))
    rig.publish(1)

    rig.drain()

    row = rig.rows()[0]
    assert row.state == "failed"
    assert "401" in (row.last_error or "")
    assert rig.key not in (row.last_error or ""), row.last_error
    out = rig.warroom("outbox", "--json")
    assert rig.key not in out.stdout + out.stderr
    rig.store.close()
    assert rig.key.encode() not in _file_bytes(rig.store.path)


def test_a_config_with_an_api_key_is_refused(rig: Rig):
    bad = rig.tmp / "bad-config.yaml"
    text = config_text(rig.proxy.api_base).replace(
        f"    api_key_env: {KEY_ENV}\n", f"    api_key_env: {KEY_ENV}\n    api_key: {rig.key}\n"
    )
    bad.write_text(text, encoding="utf-8")
    line = text.splitlines().index(f"    api_key: {rig.key}") + 1
    before = len(rig.rows())

    r = rig.warroom(
        "publish",
        "--template",
        "ack",
        "--body-file",
        "-",
        "--accept-warnings",
        "--yes",
        stdin=body(1),
        WARROOM_CONFIG=str(bad),
    )

    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, lines
    assert "bad-config.yaml" in lines[0] and f":{line}:" in lines[0], lines[0]
    assert "api_key" in lines[0]
    assert rig.key not in r.stdout + r.stderr
    assert len(rig.rows()) == before, "nothing queued"


# ----------------------------------------------------------------- 6. api_key_file modes


def test_a_key_file_readable_by_others_is_refused_at_send_time(rig: Rig):
    key_file = rig.tmp / "statuspage.key"
    key_file.write_text(rig.key + "\n", encoding="utf-8")
    os.chmod(key_file, 0o644)
    rig.use_config(config_text(rig.proxy.api_base, key=f"api_key_file: {key_file}"))
    rig.publish(2)

    rig.drain()

    first, second = rig.rows()
    assert first.state == "failed"
    assert str(key_file) in (first.last_error or ""), first.last_error
    assert "0644" in (first.last_error or ""), first.last_error
    assert rig.key not in (first.last_error or "")
    assert second.state == "pending"
    assert rig.proxy.requests() == [], "nothing was sent without a usable key"

    os.chmod(key_file, 0o600)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    outbox.retry(rig.store, first.id, "alice", rig.clock.now())
    rig.drain()

    rig.assert_delivered()
    assert all(s.authorization == f"OAuth {rig.key}" for s in rig.proxy.requests())


# ----------------------------------------------------------------------- 7. redirects


@pytest.mark.parametrize("fault", ["302-json", "301-empty"])
def test_a_redirect_is_a_permanent_error_naming_the_location(rig: Rig, fault):
    """A 302 whose body carries a JSON ``id`` is not a created incident, and a 301 with
    an empty body is not something to retry forever: the row fails once, the error names
    where the URL redirects to and what to fix in the config."""
    from tests.faulty import ELSEWHERE

    rig.proxy.set_script(on_request(1, fault))
    rig.publish(2)

    attempts = rig.drain()

    first, second = rig.rows()
    assert first.state == "failed", (first.state, first.provider_ref, first.last_error)
    assert first.provider_ref is None and first.attempts == 1
    error = first.last_error or ""
    assert fault[:3] in error and "redirect" in error, error
    assert ELSEWHERE in error and "base_url" in error and "'local'" in error, error
    assert second.state == "pending"
    assert [s.fault for s in rig.proxy.requests()] == [fault], "tried once, never followed"
    assert rig.page_incidents() == []
    assert [a.outcome for a in attempts] == ["failed"], attempts
    events = [e for e in rig.store.events(rig.incident) if e.kind == DELIVERY_FAILED]
    assert [e.data["outbox_id"] for e in events] == [first.id]
    assert not [e for e in rig.store.events(rig.incident) if e.kind == DELIVERY_SENT]

    shown = rig.warroom("outbox")
    assert shown.returncode == 0 and ELSEWHERE in shown.stdout, shown.stdout


# ------------------------------------------------------------- the policy and the registry


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "sent"),
        (201, "sent"),
        (301, "redirect"),
        (302, "redirect"),
        (420, "throttled"),
        (429, "throttled"),
        (500, "ambiguous"),
        (503, "ambiguous"),
        (401, "permanent"),
        (422, "permanent"),
        (418, "permanent"),  # not in PERMANENT: any other 4xx stops all the same
    ],
)
def test_the_retry_policy_judges_each_http_answer(status: int, expected: str):
    assert retry.verdict(status) == expected


def test_backoff_draws_half_to_all_of_the_capped_step():
    """The jitter is a factor drawn uniformly from 0.5 to 1.0 of base * 2^attempts
    (capped): never more than the step, never less than half of it."""
    import random

    rng = random.Random(7)
    for attempts in range(12):
        step = min(retry.BACKOFF_CAP, retry.BACKOFF_BASE * 2**attempts)
        waits = [retry.backoff(attempts, rng) for _ in range(50)]
        assert all(step * 0.5 <= w <= step for w in waits), (attempts, step, waits)
    error = retry.DeliveryError("throttled", retryable=True, retry_after=0.0)
    assert retry.wait_before_retry(error, 3, rng) == retry.MIN_RETRY_AFTER
    assert retry.parse_retry_after("7") == 7.0
    assert retry.parse_retry_after("99999") == retry.MAX_RETRY_AFTER
    assert retry.parse_retry_after("soon") is None


def test_every_destination_type_the_config_accepts_has_an_adapter():
    from tui.core.config import TYPES
    from tui.publish.destinations import ADAPTERS, GUARANTEES

    assert set(ADAPTERS) == set(TYPES)
    for adapter in ADAPTERS.values():
        assert getattr(adapter, "guarantee", None) in GUARANTEES, adapter
