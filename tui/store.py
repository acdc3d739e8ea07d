"""The incident store: one SQLite file (through sqlite-utils), an append-only event log.

* WAL mode and a busy timeout, so several dashboards and CLI calls share one
  file; every write runs in ``BEGIN IMMEDIATE`` and re-reads what others wrote
  before it decides anything, so two people ticking the same item at once
  lose nothing and corrupt nothing.
* The schema version lives in ``PRAGMA user_version`` and moves only through
  the numbered migrations below; a file from a newer warroom is refused.
* The file is created 0600 (0660 and chgrp'ed when a shared war-room group is
  asked for), before SQLite ever opens it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tui.clock import parse_instant, to_iso
from tui.playbook import Playbook, PlaybookError, playbook_from_text
from tui.state import CLOSED, KINDS, Event, IncidentState, Projector

APPLICATION_ID = 0x5752_4D31  # "WRM1"
DEFAULT_TIMEOUT = 5.0


class StoreError(Exception):
    """A one-line, user-facing problem with the database."""


def _m1(db) -> None:
    db["incidents"].create(
        {"seq": int, "id": str, "title": str, "started_at": str, "closed_at": str},
        pk="seq",
        not_null={"id", "title", "started_at"},
    )
    db["incidents"].create_index(["id"], unique=True)
    db["playbooks"].create(
        {"sha256": str, "name": str, "source": str, "text": str},
        pk="sha256",
        not_null={"name", "text"},
    )
    db["events"].create(
        {
            "id": int,
            "incident_id": str,
            "at": str,
            "actor": str,
            "kind": str,
            "data": str,
        },
        pk="id",
        not_null={"incident_id", "at", "actor", "kind", "data"},
    )
    db["events"].create_index(["incident_id", "id"])
    db.execute(
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )


def _m2(db) -> None:
    # Who is in the room: one row per attached dashboard, refreshed by heartbeats.
    # Not events: a heartbeat every few seconds would drown the log.
    db["presence"].create(
        {
            "session": str,
            "incident_id": str,
            "user": str,
            "tty": str,
            "since": str,
            "last_seen": str,
        },
        pk="session",
        not_null={"user", "since", "last_seen"},
    )


def _m3(db) -> None:
    # The durable outbox: what must reach a status page, written in the same
    # transaction as the event that asked for it. Rows change state (a queue,
    # not the log); every outcome is also an event.
    db.execute(
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            incident_id TEXT NOT NULL,
            destination TEXT NOT NULL,
            purpose TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_owner TEXT,
            lease_until TEXT,
            ambiguous INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            provider_ref TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            event_id INTEGER
        )"""
    )
    db.execute("CREATE INDEX outbox_due ON outbox(state, next_attempt_at)")
    db.execute("CREATE INDEX outbox_order ON outbox(incident_id, destination, id)")
    db.execute(
        """CREATE TABLE provider_incidents (
            incident_id TEXT NOT NULL,
            destination TEXT NOT NULL,
            provider_id TEXT NOT NULL,
            PRIMARY KEY (incident_id, destination)
        )"""
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    import uuid

    db.execute("INSERT INTO meta(key, value) VALUES ('instance', ?)", [uuid.uuid4().hex[:12]])


# Numbered migrations: MIGRATIONS[n - 1] takes the schema from version n-1 to n.
MIGRATIONS: list[Callable[[Any], None]] = [_m1, _m2, _m3]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True, slots=True)
class Presence:
    session: str
    user: str
    tty: str
    since: datetime
    last_seen: datetime


PRESENCE_TTL = 10.0  # seconds after the last heartbeat a dashboard counts as gone


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: str
    title: str
    started_at: datetime
    closed_at: datetime | None


def default_db_path() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("warroom", appauthor=False)) / "warroom.db"


def _create_file(path: Path, group: str | None) -> None:
    mode = 0o660 if group else 0o600
    gid = -1
    if group:
        import grp

        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise StoreError(f"unknown group {group!r} for the shared war-room database") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, mode)  # the umask must not widen or narrow what we asked for
        if gid != -1:
            os.fchown(fd, -1, gid)
    except OSError as exc:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise StoreError(f"cannot set the group of {path} to {group!r}: {exc.strerror}") from None
    os.close(fd)


