"""Named leases: one process per database does a job (the queue poller).

A lease is a row of the ``leases`` table (name, owner, until, since). The owner
is ``host:pid:random`` (:func:`new_owner`): a process that restarts is a new
owner. A lease is free when nobody holds it, when its time ran out, or when
its owner is a process on this host that no longer exists (kill -9 hands the
job over at once, not after the ttl). Every change is one ``BEGIN IMMEDIATE``
transaction, so two processes racing for a free lease never both win.

- :func:`take`: take the lease if it is free, or extend it if it is ours; the
  answer is who holds it afterwards (``holder.owner == owner``: we do). A lease
  another live process holds costs one read: no lock, no write;
- :func:`hold`: extend it only if it is still ours (compare-and-set);
- :func:`release`: give it up (only ours);
- :func:`current`: who holds it now (a read; a free lease is None).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from tui.core.clock import parse_instant
from tui.core.clock import to_iso_us as _t
from tui.core.owners import dead_here

if TYPE_CHECKING:
    from tui.core.store import Store

POLLER: Final = "queue-poller"


def new_owner() -> str:
    """``host:pid:random``: this process, told apart from an earlier one with the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lease, until when, and since when."""

    owner: str
    until: datetime
    since: datetime

    @property
    def host(self) -> str:
        return self.owner.partition(":")[0]

    @property
    def pid(self) -> int | None:
        pid = self.owner.split(":")[1] if self.owner.count(":") >= 1 else ""
        return int(pid) if pid.isdigit() else None

    def words(self) -> str:
        """``pid 4242 on host ops-1`` (never more than the owner says)."""
        pid = self.pid
        return f"pid {pid} on {self.host}" if pid is not None else f"{self.owner!r}"


def is_free(holder: Holder | None, now: datetime) -> bool:
    """Nobody holds it, its time ran out, or its owner died on this host."""
    return holder is None or holder.until <= now or dead_here(holder.owner)


def _row(store: Store, name: str) -> Holder | None:
    r = store.conn.execute(
        "SELECT owner, until, since FROM leases WHERE name = ?", (name,)
    ).fetchone()
    if r is None:
        return None
    return Holder(str(r[0]), parse_instant(r[1]), parse_instant(r[2]))


def current(store: Store, name: str, now: datetime) -> Holder | None:
    """Who holds lease ``name`` now (None: it is free)."""
    holder = _row(store, name)
    return None if is_free(holder, now) else holder


def take(store: Store, name: str, owner: str, now: datetime, ttl: timedelta) -> Holder:
    """Take lease ``name`` for ``ttl`` if it is free, or renew it if ``owner`` holds it.

    Returns the holder afterwards: ours (``.owner == owner``) or the live other one.
    A lease another live process holds is answered by a read: no write lock is taken
    and nothing is written (every dashboard without it asks every few seconds).
    """
    until = now + ttl
    seen = _row(store, name)
    if seen is not None and seen.owner != owner and not is_free(seen, now):
        return seen
    with store.write():
        holder = _row(store, name)
        if holder is not None and holder.owner == owner:
            store.conn.execute(
                "UPDATE leases SET until = ? WHERE name = ? AND owner = ?", (_t(until), name, owner)
            )
            return Holder(owner, until, holder.since)
        if not is_free(holder, now):
            assert holder is not None
            return holder
        store.conn.execute(
            "INSERT INTO leases(name, owner, until, since) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, until = excluded.until, "
            "since = excluded.since",
            (name, owner, _t(until), _t(now)),
        )
        return Holder(owner, until, now)


def hold(store: Store, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Extend the lease if ``owner`` still holds it (one transaction); False: someone took it.

    A lease that ran out but that nobody took is still the owner's.
    """
    with store.write():
        cur = store.conn.execute(
            "UPDATE leases SET until = ? WHERE name = ? AND owner = ?",
            (_t(now + ttl), name, owner),
        )
        return cur.rowcount == 1


def release(store: Store, name: str, owner: str) -> bool:
    """Give the lease up (only if ``owner`` holds it): the next process takes it at once."""
    with store.write():
        cur = store.conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
        return cur.rowcount == 1
