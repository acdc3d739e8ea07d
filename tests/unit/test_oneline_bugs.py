"""The one-line bugs of issue 15: each of these tests fails when its line breaks.

Each test names the bug it catches. They run on real parts (a real SQLite file, the
real outbox, the real deliverer over HTTP to a real local status page behind the
fault-injecting proxy, the real message check) with injected time, so none sleeps.

* the resolution check takes any clock time as the restore time
  (:func:`tui.publish.checks.requirements.has_restore_time`);
* the cadence is read from the first phase instead of the current one
  (:func:`tui.core.state.countdown.cadence_at`);
* the per-destination rate limit gap is 0 (:meth:`tui.publish.worker.Deliverer._pace`);
* ordering is held across all incidents and destinations instead of per incident and
  destination (``_CLAIMABLE`` in :mod:`tui.publish.outbox`);
* a dead owner's lease is not freed (``dead_here`` in :mod:`tui.core.owners`, used by
  the outbox and :mod:`tui.queues.lease`): caught here in well under a second.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import MAJOR
from tests.delivery_helpers import paced_gaps
from tests.unit import test_delivery
from tests.unit.test_delivery import Rig
from tui import commands
from tui.core import state as ev
from tui.core.clock import FrozenClock
from tui.core.playbook import Playbook, load_playbook
from tui.core.state import Event, Projector, cadence_at, next_update_due
from tui.core.store import Store
from tui.publish import outbox
from tui.publish.checks import check_message, labels
from tui.publish.drafting import next_update_time
from tui.queues import lease

rig = test_delivery.rig  # the fixture: a war room, a real page, the faulty proxy

BOOK = load_playbook(MAJOR)
T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


# --------------------------------------------- 1. the restore time is a time of restoring

RESOLVED_TAIL = (
    " Thank you for your patience, and we're sorry for the disruption. We will publish "
    "a full post-mortem within 72 hours."
)


@pytest.mark.parametrize(
    "text",
    [
        "The outage began at 2:05 PM EST, when a database failover went wrong.",
        "We first saw errors at 14:02 UTC. Everything is fine now.",
        "Our on-call engineer was paged at 3:10 PM.",
        "We'll send the invoice credits by 5 PM tomorrow. The issue is resolved.",
    ],
)
def test_a_clock_time_that_is_not_the_restore_time_is_not_taken_for_one(text: str):
    """Bug: any clock time accepted as the restore time. A resolution naming only when
    it broke (or when we were paged, or a future time) still lacks the restore time."""
    body = text + RESOLVED_TAIL
    assert labels(body, "resolved", BOOK.message_checks)["restore_time"] is False
    rules = [f.rule for f in check_message(body, "resolved", "statuspage", BOOK.message_checks)]
    assert "requires.restore_time" in rules, rules


def test_the_restore_time_itself_is_found():
    """The other side: a real restore time satisfies the rule (the test above is not
    passing because the rule never fires)."""
    body = "Service has been fully restored as of 4:47 PM EST." + RESOLVED_TAIL
    assert labels(body, "resolved", BOOK.message_checks)["restore_time"] is True
    rules = [f.rule for f in check_message(body, "resolved", "statuspage", BOOK.message_checks)]
    assert "requires.restore_time" not in rules, rules


# ----------------------------------------------------- 2. the cadence of the current phase


def two_cadence_book(tmp_path: Path) -> Playbook:
    """The shipped playbook with a faster cadence in the diagnose phase (10m, max 20m)
    than in the acknowledge phase (30m, max 60m): both shipped playbooks use one cadence."""
    text = MAJOR.read_text(encoding="utf-8")
    marker = "cadence: {every: 30m, max: 60m} # silence is toxic"
    assert text.count(marker) == 1, "the shipped playbook changed: update this test"
    path = tmp_path / "two-cadences.yaml"
    path.write_text(
        text.replace(marker, "cadence: {every: 10m, max: 20m} # silence is toxic"),
        encoding="utf-8",
    )
    return load_playbook(path)


def fold(book: Playbook, events: list[tuple[datetime, str, dict]]):
    def resolver(sha: str, source: str) -> Playbook:
        assert sha == book.sha256
        return book

    started = Event(
        1,
        "INC-1",
        T0,
        "alice",
        ev.STARTED,
        {
            "title": "API down",
            "playbook_sha": book.sha256,
            "metrics": {"core_feature_down": True},
            "detected_at": T0.isoformat(),
        },
    )
    rest = [
        Event(i + 2, "INC-1", at, "alice", kind, data) for i, (at, kind, data) in enumerate(events)
    ]
    return Projector("INC-1", resolver).apply_all([started, *rest])


def published(purpose: str) -> dict:
    return {"purpose": purpose, "promised_next_at": None, "via": "manual"}


def test_the_cadence_in_force_is_the_current_phases_not_the_first(tmp_path: Path):
    """Bug: the cadence taken from the first phase. In diagnose (10m) an update that
    promised no time is followed by the next one 10 minutes later, not 30."""
    book = two_cadence_book(tmp_path)
    ack_at, update_at = T0 + timedelta(minutes=5), T0 + timedelta(minutes=20)
    s = fold(
        book,
        [
            (ack_at, ev.PUBLISHED, published("ack")),
            (T0 + timedelta(minutes=6), ev.ADVANCED, {"from": "acknowledge", "to": "diagnose"}),
            (update_at, ev.PUBLISHED, published("update")),
        ],
    )
    assert s.phase == "diagnose"
    cadence = cadence_at(s)
    assert cadence is not None and cadence.every == timedelta(minutes=10)
    assert next_update_due(s) == (update_at + timedelta(minutes=10), "cadence: every 10m")
    # the draft proposes the same cadence: 10 minutes on, on a 5-minute mark
    now = T0 + timedelta(minutes=21)
    assert next_update_time(s, now) == T0 + timedelta(minutes=35)


def test_before_leaving_the_first_phase_its_own_cadence_holds(tmp_path: Path):
    """The other side: in acknowledge the acknowledge phase's 30m is in force."""
    book = two_cadence_book(tmp_path)
    ack_at = T0 + timedelta(minutes=5)
    s = fold(book, [(ack_at, ev.PUBLISHED, published("ack"))])
    assert s.phase == "acknowledge"
    assert next_update_due(s) == (ack_at + timedelta(minutes=30), "cadence: every 30m")


