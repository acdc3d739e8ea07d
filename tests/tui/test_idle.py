"""A dashboard at rest does almost nothing (issue 13), asserted by behaviour, never by time.

- Between heartbeats an idle dashboard writes nothing (another connection's
  ``PRAGMA data_version`` stays put) and starts no poll worker: its probe is one
  PRAGMA on the UI thread. A change from elsewhere still reaches it.
- Presence: one write per HEARTBEAT_EVERY of the room's clock (moved, not waited for).
- The clock ticking repaints only what shows a different text (the header's
  elapsed time, the countdown's digits); a tick that changes nothing repaints nothing.
- The queue poller's lease held by another live process is answered by a read:
  no write lock (a third connection holding it does not stop the answer), no write.

Spies wrap the real methods (they count calls, the real code runs).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import timedelta

from textual.widget import Widget

from tests.dashboard_helpers import ON_TRACK, dashboard, make_app, seeded_db, wait_for
from tui import commands
from tui.app.app import WarroomApp
from tui.app.room import HEARTBEAT_EVERY, Room
from tui.core.clock import FrozenClock
from tui.core.store import Store
from tui.queues import lease
from tui.widgets.header import IncidentHeader

PROBES = 40  # poll cycles watched in each quiet stretch


class Observer:
    """Another connection to the database: did anyone commit since the last look?"""

    def __init__(self, db) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None)
        self.version = self._read()

    def _read(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def moved(self) -> bool:
        now = self._read()
        moved, self.version = now != self.version, now
        return moved

    def close(self) -> None:
        self.conn.close()


def spy(monkeypatch, cls, name: str) -> Counter:
    """Count calls of ``cls.name`` (the real method still runs)."""
    calls: Counter = Counter()
    real = getattr(cls, name)

    def counted(self, *args, **kwargs):
        calls[name] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, counted)
    return calls


def last_seen(db, actor: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT last_seen FROM presence WHERE user = ?", (actor,)).fetchone()[0]


async def probes(pilot, calls: Counter, n: int = PROBES) -> None:
    """Let ``n`` more poll cycles of the dashboard go by."""
    until = calls["probe"] + n
    await wait_for(lambda: calls["probe"] >= until, pilot)


async def test_an_idle_dashboard_writes_nothing_and_polls_no_thread_between_heartbeats(
    tmp_path, monkeypatch
):
    db = seeded_db(tmp_path)
    probed = spy(monkeypatch, Room, "probe")
    polled = spy(monkeypatch, Room, "poll")
    app = make_app(db, at=ON_TRACK, poll_every=0.01)
    observer = Observer(db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await dashboard(pilot)
            await wait_for(lambda: polled["poll"] >= 1, pilot)  # the first poll: our heartbeat
            await probes(pilot, probed)
            observer.moved()
            before = polled["poll"]
            await probes(pilot, probed)  # a quiet stretch: the clock does not move
            assert not observer.moved(), "an idle dashboard wrote to the database"
            assert polled["poll"] == before, "an idle dashboard polled in a thread"

            # a change from elsewhere still shows, through the probe
            seen = screen.state.last_event_id
            with Store(db) as other:
                commands.add_note(other, FrozenClock(ON_TRACK), "bob", "INC-1", "probe me")
            await wait_for(lambda: screen.state.last_event_id > seen, pilot)
    finally:
        observer.close()


async def test_presence_is_one_write_per_heartbeat_interval(tmp_path, monkeypatch):
    db = seeded_db(tmp_path)
    probed = spy(monkeypatch, Room, "probe")
    app = make_app(db, at=ON_TRACK, poll_every=0.01)
    clock = app.room.clock
    assert isinstance(clock, FrozenClock)
    observer = Observer(db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await dashboard(pilot)
            await wait_for(lambda: observer.moved(), pilot)  # the first heartbeat
            first = last_seen(db, "alice")

            clock.advance(timedelta(seconds=HEARTBEAT_EVERY - 1))  # not yet due
            await probes(pilot, probed)
            assert not observer.moved() and last_seen(db, "alice") == first

            clock.advance(timedelta(seconds=1))  # due: exactly one write
            await wait_for(lambda: last_seen(db, "alice") != first, pilot)
            assert observer.moved()
            await probes(pilot, probed)
            assert not observer.moved(), "more than one presence write in an interval"
    finally:
        observer.close()


async def test_the_clock_repaints_only_the_header_and_the_digits(tmp_path, monkeypatch):
    db = seeded_db(tmp_path)
    repainted: Counter = Counter()
    real_refresh = Widget.refresh

    def refresh(self, *args, **kwargs):
        repainted[type(self).__name__ + (f"#{self.id}" if self.id else "")] += 1
        return real_refresh(self, *args, **kwargs)

    ticks = spy(monkeypatch, WarroomApp, "_tick")
    synced = spy(monkeypatch, WarroomApp, "_synced")
    app = make_app(db, at=ON_TRACK + timedelta(seconds=20), tick_every=0.01, poll_every=3600)
    clock = app.room.clock
    assert isinstance(clock, FrozenClock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard(pilot)
        await wait_for(lambda: synced["_synced"] >= 1, pilot)  # the first poll is shown
        await wait_for(lambda: ticks["_tick"] >= 5, pilot)
        await pilot.pause()
        monkeypatch.setattr(Widget, "refresh", refresh)

        # ticks while the clock stands still: nothing repaints
        seen = ticks["_tick"]
        await wait_for(lambda: ticks["_tick"] >= seen + 10, pilot)
        await pilot.pause()
        assert sum(repainted.values()) == 0, repainted

        # one second later: the elapsed time and the digits, nothing else
        header = screen.query_one(IncidentHeader)
        shown = str(header.render())
        clock.advance(timedelta(seconds=1))
        await wait_for(lambda: str(header.render()) != shown, pilot)
        seen = ticks["_tick"]
        await wait_for(lambda: ticks["_tick"] >= seen + 5, pilot)
        await pilot.pause()
        moved = dict(repainted)  # (leaving the app repaints more: not counted)
    assert set(moved) == {"IncidentHeader#header", "BigDigits#countdown-digits"}, moved


def test_a_lease_held_by_another_live_process_is_answered_by_a_read(tmp_path):
    db = tmp_path / "incident.db"
    now = ON_TRACK
    ttl = timedelta(seconds=30)
    with Store(db) as holder_store:
        mine = lease.take(holder_store, lease.POLLER, lease.new_owner(), now, ttl)
    # the holder runs here (this very process): alive, so the lease is not free
    observer = Observer(db)
    writer = sqlite3.connect(db, isolation_level=None, timeout=0)
    other = Store(db, timeout=0.05)
    try:
        writer.execute("BEGIN IMMEDIATE")  # someone is writing: the write lock is taken
        answer = lease.take(other, lease.POLLER, lease.new_owner(), now, ttl)
        assert answer.owner == mine.owner  # said who holds it, without waiting for the lock
        writer.execute("ROLLBACK")
        assert not observer.moved(), "a failed attempt at the lease wrote"
    finally:
        other.close()
        writer.close()
        observer.close()
