"""Exactly once, also when slow: a deliverer that is alive keeps its row.

Two :class:`tui.publish.worker.Deliverer` objects on separate connections to one real SQLite
file deliver through the fault-injecting proxy to a real local status page. Time is
injected (the clock that stamps leases and the monotonic timer of the rate limit move
together, and only when a deliverer sleeps), so a 0.015 requests/second destination --
a minute between requests -- runs in well under a second while every request is real
HTTP and every lease a real row in the database.

The server counts the requests: each row must be created on the page exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.faulty import on_method
from tests.unit import test_delivery
from tests.unit.test_delivery import Rig, config_text
from tui.core.store import Store
from tui.publish import outbox
from tui.publish.worker import Deliverer

rig = test_delivery.rig  # the fixture: a war room, a real page, the faulty proxy

SLOW = 0.015  # requests per second: inside the documented bounds (0.01 .. 100)


class ManualTime:
    """The injected time of the deliverers: ``now()`` (a Clock) and ``monotonic()``."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC) + timedelta(seconds=1)
        self.mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.at

    def monotonic(self) -> float:
        with self._lock:
            return self.mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.at += timedelta(seconds=seconds)
            self.mono += seconds

    def sleeper(self, after: Callable[[float], None] | None = None) -> Callable[[float], None]:
        def sleep(seconds: float) -> None:
            self.advance(seconds)
            if after is not None:
                after(seconds)

        return sleep


def deliverer(store: Store, rig: Rig, t: ManualTime, owner: str, after=None) -> Deliverer:
    return Deliverer(
        store, rig.config, t, owner=owner, sleep=t.sleeper(after), monotonic=t.monotonic
    )


def posts(rig: Rig) -> list:
    return [s for s in rig.proxy.requests() if s.method == "POST"]


def created(rig: Rig) -> list:
    """POSTs the page answered with a success: incidents it created."""
    return [s for s in posts(rig) if s.forwarded and (s.upstream_status or 0) < 300]


def lease_until(store: Store, row_id: int) -> datetime | None:
    value = store.conn.execute("SELECT lease_until FROM outbox WHERE id = ?", (row_id,)).fetchone()
    return datetime.fromisoformat(value[0]) if value and value[0] else None


def first_attempt_fails(rig: Rig, t: ManualTime, a: Deliverer) -> int:
    """Publish one update; A's POST gets a 500 (ambiguous); the retry is due again."""
    rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=SLOW))
    rig.proxy.set_script(on_method("POST", 1, "500"))
    rig.publish(1)
    a.config = rig.config
    first = a.deliver_one()
    assert first is not None and first.outcome == "retry", first
    t.advance(2.0)  # past the first backoff (at most 1 s)
    return rig.rows()[0].id


def test_a_slow_attempt_keeps_its_lease_while_it_waits_and_sends_once(rig: Rig):
    """The issue's reproduction: two rate-limit waits of a minute each used to outlast
    the fixed 120 s lease; B took the row over, did not find it on the page and sent it;
    then A sent it too."""
    t = ManualTime()
    store_b = Store(rig.store.path)
    b = deliverer(store_b, rig, t, "deliverer-b:2:2")
    looks: list = []
    leases: list[tuple[datetime, datetime | None]] = []
    row_id: list[int] = []

    def while_a_waits(_seconds: float) -> None:
        if row_id:
            leases.append((t.now(), lease_until(store_b, row_id[0])))
            b.config = rig.config
            looks.append(b.deliver_one())  # a second process looks at the outbox

    a = deliverer(rig.store, rig, t, "deliverer-a:1:1", after=while_a_waits)
    try:
        row_id.append(first_attempt_fails(rig, t, a))

        second = a.deliver_one()

        assert len(created(rig)) == 1, [(s.method, s.fault, s.upstream_status) for s in posts(rig)]
        assert len(looks) >= 2, "A waited for the rate limit (twice or more)"
        assert t.now() - leases[0][0] > timedelta(seconds=120), "the attempt outlasted 120 s"
        assert all(until is not None and until > now for now, until in leases), (
            f"the lease ran out while its owner was waiting: {leases}"
        )
        assert looks == [None] * len(looks), f"B took the row from a live owner: {looks}"
        assert second is not None and second.outcome == "sent", second
        b.config = rig.config
        assert b.run(until_idle=True) == 0
        assert len(created(rig)) == 1, [(s.method, s.fault, s.upstream_status) for s in posts(rig)]
        rig.assert_delivered()
    finally:
        a.close()
        b.close()
        store_b.close()


def test_an_owner_that_lost_its_lease_while_asleep_does_not_send(rig: Rig):
    """A is suspended for an hour in its last wait before the POST (its lease runs out,
    whatever its length); B takes over and sends. A wakes up and must not send."""
    t = ManualTime()
    store_b = Store(rig.store.path)
    b = deliverer(store_b, rig, t, "deliverer-b:2:2")
    took_over: list = []

    def while_a_waits(_seconds: float) -> None:
        # A's look-ups are done (the 500 POST, then its GETs): the next request is the POST
        if not took_over and len(rig.proxy.requests()) >= 3:
            t.advance(3600)  # the laptop was closed
            b.config = rig.config
            took_over.append(b.deliver_one())

    a = deliverer(rig.store, rig, t, "deliverer-a:1:1", after=while_a_waits)
    try:
        first_attempt_fails(rig, t, a)

        second = a.deliver_one()

        assert took_over and took_over[0] is not None and took_over[0].outcome == "sent", took_over
        assert second is not None and second.outcome != "sent", second
        assert "another" in second.detail, second.detail
        assert len(created(rig)) == 1, [(s.method, s.fault, s.upstream_status) for s in posts(rig)]
        rig.assert_delivered()
    finally:
        a.close()
        b.close()
        store_b.close()


def test_the_owner_confirms_its_lease_right_before_sending(rig: Rig):
    """B takes the row over while A's last look-up is on the wire (no wait in between):
    the check of the lease right before the POST is what keeps A from sending."""
    t = ManualTime()
    a = deliverer(rig.store, rig, t, "deliverer-a:1:1")
    taken: list = []

    def script(method: str, path: str, n: int):
        if n == 1:
            return "500"  # A's first POST
        if method == "GET" and "q=" in path and not taken:
            # the look-up took a day: A's lease ran out and B claimed the row meanwhile
            t.advance(86400)
            other = Store(rig.store.path)
            try:
                taken.append(outbox.claim(other, "deliverer-b:2:2", t.now()))
            finally:
                other.close()
        return None

    try:
        rig.use_config(config_text(rig.proxy.api_base, timeout=10, rate=100))
        a.config = rig.config
        rig.proxy.set_script(script)
        rig.publish(1)
        first = a.deliver_one()
        assert first is not None and first.outcome == "retry", first
        t.advance(2.0)

        second = a.deliver_one()

        assert taken and taken[0] is not None, "B claimed the row during A's look-up"
        assert second is not None and second.outcome != "sent", second
        assert [s.n for s in posts(rig)] == [1], "no POST after the lease was lost"
        row = outbox.get(rig.store, taken[0].id)
        assert row is not None and row.state == "pending"
        assert (row.lease_owner or "").startswith("deliverer-b:"), row.lease_owner
    finally:
        a.close()
