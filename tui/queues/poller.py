"""The queue poller: one process per database counts every configured queue.

Whoever holds the ``queue-poller`` lease (:mod:`tui.queues.lease`) -- a dashboard's
intake thread (:mod:`tui.app.intake`) or ``warroom watch`` -- polls; every other
process waits, trying the lease again every :data:`LEASE_RETRY` seconds, so when
the holder dies (kill -9 on this host: at once; elsewhere: when its lease runs
out) another one takes over. The lease lasts :func:`lease_ttl` (three times the
shortest ``every``, at least 30 s); before every fetch a read checks it is still
ours, and it is renewed (a write) once half of it has run.

Each round polls the sources that are due:

- a success is recorded in the ``queue_sources`` table (:func:`tui.queues.status.record`;
  the same answer again only after :data:`tui.queues.status.QUIET`: every write wakes
  every dashboard on the database) and, in every open incident whose playbook has the
  channel, becomes a ``channel.counts`` event by :data:`ACTOR` -- only when the count or the oldest
  contact differ from what the incident shows (a cheap SQL look at the latest
  one, then :func:`tui.commands.set_queue` with ``unless_same``: the compare and
  the write are one transaction, so two pollers never write one change twice);
- an error is recorded in words with when it is tried again: :func:`backoff`
  doubles from ``every`` per failure up to :data:`MAX_BACKOFF`, a 429's
  Retry-After is honoured, a permanent error (auth, a bad path) waits the longest.

A channel that no open incident has is not polled by the loop (nothing would show
it); :meth:`Poller.poll_all` (``warroom watch --once``) polls every source.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from tui.core.clock import Clock, to_iso
from tui.core.durations import format_duration
from tui.core.state import QUEUE, RELOADED, STARTED
from tui.core.store import StoreError
from tui.core.textsafe import clean_line
from tui.queues import lease, status
from tui.queues.sources import Reading, SourceError, fetcher

if TYPE_CHECKING:
    import httpx

    from tui.core.config import Config, QueueSource
    from tui.core.store import Store

ACTOR: Final = "queue-poller"  # who the timeline says set a polled count
MIN_TTL: Final = timedelta(seconds=30)
MAX_BACKOFF: Final = timedelta(minutes=10)
MAX_RETRY_AFTER: Final = timedelta(hours=1)  # a Retry-After beyond this is not believed
LEASE_RETRY: Final = 10.0  # seconds between tries at a lease another process holds

Fetch = Callable[["QueueSource", Any], Reading]


def lease_ttl(sources: Iterable[QueueSource]) -> timedelta:
    """Three times the shortest interval, at least :data:`MIN_TTL`."""
    shortest = min((s.every for s in sources), default=MIN_TTL)
    return max(MIN_TTL, 3 * shortest)


def backoff(
    every: timedelta,
    failures: int,
    *,
    retry_after: float | None = None,
    permanent: bool = False,
    cap: timedelta = MAX_BACKOFF,
) -> timedelta:
    """How long after failure number ``failures`` (1: the first) the source is tried again.

    ``every`` doubled per failure (2x, 4x, ...) up to ``cap`` (never below ``every``);
    a permanent error waits the cap; a Retry-After (capped at an hour) is a floor.
    """
    cap = max(cap, every)
    wait = cap if permanent else min(cap, every * (2 ** min(max(failures, 1), 20)))
    if retry_after is not None and retry_after > 0:
        wait = max(wait, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return wait


@dataclass(frozen=True, slots=True)
class Poll:
    """What one poll of one channel's source came to."""

    channel: str
    title: str
    at: datetime
    count: int | None = None
    oldest_since: datetime | None = None
    error: str | None = None
    next_at: datetime | None = None
    written: tuple[str, ...] = ()  # incidents that got a channel.counts event
    used_by: tuple[str, ...] = ()  # the open incidents whose playbook has the channel

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        """One line for ``warroom watch`` (never a secret: errors are the sources' words)."""
        if self.error is not None:
            retry = ""
            if self.next_at is not None and self.next_at > self.at:
                retry = f" (retry in {format_duration(self.next_at - self.at)})"
            return clean_line(f"{self.channel}: {self.error}{retry}")
        what = f"{self.channel}: {self.count} waiting"
        if self.oldest_since is not None:
            what += f", oldest since {to_iso(self.oldest_since)}"
        if self.written:
            return clean_line(f"{what} -> {', '.join(self.written)}")
        if not self.used_by:
            return clean_line(f"{what} (no open incident uses {self.channel})")
        return clean_line(f"{what} (unchanged)")


