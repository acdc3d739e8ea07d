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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui import commands
from tui.core.clock import Clock
from tui.core.state import IncidentState
from tui.core.store import IncidentRow, Presence, Store, StoreError, explain
from tui.core.vocabulary import PROMISING

if TYPE_CHECKING:
    from tui.core.config import Config
    from tui.core.playbook import Playbook

HEARTBEAT_EVERY = 3.0  # seconds; others see us gone PRESENCE_TTL (10 s) after the last one


@dataclass(frozen=True, slots=True)
class Sync:
    """What a poll found: a fresh snapshot (None if nothing changed) and who is here."""

    state: IncidentState | None
    presence: list[Presence] | None


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
        self._last_heartbeat = 0.0
        self._last_presence = 0.0

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
        state = self.store.state(self.incident_id)
        self._seen = state.last_event_id
        return state.snapshot()

    # the poller -------------------------------------------------------------
    def poll(self, *, force: bool = False) -> Sync:
        """Cheap when nothing changed: one ``PRAGMA data_version``."""
        import time

        with self._lock:
            store = self.store
            now_mono = time.monotonic()
            if now_mono - self._last_heartbeat >= HEARTBEAT_EVERY:
                store.heartbeat(
                    self.session, self.incident_id, self.actor, self.tty, self.clock.now()
                )
                self._last_heartbeat = now_mono
            version = store.data_version()
            changed = force or version != self._data_version
            self._data_version = version
            state = None
            if changed and self.incident_id:
                current = store.state(self.incident_id)
                if force or current.last_event_id != self._seen:
                    self._seen = current.last_event_id
                    state = current.snapshot()
            presence = None
            if changed or now_mono - self._last_presence >= 1.0:
                presence = store.present(self.incident_id, self.clock.now())
                self._last_presence = now_mono
            return Sync(state, presence)

    # commands -----------------------------------------------------------------
    def run(
        self, fn: Callable[..., commands.Outcome], *args: Any, **kwargs: Any
    ) -> tuple[commands.Outcome, IncidentState]:
        """A command from :mod:`tui.commands` on the attached incident, then the new state."""
        with self._lock:
            assert self.incident_id is not None
            outcome = fn(self.store, self.clock, self.actor, self.incident_id, *args, **kwargs)
            return outcome, self._handed_over()

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
        from tui.publish import outbox
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
