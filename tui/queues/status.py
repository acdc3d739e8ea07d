"""What each queue source last said: the ``queue_sources`` table, and its words.

The poller (whoever holds the lease) writes one row per configured channel after
a poll whose answer differs from the row, or after :data:`QUIET` (:func:`record`);
every dashboard and ``warroom reply``/``status`` reads them (:func:`read_all`) and
shows :meth:`SourceStatus.words`: "Zendesk: polled 12s ago", "Zendesk: no change in
3m" or "Zendesk: 401 -- check ZENDESK_TOKEN". Not events: a poll
every 30 s would drown the log (a count that moves is an event, written by the
poller through :func:`tui.commands.set_queue`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tui.core.clock import parse_instant
from tui.core.clock import to_iso_us as _t
from tui.core.durations import format_duration

if TYPE_CHECKING:
    from tui.core.store import Store

# a source that answered this recently still counts its channel: a person's count is
# replaced at its next poll, and they are told so
OVERRIDE_WITHIN = timedelta(minutes=10)

# An answer the row already says is written again only this long after the row was
# written (else a write per poll would wake every dashboard on the host: each one
# watches PRAGMA data_version). Well within OVERRIDE_WITHIN.
QUIET = timedelta(minutes=5)

# how each source is named on screen
SOURCE_TITLES = {
    "zendesk": "Zendesk",
    "freshdesk": "Freshdesk",
    "intercom": "Intercom",
    "json": "JSON source",
    "command": "command",
}


def _p(text: str | None) -> datetime | None:
    return parse_instant(text) if text else None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    channel: str
    source: str
    state: str  # "ok" | "error"
    polled_at: datetime | None
    ok_at: datetime | None
    next_at: datetime | None
    failures: int
    count: int | None
    oldest_since: datetime | None
    error: str | None  # one line, already in words, never a secret
    owner: str | None  # the process that polled (host:pid:...)

    @property
    def title(self) -> str:
        return SOURCE_TITLES.get(self.source, self.source)

    def words(self, now: datetime) -> str:
        """One line: the last poll, or the error and when it is tried again."""
        if self.state == "error" and self.error:
            retry = ""
            if self.next_at is not None and self.next_at > now:
                retry = f" (retry in {format_duration(self.next_at - now)})"
            return f"{self.error}{retry}"
        if self.polled_at is None:
            return f"{self.title}: not polled yet"
        ago = max(now - self.polled_at, now - now)
        every = self.next_at - self.polled_at if self.next_at is not None else None
        if self.state == "ok" and every and every < ago <= QUIET + 2 * every:
            # polled since, the same answer (not written again: QUIET)
            return f"{self.title}: no change in {format_duration(ago)}"
        return f"{self.title}: polled {format_duration(ago)} ago"

    def overrides(self, now: datetime) -> str | None:
        """When a person counts a channel a live source counts too: the words that say
        their count stands only until the next poll (None: the source is failing or
        silent, so the person's count is the one to go by)."""
        if self.state != "ok" or self.ok_at is None or now - self.ok_at > OVERRIDE_WITHIN:
            return None
        return (
            f"{self.channel} is counted by its queue source ({self.title}): "
            "this count stands until its next poll"
        )


def record(
    store: Store,
    channel: str,
    source: str,
    now: datetime,
    *,
    count: int | None = None,
    oldest_since: datetime | None = None,
    error: str | None = None,
    next_at: datetime | None = None,
    owner: str | None = None,
    quiet: timedelta | None = None,
) -> bool:
    """Write what one poll of ``channel`` said (an error when ``error`` is given).

    A success resets ``failures`` and sets ``ok_at``; an error counts one more
    failure and keeps the last good count. One short transaction. With ``quiet``, a
    success the row already says (source, count, oldest, owner), written less than
    ``quiet`` ago, is not written again (a read, no write: no dashboard wakes).
    True: written.
    """
    if (
        error is None
        and quiet is not None
        and _says(store, channel, now, quiet)
        == (
            source,
            "ok",
            count,
            _t(oldest_since) if oldest_since else None,
            owner,
        )
    ):
        return False
    with store.write():
        conn = store.conn
        if error is None:
            conn.execute(
                "INSERT INTO queue_sources(channel, source, state, polled_at, ok_at, next_at, "
                "failures, count, oldest_since, error, owner) "
                "VALUES (?, ?, 'ok', ?, ?, ?, 0, ?, ?, NULL, ?) "
                "ON CONFLICT(channel) DO UPDATE SET source = excluded.source, state = 'ok', "
                "polled_at = excluded.polled_at, ok_at = excluded.ok_at, "
                "next_at = excluded.next_at, failures = 0, count = excluded.count, "
                "oldest_since = excluded.oldest_since, error = NULL, owner = excluded.owner",
                (
                    channel,
                    source,
                    _t(now),
                    _t(now),
                    _t(next_at) if next_at else None,
                    count,
                    _t(oldest_since) if oldest_since else None,
                    owner,
                ),
            )
        else:
            conn.execute(
                "INSERT INTO queue_sources(channel, source, state, polled_at, next_at, "
                "failures, error, owner) VALUES (?, ?, 'error', ?, ?, 1, ?, ?) "
                "ON CONFLICT(channel) DO UPDATE SET source = excluded.source, state = 'error', "
                "polled_at = excluded.polled_at, next_at = excluded.next_at, "
                "failures = queue_sources.failures + 1, error = excluded.error, "
                "owner = excluded.owner",
                (channel, source, _t(now), _t(next_at) if next_at else None, error, owner),
            )
    return True


def _says(store: Store, channel: str, now: datetime, quiet: timedelta) -> tuple[object, ...] | None:
    """What the row says of ``channel`` (source, state, count, oldest, owner) when it was
    written less than ``quiet`` before ``now``; None: no row, or an older one."""
    row = store.conn.execute(
        "SELECT source, state, count, oldest_since, owner, polled_at FROM queue_sources "
        "WHERE channel = ?",
        (channel,),
    ).fetchone()
    if row is None or not row[5]:
        return None
    written = parse_instant(row[5])
    if not now - quiet < written <= now:
        return None
    return tuple(row[:5])


def read_all(store: Store) -> dict[str, SourceStatus]:
    """Every channel's last word, by channel id (empty when nothing was ever polled)."""
    rows = store.conn.execute(
        "SELECT channel, source, state, polled_at, ok_at, next_at, failures, count, "
        "oldest_since, error, owner FROM queue_sources ORDER BY channel"
    ).fetchall()
    return {
        r[0]: SourceStatus(
            r[0], r[1], r[2], _p(r[3]), _p(r[4]), _p(r[5]), r[6], r[7], _p(r[8]), r[9], r[10]
        )
        for r in rows
    }