@dataclass
class _Schedule:
    next_at: datetime
    failures: int = 0


class Poller:
    """Polls the config's queue sources while it holds the lease. One per process."""

    def __init__(
        self,
        store: Store,
        config: Config,
        clock: Clock,
        owner: str | None = None,
        *,
        client: httpx.Client | None = None,
        fetch: Callable[[str], Fetch] = fetcher,
        lease_retry: float = LEASE_RETRY,
    ) -> None:
        self.store = store
        self.sources = config.queue_sources
        self.clock = clock
        self.owner = owner or lease.new_owner()
        self.ttl = lease_ttl(self.sources)
        self.lease_retry = lease_retry
        self._client = client
        self._own_client = client is None
        self._fetch = fetch
        self._schedule: dict[str, _Schedule] = {}
        self._books: dict[str, frozenset[str]] = {}  # playbook sha -> its channel ids
        self.holding = False
        self._until: datetime | None = None  # the lease's end, as we last wrote it

    # -- the HTTP client, made only when an HTTP source is polled --------------------
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(follow_redirects=False)
        return self._client

    def close(self) -> None:
        if self._client is not None and self._own_client:
            self._client.close()
            self._client = None

    # -- the lease -------------------------------------------------------------------
    def take_lease(self) -> lease.Holder:
        """Take (or renew) the lease; the holder afterwards (ours: ``.owner == self.owner``)."""
        now = self.clock.now()
        held = self._fresh(now)
        if held is not None:
            return held
        holder = lease.take(self.store, lease.POLLER, self.owner, now, self.ttl)
        mine = holder.owner == self.owner
        self._until = holder.until if mine else None
        if mine and not self.holding:
            self._load_schedule(now)
        self.holding = mine
        return holder

    def release(self) -> None:
        """Give the lease up (the next poller takes it at once)."""
        if self.holding:
            self.holding = False
            self._until = None
            with contextlib.suppress(StoreError):  # else it runs out by itself
                lease.release(self.store, lease.POLLER, self.owner)

    def _renew(self) -> bool:
        now = self.clock.now()
        if self._fresh(now) is not None:
            return True
        ok = lease.hold(self.store, lease.POLLER, self.owner, now, self.ttl)
        self._until = now + self.ttl if ok else None
        self.holding = ok
        return ok

    def _fresh(self, now: datetime) -> lease.Holder | None:
        """The lease is ours with more than half its ttl to run: renewing it now would be a
        write (waking every dashboard) for nothing. A read checks it is still the one we
        wrote (nobody can take a lease that has not run out from a live owner)."""
        if not self.holding or self._until is None or self._until - now <= self.ttl / 2:
            return None
        held = lease.current(self.store, lease.POLLER, now)
        if held is None or held.owner != self.owner or held.until != self._until:
            self._until = None  # (the write that follows says whose it is)
            return None
        return held

    def _load_schedule(self, now: datetime) -> None:
        """Take over where the last poller stopped: its next times and failure counts."""
        known = status.read_all(self.store)
        self._schedule = {}
        for src in self.sources:
            row = known.get(src.channel)
            if row is None or row.source != src.source:
                self._schedule[src.channel] = _Schedule(now)
                continue
            due = row.next_at or ((row.polled_at + src.every) if row.polled_at else now)
            if row.state == "ok" and row.polled_at is not None:  # ``every`` may have shrunk
                due = min(due, row.polled_at + src.every)
            # never longer than the longest wait there is (a clock far off, an old row)
            due = min(due, now + max(src.every, MAX_RETRY_AFTER))
            self._schedule[src.channel] = _Schedule(due, row.failures)

    # -- one round --------------------------------------------------------------------
    def seconds_until_due(self, now: datetime | None = None) -> float:
        """Until the next source is due (0: now); :data:`MAX_BACKOFF` with no source."""
        now = now or self.clock.now()
        nexts = [self._schedule.get(s.channel, _Schedule(now)).next_at for s in self.sources]
        if not nexts:
            return MAX_BACKOFF.total_seconds()
        return max(0.0, (min(nexts) - now).total_seconds())

    def poll_due(self) -> list[Poll]:
        """Poll the sources that are due and used by an open incident (the lease must be ours)."""
        return self._round(force=False)

    def poll_all(self) -> list[Poll]:
        """Poll every source once, due or not, used or not (``warroom watch --once``)."""
        return self._round(force=True)

    def _round(self, *, force: bool) -> list[Poll]:
        polls: list[Poll] = []
        for src in self.sources:
            now = self.clock.now()
            sched = self._schedule.setdefault(src.channel, _Schedule(now))
            if not force and sched.next_at > now:
                continue
            used_by = self.incidents_using(src.channel)
            if not force and not used_by:
                sched.next_at = now + src.every  # look again later: nobody would see it
                continue
            if not self._renew():
                break  # another poller took over: it polls from here
            polls.append(self.poll_one(src, used_by))
        return polls

    def poll_one(self, src: QueueSource, used_by: tuple[str, ...] | None = None) -> Poll:
        """Fetch one source, record it, and write the events its change calls for."""
        title = status.SOURCE_TITLES.get(src.source, src.source)
        sched = self._schedule.setdefault(src.channel, _Schedule(self.clock.now()))
        try:
            reading = self._fetch(src.source)(src, self.client if src.source != "command" else None)
        except SourceError as exc:
            return self._failed(src, title, sched, exc.message, exc.retry_after, exc.permanent)
        except Exception as exc:  # a bug in a source must not stop the others
            words = f"{title}: unexpected {type(exc).__name__} (a bug: please report it)"
            return self._failed(src, title, sched, words, None, False)
        now = self.clock.now()
        sched.failures = 0
        sched.next_at = now + src.every
        oldest = reading.oldest_since
        if oldest is not None:
            oldest = min(oldest, now).replace(microsecond=0)
        if reading.count == 0:
            oldest = None
        if used_by is None:
            used_by = self.incidents_using(src.channel)
        written = tuple(i for i in used_by if self._write(i, src.channel, reading.count, oldest))
        status.record(
            self.store,
            src.channel,
            src.source,
            now,
            count=reading.count,
            oldest_since=oldest,
            next_at=sched.next_at,
            owner=self.owner,
            quiet=status.QUIET,  # the same answer: no write, no dashboard woken
        )
        return Poll(
            src.channel, title, now, reading.count, oldest, None, sched.next_at, written, used_by
        )

    def _failed(
        self,
        src: QueueSource,
        title: str,
        sched: _Schedule,
        message: str,
        retry_after: float | None,
        permanent: bool,
    ) -> Poll:
        now = self.clock.now()
        sched.failures += 1
        wait = backoff(src.every, sched.failures, retry_after=retry_after, permanent=permanent)
        sched.next_at = now + wait
        words = clean_line(message).strip() or f"{title}: failed"
        if not words.lower().startswith(title.lower()) and not words.startswith(src.source):
            words = f"{title}: {words}"
        status.record(
            self.store,
            src.channel,
            src.source,
            now,
            error=words,
            next_at=sched.next_at,
            owner=self.owner,
        )
        return Poll(src.channel, title, now, error=words, next_at=sched.next_at)

    # -- the incidents ----------------------------------------------------------------
    def incidents_using(self, channel: str) -> tuple[str, ...]:
        """The open incidents whose (current) playbook has ``channel``: two small queries."""
        rows = self.store.conn.execute(
            "SELECT i.id, (SELECT json_extract(e.data, '$.playbook_sha') FROM events e "
            "WHERE e.incident_id = i.id AND e.kind IN (?, ?) ORDER BY e.id DESC LIMIT 1) "
            "FROM incidents i WHERE i.closed_at IS NULL ORDER BY i.seq",
            (STARTED, RELOADED),
        ).fetchall()
        return tuple(r[0] for r in rows if r[1] and channel in self._channels_of(r[1]))

    def _channels_of(self, sha: str) -> frozenset[str]:
        known = self._books.get(sha)
        if known is None:
            try:
                book = self.store.playbook(sha)
            except StoreError:
                known = frozenset()
            else:
                known = frozenset(c.id for c in book.channels)
            self._books[sha] = known
        return known

    def shown(self, incident_id: str, channel: str) -> tuple[int | None, str | None]:
        """The incident's latest count and oldest for ``channel`` (no replay: one query)."""
        r = self.store.conn.execute(
            "SELECT json_extract(data, '$.depth'), json_extract(data, '$.oldest_since') "
            "FROM events WHERE incident_id = ? AND kind = ? "
            "AND json_extract(data, '$.channel') = ? ORDER BY id DESC LIMIT 1",
            (incident_id, QUEUE, channel),
        ).fetchone()
        return (None, None) if r is None else (r[0], r[1])

    def _write(self, incident_id: str, channel: str, count: int, oldest: datetime | None) -> bool:
        """A channel.counts event if the numbers moved; True when one was written."""
        want = (count, to_iso(oldest) if oldest else None)
        if self.shown(incident_id, channel) == want:
            return False
        from tui.commands import CommandError, set_queue

        try:
            outcome = set_queue(
                self.store,
                self.clock,
                ACTOR,
                incident_id,
                channel,
                count,
                oldest,
                unless_same=True,
            )
        except CommandError:
            return False  # closed (or re-pinned without the channel) meanwhile
        return outcome.event_id is not None

    # -- the loop ----------------------------------------------------------------------
    def run(
        self,
        stop: threading.Event,
        *,
        report: Callable[[Poll], None] | None = None,
        waiting: Callable[[lease.Holder], None] | None = None,
        took_over: Callable[[], None] | None = None,
        trouble: Callable[[str], None] | None = None,
    ) -> None:
        """Poll while holding the lease, until ``stop`` is set; release it on the way out.

        ``waiting(holder)``: another process holds the lease (said once per holder);
        ``took_over()``: this one holds it now; ``trouble(words)``: the database failed.
        """
        said: str | None = None
        try:
            while not stop.is_set():
                try:
                    was = self.holding
                    holder = self.take_lease()
                    if holder.owner != self.owner:
                        if waiting is not None and holder.owner != said:
                            waiting(holder)
                        said = holder.owner
                        left = (holder.until - self.clock.now()).total_seconds()
                        self._wait(stop, min(self.lease_retry, max(left, 0.2)))
                        continue
                    said = None
                    if not was and took_over is not None:
                        took_over()
                    for poll in self.poll_due():
                        if report is not None:
                            report(poll)
                except StoreError as exc:
                    if trouble is not None:
                        trouble(str(exc))
                    self._wait(stop, 1.0)
                    continue
                # renew the lease well within its ttl, even when nothing is due
                wait = min(self.seconds_until_due(), self.ttl.total_seconds() / 3)
                self._wait(stop, max(wait, 0.05))
        finally:
            self.release()

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        stop.wait(seconds)
