"""The real retry schedule and every permanent error, through the real deliverer.

The delivery tests shorten ``BACKOFF_BASE``/``BACKOFF_CAP`` with an autouse fixture of
their own module; this module has none, so the policy runs with its shipped constants
(1 s, doubled per attempt, capped at 120 s, times a factor from 0.5 to 1.0). Time is
injected (:class:`tests.unit.test_lease.ManualTime`): nothing sleeps. The status page is
a small local HTTP server on port 0 answering each request with the status it is told.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import MAJOR
from tests.delivery_helpers import manual_deliverer
from tests.unit.test_lease import ManualTime
from tui import commands
from tui.core.clock import wall
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.state import DELIVERY_FAILED
from tui.core.store import Store
from tui.publish import outbox, retry
from tui.publish.worker import Deliverer

KEY_ENV = "M2_BACKOFF_PAGE_KEY"
BODY = (
    "We're sorry: logins are failing for many of you, and this is our fault. "
    "We're working on a fix now. We'll post our next update by {at}."
)


@dataclass
class Page:
    """What the fake page answers next (status, headers, JSON) and what it was asked."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    answer: dict = field(default_factory=lambda: {"error": "told to fail"})
    seen: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def serve(page: Page) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            with page.lock:
                page.seen.append((self.command, self.path))
                status, headers, answer = page.status, dict(page.headers), page.answer
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # a short poll: shutdown() in the teardown waits for it (0.5 s by default, per test)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-page", daemon=True
    ).start()
    return server


@dataclass
class Rig:
    page: Page
    store: Store
    t: ManualTime
    incident: str
    config: Config

    def deliverer(self, rng: random.Random | None = None) -> Deliverer:
        return manual_deliverer(self.store, self.config, self.t, rng=rng)

    def row(self) -> outbox.Row:
        [row] = outbox.rows(self.store, self.incident)
        return row


@pytest.fixture
def rig(tmp_path: Path, monkeypatch) -> Iterator[Rig]:
    monkeypatch.setenv(KEY_ENV, "sk-backoff-" + "7" * 16)
    page = Page()
    server = serve(page)
    store = Store(tmp_path / "incident.db")
    try:
        t = ManualTime()
        book = load_playbook(MAJOR)
        incident = commands.start(
            store, t, "alice", book, "Logins fail", {"core_feature_down": True}
        ).incident_id
        path = tmp_path / "config.yaml"
        path.write_text(
            "destinations:\n"
            "  - id: status\n"
            "    type: statuspage\n"
            f"    base_url: http://127.0.0.1:{server.server_address[1]}/api/v1\n"
            "    page_id: local\n"
            f"    api_key_env: {KEY_ENV}\n"
            "    rate_per_second: 100\n"
            "    timeout: 10\n",
            encoding="utf-8",
        )
        config = load_config(path)
        commands.publish(
            store,
            t,
            "alice",
            incident,
            "ack",
            BODY.format(at=wall(t.now() + timedelta(minutes=30), book.timezone)),
            config,
            accept_warnings=True,
        )
        yield Rig(page, store, t, incident, config)
    finally:
        server.shutdown()
        server.server_close()
        store.close()