# ------------------------------------------------ 3. the per-destination rate limit gap

GAP = 2.0  # seconds between two requests at 0.5 requests per second


def test_requests_to_one_destination_keep_its_rate_limit_gap(rig: Rig):
    """Bug: the gap set to 0. Three updates (a create and two updates: several requests)
    reach the page; each request arrives, by the deliverer's injected clock read at the
    server, at least 1/rate_per_second after the one before. Nothing sleeps for real."""
    gaps = paced_gaps(rig, GAP)
    rig.assert_delivered()
    assert all(g >= GAP - 1e-6 for g in gaps), gaps


# ------------------------------------ 4. order per incident and destination, not globally


def _store_with_incidents(tmp_path: Path) -> tuple[Store, FrozenClock, list[tuple[str, int]]]:
    store = Store(tmp_path / "incident.db")
    clock = FrozenClock(T0)
    out = []
    for title in ("Logins fail", "Exports are slow"):
        incident = commands.start(
            store, clock, "alice", BOOK, title, {"core_feature_down": True}, force=True
        ).incident_id
        out.append((incident, next(iter(store.events(incident))).id))
    return store, clock, out


def _enqueue(store: Store, incident: str, event_id: int, destination: str, now: datetime) -> int:
    with store.write() as w:
        return outbox.enqueue(w, incident, destination, "update", {"n": 1}, now, event_id)


def test_a_failed_row_holds_back_only_its_own_incident_and_destination(tmp_path: Path):
    """Bug: order held across all incidents and destinations. A row that failed
    (stopped until a person retries it) holds back the later rows of its incident on
    its destination, and nothing else: the other destination of the same incident and
    the same destination of another incident still go out."""
    store, clock, [(inc1, ev1), (inc2, ev2)] = _store_with_incidents(tmp_path)
    try:
        now = clock.now()
        first = _enqueue(store, inc1, ev1, "page", now)
        row = outbox.claim(store, "one", now)
        assert row is not None and row.id == first
        outbox.fail(store, row, "one", "401 Unauthorized", now)
        later_same = _enqueue(store, inc1, ev1, "page", now)
        other_dest = _enqueue(store, inc1, ev1, "chat", now)
        other_inc = _enqueue(store, inc2, ev2, "page", now)

        claimed = []
        while (r := outbox.claim(store, "one", now)) is not None:
            claimed.append(r.id)
            outbox.complete(store, r, "one", "ref", now)
        assert sorted(claimed) == sorted([other_dest, other_inc]), claimed
        assert later_same not in claimed  # behind the failed row: in order
        assert outbox.get(store, later_same).state == "pending"  # type: ignore[union-attr]
    finally:
        store.close()


# ------------------------------------------------------- 5. a dead owner's lease is freed


def dead_pid() -> int:
    """The pid of a process that ran on this host and has ended (and was reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_an_outbox_row_leased_by_a_dead_process_is_taken_over_at_once(tmp_path: Path):
    """Bug: a dead owner's lease not freed. The row's lease has an hour to run, but its
    owner (a process on this host) is gone: the next deliverer claims it now, as
    ambiguous (it may have reached the page). A live owner's row stays its own."""
    store, clock, [(inc1, ev1), _] = _store_with_incidents(tmp_path)
    try:
        now = clock.now()
        _enqueue(store, inc1, ev1, "page", now)
        host = socket.gethostname()
        alive = f"{host}:{os.getpid()}:1"
        held = outbox.claim(store, alive, now, timedelta(hours=1))
        assert held is not None
        assert outbox.claim(store, "other", now) is None  # a live owner keeps it
        store.conn.execute(
            "UPDATE outbox SET lease_owner = ? WHERE id = ?", (f"{host}:{dead_pid()}:1", held.id)
        )
        taken = outbox.claim(store, "other", now)
        assert taken is not None and taken.id == held.id
        assert taken.ambiguous
    finally:
        store.close()


def test_a_queue_poller_lease_of_a_dead_process_is_free_at_once(tmp_path: Path):
    """The same for the one-poller-per-database lease: a holder that died is no holder,
    an hour before its lease runs out; a live one holds."""
    store = Store(tmp_path / "incident.db")
    try:
        host = socket.gethostname()
        dead = f"{host}:{dead_pid()}:abcd"
        got = lease.take(store, lease.POLLER, dead, T0, timedelta(hours=1))
        assert got.owner == dead
        assert lease.current(store, lease.POLLER, T0) is None
        mine = lease.new_owner()
        assert lease.take(store, lease.POLLER, mine, T0, timedelta(hours=1)).owner == mine
        assert lease.take(store, lease.POLLER, "x:1:y", T0, timedelta(hours=1)).owner == mine
    finally:
        store.close()
