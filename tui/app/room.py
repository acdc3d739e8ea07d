"""The dashboard's link to the incident database, without Textual.

A :class:`Room` owns one :class:`~tui.core.store.Store` connection and serialises
every use of it behind a lock, so the app's thread workers (the sync poller,
the heartbeat, key-press commands) never share the connection at once. The UI
thread only ever receives :meth:`IncidentState.snapshot` copies.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui import commands
from tui.core.clock import Clock
from tui.core.state import IncidentState
from tui.core.store import PRESENCE_TTL, IncidentRow, Presence, Store, StoreError, explain
from tui.core.vocabulary import PROMISING

if TYPE_CHECKING:
    from tui.core.config import Config
    from tui.core.playbook import Playbook

# One presence write per dashboard every HEARTBEAT_EVERY seconds (by the room's clock);
# others see it gone PRESENCE_TTL (90 s) after the last one, or at once when it leaves.
HEARTBEAT_EVERY = 30.0


@dataclass(frozen=True, slots=True)
class Sync:
    """What a poll found: a fresh snapshot (None if nothing changed), who is here (None:
    not read), and whether the database moved since the last poll (``changed``: then
    everything else the dashboard shows is worth reading again)."""

    state: IncidentState | None
    presence: list[Presence] | None
    changed: bool = True


def still_present(presence: list[Presence], now: datetime) -> list[Presence]:
    """Who is still in the room at ``now``: the last read, aged by PRESENCE_TTL without a
    read (a dashboard that died without leaving drops out on time, with no query)."""
    return [p for p in presence if (now - p.last_seen).total_seconds() <= PRESENCE_TTL]


def _tty() -> str:
    try:
        return os.ttyname(0).removeprefix("/dev/")
    except OSError:
        return ""


class _Guard:
    """The Room's lock. An SQLite failure inside it (a damaged page, a full disk)
    leaves as a one-line :class:`StoreError` naming the file, for the notification."""

    def __init__(self, room: Room):
        self._lock = threading.Lock()
        self._room = room

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> _Guard:
        self._lock.acquire()
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> Literal[False]:
        self._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(explain(self._room.path, exc, self._room.timeout)) from None
        return False


class Room:
    def __init__(
        self,
        path: Path,
        clock: Clock,
        actor: str,
        *,
        timeout: float = 5.0,
        group: str | None = None,
    ):
        self.path = path
        self.clock = clock
        self.actor = actor
        self.timeout = timeout
        self.group = group
        self.session = uuid.uuid4().hex
        self.tty = _tty()
        self.incident_id: str | None = None
        self._lock = _Guard(self)  # one user of the connection at a time; one-line errors
        self._store: Store | None = None
        self._data_version: int | None = None
        self._seen = 0  # the last event id handed to the UI
        self._last_heartbeat: datetime | None = None  # by the room's clock

    # life cycle -------------------------------------------------------------
    def open(self) -> list[IncidentRow]:
        with self._lock:
            if self._store is None:
                self._store = Store(self.path, timeout=self.timeout, group=self.group)
            return self._store.incidents()

    def close(self, wait: float = -1) -> None:
        """``wait``: at most this many seconds for a worker that holds the store (-1: no bound);
        past that the connection is left to the process's end (presence expires by itself)."""
        if not self._lock.acquire(timeout=wait):
            return
        try:
            if self._store is not None:
                self._store.leave(self.session)
                self._store.close()
                self._store = None
        finally:
            self._lock.release()

    @property
    def store(self) -> Store:
        assert self._store is not None, "Room.open() first"
        return self._store

    def attach(self, incident_id: str) -> IncidentState:
        with self._lock:
            self.incident_id = incident_id
            return self._handed_over()

    def current(self) -> IncidentState:
        """The attached incident's fresh state (after a refused command: what says why)."""
        with self._lock:
            return self._handed_over()

    def _handed_over(self) -> IncidentState:
        """The attached incident's fresh state, remembered as seen (call under the lock)."""
        assert self.incident_id is not None
        self._data_version = self.store.data_version()
        # no checkpoint here (a first frame, a key press): the poller writes it (poll)
        state = self.store.state(self.incident_id, save=False)
        self._seen = state.last_event_id
        return state.snapshot()

    # the poller -------------------------------------------------------------
    def heartbeat_due(self) -> bool:
        """Our presence row is HEARTBEAT_EVERY old (or the clock went back): write it again."""
        last = self._last_heartbeat
        if last is None:
            return True
        age = (self.clock.now() - last).total_seconds()
        return age >= HEARTBEAT_EVERY or age < 0

    def probe(self) -> bool | None:
        """Is a :meth:`poll` worth a thread? One ``PRAGMA data_version`` on the open
        connection, for the UI thread: never waits (None when a worker holds the
        connection, or the probe failed: the caller polls in a thread, which says why)."""
        if self._store is None or not self._lock.acquire(blocking=False):
            return None
        try:
            moved = self._store.data_version(wait=False) != self._data_version
        except sqlite3.Error:
            return None
        finally:
            self._lock.release()
        return moved or self.heartbeat_due()

    def poll(self, *, force: bool = False) -> Sync:
        """Cheap when nothing changed: one ``PRAGMA data_version``; at most one write (our
        presence) per HEARTBEAT_EVERY. Presence is read only when the database moved
        (:func:`still_present` ages it out between reads)."""
        with self._lock:
            store = self.store
            beat = self.heartbeat_due()
            if beat:
                now = self.clock.now()
                store.heartbeat(self.session, self.incident_id, self.actor, self.tty, now)
                self._last_heartbeat = now
            version = store.data_version()
            changed = force or version != self._data_version
            self._data_version = version
            state = None
            if changed and self.incident_id:
                current = store.state(self.incident_id, save=False)
                if force or current.last_event_id != self._seen:
                    self._seen = current.last_event_id
                    state = current.snapshot()
            if not force and self.incident_id:  # (the first poll is the first frame's)
                store.save_checkpoint(self.incident_id)  # when due: CHECKPOINT_EVERY events
            # (our own heartbeat does not move our data_version: read who is here after it too)
            presence = (
                store.present(self.incident_id, self.clock.now()) if changed or beat else None
            )
            return Sync(state, presence, changed)

    # commands -----------------------------------------------------------------
    def run(
        self, fn: Callable[..., commands.Outcome], *args: Any, **kwargs: Any
    ) -> tuple[commands.Outcome, IncidentState]:
        """A command from :mod:`tui.commands` on the attached incident, then the new state."""
        with self._lock:
            assert self.incident_id is not None
            outcome = fn(self.store, self.clock, self.actor, self.incident_id, *args, **kwargs)
            state = self._handed_over()
            self._data_version = None  # our own write: the next poll reads the rest again
            return outcome, state

    def read(self, fn: Callable[[Store], Any]) -> Any:
        """Run a read (or an outbox change) on the store under the lock."""
        with self._lock:
            return fn(self.store)

    def preview_publish(
        self, purpose: str, body: str, config: Config, destinations: list[str] | None = None
    ) -> dict[str, Any]:
        """What a publish would send where (``destinations``: only these), its findings,
        its promise, whether it needs approval."""
        from tui.core.clock import wall
        from tui.core.state import beyond_max
        from tui.publish import outbox
        from tui.publish.checks.findings import whole
        from tui.publish.checks.lint import lint
        from tui.publish.publishing import extract_promise, plan

        with self._lock:
            assert self.incident_id is not None
            state = self.store.state(self.incident_id)
            key = outbox.incident_key(self.store, self.incident_id)
        book = state.book
        findings = lint(body, purpose, "statuspage", book, config)
        now = self.clock.now()
        at = extract_promise(body, now, book.timezone) if purpose in PROMISING else None
        planned = plan(
            state, config, purpose, body, destinations, incident_key=key, at=now, next_update_at=at
        )
        promise = ""
        too_far = beyond_max(state, now, at) if at else None
        if too_far:  # the cadence's max: a warning to accept, as commands.publish asks
            late = whole("requires.next_update", "warning", too_far, "promise an earlier time")
            findings = [*findings, late]
        if purpose in PROMISING:
            if at:
                promise = f"Next update promised by {wall(at, book.timezone)}: the countdown moves."
            else:
                promise = "No next-update time found in the text."
        approval = ""
        role = book.approval_role
        if role and state.roles.get(role) != self.actor:
            holder = state.roles.get(role) or "nobody (assign the role first)"
            defined = book.role(role)
            title = defined.title if defined else role
            approval = f"Two-person rule: it goes out when {holder} ({title}) approves."
        return {
            "findings": findings,
            "destinations": [p.summary() for p in planned],
            "plans": planned,  # each destination's payload: the screen previews it
            "promise": promise,
            "approval": approval,
        }

    def start(
        self, book: Playbook, title: str, metrics: dict[str, Any], *, force: bool = False
    ) -> str:
        with self._lock:
            outcome = commands.start(
                self.store, self.clock, self.actor, book, title, metrics, force=force
            )
            return outcome.incident_id