def test_the_backoff_doubles_from_one_second_to_the_two_minute_cap(rig: Rig):
    """A page answering 500 forever: each retry waits BACKOFF_BASE * 2^attempts capped at
    BACKOFF_CAP, times the jitter drawn from the deliverer's rng -- 1 s, 2 s, 4 s ... 64 s,
    then 120 s, never more -- and the row stays pending (retryable, never dropped)."""
    assert (retry.BACKOFF_BASE, retry.BACKOFF_CAP, retry.JITTER) == (1.0, 120.0, (0.5, 1.0))
    seed = 15
    twin = random.Random(seed)  # the same draws, computed here from the README's formula
    d = rig.deliverer(random.Random(seed))
    waits = []
    try:
        for n in range(11):
            attempt = d.deliver_one()
            assert attempt is not None and attempt.outcome == "retry", (n, attempt)
            row = rig.row()
            assert row.attempts == n + 1 and row.state == "pending"
            wait = (row.next_attempt_at - rig.t.now()).total_seconds()
            step = min(120.0, 1.0 * 2**n)
            expected = twin.uniform(0.5, 1.0) * step
            assert wait == pytest.approx(expected, abs=1e-5), (n, wait, expected)
            assert 0.5 * step - 1e-5 <= wait <= step + 1e-5
            waits.append(wait)
            assert d.deliver_one() is None  # not due before its time
            rig.t.advance(wait + 0.001)
    finally:
        d.close()
    assert waits[0] <= 1.0 and max(waits) <= 120.0 and waits[-1] >= 60.0, waits


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0", retry.MIN_RETRY_AFTER), ("86400", retry.MAX_RETRY_AFTER)],
)
def test_a_throttle_waits_for_retry_after_within_its_bounds(rig: Rig, header, expected):
    """429 with Retry-After: the row waits exactly that long (at least 0.5 s, at most an
    hour), released, not leased; then it is sent."""
    rig.page.status, rig.page.headers = 429, {"Retry-After": header}
    d = rig.deliverer(random.Random(1))
    try:
        attempt = d.deliver_one()
        assert attempt is not None and attempt.outcome == "retry", attempt
        row = rig.row()
        wait = (row.next_attempt_at - rig.t.now()).total_seconds()
        assert wait == pytest.approx(expected, abs=1e-5)
        lease = rig.store.conn.execute(
            "SELECT lease_owner, lease_until FROM outbox WHERE id = ?", (row.id,)
        ).fetchone()
        assert tuple(lease) == (None, None)
        rig.page.status, rig.page.headers, rig.page.answer = 201, {}, {"id": "inc-1"}
        rig.t.advance(expected - 0.01)
        assert d.deliver_one() is None
        rig.t.advance(0.02)
        attempt = d.deliver_one()
        assert attempt is not None and attempt.outcome == "sent", attempt
    finally:
        d.close()


@pytest.mark.parametrize("status", [*sorted(retry.PERMANENT), 418])
def test_every_permanent_error_stops_the_row_until_a_person_retries_it(rig: Rig, status: int):
    """The README's permanent errors (400, 401, 403, 404, 422) and the rest the providers
    document (405, 409, 410, 413), and a 4xx outside the list: one request, the row failed
    with the status in its error and a delivery.failed event, never tried again by itself
    (a day later: nothing due, no request); `retry` after the fix sends it."""
    rig.page.status, rig.page.answer = status, {"error": f"told to answer {status}"}
    d = rig.deliverer()
    try:
        attempt = d.deliver_one()
        assert attempt is not None and attempt.outcome == "failed", attempt
        row = rig.row()
        assert row.state == "failed" and row.attempts == 1
        assert str(status) in (row.last_error or ""), row.last_error
        failed = [e for e in rig.store.events(rig.incident) if e.kind == DELIVERY_FAILED]
        assert [e.data["outbox_id"] for e in failed] == [row.id]
        rig.t.advance(86400)
        assert d.deliver_one() is None
        assert len(rig.page.seen) == 1, rig.page.seen
        rig.page.status, rig.page.answer = 201, {"id": "inc-1"}
        outbox.retry(rig.store, row.id, "alice", rig.t.now())
        attempt = d.deliver_one()
        assert attempt is not None and attempt.outcome == "sent", attempt
        assert rig.row().state == "sent"
    finally:
        d.close()


def test_no_autouse_fixture_shortens_the_schedule_here():
    """This module's schedule is the shipped one (a fixture elsewhere does not leak)."""
    assert retry.BACKOFF_BASE == 1.0 and retry.BACKOFF_CAP == 120.0
    assert retry.backoff(30, random.Random(0)) <= 120.0
    assert timedelta(seconds=retry.backoff(0, random.Random(0))) <= timedelta(seconds=1)