class Store:
    def __init__(
        self,
        path: str | os.PathLike,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        group: str | None = None,
        create: bool = True,
    ):
        self.path = Path(path)
        self.timeout = timeout
        if not self.path.exists():
            if not create:
                raise StoreError(f"no database at {self.path} (start an incident first)")
            _create_file(self.path, group)
        elif self.path.is_dir():
            raise StoreError(f"{self.path} is a directory, not a warroom database")
        try:
            conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        self.conn = conn
        self._db = None
        self._projectors: dict[str, Projector] = {}
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(self._explain(exc)) from None
        except StoreError:
            conn.close()
            raise

    @property
    def db(self):
        """sqlite-utils on our connection, imported on first use (reads need only sqlite3)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(
                self.conn, execute_plugins=False, recursive_triggers=False
            )
        return self._db

    def _explain(self, exc: sqlite3.Error) -> str:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return (
                f"database {self.path} is locked: another warroom held it for more than "
                f"{self.timeout:g} s; try again"
            )
        if "not a database" in text or "malformed" in text:
            return f"{self.path} is not a warroom database ({text})"
        if "readonly" in text or "unable to open" in text:
            return f"cannot write database {self.path} ({text})"
        return f"database {self.path}: {text}"

    def _prepare(self) -> None:
        c = self.conn
        app_id = c.execute("PRAGMA application_id").fetchone()[0]
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(f"{self.path} is an SQLite file, but not a warroom database")
        if app_id == 0 and c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"{self.path} is an SQLite file, but not a warroom database")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer warroom (schema {version}; this one "
                f"knows up to {SCHEMA_VERSION}): upgrade warroom to open it"
            )
        c.execute("PRAGMA foreign_keys=ON")
        if version == SCHEMA_VERSION:
            return
        with self._immediate():
            version = c.execute("PRAGMA user_version").fetchone()[0]  # someone may have won
            for n in range(version, SCHEMA_VERSION):
                MIGRATIONS[n](self.db)
                c.execute(f"PRAGMA user_version={n + 1}")
            c.execute(f"PRAGMA application_id={APPLICATION_ID}")
        if c.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            c.execute("PRAGMA journal_mode=WAL")

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(self._explain(exc)) from None
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # reading ----------------------------------------------------------------
    def data_version(self) -> int:
        """Changes when another connection commits: a cheap "anything new?" probe."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def incidents(self, *, include_closed: bool = False) -> list[IncidentRow]:
        where = "" if include_closed else " WHERE closed_at IS NULL"
        rows = self.conn.execute(
            f"SELECT id, title, started_at, closed_at FROM incidents{where} ORDER BY seq"
        )
        return [
            IncidentRow(r[0], r[1], parse_instant(r[2]), parse_instant(r[3]) if r[3] else None)
            for r in rows
        ]

    def incident_exists(self, incident_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return row is not None

    def events(self, incident_id: str, after: int = 0) -> Iterator[Event]:
        cur = self.conn.execute(
            "SELECT id, incident_id, at, actor, kind, data FROM events "
            "WHERE incident_id = ? AND id > ? ORDER BY id",
            (incident_id, after),
        )
        for row in cur:
            yield Event(row[0], row[1], parse_instant(row[2]), row[3], row[4], json.loads(row[5]))

    def instance(self) -> str:
        """A random id of this database: correlation keys differ between war rooms."""
        return self.conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0]

    def playbook(self, sha: str, source: str = "") -> Playbook:
        row = self.conn.execute(
            "SELECT text, source FROM playbooks WHERE sha256 = ?", (sha,)
        ).fetchone()
        if row is None:
            raise StoreError(f"database {self.path} lacks the pinned playbook {sha[:12]}")
        try:
            return playbook_from_text(row[0], source or row[1] or "")
        except PlaybookError as exc:
            first = exc.problems[0] if exc.problems else "?"
            raise StoreError(
                f"the pinned playbook {sha[:12]} no longer validates: {first}"
            ) from None

    def state(self, incident_id: str) -> IncidentState:
        """The incident's state, folding only the events not seen yet by this Store."""
        projector = self._projectors.get(incident_id)
        if projector is None:
            projector = self._projectors[incident_id] = Projector(incident_id, self.playbook)
        projector.apply_all(self.events(incident_id, after=projector.state.last_event_id))
        return projector.state

    # presence ---------------------------------------------------------------
    def heartbeat(
        self, session: str, incident_id: str | None, user: str, tty: str, now: datetime
    ) -> None:
        stamp = to_iso(now)
        try:
            self.conn.execute(
                "INSERT INTO presence(session, incident_id, user, tty, since, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(session) DO UPDATE SET "
                "last_seen = excluded.last_seen, incident_id = excluded.incident_id",
                (session, incident_id, user, tty, stamp, stamp),
            )
        except sqlite3.OperationalError as exc:
            raise StoreError(self._explain(exc)) from None

    def leave(self, session: str) -> None:
        with suppress(sqlite3.Error):
            self.conn.execute("DELETE FROM presence WHERE session = ?", (session,))

    def present(
        self, incident_id: str | None, now: datetime, ttl: float = PRESENCE_TTL
    ) -> list[Presence]:
        cutoff = to_iso(now - timedelta(seconds=ttl))
        rows = self.conn.execute(
            "SELECT session, user, tty, since, last_seen FROM presence "
            "WHERE last_seen >= ? AND (incident_id IS ? OR incident_id IS NULL) "
            "ORDER BY since, user",
            (cutoff, incident_id),
        ).fetchall()
        return [
            Presence(r[0], r[1], r[2] or "", parse_instant(r[3]), parse_instant(r[4])) for r in rows
        ]

    # writing ----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Writer]:
        """One transaction: read fresh state, decide, append. All of it or nothing."""
        with self._immediate():
            yield Writer(self)


class Writer:
    def __init__(self, store: Store):
        self.store = store

    def state(self, incident_id: str) -> IncidentState:
        return self.store.state(incident_id)

    def pin_playbook(self, book: Playbook) -> None:
        self.store.db["playbooks"].insert(
            {"sha256": book.sha256, "name": book.name, "source": book.source, "text": book.text},
            ignore=True,
        )

    def new_incident(self, title: str, at: datetime) -> str:
        row = self.store.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM incidents").fetchone()
        incident_id = f"INC-{row[0]}"
        self.store.db["incidents"].insert(
            {"seq": row[0], "id": incident_id, "title": title, "started_at": to_iso(at)}
        )
        return incident_id

    def append(
        self, incident_id: str, at: datetime, actor: str, kind: str, data: dict[str, Any]
    ) -> int:
        if kind not in KINDS:  # a typo here would fold as "recorded ..." forever
            raise ValueError(f"unknown event kind {kind!r}")
        table = self.store.db["events"].insert(
            {
                "incident_id": incident_id,
                "at": to_iso(at),
                "actor": actor,
                "kind": kind,
                "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            }
        )
        if kind == CLOSED:
            self.store.db["incidents"].update(self._seq(incident_id), {"closed_at": to_iso(at)})
        return int(table.last_pk)

    def _seq(self, incident_id: str) -> int:
        return self.store.conn.execute(
            "SELECT seq FROM incidents WHERE id = ?", (incident_id,)
        ).fetchone()[0]
