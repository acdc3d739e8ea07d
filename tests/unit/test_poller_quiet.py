"""The queue poller at rest: the same answer poll after poll writes nothing, so no
dashboard on the database wakes (each one watches ``PRAGMA data_version``); a changed
answer is written once; the row is written again after ``status.QUIET`` (a person's
count is still known to be overridden) and the words say what the row means.

Real SQLite files, a real command source (tests/unit/test_poller.py's Room), a second
connection as a dashboard's; time is a FrozenClock the test moves.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta

import pytest

from tests.unit.test_poller import EVERY, Room
from tui.core.store import Store
from tui.queues import status


@pytest.fixture(autouse=True)
def _no_warroom_env(monkeypatch):
    for name in [k for k in os.environ if k.startswith("WARROOM_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def room(tmp_path):
    r = Room(tmp_path)
    yield r
    r.store.close()


def count_row_writes(db) -> sqlite3.Connection:
    """Triggers that count every write of a ``queue_sources`` row (in the same transaction)."""
    conn = sqlite3.connect(db)
    count = "BEGIN INSERT INTO row_writes VALUES (1); END;"
    conn.executescript(
        "CREATE TABLE row_writes(n INTEGER);"
        f"CREATE TRIGGER rw_i AFTER INSERT ON queue_sources {count}"
        f"CREATE TRIGGER rw_u AFTER UPDATE ON queue_sources {count}"
    )
    return conn


def writes(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM row_writes").fetchone()[0])


def test_the_same_answer_again_writes_nothing_and_wakes_no_dashboard(room):
    incident = room.start()
    counter = count_row_writes(room.store.path)
    dashboard = Store(room.store.path)
    try:
        p = room.poller(room.source())
        p.ttl = timedelta(hours=1)  # (the lease's own renewals: the next test)
        assert p.take_lease().owner == p.owner
        [first] = p.poll_due()
        assert first.written == (incident,) and writes(counter) == 1
        seen = dashboard.data_version()
        for _ in range(8):  # 4 minutes of polls, the same answer
            room.clock.advance(EVERY)
            [poll] = p.poll_due()
            assert poll.ok and poll.count == 5 and poll.written == ()
            assert dashboard.data_version() == seen
        assert room.calls() == 9 and writes(counter) == 1
        row = status.read_all(dashboard)["tickets"]
        assert row.words(room.clock.now()) == "command: no change in 4m"

        # a changed answer: written once (the row and the event), then quiet again
        room.count_file.write_text("7\n")
        room.clock.advance(EVERY)
        [poll] = p.poll_due()
        assert poll.written == (incident,) and writes(counter) == 2
        assert dashboard.data_version() != seen
        seen = dashboard.data_version()
        assert status.read_all(dashboard)["tickets"].count == 7
        assert status.read_all(dashboard)["tickets"].words(room.clock.now()) == (
            "command: polled 0s ago"
        )
        room.clock.advance(EVERY)
        p.poll_due()
        assert writes(counter) == 2 and dashboard.data_version() == seen
    finally:
        dashboard.close()
        counter.close()


def test_the_row_is_written_again_after_quiet_so_a_live_source_still_overrides(room):
    room.start()
    counter = count_row_writes(room.store.path)
    try:
        p = room.poller(room.source())
        p.ttl = timedelta(hours=1)
        p.poll_due()
        steps = int(timedelta(minutes=12) / EVERY)
        for _ in range(steps):
            room.clock.advance(EVERY)
            p.poll_due()
            row = status.read_all(room.store)["tickets"]
            now = room.clock.now()
            assert now - row.polled_at <= status.QUIET  # never older than QUIET
            assert row.overrides(now) is not None  # a person's count: told it is replaced
        # 12 minutes, the same answer: the first write and one per QUIET (5 min)
        assert writes(counter) == 1 + int(timedelta(minutes=12) / (status.QUIET + EVERY))
    finally:
        counter.close()


def test_a_poller_that_stopped_is_not_said_to_see_no_change(room):
    room.start()
    p = room.poller(room.source())
    p.poll_due()
    row = status.read_all(room.store)["tickets"]
    at = room.clock.now()
    assert row.words(at + timedelta(seconds=20)) == "command: polled 20s ago"
    assert row.words(at + timedelta(minutes=3)) == "command: no change in 3m"
    # past QUIET and two polls: the row would have been written again; it was not
    late = at + status.QUIET + 2 * EVERY + timedelta(seconds=1)
    assert row.words(late).startswith("command: polled ") and row.words(late).endswith(" ago")


def test_the_lease_is_renewed_by_a_write_only_once_half_of_it_has_run(room):
    room.start()
    dashboard = Store(room.store.path)
    try:
        p = room.poller(room.source())  # ttl: 3 x 30 s = 90 s
        p.poll_due()
        moves, seen = 0, dashboard.data_version()
        for _ in range(12):  # 6 minutes of polls, the same answer
            room.clock.advance(EVERY)
            assert p.poll_due()
            now = dashboard.data_version()
            moves += now != seen
            seen = now
        # before: two writes a poll (the lease, the row); now the lease every other poll
        assert 0 < moves <= 6
        held = p.take_lease()
        assert held.owner == p.owner and held.until > room.clock.now()
    finally:
        dashboard.close()


def test_a_lease_taken_over_while_fresh_is_noticed_before_the_next_fetch(room):
    room.start()
    p = room.poller(room.source())
    p.poll_due()
    # another process took it (as after this one was thought dead): a read sees it
    room.store.conn.execute("UPDATE leases SET owner = 'elsewhere:1:x'")
    room.store.conn.commit()
    calls = room.calls()
    room.clock.advance(EVERY)
    assert p.poll_due() == [] and room.calls() == calls
    assert not p.holding
